// Package handlers is bbcs's HTTP surface: webhooks, the JSON API, the
// console, health and metrics. Handlers are thin: decode, call one
// casework use case, encode.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/reports"
)

// Check is one dependency /readyz asks about.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps is what the HTTP surface needs, filled in by cmd/bbcs.
type Deps struct {
	Cases   *casework.Service
	Reports *reports.Reports
	// Tokens maps each API bearer token to the staff id it acts as.
	Tokens map[string]string
	// FakeClock is set only when clock.fake is on; then /debug/clock exists.
	FakeClock *clock.Fake
	// ClockMoved is called after the test clock moved, so timers that became
	// due fire now rather than at the next poll.
	ClockMoved func()
	Checks     []Check
	// The platforms' webhooks (bot/wechat, bot/wecom, bot/dingtalk).
	WeChat      http.Handler
	WeComBot    http.Handler // the smart robot: @-mentions in window groups
	WeComApp    http.Handler // the self-built app: private messages, card clicks
	DingTalkBot http.Handler
	// Actions is the staff action page /act/{order}, nil when off.
	Actions http.Handler
	// Console is the admin console /admin, nil when off.
	Console *Console
	// Rating is the applicants' rating page /rate/{token}, nil when off.
	Rating   http.Handler
	Log      *slog.Logger
	Registry *prometheus.Registry // nil → a new one
}

// Server routes every request.
type Server struct {
	Deps
	mux      *http.ServeMux
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewRegistry is a metrics registry with the Go runtime's and the
// process's collectors, for Deps.Registry.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = NewRegistry()
	}
	s := &Server{Deps: d, mux: http.NewServeMux()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bbcs_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bbcs_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"route"})
	d.Registry.MustRegister(s.requests, s.latency)

	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	if d.FakeClock != nil {
		s.handle("GET /debug/clock", s.getClock)
		s.handle("POST /debug/clock", s.setClock)
	}
	for path, h := range map[string]http.Handler{
		"/wechat/oa": d.WeChat, "/wecom/callback": d.WeComBot, "/wecom/app": d.WeComApp,
	} {
		if h != nil {
			s.mux.Handle("GET "+path, s.instrument("GET "+path, h))
			s.mux.Handle("POST "+path, s.instrument("POST "+path, h))
		}
	}
	if d.Actions != nil {
		s.mux.Handle("GET /act/{order}", s.instrument("GET /act/{order}", d.Actions))
		s.mux.Handle("POST /act/{order}", s.instrument("POST /act/{order}", d.Actions))
	}
	if d.Console != nil {
		d.Console.Routes(s.mux)
	}
	if d.Rating != nil {
		s.mux.Handle("GET /rate/{token}", s.instrument("GET /rate/{token}", d.Rating))
		s.mux.Handle("POST /rate/{token}", s.instrument("POST /rate/{token}", d.Rating))
	}
	if d.DingTalkBot != nil {
		s.mux.Handle("POST /dingtalk/callback", s.instrument("POST /dingtalk/callback", d.DingTalkBot))
	}
	s.routeAPI()
	// Under /api/v1/ even a wrong address or method is answered in the
	// JSON {code, message} of the contract, in Chinese.
	s.mux.Handle(apiPrefix, s.instrument(apiPrefix, http.HandlerFunc(s.apiFallback)))
	return s
}

const apiPrefix = "/api/v1/"

// apiFallback answers what no API route took: 405 with Allow when the
// address exists for other methods, else 404.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != apiPrefix {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("接口 %s 不支持 %s 请求，请使用 %s", r.URL.Path, r.Method, strings.Join(allowed, " 或 ")))
		return
	}
	writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("没有接口 %s %s，请对照接口文档（docs/api.md）检查地址", r.Method, r.URL.Path))
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers a route with its metrics.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		s.requests.WithLabelValues(route, http.StatusText(rec.code)).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (an export
// lifts its write deadline).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency answers, and says which
// one does not.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status, code := map[string]string{}, http.StatusOK
	for _, c := range s.Checks {
		if err := c.Ping(ctx); err != nil {
			status[c.Name] = "unreachable: " + err.Error()
			code = http.StatusServiceUnavailable
			continue
		}
		status[c.Name] = "ok"
	}
	writeJSON(w, code, status)
}

type clockRequest struct {
	Now     string `json:"now"`
	Advance string `json:"advance"`
}

func (s *Server) getClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"now": formatTime(s.FakeClock.Now())})
}

// setClock is the test clock of the black-box contract.
func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	var req clockRequest
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.Now != "" && req.Advance != "":
		writeError(w, http.StatusBadRequest, "invalid", "now 与 advance 只能二选一")
		return
	case req.Now != "":
		t, err := time.Parse(time.RFC3339, req.Now)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "now 应为 RFC 3339 时间，例如 2026-09-30T10:00:00+08:00")
			return
		}
		s.FakeClock.Set(t)
	case req.Advance != "":
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, "invalid", "advance 应为非负的时长，例如 72h 或 90m")
			return
		}
		s.FakeClock.Advance(d)
	default:
		writeError(w, http.StatusBadRequest, "invalid", "请给出 now 或 advance")
		return
	}
	s.Log.Info("test clock moved", "now", s.FakeClock.Now())
	if s.ClockMoved != nil {
		s.ClockMoved()
	}
	s.getClock(w, r)
}

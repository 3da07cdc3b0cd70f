package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"bbcs/bot"
	"bbcs/models"
	"bbcs/timers"
)

// The metrics that matter when something is wrong: webhook latency (the
// HTTP histogram of handlers), the outbox backlog, timers due, fired and
// late, and what the platforms answer.

// metrics are one app's own; each replica (and each test) has its own.
type metrics struct {
	platformSends *prometheus.CounterVec
	timersFired   *prometheus.CounterVec
	timerLag      prometheus.Histogram
	timersLate    prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		platformSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbcs_platform_sends_total",
			Help: "Notices handed to a platform, by platform and result: sent, deferred (rate limit), error (will retry), refused (permanent).",
		}, []string{"platform", "result"}),
		timersFired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bbcs_timers_fired_total", Help: "Timers fired, by result (ok, error).",
		}, []string{"result"}),
		timerLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bbcs_timer_lag_seconds", Help: "From a timer's due time to its firing.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900},
		}),
		timersLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bbcs_timers_late_total", Help: "Timers fired more than a minute after they were due.",
		}),
	}
}

// registerMetrics adds bbcs's own metrics to reg; the gauges ask the
// database and Redis at each scrape, with a short timeout.
func (a *app) registerMetrics(reg *prometheus.Registry) {
	gauge := func(name, help string, read func(context.Context) (float64, error)) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			v, err := read(ctx)
			if err != nil {
				return -1 // unknown: the dependency did not answer (see /readyz)
			}
			return v
		})
	}
	m := a.metrics
	reg.MustRegister(m.platformSends, m.timersFired, m.timerLag, m.timersLate,
		gauge("bbcs_outbox_pending", "Notices waiting to be delivered.", func(ctx context.Context) (float64, error) {
			n, err := a.outbox.Count(ctx, models.NoticePending)
			return float64(n), err
		}),
		gauge("bbcs_outbox_failed", "Notices given up on (see the console's notices page).", func(ctx context.Context) (float64, error) {
			n, err := a.outbox.Count(ctx, models.NoticeFailed)
			return float64(n), err
		}),
		gauge("bbcs_timers_scheduled", "Timers waiting in Redis.", func(ctx context.Context) (float64, error) {
			s, _, err := a.timers.Stats(ctx)
			return float64(s), err
		}),
		gauge("bbcs_timers_overdue", "Timers past their due time that no process holds.", func(ctx context.Context) (float64, error) {
			n, err := a.timers.Overdue(ctx)
			return float64(n), err
		}),
	)
}

// measure counts what a platform's sender answers.
func (m *metrics) measure(p bot.Platform, next bot.Sender) bot.Sender {
	return measured{p, next, m.platformSends}
}

type measured struct {
	platform bot.Platform
	next     bot.Sender
	sends    *prometheus.CounterVec
}

func (m measured) Send(ctx context.Context, n *models.Notice) (string, error) {
	receipt, err := m.next.Send(ctx, n)
	var deferred *bot.DeferredError
	result := "sent"
	switch {
	case errors.As(err, &deferred):
		result = "deferred"
	case bot.IsPermanent(err):
		result = "refused"
	case err != nil:
		result = "error"
	}
	m.sends.WithLabelValues(string(m.platform), result).Inc()
	return receipt, err
}

// timed wraps the timer handler with the lag and result metrics.
func (a *app) timed(h timers.Handler) timers.Handler {
	return func(ctx context.Context, id string, due time.Time) error {
		lag := a.cases.Clock().Now().Sub(due)
		err := h(ctx, id, due)
		result := "ok"
		if err != nil {
			result = "error"
		}
		a.metrics.timersFired.WithLabelValues(result).Inc()
		a.metrics.timerLag.Observe(max(lag, 0).Seconds())
		if lag > time.Minute {
			a.metrics.timersLate.Inc()
		}
		return err
	}
}

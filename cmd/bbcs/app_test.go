package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/clock"
	"bbcs/config"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// testApp is bbcs built from config.example.yaml, on a MariaDB database of
// the test's own and the machine's Redis, with the test clock on, behind
// an httptest server: the black box as outside tests see it.
type testApp struct {
	t   *testing.T
	app *app
	srv *httptest.Server
}

var tokens = map[string]string{
	"wang": "demo-token-wangfang-0001", "zhang": "demo-token-zhangwei-0002",
	"zhao": "demo-token-zhaomin-00003", "admin": "demo-token-admin-000004",
	"chen": "demo-token-chenfz-000005", // only where a test's config gives it
}

func startApp(t *testing.T, environ ...string) *testApp {
	t.Helper()
	env := append([]string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t),
		"BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_CLOCK_FAKE=true",
	}, environ...)
	return startAppWith(t, "../../config.example.yaml", env)
}

func startAppWith(t *testing.T, path string, env []string) *testApp {
	t.Helper()
	return startAppWall(t, path, env, clock.Real{})
}

// startAppWall is startAppWith on the wall clock wall (what the platforms
// check), for tests that let the platforms' real time pass.
func startAppWall(t *testing.T, path string, env []string, wall clock.Wall) *testApp {
	t.Helper()
	cfg, err := config.Load(path, env)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	a, err := buildWith(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), wall)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		srv.Close()
		a.close()
		checkLogs(t, logs.String(), cfg)
	})
	return &testApp{t: t, app: a, srv: srv}
}

// syncBuffer is a log sink goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var mobileRE = regexp.MustCompile(`\b1[3-9]\d{9}\b`)

// checkLogs: whatever a test did, no mobile number, no secret and no
// citizen's words reached the log (platforms.md, logging).
func checkLogs(t *testing.T, logs string, cfg *config.Config) {
	t.Helper()
	if m := mobileRE.FindString(logs); m != "" {
		t.Errorf("a mobile number reached the log: %s", m)
	}
	secrets := []string{cfg.WeChat.AppSecret, cfg.WeChat.EncodingAESKey, cfg.WeCom.Secret, cfg.WeCom.EncodingAESKey,
		cfg.WeCom.BotEncodingAESKey, cfg.DingTalk.AppSecret, cfg.HTTP.SessionSecret}
	for _, tok := range cfg.API.Tokens {
		secrets = append(secrets, tok.Token)
	}
	for _, d := range cfg.Departments {
		secrets = append(secrets, d.Group.WebhookKey, d.Group.AccessToken, d.Group.Secret)
	}
	for _, s := range secrets {
		if len(s) >= 8 && strings.Contains(logs, s) {
			t.Errorf("a secret reached the log: %.4s…", s)
		}
	}
	for _, words := range []string{"过户", "营业执照", "态度"} {
		if strings.Contains(logs, words) {
			t.Errorf("a citizen's words (%s) reached the log", words)
		}
	}
}

// runLoops starts what serve runs beside the HTTP server: the outbox
// sender and the timer engine (after a first reconciliation), until the
// test ends.
func (ta *testApp) runLoops() {
	ta.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := ta.app.jobs.Reconcile(ctx); err != nil {
		ta.t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ta.app.outbox.Run(ctx, 50*time.Millisecond) }()
	go func() { defer wg.Done(); ta.app.timers.Run(ctx, ta.app.jobs.Fire) }()
	ta.t.Cleanup(func() { cancel(); wg.Wait() })
}

// fireDueTimers fires, once each, the timers whose ids start with prefix
// and are due by bbcs's clock, as the engine would: for tests that do not
// run the loops.
func (ta *testApp) fireDueTimers(prefix string) {
	ta.t.Helper()
	ctx := context.Background()
	want, err := ta.app.cases.WantedTimers(ctx)
	if err != nil {
		ta.t.Fatal(err)
	}
	now := ta.app.cases.Clock().Now()
	for id, at := range want {
		if strings.HasPrefix(id, prefix) && !at.After(now) {
			if err := ta.app.jobs.Fire(ctx, id, at); err != nil {
				ta.t.Fatalf("timer %s: %v", id, err)
			}
		}
	}
}

// call sends a JSON request as staff member who ("" for none) and decodes
// the answer into out when given. It returns the status code.
func (ta *testApp) call(who, method, path string, in, out any) int {
	ta.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			ta.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	resp := ta.request(who, method, path, body)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			ta.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// request sends body as staff member who ("" for none), as JSON, and
// returns the answer.
func (ta *testApp) request(who, method, path string, body io.Reader) *http.Response {
	ta.t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, body)
	if err != nil {
		ta.t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+tokens[who])
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ta.srv.Client().Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	return resp
}

// must is call that expects a status.
func (ta *testApp) must(want int, who, method, path string, in, out any) {
	ta.t.Helper()
	var raw json.RawMessage
	got := ta.call(who, method, path, in, &raw)
	if got != want {
		ta.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			ta.t.Fatal(err)
		}
	}
}

func (ta *testApp) setClock(now string) {
	ta.t.Helper()
	var out struct{ Now string }
	ta.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"now": now}, &out)
	if !strings.HasPrefix(out.Now, now[:16]) {
		ta.t.Fatalf("clock answered %s, want %s", out.Now, now)
	}
}

// apiError is the JSON error of the contract.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// refused expects a JSON error with a status, a code and a Chinese
// message mentioning each of contains.
func (ta *testApp) refused(status int, code, who, method, path string, in any, contains ...string) {
	ta.t.Helper()
	var e apiError
	got := ta.call(who, method, path, in, &e)
	if got != status || e.Code != code {
		ta.t.Fatalf("%s %s as %s: %d %+v, want %d %s", method, path, who, got, e, status, code)
	}
	for _, s := range contains {
		if !strings.Contains(e.Message, s) {
			ta.t.Errorf("%s %s: message %q does not mention %q", method, path, e.Message, s)
		}
	}
}

// notices lists the outbox rows of a case.
func (ta *testApp) notices(no string) []models.Notice {
	ta.t.Helper()
	var list []models.Notice
	if err := ta.app.db.Where("case_no = ?", no).Order("id").Find(&list).Error; err != nil {
		ta.t.Fatal(err)
	}
	return list
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// get fetches a page with no credentials.
func (ta *testApp) get(path string) (int, string) {
	ta.t.Helper()
	resp, err := http.Get(ta.srv.URL + path)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape reads /metrics.
func (ta *testApp) scrape() string {
	_, body := ta.get("/metrics")
	return body
}

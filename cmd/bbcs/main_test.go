package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bbcs/bot/wechat"
	"bbcs/bot/wechat/wechattest"
)

// bbcs with no config at all starts on the embedded stores (an SQLite file
// and an in-process Redis), answers /readyz, handles a case and shuts down
// cleanly: the README's first command.
func TestServeOnEmbeddedDefaults(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{"BBCS_HTTP_ADDR=" + addr, "BBCS_DATABASE_SQLITE_PATH=" + filepath.Join(dir, "bbcs.db")}
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, &bytes.Buffer{}, &logs) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("/readyz never answered 200 (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The README's hand-signed message: plain mode, the development token.
	wx := &wechattest.Client{URL: "http://" + addr + "/wechat/oa", Token: wechat.DevToken}
	if r := wx.Text("oDemo", "你好", 1); r.Status != http.StatusOK || r.Reply == nil || !strings.Contains(r.Reply.Content, "反映问题") {
		t.Errorf("a signed message on embedded defaults: %d %+v %v", r.Status, r.Reply, r.Err)
	}
	var probe bytes.Buffer
	if err := run(context.Background(), []string{"health"}, env, &probe, &probe); err != nil || probe.String() != "ok\n" {
		t.Errorf("bbcs health against the running server: %v %q", err, probe.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	out := logs.String()
	// Nobody has a console password there: the log says how to give one.
	for _, want := range []string{"embedded SQLite", "redis: in-process", "bbcs listening", "nobody can sign in", "bbcs hash-password", "http://" + addr + "/admin/"} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up log lacks %q:\n%s", want, out)
		}
	}
}

// The embedded stores run the same workflow as MariaDB: a smoke test.
func TestEmbeddedStoresSmoke(t *testing.T) {
	env := []string{
		"BBCS_DATABASE_SQLITE_PATH=" + filepath.Join(t.TempDir(), "bbcs.db"),
		"BBCS_CLOCK_FAKE=true",
	}
	ta := startAppWith(t, "../../config.example.yaml", env)
	if ta.app.db.Dialector.Name() != "sqlite" {
		t.Fatalf("database is %s, want the embedded SQLite", ta.app.db.Dialector.Name())
	}
	ta.setClock("2026-09-30T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "other", "matter": "事项",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	if c.WorkOrders[0].DueAt != "2026-10-10T18:00:00+08:00" {
		t.Errorf("due_at %s on SQLite", c.WorkOrders[0].DueAt)
	}
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+c.WorkOrders[0].No+"/reply", map[string]string{"result": "已办结"}, &c)
	if c.Status != "answered" {
		t.Errorf("status %s, want answered", c.Status)
	}
	// The outbox sender (log-only by default) delivers what was written.
	sent, err := ta.app.outbox.DeliverDue(context.Background())
	if err != nil || sent != len(ta.notices(c.No)) {
		t.Errorf("delivered %d of %d notices: %v", sent, len(ta.notices(c.No)), err)
	}
}

func TestConfigCheckNamesEachWrongKey(t *testing.T) {
	bad := writeFile(t, "bad.yaml", `http:
  adr: ":80"
workday:
  reply_days: three
departments:
  - code: realestate
    name: 不动产登记窗口
    group: {platform: weixin}
`)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"config", "check", "--config", bad}, nil, &out, &errOut)
	if err == nil {
		t.Fatal("a bad config passed the check")
	}
	for _, want := range []string{"http.adr: unknown key", "workday.reply_days:", "departments[0].group.platform:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("check output lacks %q:\n%v", want, err)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"config", "check", "--config", "../../config.example.yaml"}, nil, &out, &errOut); err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if !strings.Contains(out.String(), ": ok") {
		t.Errorf("check of a good file printed %q", out.String())
	}
	// 第十二条's cap cannot be configured away: neither checked nor served.
	// (Were the check missing, serve would start: on a stopped context, a
	// free port and a database of the test's own, so it stops at once.)
	laxer := []string{"BBCS_WORKDAY_MAX_DAYS=15", "BBCS_WORKDAY_REPLY_DAYS=5", "BBCS_HTTP_ADDR=127.0.0.1:0",
		"BBCS_DATABASE_SQLITE_PATH=" + filepath.Join(t.TempDir(), "bbcs.db")}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	for _, cmd := range [][]string{{"config", "check", "--config", "../../config.example.yaml"}, {"serve", "--config", "../../config.example.yaml"}} {
		err := run(stopped, cmd, laxer, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "workday.max_days: must be at most 10") || !strings.Contains(err.Error(), "workday.reply_days: must be at most 3") ||
			!strings.Contains(err.Error(), "第十二条") {
			t.Errorf("%v with %v: %v", cmd, laxer, err)
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

// `config check` reads the holiday file too: half of a year bbcs does not
// ship is refused there, naming the key, before a start would move legal
// deadlines.
func TestConfigCheckRefusesHalfAYearOfHolidays(t *testing.T) {
	half := writeFile(t, "holidays.json", `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "off": true}]}`)
	cfg := writeFile(t, "bbcs.yaml", "workday:\n  override_file: "+half+"\n")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"config", "check", "--config", cfg}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "workday.override_file") || !strings.Contains(err.Error(), "缺少春节") {
		t.Fatalf("config check with half of 2027: %v; want it refused, naming workday.override_file and the missing holidays", err)
	}
}

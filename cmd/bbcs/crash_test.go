package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/bot/wechat/wechattest"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/outbox"
	"bbcs/store"
)

// TestMain lets a test start this very binary as bbcs, to kill it with
// SIGKILL: with BBCS_TEST_AS_BBCS=1 it runs main with the arguments in
// BBCS_TEST_ARGS instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("BBCS_TEST_AS_BBCS") == "1" {
		os.Args = append([]string{"bbcs"}, strings.Fields(os.Getenv("BBCS_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is bbcs running as a separate process.
type process struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startProcess(t *testing.T, config string, env []string, url string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0])}
	p.cmd.Env = append(os.Environ(), append(env, "BBCS_TEST_AS_BBCS=1", "BBCS_TEST_ARGS=serve --config "+config)...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("bbcs did not become ready:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SIGKILL in the middle of thirty citizens' reports, then a restart.
// WeChat delivers a message again while it gets no 200; every message
// acknowledged has had its effect, every report has its one case, and each
// notice reaches the citizen once — but for the sends the kill may cut
// between WeChat's answer and the database's record of them, which go out
// again after the restart (no platform takes an idempotency key).
func TestKillNineUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: starts bbcs twice as a process (run without -short, as ./scripts/test does)")
	}
	fake := wechattest.NewFake(t, wxAppID, wxSecret)
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeFile(t, "bbcs.yaml", string(example)+"\nwechat:\n  api_base: "+fake.URL()+"\n  app_id: "+wxAppID+"\n  templates: {default: TPL-PROGRESS}\n")
	dsn := testenv.MySQLDSN(t)
	env := []string{
		"BBCS_HTTP_ADDR=" + addr, "BBCS_DATABASE_DSN=" + dsn, "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t), "BBCS_WECHAT_APP_SECRET=" + wxSecret, "BBCS_WECHAT_TOKEN=" + wxToken,
		"BBCS_WECHAT_ENCODING_AES_KEY=" + wxAESKey, "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn", "BBCS_LOG_LEVEL=warn",
	}
	url := "http://" + addr
	wx := &wechattest.Client{URL: url + "/wechat/oa", Token: wxToken, EncodingAESKey: wxAESKey, AppID: wxAppID}
	p := startProcess(t, cfg, env, url)
	var current atomic.Pointer[process]
	current.Store(p)
	t.Cleanup(func() { current.Load().cmd.Process.Kill(); current.Load().cmd.Wait() })

	const citizens = 30
	var acked atomic.Int64
	var ids atomic.Int64
	ids.Store(7_000_000)
	// deliver is WeChat: the same message again until a 200.
	deliver := func(send func(id int64) *wechattest.Response) error {
		id := ids.Add(1)
		for try := 0; try < 120; try++ {
			if r := send(id); r.Err == nil && r.Status == http.StatusOK {
				acked.Add(1)
				return nil
			}
			time.Sleep(250 * time.Millisecond)
		}
		return fmt.Errorf("message %d never acknowledged", id)
	}
	menu := func(openid string, n int) (wechattest.Custom, error) {
		deadline := time.Now().Add(100 * time.Second) // past a lease the kill left
		for time.Now().Before(deadline) {
			if got := fake.CustomsTo(openid); len(got) >= n {
				return got[n-1], nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return wechattest.Custom{}, fmt.Errorf("%s: message %d never came (it has %d)", openid, n, len(fake.CustomsTo(openid)))
	}
	say := func(openid, text string) func() error {
		return func() error {
			return deliver(func(id int64) *wechattest.Response { return wx.Text(openid, text, id) })
		}
	}
	// pick clicks an item of the n-th menu the citizen received.
	pick := func(openid string, n, item int, menuID int64) func() error {
		return func() error {
			m, err := menu(openid, n)
			if err != nil {
				return err
			}
			label := m.Menu.Items[item].Content
			return deliver(func(id int64) *wechattest.Response { return wx.MenuClick(openid, label, menuID, id) })
		}
	}
	report := func(openid string) error {
		for _, step := range []func() error{
			say(openid, "反映问题"), pick(openid, 1, 1, 102), say(openid, "过户材料提交后超期未办结"),
			pick(openid, 2, 0, 201), say(openid, "钱先生"), say(openid, "13500135000"), say(openid, "确认"),
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make(chan error, citizens)
	var wg sync.WaitGroup
	for i := range citizens {
		wg.Go(func() { errs <- report(fmt.Sprintf("oCrash%02d", i)) })
	}
	for acked.Load() < citizens*7/2 {
		time.Sleep(5 * time.Millisecond)
	}
	p.cmd.Process.Kill() // SIGKILL: no shutdown, leases and locks left as they were
	p.cmd.Wait()
	t.Logf("killed after %d acknowledged messages", acked.Load())
	current.Store(startProcess(t, cfg, env, url))
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	db, err := store.OpenDatabase(dsn, "", testenv.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	var cases []models.Case
	db.Find(&cases)
	per := map[string]int{}
	for _, c := range cases {
		per[c.ApplicantOpenID]++
	}
	if len(cases) != citizens || len(per) != citizens {
		t.Errorf("%d cases for %d citizens (%d distinct)", len(cases), citizens, len(per))
	}
	// Every notice goes out; a claim the kill left behind lapses after
	// its lease (a minute).
	deadline := time.Now().Add(90 * time.Second)
	for {
		var pending int64
		db.Model(&models.Notice{}).Where("status <> ?", models.NoticeSent).Count(&pending)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notices still not sent", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	extra := 0
	for i := range citizens {
		openid := fmt.Sprintf("oCrash%02d", i)
		got := fake.CustomsTo(openid)
		receipts := 0
		for _, m := range got {
			if strings.Contains(m.Text, "已受理") {
				receipts++
			}
		}
		if receipts == 0 || len(got) < 3 {
			t.Errorf("%s received %d messages, %d receipts", openid, len(got), receipts)
		}
		extra += len(got) - 3
	}
	// The outbox sends up to Workers notices at once, each to a recipient
	// of its own: those in flight at the kill may go twice, no others.
	if workers := outbox.New(nil, nil, nil, nil).Workers; extra > workers {
		t.Errorf("%d messages went out twice; at most the %d in flight at the kill may", extra, workers)
	}
}

package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's first command, then its sign-in, with no other step: the
// demo says at start how to sign in, and the demo specialist, supervisor
// and administrator can (issue 14).
func TestDemoSaysHowToSignInAndItWorks(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{"BBCS_HTTP_ADDR=" + addr, "BBCS_DATABASE_SQLITE_PATH=" + filepath.Join(t.TempDir(), "bbcs.db")}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", "../../config.example.yaml"}, env, &bytes.Buffer{}, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not shut down")
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "bbcs listening") {
		select {
		case err := <-done:
			t.Fatalf("bbcs stopped: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bbcs did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := logs.String()
	for _, want := range []string{"http://" + addr + "/admin/", "wang", "王芳", "ma", "admin", "bbcs-demo", "演示"} {
		if !strings.Contains(out, want) {
			t.Errorf("the start-up message lacks %q:\n%s", want, out)
		}
	}
	for _, id := range []string{"wang", "ma", "admin"} {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.PostForm("http://"+addr+"/admin/login", url.Values{"staff": {id}, "password": {"bbcs-demo"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/admin/cases" {
			t.Errorf("%s signing in with the demo password: %d → %s", id, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

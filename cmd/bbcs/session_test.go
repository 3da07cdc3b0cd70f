package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A rehearsal moves the test clock by days; the console's sign-in lives
// as long as its browser cookie, by the wall clock, so the specialist is
// not signed out by the move, nor kept in by a move back.
func TestMovingTheTestClockKeepsTheConsoleSignedIn(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	b := signIn(t, ta, "wang")
	ta.setClock("2026-03-20T10:00:00+08:00") // ten days on: past the 12-hour session in moved time
	if status, _, loc := b.do("GET", "/admin/cases?month=2026-03", nil); status != http.StatusOK {
		t.Fatalf("after the clock moved ten days, the console answers %d → %s; want the page, still signed in", status, loc)
	}
	ta.setClock("2026-01-05T10:00:00+08:00") // and back before the sign-in
	if status, _, loc := b.do("GET", "/admin/cases?month=2026-03", nil); status != http.StatusOK {
		t.Fatalf("after the clock moved back, the console answers %d → %s", status, loc)
	}
}

// A form posted from a tab whose session ran out (the 签到 button the next
// morning) sends its person to sign in and then back to the page the form
// was on: a GET of the form's own address is no page, and the browser
// cannot post the form again.
func TestAFormFromAnExpiredSessionReturnsToItsPage(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	req, err := http.NewRequest("POST", ta.srv.URL+"/admin/check-in", strings.NewReader("csrf=old"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", ta.srv.URL+"/admin/roster?from=2026-03-10")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/admin/login?next="+url.QueryEscape("/admin/roster?from=2026-03-10") {
		t.Fatalf("a form from an expired session: %d → %s; want the sign-in, then the page it was on", resp.StatusCode, loc)
	}
	// Signed in again, the person lands on that page, not on a 405.
	b := signIn(t, ta, "wang")
	if status, _, loc := b.do("POST", "/admin/login", url.Values{"staff": {"wang"}, "password": {"correct horse"}, "next": {"/admin/roster?from=2026-03-10"}}); status != http.StatusFound || loc != "/admin/roster?from=2026-03-10" {
		t.Fatalf("signing in again: %d → %s", status, loc)
	}
	if status, _, _ := b.do("GET", "/admin/roster?from=2026-03-10", nil); status != http.StatusOK {
		t.Fatalf("the page the form was on: %d", status)
	}
}

// An address of the console that is no page answers in the console's own
// words, not with Go's plain-text 404 or 405.
func TestConsoleAddressesThatAreNoPageSaySoInChinese(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	b := signIn(t, ta, "wang")
	status, body, _ := b.do("GET", "/admin/nope", nil)
	if status != http.StatusNotFound || !strings.Contains(body, "没有这个页面") || !strings.Contains(body, "王芳") {
		t.Errorf("an unknown console page: %d\n%s", status, body)
	}
	status, body, _ = b.do("GET", "/admin/check-in", nil) // a form's address, opened by hand
	if status != http.StatusMethodNotAllowed || !strings.Contains(body, "不能直接打开") {
		t.Errorf("a form's address opened by hand: %d\n%s", status, body)
	}
	if status, body, _ := b.do("GET", "/admin/cases", nil); status != http.StatusOK || !strings.Contains(body, "台账") {
		t.Errorf("the ledger after the catch-all: %d", status)
	}
}

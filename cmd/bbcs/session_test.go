package main

import (
	"net/http"
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

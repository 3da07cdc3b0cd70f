package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bbcs/models"
)

// The specialist on duty checks in with one button on the page she lands
// on after signing in, and on the 值班 page (第四条; issue 14).
func TestDutyCheckInFromConsole(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang", "li", "ma"))
	ta.setClock("2026-03-10T08:05:00+08:00") // a Tuesday, before 08:30
	var onDuty, offDuty *browser
	for _, id := range []string{"wang", "li"} {
		b := signIn(t, ta, id)
		_, body, _ := b.do("GET", "/admin/cases", nil)
		if strings.Contains(body, "今日值班：请签到") {
			if onDuty != nil {
				t.Fatal("two specialists are on duty")
			}
			onDuty = b
		} else {
			offDuty = b
		}
	}
	if onDuty == nil || offDuty == nil {
		t.Fatal("the specialist on duty (rotation wang, li) sees no check-in on her first page")
	}
	// The 值班 page: open to the specialist, read only, with the button.
	status, body, _ := onDuty.do("GET", "/admin/roster", nil)
	if status != http.StatusOK || !strings.Contains(body, "今日值班：请签到") || !strings.Contains(body, `action="/admin/check-in"`) ||
		strings.Contains(body, `action="/admin/roster"`) {
		t.Fatalf("the 值班 page for the specialist on duty: %d", status)
	}
	csrf := onDuty.csrfOf("/admin/cases")
	status, _, loc := onDuty.do("POST", "/admin/check-in", url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/cases") {
		t.Fatalf("check-in: %d → %s", status, loc)
	}
	_, body, _ = onDuty.do("GET", loc, nil)
	if strings.Contains(body, "今日值班：请签到") || !strings.Contains(body, "已签到") || !strings.Contains(body, "08:05") {
		t.Errorf("after checking in, the first page still asks, or does not say so")
	}
	// Recorded as the API's check-in would be, once.
	var ins []models.CheckIn
	ta.app.db.Where("date = ?", "2026-03-10").Find(&ins)
	if len(ins) != 1 || ins[0].Late {
		t.Errorf("check-ins of the day: %+v", ins)
	}
	if _, b, _ := offDuty.do("GET", "/admin/cases", nil); strings.Contains(b, "请签到") {
		t.Errorf("the specialist not on duty is asked to check in")
	}
	// The supervision section sees no button.
	ma := signIn(t, ta, "ma")
	if _, b, _ := ma.do("GET", "/admin/cases", nil); strings.Contains(b, "请签到") {
		t.Errorf("the supervision section is asked to check in")
	}
}

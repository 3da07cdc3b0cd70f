package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// 联系电话 is what the citizen gives at the window or on the phone: a
// landline, a mobile with +86, spaces and dashes. bbcs keeps one written
// form of each and refuses what is no telephone number (issue 14).
func TestRegistrationAcceptsLandlinesAndPrefixes(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")
	for given, kept := range map[string]string{
		"0739-1234567":      "0739-1234567",
		"07391234567":       "0739-1234567",
		"(0739) 123 4567":   "0739-1234567",
		"010-12345678":      "010-12345678",
		"+86 739 1234567":   "0739-1234567",
		"+86 138 0013 8000": "13800138000",
		"86-138-0013-8000":  "13800138000",
		"0086 13800138000":  "13800138000",
		" 138 0013 8000 ":   "13800138000",
		"１３８００１３８０００":       "13800138000", // typed on a Chinese keyboard
	} {
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "李女士", "applicant_mobile": given, "category": "other", "matter": "窗口说材料不全",
		}, &c)
		if c.Applicant.Mobile != kept {
			t.Errorf("%q kept as %q, want %q", given, c.Applicant.Mobile, kept)
		}
	}
	for _, garbage := range []string{"12345", "138001380001", "abc", "0739-12", "23800138000", "0739-1234567-1234567"} {
		ta.refused(http.StatusBadRequest, "invalid", "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "李女士", "applicant_mobile": garbage, "category": "other", "matter": "窗口说材料不全",
		}, "联系电话", "手机", "固定电话")
	}
	// No category, no guess: the specialist is told to choose one.
	ta.refused(http.StatusBadRequest, "invalid", "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "matter": "窗口说材料不全",
	}, "请选择", "类别", "超时未办结")
}

// The console's form makes the hurried specialist choose a category, and
// takes a landline.
func TestConsoleRegistrationFormHasNoDefaultCategory(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	b := signIn(t, ta, "wang")
	_, form, _ := b.do("GET", "/admin/cases/new", nil)
	sel := regexp.MustCompile(`(?s)<select name="category"[^>]*>.*?</select>`).FindString(form)
	if !strings.Contains(sel, "required") || !regexp.MustCompile(`<option value=""[^>]*selected[^>]*>请选择`).MatchString(sel) {
		t.Errorf("the category select should start on an empty, required choice:\n%s", sel)
	}
	if regexp.MustCompile(`<option value="[a-z_]+"[^>]*selected`).MatchString(sel) {
		t.Errorf("a category is chosen in advance:\n%s", sel)
	}
	if strings.Contains(form, `maxlength="11"`) {
		t.Errorf("the telephone field cuts a landline with its area code at 11 characters")
	}
	csrf := b.csrfOf("/admin/cases/new")
	status, body, _ := b.do("POST", "/admin/cases", url.Values{"csrf": {csrf}, "name": {"李女士"}, "mobile": {"0739-1234567"},
		"kind": {"person"}, "channel": {"phone"}, "matter": {"窗口说材料不全"}})
	if status == http.StatusSeeOther || !strings.Contains(body, "请选择") || !strings.Contains(body, "类别") || !strings.Contains(body, "0739-1234567") {
		t.Errorf("a form without a category: %d\n%s", status, body)
	}
	status, _, loc := b.do("POST", "/admin/cases", url.Values{"csrf": {csrf}, "name": {"李女士"}, "mobile": {"0739 123 4567"},
		"kind": {"person"}, "channel": {"phone"}, "category": {"poor_attitude"}, "matter": {"窗口说材料不全"}})
	if status != http.StatusSeeOther {
		t.Fatalf("registering a landline from the console: %d", status)
	}
	no := regexp.MustCompile(`BB\d{8}-\d{3}`).FindString(loc)
	var c caseJSON
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Applicant.Mobile != "0739-1234567" || c.Category != "poor_attitude" {
		t.Errorf("registered %+v %s", c.Applicant, c.Category)
	}
}

// A landline is masked in the groups as a mobile is.
func TestLandlineMaskedInGroups(t *testing.T) {
	g := startGroupsApp(t)
	g.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "0739-1234567", "category": "not_completed_in_time", "matter": "过户未办结",
	}, &c)
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	g.wecom.WaitFor(t, func() bool { return len(g.wecom.RobotMessagesTo(keyRealty)) == 1 }, 5*time.Second)
	card := g.wecom.RobotMessagesTo(keyRealty)[0].Markdown
	if !strings.Contains(card, "李女士 0739-***4567") || strings.Contains(card, "1234567") {
		t.Errorf("the card should show the landline masked:\n%s", card)
	}
}

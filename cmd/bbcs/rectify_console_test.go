package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A case answered on the spot and rated 不满意 opens the centre's own
// 差评整改, owned by the case owner — a specialist, who works in the
// console and sits in no window group. On a PC (1280 px) and a phone
// (390 px) her case page shows the form with the deadline; a report
// without a verdict is refused by the browser, one with it is recorded:
// the table shows the verdict and the measures, and the form is gone.
func TestTheOwnerReportsTheCentresRectificationInTheConsole(t *testing.T) {
	for _, s := range []struct {
		name          string
		width, height int
		mobile        bool
	}{{"pc", 1280, 900, false}, {"phone", 390, 844, true}} {
		t.Run(s.name, func(t *testing.T) { rectifyInConsole(t, s.width, s.height, s.mobile) })
	}
}

func rectifyInConsole(t *testing.T, width, height int, mobile bool) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "applicant_kind": "person",
		"category": "not_completed_in_time", "channel": "walk_in", "matter": "社保转移接续办理时被告知材料不全。"}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/resolve", map[string]string{"result": "已当场告知所需材料清单"}, nil)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate",
		map[string]string{"level": "dissatisfied", "comment": "清单和窗口说的不一样", "via": "phone"}, nil)

	b := openConsole(t, ta, width, height, mobile)
	b.prefix = strings.Replace(b.prefix, "walk-", "rectify-", 1)
	b.signIn("wang")
	b.open("/admin/cases/"+c.No, `#rectify-centre`)
	form := `#rectify-centre form`
	b.visible("rectify-form", "#rectifications » 单位", "#rectifications » 整改期限", "#rectifications » 报告时间",
		form+" input[value=founded]", form+" input[value=unfounded]", form+" textarea[name=measures]", form+" button")
	// Due five working days on: Wed 11 … Tue 17 March, by its end.
	if s := b.text(`#rectify-centre`); !strings.Contains(s, "“办不成事”反映窗口") || !strings.Contains(s, "2026年3月17日（周二）18:00") {
		t.Errorf("the form says %q, without the unit or the deadline", s)
	}
	// The browser holds a report without a verdict back (the radios are
	// required), and the console refuses one that gets past it anyway.
	b.do("report without a verdict", chromedp.SendKeys(form+` textarea[name=measures]`, "已统一窗口与清单口径，向反映人致歉"),
		chromedp.Click(form+` button`))
	held, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!document.querySelector("#rectify-centre form").checkValidity() && `+
		`document.querySelector("#rectify-centre form input[value=founded]").validity.valueMissing && !document.querySelector("section.ok")`))
	if err != nil || !held {
		t.Fatalf("a report without a verdict was not held back by the browser (%v)", err)
	}
	me := signIn(t, ta, "wang")
	if status, page, _ := me.do("POST", "/admin/cases/"+c.No+"/rectify", url.Values{"csrf": {me.csrfOf("/admin/cases/" + c.No)},
		"department": {""}, "measures": {"已整改"}}); status != http.StatusBadRequest || !strings.Contains(page, "请选择核实结论") {
		t.Errorf("a report without a verdict posted past the browser: %d", status)
	}
	b.do("report", chromedp.Click(form+` input[value=founded]`), chromedp.Click(form+` button`), b.shown(`section.ok`))
	if s := b.text(`section.ok`); !strings.Contains(s, "已报告差评整改") {
		t.Errorf("after reporting: %q", s)
	}
	b.visible("rectified", "#rectifications » 核实结论", "#rectifications » 整改情况", "#rectifications » 报告时间")
	if s := b.text(`#rectifications td[data-label="核实结论"]`); strings.TrimSpace(s) != "属实" {
		t.Errorf("the verdict after the report: %q, want 属实", s)
	}
	if s := b.text(`#rectifications`); !strings.Contains(s, "已统一窗口与清单口径") || strings.Contains(s, "未报告") {
		t.Errorf("the rectification after the report: %q", s)
	}
	if ok, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!document.querySelector("#rectify-centre")`)); ok {
		t.Error("the form is still offered after the report")
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The supervision section's 申诉 page on a PC (1280 px) and a phone
// (390 px): what a decision needs — the 差评's level and comment, the
// deduction, the department's reason, the two buttons — is in sight, and
// upholding one with a reason works from the page.
func TestAppealsPageInABrowser(t *testing.T) {
	for _, s := range []struct {
		name          string
		width, height int
		mobile        bool
	}{{"pc", 1280, 900, false}, {"phone", 390, 844, true}} {
		t.Run(s.name, func(t *testing.T) { appealsPage(t, s.width, s.height, s.mobile) })
	}
}

func appealsPage(t *testing.T, width, height int, mobile bool) {
	ta := startAppealApp(t, "BBCS_STAFF_MA_PASSWORD_HASH="+consoleHash)
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "applicant_kind": "person",
		"category": "not_completed_in_time", "channel": "walk_in", "matter": "过户材料被退回三次。"}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	no, _, _, _, _ := c.order("realestate")
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+no+"/reply", map[string]string{"result": "已一次性告知所缺材料"}, nil)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate", map[string]string{"level": "very_dissatisfied", "comment": "窗口故意刁难", "via": "phone"}, nil)
	ta.must(http.StatusCreated, "liu", "POST", "/api/v1/appeals", map[string]any{"case_no": c.No, "round": 1, "department": "realestate",
		"ground": "malicious", "reason": "反映人要求违规当天办结未果", "attachments": []map[string]string{{"name": "录像截图.png", "data": "iVBORw0K"}}}, nil)
	overdueCase(ta, "查封解除迟迟不办") // tax, overdue: a deduction proposed
	var sc unitScores
	ta.must(http.StatusOK, "ma", "GET", "/api/v1/scores?year=2026", nil, &sc)
	var ded uint64
	for _, d := range sc.Deductions {
		if d.Department == "tax" {
			ded = d.ID
		}
	}
	// The tax window has no window head in the demo: the administrator
	// files it for the unit.
	ta.must(http.StatusCreated, "admin", "POST", "/api/v1/appeals", map[string]any{"deduction_id": ded, "department": "tax",
		"ground": "deduction", "reason": "金税系统停机，无法出具完税证明"}, nil)

	b := openConsole(t, ta, width, height, mobile)
	b.prefix = strings.Replace(b.prefix, "walk-", "appeals-", 1)
	b.signIn("ma")
	b.do("open the appeals page", chromedp.Click(`header a[href="/admin/appeals"]`), b.shown(`#appeals`))
	b.visible("list", "#appeals » 案件", "#appeals » 申诉对象", "#appeals » 类型", "#appeals » 申诉理由", "#appeals » 裁定")
	page := b.text(`#appeals`)
	for _, want := range []string{"非常不满意", "窗口故意刁难", "恶意差评", "反映人要求违规当天办结未果", "录像截图.png",
		"未在时限内答复", "扣分有误", "金税系统停机", "申诉成立", "驳回"} {
		if !strings.Contains(page, want) {
			t.Errorf("the appeals page lacks %q:\n%s", want, page)
		}
	}
	form := `#appeals tr.appeal:last-child form`
	b.do("uphold the 差评 appeal", chromedp.SendKeys(form+` input[name=reason]`, "调取录像，窗口依规告知"),
		chromedp.Click(form+` button[value=uphold]`), b.shown(`section.ok`))
	b.visible("decided", "#appeals » 状态")
	if s := b.text(`section.ok`); !strings.Contains(s, "申诉成立") {
		t.Errorf("after deciding: %q", s)
	}
	if s := b.text(`#appeals`); !strings.Contains(s, "申诉成立：调取录像，窗口依规告知") {
		t.Errorf("the decided appeal: %q", s)
	}
}

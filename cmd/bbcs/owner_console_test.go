package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"bbcs/models"
)

// 第十条: the owner at the complaint window sees the summoned staff arrive
// and confirms it from the case page — the button she is shown works.
func TestConsoleOwnerConfirmsArrival(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "poor_attitude", "matter": "窗口人员态度生硬",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/summon", map[string]string{"department": "realestate"}, nil)
	ta.setClock("2026-03-10T10:20:00+08:00")

	wang := signIn(t, ta, "wang")
	_, page, _ := wang.do("GET", "/admin/cases/"+c.No, nil)
	if !strings.Contains(page, `action="/admin/cases/`+c.No+`/arrive"`) || !strings.Contains(page, "不动产登记窗口") {
		t.Fatalf("the owner is not offered to confirm the arrival:\n%s", page)
	}
	form := url.Values{"csrf": {consoleCSRF.FindStringSubmatch(page)[1]}, "department": {"realestate"}}
	if status, body, loc := wang.do("POST", "/admin/cases/"+c.No+"/arrive", form); status != http.StatusSeeOther {
		t.Fatalf("confirming the arrival: %d → %s\n%s", status, loc, body)
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+c.No, nil, &c)
	last := c.Timeline[len(c.Timeline)-1]
	if last.Action != "arrived" || last.Actor != "王芳" || !strings.Contains(last.Note, "不动产登记窗口") || strings.Contains(last.Note, "迟到") {
		t.Errorf("timeline after the arrival: %+v", last)
	}
	if _, page, _ = wang.do("GET", "/admin/cases/"+c.No, nil); strings.Contains(page, "/arrive\"") {
		t.Errorf("the arrival is confirmed, the button is still there")
	}
}

// 第七条, 第十一条: with the order out and stuck, the owner reports it to
// the leaders from the case page and the API, and asks for instruction.
func TestOwnerEscalatesAndAsksWhileDispatched(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang", "chen"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": "过户超期未办结",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate", "market"}}, &c)
	re, mk := c.WorkOrders[0].No, c.WorkOrders[1].No

	// From the API.
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/work-orders/"+mk+"/escalate", map[string]string{"reason": "市场监管窗口两天未签收"}, &c)
	if last := c.Timeline[len(c.Timeline)-1]; last.Action != "escalated" || last.Actor != "王芳" || !strings.Contains(last.Note, "周主任") {
		t.Errorf("after the API escalation: %+v", last)
	}
	ta.refused(http.StatusForbidden, "forbidden", "zhao", "POST", "/api/v1/work-orders/"+re+"/escalate", map[string]string{"reason": "不是我的工单"})

	// From the console: the form lists the open orders.
	wang := signIn(t, ta, "wang")
	_, page, _ := wang.do("GET", "/admin/cases/"+c.No, nil)
	if !strings.Contains(page, `action="/admin/cases/`+c.No+`/escalate"`) || !strings.Contains(page, `value="`+re+`"`) {
		t.Fatalf("the owner is not offered to escalate an open order:\n%s", page)
	}
	csrf := consoleCSRF.FindStringSubmatch(page)[1]
	if status, body, _ := wang.do("POST", "/admin/cases/"+c.No+"/escalate", url.Values{"csrf": {csrf}, "order": {re}, "reason": {"申请人第三次来问"}}); status != http.StatusSeeOther {
		t.Fatalf("escalating from the console: %d\n%s", status, body)
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+c.No, nil, &c)
	if last := c.Timeline[len(c.Timeline)-1]; last.Action != "escalated" || !strings.Contains(last.Note, re) || !strings.Contains(last.Note, "第三次来问") {
		t.Errorf("after the console escalation: %+v", last)
	}

	// A 请示 while the orders are open, answered by the leader: the
	// owner and both window groups have the instruction; the case stays
	// dispatched.
	if status, body, _ := wang.do("POST", "/admin/cases/"+c.No+"/instruction", url.Values{"csrf": {csrf}, "leader": {"chen"}, "question": {"两部门意见不一，请示如何认定"}}); status != http.StatusSeeOther {
		t.Fatalf("请示 while dispatched: %d\n%s", status, body)
	}
	chen := signIn(t, ta, "chen")
	_, page, _ = chen.do("GET", "/admin/cases/"+c.No, nil)
	if !strings.Contains(page, `/answer"`) {
		t.Fatalf("the leader is not offered to answer the 请示")
	}
	if status, body, _ := chen.do("POST", "/admin/cases/"+c.No+"/answer", url.Values{"csrf": {consoleCSRF.FindStringSubmatch(page)[1]}, "answer": {"以不动产登记窗口意见为准，三日内办结"}}); status != http.StatusSeeOther {
		t.Fatalf("the leader's answer: %d\n%s", status, body)
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+c.No, nil, &c)
	if c.Status != "dispatched" || c.Result != "" {
		t.Errorf("after the instruction the case is %s %q, want still dispatched", c.Status, c.Result)
	}
	var to []string
	for _, n := range ta.notices(c.No) {
		if n.Kind == models.NoticeLeaderInstruction || n.Kind == models.NoticeInstructionFiled {
			to = append(to, string(n.Audience)+":"+n.Target)
		}
		if n.Audience == models.AudienceApplicant && n.Kind == models.NoticeCaseAnswered {
			t.Errorf("the applicant was sent the instruction as an answer")
		}
	}
	slices.Sort(to)
	if want := []string{"department:market", "department:realestate", "staff:wang", "supervision:"}; !slices.Equal(to, want) {
		t.Errorf("the instruction went to %v, want %v", to, want)
	}
}

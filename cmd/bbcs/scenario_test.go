package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"bbcs/models"
)

// caseJSON is the case of the black-box contract, as an outside test reads it.
type caseJSON struct {
	No        string `json:"no"`
	Status    string `json:"status"`
	Category  string `json:"category"`
	Matter    string `json:"matter"`
	Applicant struct {
		Name, Mobile, Kind, Company string
	} `json:"applicant"`
	Owner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"owner"`
	AcceptedAt string  `json:"accepted_at"`
	ClosedAt   *string `json:"closed_at"`
	Result     string  `json:"result"`
	Rounds     int     `json:"rounds"`
	Rating     *struct {
		Level, Comment, Via string
	} `json:"rating"`
	WorkOrders []struct {
		No            string  `json:"no"`
		Department    string  `json:"department"`
		Status        string  `json:"status"`
		ReceivedAt    string  `json:"received_at"`
		DueAt         string  `json:"due_at"`
		ExtendedDueAt *string `json:"extended_due_at"`
		RepliedAt     *string `json:"replied_at"`
		Result        string  `json:"result"`
		Round         int     `json:"round"`
	} `json:"work_orders"`
	Timeline []struct {
		At, Actor, Action, Note string
	} `json:"timeline"`
}

func (c *caseJSON) order(dept string) (no, status, due string, ext *string, result string) {
	for _, o := range c.WorkOrders {
		if o.Department == dept {
			return o.No, o.Status, o.DueAt, o.ExtendedDueAt, o.Result
		}
	}
	return
}

// The acceptance scenario of the foundation: a walk-in case dispatched to
// two departments; one signs and replies, the other extends to day 8 and
// replies; the case is answered with both results, every step is on the
// timeline with its actor, and the outbox holds the notices for the
// applicant, the windows and the supervision section.
func TestWalkInCaseThroughTheAPI(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")

	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "applicant_kind": "person",
		"category": "not_completed_in_time", "channel": "walk_in",
		"matter": "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。",
	}, &c)
	if c.No != "BB20260310-001" || c.Status != "registered" || c.Owner.ID != "wang" || c.Owner.Name != "王芳" {
		t.Fatalf("registered case = %+v", c)
	}
	if c.AcceptedAt != "2026-03-10T10:00:00+08:00" || c.Applicant.Mobile != "13800138000" {
		t.Errorf("accepted_at %s, mobile %s: the specialist sees the full number, times in +08:00", c.AcceptedAt, c.Applicant.Mobile)
	}

	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch",
		map[string]any{"departments": []string{"realestate", "market"}, "note": "请核实过户进度"}, &c)
	reNo, status, due, _, _ := c.order("realestate")
	mkNo, _, mkDue, _, _ := c.order("market")
	if c.Status != "dispatched" || status != "pending" || due != "2026-03-13T18:00:00+08:00" || mkDue != due {
		t.Fatalf("after dispatch: %s, realestate %s due %s, market due %s; want dispatched, pending, due Fri 03-13 18:00", c.Status, status, due, mkDue)
	}
	if reNo != "GD20260310-001-1" || mkNo != "GD20260310-001-2" {
		t.Errorf("order numbers %s, %s", reNo, mkNo)
	}

	// The window staff see the applicant's mobile masked.
	var seen caseJSON
	ta.must(http.StatusOK, "zhang", "GET", "/api/v1/cases/"+c.No, nil, &seen)
	if seen.Applicant.Mobile != "138****8000" {
		t.Errorf("window staff see mobile %q, want 138****8000", seen.Applicant.Mobile)
	}

	ta.setClock("2026-03-11T09:30:00+08:00")
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+reNo+"/sign", nil, nil)
	ta.setClock("2026-03-12T15:00:00+08:00")
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+reNo+"/reply",
		map[string]string{"result": "材料缺少完税证明，已电话告知补交渠道，补交后当日办结。"}, &c)
	if c.Status != "dispatched" {
		t.Fatalf("one of two orders answered: status %s, want dispatched", c.Status)
	}

	// Day 8 after receipt on 03-10 is Fri 03-20.
	ta.must(http.StatusOK, "zhao", "POST", "/api/v1/work-orders/"+mkNo+"/extend",
		map[string]string{"due_date": "2026-03-20", "reason": "需向市局调取档案"}, &c)
	_, status, _, ext, _ := c.order("market")
	if status != "extended" || ext == nil || *ext != "2026-03-20T18:00:00+08:00" {
		t.Fatalf("after extension: %s, extended_due_at %v", status, ext)
	}
	ta.setClock("2026-03-19T16:00:00+08:00")
	ta.must(http.StatusOK, "zhao", "POST", "/api/v1/work-orders/"+mkNo+"/reply",
		map[string]string{"result": "营业执照变更已办结，可到窗口领取。"}, &c)

	if c.Status != "answered" {
		t.Fatalf("both orders answered: status %s, want answered", c.Status)
	}
	if !strings.Contains(c.Result, "材料缺少完税证明") || !strings.Contains(c.Result, "营业执照变更已办结") {
		t.Errorf("case result %q lacks one department's result", c.Result)
	}
	for _, o := range c.WorkOrders {
		if o.Status != "replied" || o.RepliedAt == nil || o.Result == "" || o.Round != 1 {
			t.Errorf("order %s: %+v", o.No, o)
		}
	}

	// The timeline lists every step with its actor.
	want := []struct{ action, actor string }{
		{"registered", "王芳"}, {"owner_assigned", "王芳"},
		{"dispatched", "王芳"}, {"dispatched", "王芳"},
		{"signed", "张伟"}, {"replied", "张伟"},
		{"extended", "赵敏"}, {"replied", "赵敏"}, {"answered", "赵敏"},
	}
	if len(c.Timeline) != len(want) {
		t.Fatalf("timeline has %d entries, want %d: %+v", len(c.Timeline), len(want), c.Timeline)
	}
	for i, w := range want {
		e := c.Timeline[i]
		if e.Action != w.action || e.Actor != w.actor || e.At == "" || e.Note == "" {
			t.Errorf("timeline[%d] = %+v, want %s by %s", i, e, w.action, w.actor)
		}
	}
	if !strings.Contains(c.Timeline[6].Note, "2026年3月20日（周五）18:00") || !strings.Contains(c.Timeline[6].Note, "需向市局调取档案") {
		t.Errorf("extension line %q lacks the new date or the reason", c.Timeline[6].Note)
	}

	// The outbox holds what each party is told.
	count := map[string]int{}
	for _, n := range ta.notices(c.No) {
		count[string(n.Kind)+"→"+string(n.Audience)+":"+n.Target]++
		if strings.Contains(n.Payload, "13800138000") {
			t.Errorf("notice %s carries the full mobile", n.Kind)
		}
	}
	for key, n := range map[string]int{
		"case_received→applicant:":           1,
		"work_order→department:realestate":   1,
		"work_order→department:market":       1,
		"order_dispatched→applicant:":        1,
		"order_replied→applicant:":           1, // the first reply; the last comes as the answer
		"case_answered→applicant:":           1,
		"order_replied→staff:wang":           2, // the complaint window (owner)
		"order_replied→supervision:":         2, // 第十二条: the supervision section
		"order_extended→applicant:":          1,
		"order_extended→staff:wang":          1,
		"order_extended→supervision:":        1,
		"order_signed→department:realestate": 1,
	} {
		if count[key] != n {
			t.Errorf("outbox has %d × %s, want %d (all: %v)", count[key], key, n, count)
		}
	}

	// The owner records a rating given in person; the case closes.
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate",
		map[string]string{"level": "satisfied", "comment": "办得快"}, &c)
	if c.Status != "closed" || c.ClosedAt == nil || c.Rating == nil || c.Rating.Level != "satisfied" {
		t.Errorf("after rating: %s, closed_at %v, rating %+v", c.Status, c.ClosedAt, c.Rating)
	}
}

// Refusals answer a fitting status, a code and a Chinese message, and
// change nothing.
func TestAPIRefusals(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "slow_action",
		"matter": "办理慢", "channel": "phone",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	no := c.WorkOrders[0].No
	before := len(ta.notices(c.No))

	// An extension past 10 working days names the latest allowed date.
	ta.refused(http.StatusUnprocessableEntity, "limit", "zhang", "POST", "/api/v1/work-orders/"+no+"/extend",
		map[string]string{"due_date": "2026-03-25", "reason": "材料多"}, "10个工作日", "2026年3月24日")
	// Closing a case as out of scope without the way and the path.
	ta.refused(http.StatusBadRequest, "invalid", "wang", "POST", "/api/v1/cases/"+c.No+"/out-of-scope",
		map[string]string{"way": "到市公积金中心办理"}, "办理路径", "第六条")
	ta.refused(http.StatusConflict, "conflict", "wang", "POST", "/api/v1/cases/"+c.No+"/close", nil, "窗口无否决权")
	// Replying to an order of another department.
	ta.refused(http.StatusForbidden, "forbidden", "zhao", "POST", "/api/v1/work-orders/"+no+"/reply",
		map[string]string{"result": "已办"}, "不动产登记窗口")
	// A second sign.
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+no+"/sign", nil, nil)
	ta.refused(http.StatusConflict, "conflict", "zhang", "POST", "/api/v1/work-orders/"+no+"/sign", nil, "已于", "签收")
	after := len(ta.notices(c.No))
	if after != before+2 { // the one good sign tells the group and the owner
		t.Errorf("refusals wrote notices: %d → %d", before, after)
	}

	// Bad requests.
	ta.refused(http.StatusUnauthorized, "unauthorized", "", "GET", "/api/v1/cases", nil, "令牌")
	ta.refused(http.StatusNotFound, "not_found", "wang", "GET", "/api/v1/cases/BB20990101-001", nil, "不存在")
	ta.refused(http.StatusNotFound, "not_found", "zhang", "POST", "/api/v1/work-orders/GD-nope/sign", nil, "不存在")
	ta.refused(http.StatusBadRequest, "invalid", "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "1380013800", "category": "other", "matter": "x",
	}, "手机号")
	ta.refused(http.StatusBadRequest, "invalid", "wang", "GET", "/api/v1/cases?month=2026-13", nil, "月份")
	ta.refused(http.StatusBadRequest, "invalid", "wang", "GET", "/api/v1/cases?status=lost", nil, "状态")
	var e apiError
	req := strings.Repeat("x", 2<<20)
	if got := ta.call("wang", "POST", "/api/v1/cases/"+c.No+"/resolve", map[string]string{"result": req}, &e); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB body: %d %+v, want 413", got, e)
	}
	ta.refused(http.StatusBadRequest, "invalid", "wang", "GET", "/api/v1/scores?year=two", nil, "年份")
}

// With the test clock at a date, a dispatched order shows the due time of
// the 2026 calendar.
func TestDueTimesFollowTheTestClock(t *testing.T) {
	ta := startApp(t)
	for _, tc := range []struct{ received, due string }{
		{"2026-09-30T10:00:00+08:00", "2026-10-10T18:00:00+08:00"}, // before National Day: due on the make-up Saturday
		{"2026-10-10T10:00:00+08:00", "2026-10-14T18:00:00+08:00"}, // received on a make-up Saturday
		{"2026-09-25T10:00:00+08:00", "2026-09-30T18:00:00+08:00"}, // received on 中秋, a holiday
		{"2026-02-13T17:00:00+08:00", "2026-02-25T18:00:00+08:00"}, // before the Spring Festival: 02-14 (make-up Saturday), 02-24, 02-25
	} {
		ta.setClock(tc.received)
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "王先生", "applicant_mobile": "13912345678", "category": "inaction", "matter": "不作为",
		}, &c)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
		ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+c.No, nil, &c)
		if got := c.WorkOrders[0].DueAt; got != tc.due {
			t.Errorf("received %s: due_at %s, want %s", tc.received, got, tc.due)
		}
		if got := c.WorkOrders[0].ReceivedAt; got != tc.received {
			t.Errorf("received_at %s, want %s", got, tc.received)
		}
	}
	var out struct{ Now string }
	ta.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "72h"}, &out)
	if !strings.HasPrefix(out.Now, "2026-02-16T17:00") {
		t.Errorf("advance 72h from 02-13 17:00 answered %s", out.Now)
	}
	ta.refused(http.StatusBadRequest, "invalid", "", "POST", "/debug/clock", map[string]string{"now": "tomorrow"}, "RFC 3339")
}

func TestListFilters(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")
	for i, cat := range []string{"poor_attitude", "slow_action", "poor_attitude"} {
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": fmt.Sprintf("申请人%d", i), "applicant_mobile": "13800138000", "category": cat, "matter": "事项",
		}, &c)
		if i == 0 {
			ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"market"}}, nil)
		}
	}
	ta.setClock("2026-04-01T10:00:00+08:00")
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "四月", "applicant_mobile": "13800138000", "category": "other", "matter": "事项",
	}, nil)
	for query, want := range map[string]int{
		"":                                 4,
		"?month=2026-03":                   3,
		"?month=2026-04":                   1,
		"?category=poor_attitude":          2,
		"?status=dispatched":               1,
		"?department=market":               1,
		"?month=2026-03&status=registered": 2,
	} {
		var out struct {
			Cases []caseJSON `json:"cases"`
			Total int        `json:"total"`
		}
		ta.must(http.StatusOK, "admin", "GET", "/api/v1/cases"+query, nil, &out)
		if out.Total != want || len(out.Cases) != want {
			t.Errorf("GET cases%s: total %d, %d listed; want %d", query, out.Total, len(out.Cases), want)
		}
	}
}

// Without clock.fake the test clock does not exist.
func TestDebugClockOnlyWhenFake(t *testing.T) {
	ta := startApp(t, "BBCS_CLOCK_FAKE=false")
	if got := ta.call("", "POST", "/debug/clock", map[string]string{"advance": "1h"}, nil); got != http.StatusNotFound && got != http.StatusMethodNotAllowed {
		t.Errorf("POST /debug/clock without clock.fake: %d, want 404", got)
	}
	var ready map[string]string
	if got := ta.call("", "GET", "/readyz", nil, &ready); got != http.StatusOK || ready["database"] != "ok" || ready["redis"] != "ok" {
		t.Errorf("/readyz: %d %v", got, ready)
	}
	_ = models.CaseClosed
}

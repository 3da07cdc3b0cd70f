package casework_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/casework"
	"bbcs/models"
)

// The stories of this file follow one case each through the workflow of
// 第九条–第十三条, as the owner, the department windows, the leaders, the
// supervision section and the applicant see it: the status, the due time,
// the timeline line with its actor, and the notices in the outbox.

// dataOf decodes a notice's payload.
func dataOf(t *testing.T, n models.Notice) models.NoticeData {
	t.Helper()
	d, err := n.Data()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// targets lists the targets of notices, in outbox order.
func targets(list []models.Notice) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		out = append(out, n.Target)
	}
	return out
}

// eventsOf lists the timeline lines of one action.
func eventsOf(d *casework.Detail, action string) []models.TimelineEvent {
	var out []models.TimelineEvent
	for _, e := range d.Timeline {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// wantAnyEvent checks that some line of the timeline is this action by
// this actor mentioning each of contains.
func wantAnyEvent(t *testing.T, d *casework.Detail, action, actor string, contains ...string) {
	t.Helper()
	for _, e := range eventsOf(d, action) {
		ok := e.ActorName == actor
		for _, s := range contains {
			ok = ok && strings.Contains(e.Note, s)
		}
		if ok {
			return
		}
	}
	t.Errorf("no %s line by %s mentioning %q in %+v", action, actor, contains, eventsOf(d, action))
}

// lastEvent is the newest line of the timeline.
func lastEvent(t *testing.T, d *casework.Detail) models.TimelineEvent {
	t.Helper()
	if len(d.Timeline) == 0 {
		t.Fatalf("case %s has an empty timeline", d.Case.No)
	}
	return d.Timeline[len(d.Timeline)-1]
}

// wantEvent checks the newest line: its action, its actor and what it says.
func wantEvent(t *testing.T, d *casework.Detail, action, actor string, contains ...string) models.TimelineEvent {
	t.Helper()
	e := lastEvent(t, d)
	if e.Action != action || e.ActorName != actor {
		t.Fatalf("last timeline line = %s by %s (%q), want %s by %s", e.Action, e.ActorName, e.Note, action, actor)
	}
	for _, s := range contains {
		if !strings.Contains(e.Note, s) {
			t.Errorf("timeline line %s %q does not mention %q", e.Action, e.Note, s)
		}
	}
	return e
}

func wantTime(t *testing.T, what string, got *time.Time, want string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is not set, want %s", what, want)
		return
	}
	if !got.Equal(at(want)) {
		t.Errorf("%s = %s, want %s", what, got.In(shanghai).Format("2006-01-02 15:04 Mon"), want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sub is the harness for a subtest: its failures are the subtest's.
func (h *harness) sub(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// noFullMobile: group and private messages show the masked mobile only (R5).
func (h *harness) noFullMobile(no string) {
	h.t.Helper()
	for _, n := range h.notices(no) {
		if strings.Contains(n.Payload, "13800138000") {
			h.t.Errorf("notice %s to %s %s carries the full mobile: %s", n.Kind, n.Audience, n.Target, n.Payload)
		}
	}
}

// dispatched registers a walk-in case with 王芳 at the clock's time and
// dispatches it to the departments.
func (h *harness) dispatched(depts ...string) *models.Case {
	h.t.Helper()
	c := h.walkIn()
	if _, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, depts, "", false); err != nil {
		h.t.Fatalf("dispatch %s to %v: %v", c.No, depts, err)
	}
	return c
}

// 1. 第十一条, 第十二条: 王芳 sends the case to two department windows on
// Tuesday morning; each window group gets its card, due Friday 18:00.
func TestDispatchToTwoDepartments(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate", "market"}, "请核实过户进度", false)
	must(t, "dispatch", err)

	d := h.get(c.No)
	if d.Case.Status != models.CaseDispatched {
		t.Errorf("case status = %s, want dispatched", d.Case.Status)
	}
	want := []struct{ no, dept, name string }{
		{"GD20260310-001-1", "realestate", "不动产登记窗口"},
		{"GD20260310-001-2", "market", "市场监管窗口"},
	}
	if len(d.Orders) != len(want) {
		t.Fatalf("orders = %d, want %d", len(d.Orders), len(want))
	}
	for i, w := range want {
		o := d.Orders[i]
		if o.No != w.no || o.DepartmentCode != w.dept || o.Status != models.OrderPending || o.Round != 1 || o.Joint || o.DispatchedBy != "wang" {
			t.Errorf("order %d = %s to %s, %s, round %d, joint %v, by %s; want %s to %s, pending, round 1, by wang",
				i, o.No, o.DepartmentCode, o.Status, o.Round, o.Joint, o.DispatchedBy, w.no, w.dept)
		}
		wantTime(t, o.No+" received", &o.ReceivedAt, "2026-03-10 10:00")
		wantTime(t, o.No+" due (3 working days)", &o.DueAt, "2026-03-13 18:00")
		wantTime(t, o.No+" cap (10 working days)", &o.CapAt, "2026-03-24 18:00")
		if o.ExtendedDueAt != nil || o.SignedAt != nil || o.RepliedAt != nil {
			t.Errorf("fresh order %s already extended, signed or replied: %+v", o.No, o)
		}
	}

	// Each department's window group gets one card.
	cards := h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)
	if got := targets(cards); !slices.Equal(got, []string{"realestate", "market"}) {
		t.Fatalf("work-order cards went to %v, want the groups of realestate and market", got)
	}
	for i, n := range cards {
		p := dataOf(t, n)
		if n.OrderNo != want[i].no || p.OrderNo != want[i].no || p.CaseNo != c.No {
			t.Errorf("card %d is for order %s / %s of case %s, want %s of %s", i, n.OrderNo, p.OrderNo, p.CaseNo, want[i].no, c.No)
		}
		if p.MaskedMobile != "138****8000" || p.ApplicantName != "李女士" || p.OwnerName != "王芳" || p.OwnerID != "wang" {
			t.Errorf("card %d shows applicant %s %s, owner %s (%s); want 李女士 138****8000, owner 王芳", i, p.ApplicantName, p.MaskedMobile, p.OwnerName, p.OwnerID)
		}
		if p.Department != want[i].dept || p.DepartmentName != want[i].name || p.Matter != c.Matter || p.Category != models.CategoryNotCompleted || p.Note != "请核实过户进度" {
			t.Errorf("card %d = %+v", i, p)
		}
		wantTime(t, "card due", p.DueAt, "2026-03-13 18:00")
		wantTime(t, "card cap", p.CapAt, "2026-03-24 18:00")
		if n.Status != models.NoticePending {
			t.Errorf("card %d status = %s, want pending in the outbox", i, n.Status)
		}
	}

	// The applicant hears that the departments are on it.
	told := h.noticesOf(c.No, models.NoticeOrderDispatched, models.AudienceApplicant)
	if len(told) != 1 {
		t.Fatalf("order_dispatched to the applicant = %d, want 1", len(told))
	}
	if told[0].Target != "" {
		t.Errorf("walk-in applicant notice target = %q, want empty (the owner passes it on)", told[0].Target)
	}
	if p := dataOf(t, told[0]); !slices.Equal(p.Departments, []string{"不动产登记窗口", "市场监管窗口"}) || p.OwnerName != "王芳" {
		t.Errorf("order_dispatched payload = %+v", p)
	}

	// The timeline has one line per order, by 王芳.
	lines := eventsOf(d, "dispatched")
	if len(lines) != 2 {
		t.Fatalf("dispatched lines = %d, want 2", len(lines))
	}
	for i, e := range lines {
		if e.ActorName != "王芳" || e.ActorID != "wang" || e.OrderNo != want[i].no || !e.At.Equal(at("2026-03-10 10:00")) {
			t.Errorf("dispatched line %d = %+v", i, e)
		}
		if !strings.Contains(e.Note, want[i].name) || !strings.Contains(e.Note, "2026年3月13日（周五）18:00") {
			t.Errorf("dispatched line %d %q does not name %s and the due time", i, e.Note, want[i].name)
		}
	}
	h.noFullMobile(c.No)
}

// 2. 第十二条: the windows sign, reply and ask for more time; the applicant,
// the owner and the supervision section hear each reply and extension, and
// the last reply answers the case.
func TestSignReplyExtendUntilTheCaseIsAnswered(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate", "market")
	const re, mk = "GD20260310-001-1", "GD20260310-001-2"

	// 张伟 signs for the real-estate order.
	h.clock.Set(at("2026-03-10 11:00"))
	_, err := h.svc.Sign(h.ctx, h.as("zhang"), re)
	must(t, "sign", err)
	o := h.orderOf(c.No, "realestate")
	if o.Status != models.OrderAccepted || o.SignedBy != "zhang" {
		t.Errorf("after signing: %s by %q, want accepted by zhang", o.Status, o.SignedBy)
	}
	wantTime(t, "signed at", o.SignedAt, "2026-03-10 11:00")
	wantEvent(t, h.get(c.No), "signed", "张伟", "不动产登记窗口签收", "2026年3月13日（周五）18:00")
	if got := targets(h.noticesOf(c.No, models.NoticeOrderSigned, models.AudienceStaff)); !slices.Equal(got, []string{"wang"}) {
		t.Errorf("order_signed to staff = %v, want the owner wang", got)
	}

	// A second signature, by 张伟 again or by his window head, is refused.
	before := h.snap(c.No)
	for _, who := range []string{"zhang", "liu"} {
		t.Run("second sign by "+who, func(t *testing.T) {
			h := h.sub(t)
			h.clock.Set(at("2026-03-10 14:00"))
			_, err := h.svc.Sign(h.ctx, h.as(who), re)
			wantErr(t, err, models.ErrConflict, "已于", "2026年3月10日（周二）11:00")
			h.unchanged(c.No, before)
		})
	}

	// 张伟 replies the next day; the market order is still owed.
	h.clock.Set(at("2026-03-11 15:00"))
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), re, "已完成过户登记，不动产权证书可于3月12日领取")
	must(t, "reply realestate", err)
	d := h.get(c.No)
	o = h.orderOf(c.No, "realestate")
	if d.Case.Status != models.CaseDispatched {
		t.Errorf("case status after the first reply = %s, want dispatched (market still owes its reply)", d.Case.Status)
	}
	if o.Status != models.OrderReplied || o.RepliedBy != "zhang" || o.Result != "已完成过户登记，不动产权证书可于3月12日领取" {
		t.Errorf("replied order = %s by %s: %q", o.Status, o.RepliedBy, o.Result)
	}
	wantTime(t, "replied at", o.RepliedAt, "2026-03-11 15:00")
	wantEvent(t, d, "replied", "张伟", "不动产登记窗口答复", "已完成过户登记")
	if n := h.noticesOf(c.No, models.NoticeOrderReplied, models.AudienceApplicant); len(n) != 1 {
		t.Errorf("applicant order_replied after the first reply = %d, want 1", len(n))
	} else if p := dataOf(t, n[0]); p.OrderNo != re || !strings.Contains(p.Result, "已完成过户登记") {
		t.Errorf("applicant order_replied payload = %+v", p)
	}
	if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 0 {
		t.Errorf("case_answered sent while market still owes its reply")
	}

	// 赵敏 asks for more time, to Friday of the next week.
	h.clock.Set(at("2026-03-12 09:00"))
	_, err = h.svc.Extend(h.ctx, h.as("zhao"), mk, "2026-03-20", "需调取企业登记档案，涉及外地核查")
	must(t, "extend market", err)
	o = h.orderOf(c.No, "market")
	if o.Status != models.OrderExtended || o.ExtensionReason != "需调取企业登记档案，涉及外地核查" {
		t.Errorf("extended order = %s, reason %q", o.Status, o.ExtensionReason)
	}
	wantTime(t, "extended due", o.ExtendedDueAt, "2026-03-20 18:00")
	wantTime(t, "original due stays", &o.DueAt, "2026-03-13 18:00")
	wantEvent(t, h.get(c.No), "extended", "赵敏", "市场监管窗口申请延期至 2026年3月20日（周五）18:00", "外地核查")
	extended := map[models.Audience][]string{}
	for _, n := range h.notices(c.No) {
		if n.Kind != models.NoticeOrderExtended {
			continue
		}
		extended[n.Audience] = append(extended[n.Audience], n.Target)
		p := dataOf(t, n)
		wantTime(t, "order_extended due", p.DueAt, "2026-03-20 18:00")
		if p.Reason != "需调取企业登记档案，涉及外地核查" || p.OrderNo != mk {
			t.Errorf("order_extended payload = %+v", p)
		}
	}
	if !slices.Equal(extended[models.AudienceApplicant], []string{""}) ||
		!slices.Equal(extended[models.AudienceStaff], []string{"wang"}) ||
		len(extended[models.AudienceSupervision]) != 1 {
		t.Errorf("order_extended went to %v; want the applicant, the owner wang and the supervision section (第十二条)", extended)
	}

	// 赵敏 replies within the extension: the case is answered with both results.
	h.clock.Set(at("2026-03-19 16:00"))
	_, err = h.svc.Reply(h.ctx, h.as("zhao"), mk, "经核查，企业名称变更登记已办结")
	must(t, "reply market", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeWorkOrders {
		t.Errorf("case = %s / %s, want answered / work_orders", d.Case.Status, d.Case.Outcome)
	}
	for _, part := range []string{"【不动产登记窗口】已完成过户登记", "【市场监管窗口】经核查，企业名称变更登记已办结"} {
		if !strings.Contains(d.Case.Result, part) {
			t.Errorf("case result %q lacks %q", d.Case.Result, part)
		}
	}
	wantTime(t, "answered at", d.Case.AnsweredAt, "2026-03-19 16:00")
	if got := eventsOf(d, "replied"); len(got) != 2 || got[1].ActorName != "赵敏" || strings.Contains(got[1].Note, "超期") {
		t.Errorf("replied lines = %+v, want the second by 赵敏, on time", got)
	}
	wantEvent(t, d, "answered", "赵敏", "部门答复")

	// Every reply reached the owner and the supervision section; the
	// applicant got the first reply, then the whole answer once.
	if got := targets(h.noticesOf(c.No, models.NoticeOrderReplied, models.AudienceStaff)); !slices.Equal(got, []string{"wang", "wang"}) {
		t.Errorf("order_replied to staff = %v, want the owner for each reply", got)
	}
	if got := h.noticesOf(c.No, models.NoticeOrderReplied, models.AudienceSupervision); len(got) != 2 {
		t.Errorf("order_replied to supervision = %d, want 2", len(got))
	}
	if got := h.noticesOf(c.No, models.NoticeOrderReplied, models.AudienceApplicant); len(got) != 1 {
		t.Errorf("order_replied to the applicant = %d, want 1 (the last reply comes as case_answered)", len(got))
	}
	answered := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant)
	if len(answered) != 1 {
		t.Fatalf("case_answered to the applicant = %d, want 1", len(answered))
	}
	if p := dataOf(t, answered[0]); p.Result != d.Case.Result || p.Outcome != models.OutcomeWorkOrders {
		t.Errorf("case_answered payload = %+v", p)
	}
	h.noFullMobile(c.No)
}

// 3. Refusals name their reason and change nothing: no status, order,
// timeline line or notice.
func TestRefusalsChangeNothing(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	open := h.dispatched("realestate", "market") // BB20260310-001
	const re, mk = "GD20260310-001-1", "GD20260310-001-2"
	h.clock.Set(at("2026-03-11 10:00"))
	_, err := h.svc.Reply(h.ctx, h.as("zhao"), mk, "已办结")
	must(t, "reply market", err)
	fresh := h.walkIn() // BB20260310-002, registered only

	zhao := h.as("zhao")
	cases := []struct {
		name string
		no   string
		do   func() (*models.Case, error)
		code models.Code
		says []string
	}{
		{"extension past 10 working days", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026-03-25", "需要更多时间")
		}, models.ErrLimit, []string{"10个工作日", "2026年3月24日"}},
		{"extension to a Saturday", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026-03-14", "周末加班")
		}, models.ErrInvalid, []string{"2026年3月14日", "不是工作日"}},
		{"extension to the present due date", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026-03-13", "原因")
		}, models.ErrInvalid, []string{"须晚于当前时限", "2026年3月13日（周五）18:00"}},
		{"extension to an earlier date", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026-03-12", "原因")
		}, models.ErrInvalid, []string{"须晚于当前时限"}},
		{"extension with a bad date", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026/03/20", "原因")
		}, models.ErrInvalid, []string{"YYYY-MM-DD"}},
		{"extension without a reason", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, h.as("zhang"), re, "2026-03-20", " ")
		}, models.ErrInvalid, []string{"延期原因"}},
		{"reply by another department", open.No, func() (*models.Case, error) {
			return h.svc.Reply(h.ctx, zhao, re, "已办结")
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"sign by another department", open.No, func() (*models.Case, error) {
			return h.svc.Sign(h.ctx, zhao, re)
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"extend by another department", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, zhao, re, "2026-03-20", "原因")
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"escalate by another department", open.No, func() (*models.Case, error) {
			return h.svc.Escalate(h.ctx, zhao, re, "超出权限", nil)
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"sign by the other department's leader", open.No, func() (*models.Case, error) {
			return h.svc.Sign(h.ctx, h.as("wu"), re)
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"reply by the owner", open.No, func() (*models.Case, error) {
			return h.svc.Reply(h.ctx, h.as("wang"), re, "已办结")
		}, models.ErrForbidden, []string{"不动产登记窗口"}},
		{"reply with an empty result", open.No, func() (*models.Case, error) {
			return h.svc.Reply(h.ctx, h.as("zhang"), re, "  ")
		}, models.ErrInvalid, []string{"办理结果"}},
		{"second reply", open.No, func() (*models.Case, error) {
			return h.svc.Reply(h.ctx, zhao, mk, "再答复一次")
		}, models.ErrConflict, []string{"已于", "不能重复答复"}},
		{"extension of a replied order", open.No, func() (*models.Case, error) {
			return h.svc.Extend(h.ctx, zhao, mk, "2026-03-20", "原因")
		}, models.ErrConflict, []string{"已答复"}},
		{"unknown order", open.No, func() (*models.Case, error) {
			return h.svc.Sign(h.ctx, h.as("zhang"), "GD20260310-001-9")
		}, models.ErrNotFound, []string{"GD20260310-001-9"}},
		{"dispatch to a department with an open order", open.No, func() (*models.Case, error) {
			return h.svc.Dispatch(h.ctx, h.as("wang"), open.No, []string{"realestate"}, "", false)
		}, models.ErrConflict, []string{"realestate", "尚未答复"}},
		{"dispatch by a specialist who is not the owner", fresh.No, func() (*models.Case, error) {
			return h.svc.Dispatch(h.ctx, h.as("li"), fresh.No, []string{"tax"}, "", false)
		}, models.ErrForbidden, []string{"首接负责人"}},
		{"dispatch by window staff", fresh.No, func() (*models.Case, error) {
			return h.svc.Dispatch(h.ctx, h.as("zhang"), fresh.No, []string{"tax"}, "", false)
		}, models.ErrForbidden, nil},
		{"dispatch to nobody", fresh.No, func() (*models.Case, error) {
			return h.svc.Dispatch(h.ctx, h.as("wang"), fresh.No, nil, "", false)
		}, models.ErrInvalid, []string{"部门"}},
		{"closing a registered case", fresh.No, func() (*models.Case, error) {
			return h.svc.Close(h.ctx, h.as("wang"), fresh.No, "")
		}, models.ErrConflict, []string{"尚未答复", "窗口无否决权"}},
		{"closing a dispatched case", open.No, func() (*models.Case, error) {
			return h.svc.Close(h.ctx, h.as("wang"), open.No, "不办了")
		}, models.ErrConflict, []string{"窗口无否决权"}},
		{"out of scope without the way", fresh.No, func() (*models.Case, error) {
			return h.svc.OutOfScope(h.ctx, h.as("wang"), fresh.No, "", "县医保局二楼")
		}, models.ErrInvalid, []string{"第六条", "办理方法"}},
		{"out of scope without the path", fresh.No, func() (*models.Case, error) {
			return h.svc.OutOfScope(h.ctx, h.as("wang"), fresh.No, "向医保部门申请", " ")
		}, models.ErrInvalid, []string{"第六条", "办理路径"}},
		{"not qualified without what is missing", fresh.No, func() (*models.Case, error) {
			return h.svc.NotQualified(h.ctx, h.as("wang"), fresh.No, "", "补齐后重新提交")
		}, models.ErrInvalid, []string{"第六条", "需补充的内容"}},
		{"not qualified without how", fresh.No, func() (*models.Case, error) {
			return h.svc.NotQualified(h.ctx, h.as("wang"), fresh.No, "房屋测绘报告", "")
		}, models.ErrInvalid, []string{"第六条", "改进方法"}},
		{"out of scope by a specialist who is not the owner", fresh.No, func() (*models.Case, error) {
			return h.svc.OutOfScope(h.ctx, h.as("li"), fresh.No, "向医保部门申请", "县医保局二楼")
		}, models.ErrForbidden, []string{"王芳"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			before := h.snap(tc.no)
			_, err := tc.do()
			wantErr(t, err, tc.code, tc.says...)
			h.unchanged(tc.no, before)
		})
	}
}

// 4. 第十二条 on the 2026 calendar: the day of receipt is not counted,
// holidays are skipped, make-up Saturdays count, a deadline falls at 18:00.
func TestDeadlinesFollowThe2026Calendar(t *testing.T) {
	cases := []struct {
		name     string
		received string
		due, cap string
	}{
		// Tue → Wed, Thu, Fri; cap ten working days later.
		{"ordinary week", "2026-03-10 10:00", "2026-03-13 18:00", "2026-03-24 18:00"},
		// 国庆: 10-01…10-07 off; 10-08, 10-09 and the make-up Saturday 10-10 count.
		{"before 国庆", "2026-09-30 10:00", "2026-10-10 18:00", "2026-10-20 18:00"},
		// The make-up Saturday is a working day, not counted as the day of
		// receipt: 10-11 is a Sunday off, then 10-12, 10-13, 10-14.
		{"on the make-up Saturday", "2026-10-10 10:00", "2026-10-14 18:00", "2026-10-23 18:00"},
		// 中秋 09-25…09-27 off: the first working day after it, 09-28, is day 1.
		{"on 中秋", "2026-09-25 10:00", "2026-09-30 18:00", "2026-10-15 18:00"},
		// Thu 09-24: 09-25…09-27 off, then 09-28, 09-29, 09-30; for the cap
		// 10-08, 10-09, 10-10 (make-up), 10-12 … 10-15.
		{"the day before 中秋", "2026-09-24 10:00", "2026-09-30 18:00", "2026-10-15 18:00"},
		// Received after hours still counts from the next day (legal reading).
		{"Friday evening", "2026-03-13 20:00", "2026-03-18 18:00", "2026-03-27 18:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.received)
			c := h.dispatched("realestate")
			o := h.orderOf(c.No, "realestate")
			wantTime(t, "received", &o.ReceivedAt, tc.received)
			wantTime(t, "due", &o.DueAt, tc.due)
			wantTime(t, "cap", &o.CapAt, tc.cap)
			p := dataOf(t, h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)[0])
			wantTime(t, "card due", p.DueAt, tc.due)
			if e := eventsOf(h.get(c.No), "dispatched"); len(e) != 1 || !strings.Contains(e[0].Note, models.FormatTime(at(tc.due))) {
				t.Errorf("dispatched line %+v does not show the due time %s", e, models.FormatTime(at(tc.due)))
			}

			// The cap's day itself is the latest extension; the next working day is refused.
			capDay := tc.cap[:10]
			next := h.cal.AddWorkdays(at(tc.cap), 1).Format(time.DateOnly)
			before := h.snap(c.No)
			_, err := h.svc.Extend(h.ctx, h.as("zhang"), o.No, next, "需要外调材料")
			wantErr(t, err, models.ErrLimit, models.FormatDate(at(tc.cap)))
			h.unchanged(c.No, before)
			_, err = h.svc.Extend(h.ctx, h.as("zhang"), o.No, capDay, "需要外调材料")
			must(t, "extend to the cap", err)
			o = h.orderOf(c.No, "realestate")
			wantTime(t, "extended due", o.ExtendedDueAt, tc.cap)
		})
	}

	t.Run("days off are refused as a new due date", func(t *testing.T) {
		h := newHarness(t, "2026-09-30 10:00")
		c := h.dispatched("realestate")
		before := h.snap(c.No)
		for _, day := range []string{"2026-10-01", "2026-10-11", "2026-09-26"} {
			_, err := h.svc.Extend(h.ctx, h.as("zhang"), "GD20260930-001-1", day, "国庆后办理")
			wantErr(t, err, models.ErrInvalid, "不是工作日")
		}
		// The make-up Saturday is the present due date: not later.
		_, err := h.svc.Extend(h.ctx, h.as("zhang"), "GD20260930-001-1", "2026-10-10", "国庆后办理")
		wantErr(t, err, models.ErrInvalid, "须晚于当前时限")
		h.unchanged(c.No, before)
	})
}

// 5. 第十一条: “beyond our authority” goes to the department's 分管领导, or to
// the 主要负责领导 when several departments are involved; the window head
// (第十八条) and the owner hear of it.
func TestEscalation(t *testing.T) {
	t.Run("one department goes to its 分管领导", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		const re = "GD20260310-001-1"
		h.clock.Set(at("2026-03-11 09:30"))
		_, err := h.svc.Escalate(h.ctx, h.as("zhang"), re, "涉及历史遗留产权问题，超出窗口审批权限", nil)
		must(t, "escalate", err)

		o := h.orderOf(c.No, "realestate")
		if o.EscalatedTo != "chen" || o.EscalationNote != "涉及历史遗留产权问题，超出窗口审批权限" || o.Status != models.OrderPending {
			t.Errorf("escalated order: to %q, note %q, status %s; want to chen, still pending", o.EscalatedTo, o.EscalationNote, o.Status)
		}
		wantTime(t, "escalated at", o.EscalatedAt, "2026-03-11 09:30")
		wantEvent(t, h.get(c.No), "escalated", "张伟", "陈副主任", "分管领导", "历史遗留产权")
		ups := h.noticesOf(c.No, models.NoticeEscalation, models.AudienceStaff)
		if got := targets(ups); !slices.Equal(got, []string{"chen", "liu", "wang"}) {
			t.Errorf("escalation notices to %v, want the leader chen, the window head liu and the owner wang", got)
		}
		for _, n := range ups {
			if p := dataOf(t, n); p.OrderNo != re || p.Reason != "涉及历史遗留产权问题，超出窗口审批权限" || p.MaskedMobile != "138****8000" {
				t.Errorf("escalation payload = %+v", p)
			}
		}
		// case_received, work_order, order_dispatched, the three escalations,
		// then the text the owner passes on to the walk-in applicant (第七条).
		if n := len(h.notices(c.No)); n != 7 {
			t.Errorf("outbox after the escalation has %d rows, want 7", n)
		}
		if told := h.noticesOf(c.No, models.NoticeOrderDelayed, models.AudienceStaff); len(told) != 1 || told[0].Target != "wang" {
			t.Errorf("the owner has no text for the applicant: %+v", told)
		}

		// 吴副主任 was not escalated to: he may not bring in other departments.
		before := h.snap(c.No)
		_, err = h.svc.Dispatch(h.ctx, h.as("wu"), c.No, []string{"tax"}, "联合办理", true)
		wantErr(t, err, models.ErrForbidden)
		// Nor may 陈副主任 send a plain order in the owner's place.
		_, err = h.svc.Dispatch(h.ctx, h.as("chen"), c.No, []string{"tax"}, "", false)
		wantErr(t, err, models.ErrForbidden)
		h.unchanged(c.No, before)

		// 陈副主任 may: a joint order to the tax window.
		_, err = h.svc.Dispatch(h.ctx, h.as("chen"), c.No, []string{"tax"}, "请税务窗口协同", true)
		must(t, "joint dispatch by chen", err)
		o = h.orderOf(c.No, "tax")
		if o.No != "GD20260310-001-2" || !o.Joint || o.DispatchedBy != "chen" {
			t.Errorf("joint order = %s joint %v by %s", o.No, o.Joint, o.DispatchedBy)
		}
		wantEvent(t, h.get(c.No), "dispatched", "陈副主任", "派发联合办理工单至税务窗口")
	})

	t.Run("several departments go to the 主要负责领导, who dispatches joint orders", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate", "market")
		h.clock.Set(at("2026-03-11 09:30"))
		_, err := h.svc.Escalate(h.ctx, h.as("zhang"), "GD20260310-001-1", "需市场监管与不动产联合认定", nil)
		must(t, "escalate", err)
		if o := h.orderOf(c.No, "realestate"); o.EscalatedTo != "zhou" {
			t.Errorf("escalated to %q, want the principal zhou", o.EscalatedTo)
		}
		wantEvent(t, h.get(c.No), "escalated", "张伟", "周主任", "主要负责领导")
		ups := h.noticesOf(c.No, models.NoticeEscalation, models.AudienceStaff)
		if got := targets(ups); !slices.Equal(got, []string{"zhou", "liu", "wang"}) {
			t.Errorf("escalation notices to %v, want zhou, liu, wang", got)
		}
		if p := dataOf(t, ups[0]); !slices.Equal(p.Departments, []string{"不动产登记窗口", "市场监管窗口"}) {
			t.Errorf("escalation names departments %v", p.Departments)
		}

		h.clock.Set(at("2026-03-11 14:00"))
		_, err = h.svc.Dispatch(h.ctx, h.as("zhou"), c.No, []string{"tax"}, "请税务窗口联合办理", true)
		must(t, "joint dispatch by zhou", err)
		d := h.get(c.No)
		o := h.orderOf(c.No, "tax")
		if o.No != "GD20260310-001-3" || !o.Joint || o.DispatchedBy != "zhou" || o.Status != models.OrderPending || d.Case.Status != models.CaseDispatched {
			t.Errorf("joint order %s joint %v by %s, %s; case %s", o.No, o.Joint, o.DispatchedBy, o.Status, d.Case.Status)
		}
		// Wed 14:00 → Thu, Fri, Mon.
		wantTime(t, "joint order due", &o.DueAt, "2026-03-16 18:00")
		wantEvent(t, d, "dispatched", "周主任", "派发联合办理工单至税务窗口")
		cards := h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)
		last := cards[len(cards)-1]
		if p := dataOf(t, last); last.Target != "tax" || !p.Joint || p.OrderNo != o.No || p.OwnerName != "王芳" {
			t.Errorf("joint card to %s: %+v", last.Target, p)
		}
		if !slices.Contains(d.Case.DepartmentCodes(), "tax") {
			t.Errorf("case departments %v lack tax", d.Case.DepartmentCodes())
		}
	})

	t.Run("naming other departments goes to the 主要负责领导", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		_, err := h.svc.Escalate(h.ctx, h.as("liu"), "GD20260310-001-1", "需税务窗口核定税费", []string{"tax"})
		must(t, "escalate", err)
		if o := h.orderOf(c.No, "realestate"); o.EscalatedTo != "zhou" {
			t.Errorf("escalated to %q, want zhou", o.EscalatedTo)
		}
		// The window head escalated himself: he is not told twice.
		if got := targets(h.noticesOf(c.No, models.NoticeEscalation, models.AudienceStaff)); !slices.Equal(got, []string{"zhou", "wang"}) {
			t.Errorf("escalation notices to %v, want zhou and the owner", got)
		}
	})

	t.Run("a department without a 分管领导 goes to the 主要负责领导", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("tax")
		_, err := h.svc.Escalate(h.ctx, h.as("sun"), "GD20260310-001-1", "涉及跨年度税款追缴", nil)
		must(t, "escalate", err)
		if o := h.orderOf(c.No, "tax"); o.EscalatedTo != "zhou" {
			t.Errorf("escalated to %q, want zhou", o.EscalatedTo)
		}
		wantEvent(t, h.get(c.No), "escalated", "孙丽", "周主任")
		if got := targets(h.noticesOf(c.No, models.NoticeEscalation, models.AudienceStaff)); !slices.Equal(got, []string{"zhou", "wang"}) {
			t.Errorf("escalation notices to %v, want zhou and the owner (tax has no window head)", got)
		}
	})

	t.Run("a replied order cannot be escalated", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate", "market")
		_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
		must(t, "reply", err)
		before := h.snap(c.No)
		_, err = h.svc.Escalate(h.ctx, h.as("zhang"), "GD20260310-001-1", "超出权限", nil)
		wantErr(t, err, models.ErrConflict, "已答复")
		_, err = h.svc.Escalate(h.ctx, h.as("zhang"), "GD20260310-001-2", "", nil)
		wantErr(t, err, models.ErrInvalid, "上报原因")
		h.unchanged(c.No, before)
	})
}

// 6. 第六条 窗口无否决权: every answer without a work order still tells the
// applicant how to get it done.
func TestNoVetoAnswers(t *testing.T) {
	t.Run("out of scope with the way and the path, then closed", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		h.clock.Set(at("2026-03-10 10:20"))
		_, err := h.svc.OutOfScope(h.ctx, h.as("wang"), c.No, "向县医疗保障局申请异地就医备案", "县政务服务中心二楼医保窗口，或“湘医保”小程序")
		must(t, "out of scope", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeOutOfScope {
			t.Errorf("case = %s / %s, want answered / out_of_scope", d.Case.Status, d.Case.Outcome)
		}
		for _, part := range []string{"向县医疗保障局申请异地就医备案", "县政务服务中心二楼医保窗口"} {
			if !strings.Contains(d.Case.Result, part) {
				t.Errorf("result %q lacks %q", d.Case.Result, part)
			}
		}
		wantEvent(t, d, "answered", "王芳", "已告知办理方法、路径")
		told := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant)
		if len(told) != 1 {
			t.Fatalf("case_answered to the applicant = %d, want 1", len(told))
		}
		if p := dataOf(t, told[0]); p.Outcome != models.OutcomeOutOfScope || p.Result != d.Case.Result {
			t.Errorf("case_answered payload = %+v", p)
		}
		// The owner answered herself: no private notice to her.
		if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceStaff); len(n) != 0 {
			t.Errorf("owner told of her own answer: %v", targets(n))
		}

		// 第十三条: the answer waits for the applicant's rating; the owner
		// cannot close it by hand, but records a rating given in person.
		h.clock.Set(at("2026-03-10 10:30"))
		before := h.snap(c.No)
		_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "申请人已知晓办理路径")
		wantErr(t, err, models.ErrConflict, "评价")
		h.unchanged(c.No, before)
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingBasically, "申请人已知晓办理路径", casework.ViaInPerson)
		must(t, "rate in person", err)
		d = h.get(c.No)
		if d.Case.Status != models.CaseClosed {
			t.Errorf("status after the rating = %s", d.Case.Status)
		}
		wantTime(t, "closed at", d.Case.ClosedAt, "2026-03-10 10:30")
		wantEvent(t, d, "closed", "系统") // closed on the rating, by bbcs itself
		if n := h.noticesOf(c.No, models.NoticeCaseClosed, models.AudienceApplicant); len(n) != 1 {
			t.Errorf("case_closed to the applicant = %d, want 1", len(n))
		}
		before = h.snap(c.No)
		_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "")
		wantErr(t, err, models.ErrConflict, "已办结")
		h.unchanged(c.No, before)
	})

	t.Run("conditions not met with what to add and how", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.NotQualified(h.ctx, h.as("wang"), c.No, "房屋测绘报告、完税证明", "到县不动产测绘中心申请测绘，完税后携原件重新提交")
		must(t, "not qualified", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeNotQualified {
			t.Errorf("case = %s / %s, want answered / conditions_not_met", d.Case.Status, d.Case.Outcome)
		}
		for _, part := range []string{"房屋测绘报告、完税证明", "到县不动产测绘中心申请测绘"} {
			if !strings.Contains(d.Case.Result, part) {
				t.Errorf("result %q lacks %q", d.Case.Result, part)
			}
		}
		wantEvent(t, d, "answered", "王芳", "已列明需补充内容")
		told := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant)
		if len(told) != 1 || dataOf(t, told[0]).Outcome != models.OutcomeNotQualified {
			t.Errorf("case_answered to the applicant = %+v", told)
		}
		_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "")
		wantErr(t, err, models.ErrConflict, "评价")
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
		must(t, "rate by phone", err)
		if d := h.get(c.No); d.Case.Status != models.CaseClosed || d.Case.ClosedAt == nil {
			t.Errorf("after the rating: %s, closed at %v", d.Case.Status, d.Case.ClosedAt)
		}
	})

	t.Run("grey zone: a 请示 to the 分管领导, answered and filed", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "chen", "农村集体土地上的自建房能否办理分户登记，现行规定无明确依据")
		must(t, "request instruction", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseRegistered {
			t.Errorf("status while the 请示 is open = %s, want registered", d.Case.Status)
		}
		if len(d.Instructions) != 1 || d.Instructions[0].LeaderID != "chen" || d.Instructions[0].AnsweredAt != nil {
			t.Errorf("instructions = %+v", d.Instructions)
		}
		wantEvent(t, d, "instruction_requested", "王芳", "向陈副主任请示", "分户登记")
		asked := h.noticesOf(c.No, models.NoticeInstructionAsked, models.AudienceStaff)
		if got := targets(asked); !slices.Equal(got, []string{"chen"}) {
			t.Fatalf("instruction_asked to %v, want chen", got)
		}
		if p := dataOf(t, asked[0]); !strings.Contains(p.Note, "分户登记") {
			t.Errorf("instruction_asked payload = %+v", p)
		}

		before := h.snap(c.No)
		_, err = h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "wu", "再问一次")
		wantErr(t, err, models.ErrConflict, "待领导答复")
		_, err = h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "zhang", "问窗口")
		wantErr(t, err, models.ErrConflict) // the open 请示 comes first
		_, err = h.svc.AnswerInstruction(h.ctx, h.as("wu"), c.No, "可以办理")
		wantErr(t, err, models.ErrForbidden, "其他领导")
		_, err = h.svc.AnswerInstruction(h.ctx, h.as("wang"), c.No, "可以办理")
		wantErr(t, err, models.ErrForbidden)
		_, err = h.svc.AnswerInstruction(h.ctx, h.as("chen"), c.No, " ")
		wantErr(t, err, models.ErrInvalid, "领导答复")
		h.unchanged(c.No, before)

		h.clock.Set(at("2026-03-10 16:00"))
		_, err = h.svc.AnswerInstruction(h.ctx, h.as("chen"), c.No, "参照县自然资源局2024年第3号会议纪要，可按一户一宅办理分户登记")
		must(t, "answer instruction", err)
		d = h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeInstruction || !strings.Contains(d.Case.Result, "一户一宅") {
			t.Errorf("case = %s / %s: %q", d.Case.Status, d.Case.Outcome, d.Case.Result)
		}
		wantTime(t, "instruction answered at", d.Instructions[0].AnsweredAt, "2026-03-10 16:00")
		if e := eventsOf(d, "instruction_answered"); len(e) != 1 || e[0].ActorName != "陈副主任" {
			t.Errorf("instruction_answered lines = %+v", e)
		}
		wantEvent(t, d, "answered", "陈副主任", "请示后答复")
		if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 1 || dataOf(t, n[0]).Outcome != models.OutcomeInstruction {
			t.Errorf("case_answered to the applicant = %+v", n)
		}
		if got := targets(h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceStaff)); !slices.Equal(got, []string{"wang"}) {
			t.Errorf("case_answered to staff = %v, want the owner wang", got)
		}
		filed := h.noticesOf(c.No, models.NoticeInstructionFiled, models.AudienceSupervision)
		if len(filed) != 1 {
			t.Fatalf("instruction_filed to supervision = %d, want 1 (报备)", len(filed))
		}
		if p := dataOf(t, filed[0]); !strings.Contains(p.Note, "分户登记") || !strings.Contains(p.Result, "一户一宅") {
			t.Errorf("instruction_filed payload = %+v", p)
		}
	})

	t.Run("a 请示 without a leader goes to the 主要负责领导", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "", "新业态经营场所登记无先例")
		must(t, "request instruction", err)
		if got := targets(h.noticesOf(c.No, models.NoticeInstructionAsked, models.AudienceStaff)); !slices.Equal(got, []string{"zhou"}) {
			t.Errorf("instruction_asked to %v, want zhou", got)
		}
	})

	t.Run("solved on the spot", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已协调不动产窗口当场补录，证书下午可领")
		must(t, "resolve", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeOnTheSpot || d.Case.Result != "已协调不动产窗口当场补录，证书下午可领" {
			t.Errorf("case = %s / %s: %q", d.Case.Status, d.Case.Outcome, d.Case.Result)
		}
		wantEvent(t, d, "answered", "王芳", "当场解决")
		if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 1 {
			t.Errorf("case_answered to the applicant = %d, want 1", len(n))
		}
		before := h.snap(c.No)
		_, err = h.svc.Resolve(h.ctx, h.as("wang"), c.No, "再答复一次")
		wantErr(t, err, models.ErrConflict, "已答复")
		h.unchanged(c.No, before)
	})

	t.Run("no direct answer while work orders are open", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		before := h.snap(c.No)
		answers := map[string]func() (*models.Case, error){
			"resolve": func() (*models.Case, error) {
				return h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已解决")
			},
			"out of scope": func() (*models.Case, error) {
				return h.svc.OutOfScope(h.ctx, h.as("wang"), c.No, "方法", "路径")
			},
			"not qualified": func() (*models.Case, error) {
				return h.svc.NotQualified(h.ctx, h.as("wang"), c.No, "材料", "补齐")
			},
			// A 请示 is allowed while orders are open (第七条): its answer is
			// an instruction, not the case's answer — see owner_test.go.
		}
		for name, do := range answers {
			t.Run(name, func(t *testing.T) {
				h := h.sub(t)
				_, err := do()
				wantErr(t, err, models.ErrConflict, "尚未全部答复")
				h.unchanged(c.No, before)
			})
		}
	})
}

// 7. 第十条 研判: the owner classifies the case and solves it, summons the
// department's window staff, or dispatches work orders — in one step.
func TestTriage(t *testing.T) {
	t.Run("dispatch creates the orders in the same step", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{
			Decision: casework.DecideDispatch, Departments: []string{"realestate", "tax"}, Note: "涉及过户税费",
		})
		must(t, "triage", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseDispatched || len(d.Orders) != 2 || d.Orders[0].DepartmentCode != "realestate" || d.Orders[1].DepartmentCode != "tax" {
			t.Fatalf("after triage: %s with orders %+v", d.Case.Status, d.Orders)
		}
		if tri := eventsOf(d, "triaged"); len(tri) != 1 || tri[0].ActorName != "王芳" || !strings.Contains(tri[0].Note, "派发工单；相关部门：不动产登记窗口、税务窗口") {
			t.Errorf("triaged lines = %+v", tri)
		}
		if got := targets(h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)); !slices.Equal(got, []string{"realestate", "tax"}) {
			t.Errorf("cards to %v", got)
		}
		if !slices.Equal(d.Case.DepartmentCodes(), []string{"realestate", "tax"}) {
			t.Errorf("case departments = %v", d.Case.DepartmentCodes())
		}
	})

	t.Run("summon, arrival on time and late, reclassification", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{
			Category: models.CategoryAttitude, Decision: casework.DecideSummon, Departments: []string{"realestate"},
		})
		must(t, "triage", err)
		d := h.get(c.No)
		if d.Case.Category != models.CategoryAttitude || d.Case.Status != models.CaseRegistered {
			t.Errorf("case after triage: %s, %s", d.Case.Category, d.Case.Status)
		}
		if re := eventsOf(d, "reclassified"); len(re) != 1 || re[0].ActorName != "王芳" || re[0].Note != "类别：受理后超时未办结 → 服务态度差" {
			t.Errorf("reclassified lines = %+v", re)
		}
		if len(d.Summons) != 1 || d.Summons[0].DepartmentCode != "realestate" || d.Summons[0].SummonedBy != "wang" {
			t.Fatalf("summons = %+v", d.Summons)
		}
		wantTime(t, "arrive by", &d.Summons[0].ArriveBy, "2026-03-10 10:30")
		wantEvent(t, d, "summoned", "王芳", "不动产登记窗口", "2026年3月10日（周二）10:30")
		calls := h.noticesOf(c.No, models.NoticeSummon, models.AudienceDepartment)
		if got := targets(calls); !slices.Equal(got, []string{"realestate"}) {
			t.Fatalf("summon notices to %v, want the realestate group", got)
		}
		p := dataOf(t, calls[0])
		wantTime(t, "summon arrive by", p.ArriveBy, "2026-03-10 10:30")
		if !slices.Equal(p.Mentions, []string{"liu", "zhang"}) || p.DepartmentName != "不动产登记窗口" {
			t.Errorf("summon payload mentions %v (%s), want @liu and @zhang", p.Mentions, p.DepartmentName)
		}

		// A second summons while the first is awaited is refused.
		before := h.snap(c.No)
		_, err = h.svc.Summon(h.ctx, h.as("wang"), c.No, "realestate", "")
		wantErr(t, err, models.ErrConflict, "正在等待到达确认")
		// Market was not summoned: 赵敏 has nothing to confirm.
		_, err = h.svc.ConfirmArrival(h.ctx, h.as("zhao"), c.No)
		wantErr(t, err, models.ErrConflict, "没有通知您所在部门")
		h.unchanged(c.No, before)

		// 张伟 arrives 20 minutes later: on time.
		h.clock.Advance(20 * time.Minute)
		_, err = h.svc.ConfirmArrival(h.ctx, h.as("zhang"), c.No)
		must(t, "zhang arrives", err)
		d = h.get(c.No)
		sm := d.Summons[0]
		if sm.Late || sm.ArrivedBy != "zhang" {
			t.Errorf("arrival = late %v by %s, want on time by zhang", sm.Late, sm.ArrivedBy)
		}
		wantTime(t, "arrived at", sm.ArrivedAt, "2026-03-10 10:20")
		if e := wantEvent(t, d, "arrived", "张伟"); strings.Contains(e.Note, "迟到") {
			t.Errorf("on-time arrival recorded as late: %q", e.Note)
		}

		// The market window is summoned at 10:20; 赵敏 arrives at 11:00.
		_, err = h.svc.Summon(h.ctx, h.as("wang"), c.No, "market", "企业登记问题")
		must(t, "summon market", err)
		if got := targets(h.noticesOf(c.No, models.NoticeSummon, models.AudienceDepartment)); !slices.Equal(got, []string{"realestate", "market"}) {
			t.Errorf("summon notices to %v", got)
		}
		h.clock.Advance(40 * time.Minute)
		_, err = h.svc.ConfirmArrival(h.ctx, h.as("zhao"), c.No)
		must(t, "zhao arrives", err)
		d = h.get(c.No)
		sm = d.Summons[1]
		if !sm.Late || sm.ArrivedBy != "zhao" || sm.DepartmentCode != "market" {
			t.Errorf("arrival = late %v by %s for %s, want late by zhao for market (第十七条)", sm.Late, sm.ArrivedBy, sm.DepartmentCode)
		}
		wantEvent(t, d, "arrived", "赵敏", "迟到", "2026年3月10日（周二）10:50")
		if !slices.Equal(d.Case.DepartmentCodes(), []string{"realestate", "market"}) {
			t.Errorf("case departments = %v", d.Case.DepartmentCodes())
		}
	})

	t.Run("arrival exactly at the deadline is on time", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Summon(h.ctx, h.as("wang"), c.No, "realestate", "")
		must(t, "summon", err)
		h.clock.Set(at("2026-03-10 10:30"))
		_, err = h.svc.ConfirmArrival(h.ctx, h.as("liu"), c.No)
		must(t, "arrive", err)
		if sm := h.get(c.No).Summons[0]; sm.Late {
			t.Errorf("arrival at 10:30 for 10:30 recorded late")
		}
	})

	t.Run("on the spot with the answer answers the case", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{
			Decision: casework.DecideOnTheSpot, Result: "电话协调不动产窗口，已当场出证",
		})
		must(t, "triage", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Outcome != models.OutcomeOnTheSpot {
			t.Errorf("case = %s / %s", d.Case.Status, d.Case.Outcome)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		before := h.snap(c.No)
		for _, tc := range []struct {
			name  string
			actor string
			tr    casework.Triage
			code  models.Code
			says  string
		}{
			{"unknown decision", "wang", casework.Triage{Decision: "ignore"}, models.ErrInvalid, "研判结论"},
			{"no decision", "wang", casework.Triage{}, models.ErrInvalid, "研判结论"},
			{"dispatch to nobody", "wang", casework.Triage{Decision: casework.DecideDispatch}, models.ErrInvalid, "相关部门"},
			{"summon nobody", "wang", casework.Triage{Decision: casework.DecideSummon}, models.ErrInvalid, "相关部门"},
			{"bad category", "wang", casework.Triage{Decision: casework.DecideOnTheSpot, Category: "rude"}, models.ErrInvalid, "事项类别"},
			{"not the owner", "li", casework.Triage{Decision: casework.DecideOnTheSpot, Result: "已解决"}, models.ErrForbidden, "首接负责人是王芳"},
			{"unknown department", "wang", casework.Triage{Decision: casework.DecideSummon, Departments: []string{"nope"}}, models.ErrNotFound, "nope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := h.sub(t)
				_, err := h.svc.Triage(h.ctx, h.as(tc.actor), c.No, tc.tr)
				wantErr(t, err, tc.code, tc.says)
				h.unchanged(c.No, before)
			})
		}
	})
}

// 8. 第十三条: the owner records the applicant's rating; a good one closes
// the case, a 差评 sends it back for a new round with fresh deadlines.
func TestRatingAndReHandling(t *testing.T) {
	t.Run("a good rating closes the case", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场协调办结")
		must(t, "resolve", err)

		before := h.snap(c.No)
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, "great", "", casework.ViaInPerson)
		wantErr(t, err, models.ErrInvalid, "评价等级")
		_, err = h.svc.Rate(h.ctx, h.as("li"), c.No, models.RatingSatisfied, "", casework.ViaInPerson)
		wantErr(t, err, models.ErrForbidden, "首接负责人是王芳")
		_, err = h.svc.Rate(h.ctx, h.as("zhang"), c.No, models.RatingSatisfied, "", casework.ViaInPerson)
		wantErr(t, err, models.ErrForbidden)
		h.unchanged(c.No, before)

		h.clock.Set(at("2026-03-10 11:00"))
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "办事效率高", casework.ViaInPerson)
		must(t, "rate", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseClosed || d.Case.Rating != models.RatingSatisfied || d.Case.RatingNote != "办事效率高" || d.Case.RatingVia != "in_person" {
			t.Errorf("case = %s, rating %s %q via %s", d.Case.Status, d.Case.Rating, d.Case.RatingNote, d.Case.RatingVia)
		}
		wantTime(t, "closed at", d.Case.ClosedAt, "2026-03-10 11:00")
		wantTime(t, "rated at", d.Case.RatedAt, "2026-03-10 11:00")
		if e := eventsOf(d, "rated"); len(e) != 1 || e[0].ActorName != "王芳" || e[0].Note != "第 1 轮评价：满意（当面）；意见：办事效率高" {
			t.Errorf("rated lines = %+v", e)
		}
		wantEvent(t, d, "closed", "系统") // the rating is 王芳's record; the closing follows by itself
		if n := h.noticesOf(c.No, models.NoticeCaseClosed, models.AudienceApplicant); len(n) != 1 {
			t.Errorf("case_closed to the applicant = %d, want 1", len(n))
		}

		before = h.snap(c.No)
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVeryDissatisfy, "改主意了", casework.ViaPhone)
		wantErr(t, err, models.ErrConflict, "已办结")
		h.unchanged(c.No, before)
	})

	t.Run("a rating before the answer is refused", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		before := h.snap(c.No)
		_, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaInPerson)
		wantErr(t, err, models.ErrConflict, "正在办理中")
		h.unchanged(c.No, before)
	})

	t.Run("a 差评 reopens the case for a second round", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate", "market")
		h.clock.Set(at("2026-03-11 10:00"))
		for _, r := range []struct{ who, no string }{{"zhang", "GD20260310-001-1"}, {"zhao", "GD20260310-001-2"}} {
			_, err := h.svc.Reply(h.ctx, h.as(r.who), r.no, "已办结")
			must(t, "reply "+r.no, err)
		}
		if d := h.get(c.No); d.Case.Status != models.CaseAnswered {
			t.Fatalf("case = %s, want answered", d.Case.Status)
		}

		// 第十三条: a 差评 goes back to the same departments in a second round,
		// with deadlines from now (Thu 10:00 → Fri, Mon, Tue).
		h.clock.Set(at("2026-03-12 10:00"))
		_, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVeryDissatisfy, "证书信息仍有错误", casework.ViaPhone)
		must(t, "rate", err)
		d := h.get(c.No)
		if d.Case.Status != models.CaseDispatched || d.Case.Round != 2 || d.Case.ClosedAt != nil || d.Case.Rating != models.RatingVeryDissatisfy {
			t.Errorf("case = %s round %d closed %v rating %s; want dispatched again, round 2, open", d.Case.Status, d.Case.Round, d.Case.ClosedAt, d.Case.Rating)
		}
		wantAnyEvent(t, d, "reopened", "系统", "差评退回重办", "第 2 轮")
		// The visit (跟踪回访) is about the new result: planned once it is given.
		if len(d.FollowUps) != 0 {
			t.Errorf("a follow-up visit planned at the 差评: %+v", d.FollowUps)
		}
		back := h.noticesOf(c.No, models.NoticeCaseReopened, models.AudienceStaff)
		// The window heads and the 分管领导 of both departments, and the owner.
		if got := targets(back); !slices.Equal(got, []string{"liu", "chen", "qian", "wu", "wang"}) {
			t.Fatalf("case_reopened to %v", got)
		}
		if p := dataOf(t, back[len(back)-1]); !strings.Contains(p.Reason, "非常不满意") || !strings.Contains(p.Reason, "证书信息仍有错误") || p.Round != 2 {
			t.Errorf("case_reopened payload = %+v", p)
		}
		if n := h.noticesOf(c.No, models.NoticeCaseClosed, models.AudienceApplicant); len(n) != 0 {
			t.Errorf("a 差评 closed the case for the applicant")
		}
		before := h.snap(c.No)
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
		wantErr(t, err, models.ErrConflict, "正在办理中")
		h.unchanged(c.No, before)

		if len(d.Orders) != 4 {
			t.Fatalf("%d orders, want 2 per round", len(d.Orders))
		}
		o := d.Orders[2]
		if o.No != "GD20260310-001-3" || o.Round != 2 || o.DepartmentCode != "realestate" || o.Status != models.OrderPending {
			t.Errorf("round-2 order = %s round %d %s %s", o.No, o.Round, o.DepartmentCode, o.Status)
		}
		wantTime(t, "round-2 received", &o.ReceivedAt, "2026-03-12 10:00")
		wantTime(t, "round-2 due", &o.DueAt, "2026-03-17 18:00")
		wantTime(t, "round-2 cap", &o.CapAt, "2026-03-26 18:00")
		wantAnyEvent(t, d, "dispatched", "系统", "（退回重办）", "2026年3月17日（周二）18:00")
		cards := h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)
		if p := dataOf(t, cards[len(cards)-2]); !p.Reopened || p.Round != 2 || p.OrderNo != o.No {
			t.Errorf("round-2 card = %+v, want reopened, round 2", p)
		}
		told := h.noticesOf(c.No, models.NoticeOrderDispatched, models.AudienceApplicant)
		if p := dataOf(t, told[len(told)-1]); !p.Reopened {
			t.Errorf("applicant not told the case is being handled again: %+v", p)
		}

		// Round 2's replies answer the case with round 2's results only.
		_, err = h.svc.Reply(h.ctx, h.as("liu"), o.No, "已更正证书信息并重新发证")
		must(t, "round-2 reply", err)
		_, err = h.svc.Reply(h.ctx, h.as("zhao"), d.Orders[3].No, "已核实无误")
		must(t, "round-2 reply", err)
		d = h.get(c.No)
		if d.Case.Status != models.CaseAnswered || d.Case.Result != "【不动产登记窗口】已更正证书信息并重新发证\n【市场监管窗口】已核实无误" {
			t.Errorf("case = %s: %q", d.Case.Status, d.Case.Result)
		}
		wantAnyEvent(t, d, "follow_up_planned", "系统", "2026年3月13日（周五）09:00")
		_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVerySatisfied, "", casework.ViaPhone)
		must(t, "rate round 2", err)
		if d := h.get(c.No); d.Case.Status != models.CaseAnswered || d.Case.Rating != models.RatingVerySatisfied {
			t.Errorf("before the visit: case = %s rating %s", d.Case.Status, d.Case.Rating)
		}
		// The follow-up visit is recorded by the owner, and closes the case.
		_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "已电话回访，申请人认可重新办理结果")
		must(t, "follow-up", err)
		_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "再记一次")
		wantErr(t, err, models.ErrConflict, "没有待办的跟踪回访")
		if d := h.get(c.No); d.Case.Status != models.CaseClosed || d.Case.Rating != models.RatingVerySatisfied {
			t.Errorf("case = %s rating %s", d.Case.Status, d.Case.Rating)
		}
	})
}

// 9. A use case that fails midway writes nothing: no order, no notice, no
// timeline line, and no order number is used up.
func TestFailedUseCaseWritesNothing(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	before := h.snap(c.No)
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax", "nope"}, "", false)
	wantErr(t, err, models.ErrNotFound, "nope")
	h.unchanged(c.No, before)
	var orders int64
	h.db.Model(&models.WorkOrder{}).Count(&orders)
	if orders != 0 {
		t.Errorf("a failed dispatch left %d work orders", orders)
	}
	if n := h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment); len(n) != 0 {
		t.Errorf("a failed dispatch left cards to %v", targets(n))
	}
	if e := eventsOf(h.get(c.No), "dispatched"); len(e) != 0 {
		t.Errorf("a failed dispatch left timeline lines %+v", e)
	}

	// Dispatching again works, numbered from 1.
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false)
	must(t, "dispatch tax", err)
	if o := h.orderOf(c.No, "tax"); o.No != "GD20260310-001-1" {
		t.Errorf("tax order = %s, want GD20260310-001-1", o.No)
	}

	// The second department has an open order already: the first one of
	// the same call is not created either.
	before = h.snap(c.No)
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"market", "tax"}, "", false)
	wantErr(t, err, models.ErrConflict, "tax")
	h.unchanged(c.No, before)
	for _, o := range h.get(c.No).Orders {
		if o.DepartmentCode == "market" {
			t.Errorf("a refused dispatch left the market order %s", o.No)
		}
	}
	var summons int64
	h.db.Model(&models.Summon{}).Count(&summons)
	if summons != 0 {
		t.Errorf("summons = %d", summons)
	}
}

// Two window staff signing the same order at the same moment: one
// signature counts, the other is told it is already signed.
func TestConcurrentSignaturesOneWins(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	var wg sync.WaitGroup
	signs := make(chan error, 2)
	for _, who := range []string{"zhang", "liu"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.svc.Sign(h.ctx, h.as(who), "GD20260310-001-1")
			signs <- err
		}()
	}
	wg.Wait()
	close(signs)
	var won, refused int
	for err := range signs {
		switch {
		case err == nil:
			won++
		case models.ErrorCode(err) == models.ErrConflict:
			refused++
		default:
			t.Errorf("sign: %v", err)
		}
	}
	if won != 1 || refused != 1 {
		t.Errorf("concurrent signatures: %d won, %d refused; want 1 and 1", won, refused)
	}
	if e := eventsOf(h.get(c.No), "signed"); len(e) != 1 {
		t.Errorf("signed lines = %d, want 1", len(e))
	}
	if n := h.noticesOf(c.No, models.NoticeOrderSigned, models.AudienceStaff); len(n) != 1 {
		t.Errorf("order_signed to the owner = %d, want 1", len(n))
	}
}

// Two windows replying at the same moment to the last two orders answer
// the case once: one answer, one case_answered notice.
func TestConcurrentRepliesAnswerTheCaseOnce(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate", "market")
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, r := range []struct{ who, no string }{
		{"zhang", "GD20260310-001-1"}, {"zhao", "GD20260310-001-2"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.svc.Reply(h.ctx, h.as(r.who), r.no, r.who+"已办结")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("reply: %v", err)
		}
	}
	d := h.get(c.No)
	for _, o := range d.Orders {
		if o.Status != models.OrderReplied {
			t.Errorf("order %s = %s, want replied", o.No, o.Status)
		}
	}
	if d.Case.Status != models.CaseAnswered || len(eventsOf(d, "answered")) != 1 {
		t.Errorf("case = %s with %d answered lines, want answered once", d.Case.Status, len(eventsOf(d, "answered")))
	}
	if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 1 {
		t.Errorf("case_answered to the applicant = %d, want 1", len(n))
	}
	if n := h.noticesOf(c.No, models.NoticeOrderReplied, models.AudienceApplicant); len(n) != 1 {
		t.Errorf("order_replied to the applicant = %d, want 1", len(n))
	}
}

// 第十条/第六条: “solved on the spot” through triage is a direct answer like
// Resolve: refused while work orders are open, and once the case is answered.
func TestTriageOnTheSpotIsADirectAnswer(t *testing.T) {
	t.Run("while work orders are open", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		before := h.snap(c.No)
		_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{Decision: casework.DecideOnTheSpot, Result: "已当场解决"})
		wantErr(t, err, models.ErrConflict, "尚未全部答复")
		h.unchanged(c.No, before)
	})
	t.Run("once the case is answered", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.walkIn()
		_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "第一次答复")
		must(t, "resolve", err)
		before := h.snap(c.No)
		_, err = h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{Decision: casework.DecideOnTheSpot, Result: "第二次答复"})
		wantErr(t, err, models.ErrConflict, "已答复")
		h.unchanged(c.No, before)
	})
}

// An order extended before anyone signed for it still shows who took it:
// the extension counts as taking it, or it can still be signed for.
func TestExtensionOfAnUnsignedOrderLeavesItSignable(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.Extend(h.ctx, h.as("zhang"), "GD20260310-001-1", "2026-03-18", "需外调档案")
	must(t, "extend", err)
	if o := h.orderOf(c.No, "realestate"); o.SignedAt == nil {
		_, err := h.svc.Sign(h.ctx, h.as("zhang"), "GD20260310-001-1")
		if err != nil {
			t.Errorf("the order was never signed for, yet signing is refused: %v", err)
		}
	}
}

// An extension names a due date still ahead: a date already past would
// make the timeline say the department asked for time it had run out of.
func TestExtensionToAPastDateIsRefused(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	h.clock.Set(at("2026-03-19 10:00"))
	before := h.snap(c.No)
	_, err := h.svc.Extend(h.ctx, h.as("zhang"), "GD20260310-001-1", "2026-03-16", "补办延期")
	wantErr(t, err, models.ErrInvalid)
	h.unchanged(c.No, before)
}

package casework_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"bbcs/models"
)

// 第七条, 第十一条: once orders are out, the complaint window (the owner)
// still pushes a stalled order: it reports it to the department's 分管领导,
// or to the 主要负责领导 when several departments are involved.
func TestOwnerEscalatesAStalledOrder(t *testing.T) {
	t.Run("one department: to its 分管领导, the window head hears", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		const re = "GD20260310-001-1"
		h.clock.Set(at("2026-03-12 16:00"))
		_, err := h.svc.Escalate(h.ctx, h.as("wang"), re, "窗口两天未签收，申请人今天第三次来问", nil)
		must(t, "the owner escalates", err)

		o := h.orderOf(c.No, "realestate")
		if o.EscalatedTo != "chen" || o.Status != models.OrderPending {
			t.Errorf("escalated order: to %q, status %s; want chen, still pending", o.EscalatedTo, o.Status)
		}
		wantTime(t, "escalated at", o.EscalatedAt, "2026-03-12 16:00")
		d := h.get(c.No)
		if d.Case.Status != models.CaseDispatched {
			t.Errorf("case after the escalation = %s, want dispatched", d.Case.Status)
		}
		wantAnyEvent(t, d, "escalated", "王芳", "陈副主任", "不动产登记窗口", re, "第三次来问")
		ups := h.noticesOf(c.No, models.NoticeEscalation, models.AudienceStaff)
		// The leader and the window head (第十八条); not the owner, who did it.
		if got := targets(ups); !slices.Equal(got, []string{"chen", "liu"}) {
			t.Errorf("escalation notices to %v, want the leader chen and the window head liu", got)
		}
		for _, n := range ups {
			if p := dataOf(t, n); p.OrderNo != re || p.Reason != "窗口两天未签收，申请人今天第三次来问" || p.ActorName != "王芳" {
				t.Errorf("escalation payload = %+v", p)
			}
		}
	})

	t.Run("several departments: to the 主要负责领导", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate", "market")
		_, err := h.svc.Escalate(h.ctx, h.as("wang"), "GD20260310-001-2", "两部门互相推诿", nil)
		must(t, "the owner escalates", err)
		if o := h.orderOf(c.No, "market"); o.EscalatedTo != "zhou" {
			t.Errorf("escalated to %q, want the principal zhou", o.EscalatedTo)
		}
		wantAnyEvent(t, h.get(c.No), "escalated", "王芳", "周主任", "主要负责领导")
	})

	t.Run("nobody else: another specialist, another window; a replied order", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate", "market")
		before := h.snap(c.No)
		_, err := h.svc.Escalate(h.ctx, h.as("li"), "GD20260310-001-1", "超出权限", nil)
		wantErr(t, err, models.ErrForbidden)
		_, err = h.svc.Escalate(h.ctx, h.as("zhao"), "GD20260310-001-1", "超出权限", nil)
		wantErr(t, err, models.ErrForbidden)
		h.unchanged(c.No, before)
		_, err = h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
		must(t, "reply", err)
		before = h.snap(c.No)
		_, err = h.svc.Escalate(h.ctx, h.as("wang"), "GD20260310-001-1", "超出权限", nil)
		wantErr(t, err, models.ErrConflict, "已答复")
		h.unchanged(c.No, before)
	})
}

// 第七条: the owner 请示 a leader while orders are open. The leader's answer
// is an instruction for those handling the case — the owner and the
// departments' windows — filed with the supervision section (报备); it
// does not answer the case, which the departments' replies will.
func TestInstructionWhileOrdersAreOpen(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "chen", "宅基地分户无明确依据，窗口不敢受理，请示如何处理")
	must(t, "请示 while dispatched", err)
	d := h.get(c.No)
	if d.Case.Status != models.CaseDispatched || len(d.Instructions) != 1 || d.Instructions[0].LeaderID != "chen" {
		t.Fatalf("after the 请示: %s, instructions %+v", d.Case.Status, d.Instructions)
	}
	wantEvent(t, d, "instruction_requested", "王芳", "向陈副主任请示", "宅基地分户")
	if got := targets(h.noticesOf(c.No, models.NoticeInstructionAsked, models.AudienceStaff)); !slices.Equal(got, []string{"chen"}) {
		t.Errorf("instruction_asked to %v, want chen", got)
	}

	h.clock.Set(at("2026-03-10 15:00"))
	_, err = h.svc.AnswerInstruction(h.ctx, h.as("chen"), c.No, "参照2024年第3号会议纪要，按一户一宅受理")
	must(t, "the leader's instruction", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseDispatched || d.Case.Outcome != "" || d.Case.Result != "" || d.Case.AnsweredAt != nil {
		t.Errorf("case after the instruction = %s / %q / %q, want still dispatched and unanswered", d.Case.Status, d.Case.Outcome, d.Case.Result)
	}
	wantTime(t, "instruction answered at", d.Instructions[0].AnsweredAt, "2026-03-10 15:00")
	e := lastEvent(t, d)
	if e.ActorName != "陈副主任" || !strings.Contains(e.Note, "一户一宅") || e.Action == "answered" || e.Action == "instruction_answered" {
		t.Errorf("timeline line = %s by %s %q, want the leader's instruction, not an answer", e.Action, e.ActorName, e.Note)
	}
	if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 0 {
		t.Errorf("the applicant was sent %d answers; the instruction is not the case's answer", len(n))
	}
	if n := h.noticesOf(c.No, models.NoticeRatingRequest, models.AudienceApplicant); len(n) != 0 {
		t.Errorf("the applicant was asked to rate while the orders are open")
	}
	kind := models.NoticeKind("leader_instruction")
	if got := targets(h.noticesOf(c.No, kind, models.AudienceStaff)); !slices.Equal(got, []string{"wang"}) {
		t.Errorf("instruction to staff %v, want the owner wang", got)
	}
	groups := h.noticesOf(c.No, kind, models.AudienceDepartment)
	if got := targets(groups); !slices.Equal(got, []string{"realestate"}) {
		t.Fatalf("instruction to groups %v, want the realestate window group", got)
	}
	if p := dataOf(t, groups[0]); p.OrderNo != "GD20260310-001-1" || !strings.Contains(p.Result, "一户一宅") || !strings.Contains(p.Note, "宅基地分户") || p.ActorName != "陈副主任" {
		t.Errorf("instruction payload = %+v", p)
	}
	filed := h.noticesOf(c.No, models.NoticeInstructionFiled, models.AudienceSupervision)
	if len(filed) != 1 || !strings.Contains(dataOf(t, filed[0]).Result, "一户一宅") {
		t.Errorf("instruction_filed to supervision = %d, want 1 (报备)", len(filed))
	}
	h.noFullMobile(c.No)

	// The department's reply answers the case, as always.
	h.clock.Set(at("2026-03-11 10:00"))
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已按批示受理分户登记")
	must(t, "reply", err)
	if d = h.get(c.No); d.Case.Status != models.CaseAnswered || !strings.Contains(d.Case.Result, "已按批示受理") {
		t.Errorf("after the reply: %s %q", d.Case.Status, d.Case.Result)
	}
}

// A 请示 asked while orders were open, answered after the departments
// replied, is still the leader's instruction: it never replaces the
// answer the applicant already has.
func TestInstructionAnsweredAfterTheReplies(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.RequestInstruction(h.ctx, h.as("wang"), c.No, "", "请示是否需要联合认定")
	must(t, "请示", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)
	_, err = h.svc.AnswerInstruction(h.ctx, h.as("zhou"), c.No, "不需要")
	must(t, "a late instruction", err)
	d := h.get(c.No)
	if d.Case.Status != models.CaseAnswered || d.Case.Result != "【不动产登记窗口】已办结" || d.Case.Outcome != models.OutcomeWorkOrders {
		t.Errorf("case = %s / %s %q, want the departments' answer kept", d.Case.Status, d.Case.Outcome, d.Case.Result)
	}
	if n := h.noticesOf(c.No, models.NoticeCaseAnswered, models.AudienceApplicant); len(n) != 1 {
		t.Errorf("answers to the applicant = %d, want the one of the reply", len(n))
	}
	if n := h.noticesOf(c.No, models.NoticeInstructionFiled, models.AudienceSupervision); len(n) != 1 {
		t.Errorf("instruction_filed = %d, want 1", len(n))
	}
}

// 第十条: the summoned department's window staff confirm they arrived; so
// may the owner at the complaint window, who sees them arrive.
func TestOwnerConfirmsArrival(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Summon(h.ctx, h.as("wang"), c.No, "realestate", "")
	must(t, "summon", err)
	before := h.snap(c.No)
	for _, who := range []string{"li", "ma", "chen"} {
		_, err = h.svc.ConfirmArrival(h.ctx, h.as(who), c.No)
		wantErr(t, err, models.ErrForbidden)
	}
	h.unchanged(c.No, before)

	h.clock.Advance(40 * time.Minute)
	_, err = h.svc.ConfirmArrival(h.ctx, h.as("wang"), c.No)
	must(t, "the owner confirms", err)
	d := h.get(c.No)
	if sm := d.Summons[0]; sm.ArrivedAt == nil || sm.ArrivedBy != "wang" || !sm.Late {
		t.Errorf("summons = %+v, want arrived late, confirmed by wang", sm)
	}
	wantEvent(t, d, "arrived", "王芳", "不动产登记窗口", "迟到")

	// Two departments awaited: the owner names which one arrived.
	_, err = h.svc.Summon(h.ctx, h.as("wang"), c.No, "market", "")
	must(t, "summon market", err)
	_, err = h.svc.Summon(h.ctx, h.as("wang"), c.No, "tax", "")
	must(t, "summon tax", err)
	before = h.snap(c.No)
	_, err = h.svc.ConfirmArrival(h.ctx, h.as("wang"), c.No)
	wantErr(t, err, models.ErrInvalid, "市场监管窗口", "税务窗口")
	h.unchanged(c.No, before)
}

// 第十一条: a 联合办理 is several related units handling one matter
// together: one department alone is not one.
func TestJointDispatchNeedsTwoDepartments(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	before := h.snap(c.No)
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", true)
	wantErr(t, err, models.ErrInvalid, "联合办理", "两个")
	_, err = h.svc.Dispatch(h.ctx, h.as("zhou"), c.No, []string{"tax", "tax"}, "", true)
	wantErr(t, err, models.ErrInvalid, "联合办理", "两个")
	h.unchanged(c.No, before)

	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax", "market"}, "请两部门联合核实", true)
	must(t, "joint dispatch to two", err)
	d := h.get(c.No)
	if len(d.Orders) != 2 || !d.Orders[0].Joint || !d.Orders[1].Joint {
		t.Errorf("orders = %+v", d.Orders)
	}
}

package casework_test

import (
	"testing"

	"bbcs/casework"
	"bbcs/models"
)

// The timeline says who did what (第十五条: 事事可追溯). The rating is the
// applicant's, or the owner's who recorded it; what bbcs then does by
// itself — sending the case back to the windows, closing it, waiting for
// the visit — is 系统's, not the applicant's nor the owner's.
func TestStepsThatFollowARatingAreTheSystems(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)

	h.clock.Set(at("2026-03-11 10:00"))
	_, err = h.svc.Rate(h.ctx, casework.Applicant("李女士"), c.No, models.RatingDissatisfied, "证书信息有误", casework.ViaServiceAccount)
	must(t, "差评", err)
	d := h.get(c.No)
	wantAnyEvent(t, d, "rated", "李女士", "不满意")
	wantAnyEvent(t, d, "reopened", "系统", "第 2 轮")
	re := eventsOf(d, "dispatched")
	if len(re) != 2 || re[1].ActorName != "系统" || re[1].ActorID != "system" {
		t.Errorf("the re-handling order was sent by %+v, want 系统", re)
	}
	if len(d.Orders) != 2 || d.Orders[1].DispatchedBy != "system" {
		t.Errorf("the round-2 order is recorded as dispatched by %q, want system", d.Orders[1].DispatchedBy)
	}

	// Round 2: the new result, a good rating the owner records from a
	// phone call; the case waits for the visit — bbcs's step.
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), d.Orders[1].No, "已更正证书信息并重新发证")
	must(t, "round-2 reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
	must(t, "round-2 rating", err)
	d = h.get(c.No)
	wantAnyEvent(t, d, "rated", "王芳", "第 2 轮评价：满意（电话）")
	wantEvent(t, d, "awaiting_follow_up", "系统")

	// A first-round good rating closes the case: 系统 closes it.
	c2 := h.dispatched("market")
	_, err = h.svc.Reply(h.ctx, h.as("zhao"), h.get(c2.No).Orders[0].No, "已办结")
	must(t, "reply", err)
	_, err = h.svc.Rate(h.ctx, casework.Applicant("李女士"), c2.No, models.RatingSatisfied, "", casework.ViaServiceAccount)
	must(t, "good rating", err)
	d = h.get(c2.No)
	wantAnyEvent(t, d, "rated", "李女士", "满意")
	wantEvent(t, d, "closed", "系统")
}

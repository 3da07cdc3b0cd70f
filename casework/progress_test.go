package casework_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"bbcs/casework"
	"bbcs/models"
)

// Progress, which a citizen's case number reads in one statement, says
// what the whole case (Get) says at every stage: the latest step other than
// an appeal, that step's order with its deadlines, and the order's
// department.
func TestProgressSaysWhatTheWholeCaseSays(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	h.sameProgress(c.No, "owner_assigned")

	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	h.sameProgress(c.No, "dispatched")

	o := h.orderOf(c.No, "realestate")
	_, err = h.svc.Sign(h.ctx, h.as("zhang"), o.No)
	must(t, "sign", err)
	h.sameProgress(c.No, "signed")

	_, err = h.svc.Extend(h.ctx, h.as("zhang"), o.No, "2026-03-20", "需调取档案")
	must(t, "extend", err)
	p := h.sameProgress(c.No, "extended")
	if p.Order.ExtendedDueAt == nil || !p.Order.Deadline().Equal(at("2026-03-20 18:00")) {
		t.Errorf("extended order's deadline = %v, want 2026-03-20 18:00", p.Order.Deadline())
	}

	if _, err := h.svc.Progress(h.ctx, "GD20260310-999"); models.ErrorCode(err) != models.ErrNotFound ||
		!strings.Contains(models.ErrorMessage(err), "GD20260310-999") {
		t.Errorf("an unknown number: %v, want not found naming it", err)
	}
}

// sameProgress checks Progress against Get, wants the latest step to be
// action, and returns the progress.
func (h *harness) sameProgress(no, action string) *casework.Progress {
	h.t.Helper()
	p, err := h.svc.Progress(h.ctx, no)
	if err != nil {
		h.t.Fatalf("progress of %s: %v", no, err)
	}
	d := h.get(no)
	if p.Case.ID != d.Case.ID || p.Case.No != d.Case.No || p.Case.Status != d.Case.Status || p.Case.Category != d.Case.Category ||
		p.Case.ApplicantOpenID != d.Case.ApplicantOpenID || p.Case.Result != d.Case.Result {
		h.t.Errorf("progress of %s: case %+v, want the case Get reads %+v", no, p.Case, d.Case)
	}
	inside := []string{"appeal_filed", "appeal_decided", "rectify_reminded", "rectify_overdue"} // not the applicant's steps
	events := slices.DeleteFunc(slices.Clone(d.Timeline), func(e models.TimelineEvent) bool { return slices.Contains(inside, e.Action) })
	slices.SortFunc(events, func(a, b models.TimelineEvent) int { return a.Seq - b.Seq })
	last := events[len(events)-1]
	if p.Last == nil || p.Last.Action != action || last.Action != action || !p.Last.At.Equal(last.At) || p.Last.OrderNo != last.OrderNo {
		h.t.Fatalf("progress of %s: latest step %+v, want %s as Get reads it: %+v", no, p.Last, action, last)
	}
	if last.OrderNo == "" {
		if p.Order.No != "" || p.Department.Name != "" {
			h.t.Errorf("progress of %s: an order %+v of %q without one", no, p.Order, p.Department.Name)
		}
		return p
	}
	var o models.WorkOrder
	for _, x := range d.Orders {
		if x.No == last.OrderNo {
			o = x
		}
	}
	sameTime := func(a, b *time.Time) bool { return a == nil && b == nil || a != nil && b != nil && a.Equal(*b) }
	if p.Order.No != o.No || p.Order.Status != o.Status || !p.Order.DueAt.Equal(o.DueAt) || !p.Order.CapAt.Equal(o.CapAt) ||
		!sameTime(p.Order.ExtendedDueAt, o.ExtendedDueAt) || p.Order.Open() != o.Open() {
		h.t.Errorf("progress of %s: order %+v, want %+v", no, p.Order, o)
	}
	if want := d.Departments[o.DepartmentCode].Name; p.Department.Name != want || want == "" {
		h.t.Errorf("progress of %s: department %q, want %q", no, p.Department.Name, want)
	}
	return p
}

// The 差评整改's reminder and escalation are between the unit, its leader
// and the supervision section: the applicant who asks on the due day hears
// how the re-handled order stands, not that a reminder went out inside.
func TestARectificationsReminderIsNotTheApplicantsLatestStep(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.orderOf(c.No, "realestate").No, "已告知补交材料")
	must(t, "reply", err)
	h.clock.Set(at("2026-03-11 10:00"))
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "跑了三趟", casework.ViaPhone)
	must(t, "rate", err)
	var again models.WorkOrder
	for _, o := range h.get(c.No).Orders {
		if o.Round == 2 {
			again = o
		}
	}
	_, err = h.svc.Sign(h.ctx, h.as("zhang"), again.No)
	must(t, "sign the re-handled order", err)

	h.clock.Set(at("2026-03-18 09:30")) // the rectification's due day
	if fired := h.fireDue("rectify:"); len(fired) == 0 {
		t.Fatal("no rectification timer fell due")
	}
	if len(eventsOf(h.get(c.No), "rectify_reminded")) == 0 {
		t.Fatal("no reminder on the due day")
	}
	h.clock.Set(at("2026-03-18 18:30")) // and past it
	h.fireDue("rectify:")
	if len(eventsOf(h.get(c.No), "rectify_overdue")) == 0 {
		t.Fatal("no escalation past the deadline")
	}
	p, err := h.svc.Progress(h.ctx, c.No)
	must(t, "progress", err)
	if p.Last == nil || p.Last.Action != "signed" || p.Order.No != again.No {
		t.Errorf("the applicant's latest step: %+v of order %q, want the re-handled order %s signed", p.Last, p.Order.No, again.No)
	}
}

package casework_test

import (
	"strconv"
	"strings"
	"testing"

	"bbcs/models"
)

// deductions lists every deduction on file, oldest first.
func (h *harness) deductions() []models.Deduction {
	h.t.Helper()
	var ds []models.Deduction
	if err := h.db.Order("id").Find(&ds).Error; err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// fire fires, as the engine would, the timers of the order due by now
// whose ids contain part.
func (h *harness) fire(o models.WorkOrder, part string) {
	h.t.Helper()
	for id, at := range h.svc.OrderTimers(&o) {
		if strings.Contains(id, part) && !at.After(h.clock.Now()) {
			must(h.t, "fire "+id, h.svc.FireTimer(h.ctx, id))
		}
	}
}

// The rules propose as things happen (第十七条), once per source: the
// deadline timer finds the order open, the late reply brings the reason up
// to date, an extension can no longer hide it, and a summons timer
// followed by the late arrival proposes one deduction. An order received
// in December and overdue in January counts in December's year.
func TestDeductionsAreProposedAsThingsHappen(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false)
	must(t, "dispatch", err)
	h.clock.Set(at("2026-03-16 10:00")) // due 03-13 18:00
	h.fire(h.orderOf(c.No, "tax"), ":due:")
	ds := h.deductions()
	if len(ds) != 1 || ds[0].Rule != models.RuleOrderOverdue || ds[0].DepartmentCode != "tax" || !strings.Contains(ds[0].Reason, "未在时限内答复") {
		t.Fatalf("after the deadline timer: %+v", ds)
	}
	o := h.orderOf(c.No, "tax")
	_, err = h.svc.Extend(h.ctx, h.as("sun"), o.No, "2026-03-20", "需补材料")
	wantErr(t, err, models.ErrConflict, "已超过办理时限")
	_, err = h.svc.Reply(h.ctx, h.as("sun"), o.No, "已办结")
	must(t, "reply", err)
	ds = h.deductions()
	if len(ds) != 1 || strings.Contains(ds[0].Reason, "未在时限内答复") || !strings.Contains(ds[0].Reason, "超期答复（2026年3月16日") {
		t.Errorf("after the late reply: %+v", ds)
	}

	other := h.walkIn()
	_, err = h.svc.Summon(h.ctx, h.as("wang"), other.No, "realestate", "")
	must(t, "summon", err)
	h.clock.Set(at("2026-03-16 11:00")) // arrive by 10:30
	summon := h.get(other.No).Summons[0]
	must(t, "summons timer", h.svc.FireTimer(h.ctx, "summon:"+strconv.FormatUint(summon.ID, 10)))
	_, err = h.svc.ConfirmArrival(h.ctx, h.as("liu"), other.No)
	must(t, "arrive", err)
	var late []models.Deduction
	for _, d := range h.deductions() {
		if d.Rule == models.RuleSummonLate {
			late = append(late, d)
		}
	}
	if len(late) != 1 || late[0].CaseNo != other.No || late[0].DepartmentCode != "realestate" {
		t.Errorf("a late summons, timer then arrival: %+v", late)
	}

	h.clock.Set(at("2026-12-30 10:00"))
	dec := h.walkIn()
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), dec.No, []string{"market"}, "", false)
	must(t, "dispatch in December", err)
	h.clock.Set(at("2027-01-12 10:00"))
	h.fire(h.orderOf(dec.No, "market"), ":due:")
	var years []int
	for _, d := range h.deductions() {
		if d.CaseNo == dec.No {
			years = append(years, d.Year)
		}
	}
	if len(years) != 1 || years[0] != 2026 {
		t.Errorf("an order received in December 2026 and overdue in January: deductions in years %v, want [2026]", years)
	}
}

// One related-unit deduction per case and unit: a finding after a waived
// overdue proposes it again with both reasons and the waiver's; a note
// cannot split into false reasons; and the year's catch-up does not
// propose again what was proposed under the keys used before.
func TestRelatedUnitDeductionGathersWhatHappened(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	ma := h.as("ma")
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false)
	must(t, "dispatch", err)
	h.clock.Set(at("2026-03-16 10:00"))
	h.fire(h.orderOf(c.No, "tax"), ":due:")
	ds := h.deductions()
	if len(ds) != 1 {
		t.Fatalf("after the deadline: %+v", ds)
	}
	_, err = h.svc.DecideDeduction(h.ctx, ma, ds[0].ID, false, "申请人补材料导致延误")
	must(t, "waive", err)
	_, err = h.svc.MarkUnitFailure(h.ctx, ma, c.No, []string{"tax"}, "shirked", "推给不动产窗口；工单 "+h.orderOf(c.No, "tax").No+" 无人跟进")
	must(t, "unit failure", err)
	ds = h.deductions()
	if len(ds) != 1 || ds[0].Status != models.DeductionProposed || ds[0].DecidedAt != nil {
		t.Fatalf("a finding after the waiver should propose the deduction again: %+v", ds)
	}
	for _, want := range []string{"未在时限内答复", "（已免除：申请人补材料导致延误）", "推脱责任：推给不动产窗口，工单"} {
		if !strings.Contains(ds[0].Reason, want) {
			t.Errorf("the reason %q lacks %q", ds[0].Reason, want)
		}
	}
	before := ds[0].Reason
	h.fire(h.orderOf(c.No, "tax"), ":due:") // a timer fired again changes nothing
	if ds = h.deductions(); ds[0].Reason != before {
		t.Errorf("a second firing changed the reason to %q", ds[0].Reason)
	}

	// A deduction proposed under the key used before (order:…).
	o := h.orderOf(c.No, "tax")
	if err := h.db.Model(&models.Deduction{}).Where("id = ?", ds[0].ID).Update("source_key", "order:"+o.No).Error; err != nil {
		t.Fatal(err)
	}
	must(t, "catch-up", h.svc.ProposeDeductions(h.ctx, 2026))
	if ds = h.deductions(); len(ds) != 1 {
		t.Errorf("the catch-up proposed again what was on file under its old key: %+v", ds)
	}
}

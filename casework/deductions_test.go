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

package casework_test

import (
	"testing"

	"bbcs/casework"
	"bbcs/models"
)

// The supervision section marks a verified staff fault (第十七条), after a
// 差评 or on the citizen's complaint alone; nobody else may.
func TestSupervisionMarksAVerifiedStaffFault(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	if _, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "材料不全，退回"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "让我跑了三趟", casework.ViaPhone); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.MarkFault(h.ctx, h.as("wang"), c.No, "zhang", "unfamiliar", "")
	wantErr(t, err, models.ErrForbidden, "监督考核科")
	_, err = h.svc.MarkFault(h.ctx, h.as("ma"), c.No, "zhang", "lazy", "")
	wantErr(t, err, models.ErrInvalid, "过错类型")
	if _, err := h.svc.MarkFault(h.ctx, h.as("ma"), c.No, "zhang", "unfamiliar", "业务规定掌握不准"); err != nil {
		t.Fatal(err)
	}
	var faults []models.Fault
	h.db.Find(&faults)
	if len(faults) != 1 || faults[0].StaffID != "zhang" || faults[0].DepartmentCode != "realestate" || faults[0].Kind != "unfamiliar" || faults[0].MarkedBy != "ma" {
		t.Fatalf("faults = %+v", faults)
	}
	wantAnyEvent(t, h.get(c.No), "fault_marked", "马科长", "张伟", "业务不熟")
}

// A complaint of 服务态度差, verified by the supervision section before
// any rating, counts as a staff fault (第十七条 asks for verification, not
// for a 差评).
func TestAFaultVerifiedFromTheComplaintAlone(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	if _, err := h.svc.MarkFault(h.ctx, h.as("ma"), c.No, "zhang", "poor_attitude", "窗口录像核实"); err != nil {
		t.Fatal(err)
	}
	var faults []models.Fault
	if err := h.db.Find(&faults).Error; err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 || faults[0].StaffID != "zhang" || faults[0].Kind != "poor_attitude" {
		t.Fatalf("faults = %+v", faults)
	}
	if ds := h.deductions(); len(ds) != 1 || ds[0].Rule != models.RuleStaffFault || ds[0].StaffID != "zhang" || ds[0].Status != models.DeductionProposed {
		t.Errorf("the fault's deduction: %+v", ds)
	}
}

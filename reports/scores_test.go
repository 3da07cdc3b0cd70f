package reports_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/reports"
)

// A year whose assessment was worked out by hand: a unit with the same
// kind of problem three times (no 红旗窗口), a staff member with three
// complaints (no 服务明星), and deductions confirmed and waived.
func TestScoresOfASeededYear(t *testing.T) {
	c := newCentre(t)
	wang, zhang, ma := c.staff["wang"], c.staff["zhang"], c.staff["ma"]
	c.staff["liu"] = models.Staff{ID: "liu", Name: "刘强", Role: models.RoleWindowHead, DepartmentCode: "realestate", Active: true}

	// A late duty check-in: the centre itself loses a point.
	c.at("2026-03-02 09:05")
	if _, err := c.svc.CheckIn(c.ctx, wang); err != nil {
		t.Fatal(err)
	}
	// Three real-estate cases of the same kind, each answered and rated
	// 不满意; the supervision section finds three faults of 张伟's and one
	// of 刘强's (应办未办, which is not a 服务明星 complaint).
	kinds := []models.FaultKind{"unfamiliar", "careless", "poor_attitude"}
	var nos []string
	for i, day := range []string{"2026-03-03", "2026-03-10", "2026-05-12"} {
		no := c.register(day+" 10:00", models.CategoryNotCompleted, "过户超期未办结")
		nos = append(nos, no)
		c.must(c.svc.Dispatch(c.ctx, wang, no, []string{"realestate"}, "", false))
		c.at(day + " 15:00")
		c.must(c.svc.Reply(c.ctx, zhang, c.order(no, 1), "已办"))
		c.must(c.svc.Rate(c.ctx, wang, no, models.RatingDissatisfied, "", casework.ViaPhone))
		c.must(c.svc.MarkFault(c.ctx, ma, no, "zhang", kinds[i], ""))
		c.must(c.svc.Reply(c.ctx, zhang, c.order(no, 2), "已重新办结"))
		c.must(c.svc.Rate(c.ctx, wang, no, models.RatingSatisfied, "", casework.ViaPhone))
	}
	c.must(c.svc.MarkFault(c.ctx, ma, nos[0], "liu", "not_done", "")) // the case has a 差评 in round 1
	// Two market cases of the same problem: still eligible. One is answered
	// late. A third of the same category but about another matter is not
	// the same problem (同类问题), so the market window stays eligible.
	for _, day := range []string{"2026-03-04", "2026-03-05"} {
		no := c.register(day+" 10:00", models.CategoryNotCompleted, "营业执照变更超期")
		c.must(c.svc.Dispatch(c.ctx, wang, no, []string{"market"}, "", false))
		if day == "2026-03-04" {
			c.at("2026-03-12 10:00") // due 03-09 18:00
			c.must(c.svc.Reply(c.ctx, c.staff["zhao"], c.order(no, 1), "已办"))
		}
	}
	other := c.register("2026-03-13 10:00", models.CategoryNotCompleted, "食品经营许可证迟迟拿不到")
	c.must(c.svc.Dispatch(c.ctx, wang, other, []string{"market"}, "", false))
	c.must(c.svc.Reply(c.ctx, c.staff["zhao"], c.order(other, 1), "已发证"))
	// The supervision section finds the market window shirked that one
	// (推脱责任): a related unit's failure, −1 for the unit, no person.
	// Real estate never had the case: it cannot be blamed for it.
	if _, err := c.svc.MarkUnitFailure(c.ctx, ma, other, []string{"realestate"}, "shirked", "互相推诿"); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("blaming a unit the case never reached: %v", err)
	}
	if _, err := c.svc.MarkUnitFailure(c.ctx, wang, other, []string{"market"}, "shirked", "互相推诿"); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("a specialist blaming a unit: %v", err)
	}
	c.must(c.svc.MarkUnitFailure(c.ctx, ma, other, []string{"market"}, "shirked", "以“不归我们管”为由两次推回"))
	// A summons answered late (arrive-by 30 minutes).
	no := c.register("2026-03-16 10:00", models.CategoryAttitude, "态度差")
	c.must(c.svc.Summon(c.ctx, wang, no, "realestate", ""))
	c.at("2026-03-16 11:00")
	c.must(c.svc.ConfirmArrival(c.ctx, zhang, no))

	c.at("2026-06-01 10:00") // the open market order is long overdue by now
	byRule := func(sc *reports.Scores) map[string]int {
		n := map[string]int{}
		for _, d := range sc.Deductions {
			n[d.Rule]++
			if d.Status != "proposed" {
				t.Errorf("a new deduction is %s", d.Status)
			}
		}
		return n
	}
	// The rules proposed as things happened: 1 late check-in, 4 faults,
	// 1 late summons, the market order answered late, 1 market failure.
	// The open market order's deadline timer never fired here (no timer
	// engine), so only the catch-up over the year proposes it.
	sc, err := c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"duty_late": 1, "staff_fault": 4, "summon_late": 1, "order_overdue": 1, "unit_failure": 1}
	if got := byRule(sc); !maps.Equal(got, want) {
		t.Errorf("proposed as things happened: %v, want %v", got, want)
	}
	if err := c.svc.ProposeDeductions(c.ctx, 2026); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.ProposeDeductions(c.ctx, 2026); err != nil { // proposing twice proposes once
		t.Fatal(err)
	}
	if sc, err = c.rep.Scores(c.ctx, 2026); err != nil {
		t.Fatal(err)
	}
	want["order_overdue"] = 2
	if got := byRule(sc); !maps.Equal(got, want) {
		t.Errorf("after the catch-up: %v, want %v", got, want)
	}

	// The supervision section confirms all but the summons, which it waives.
	for _, d := range sc.Deductions {
		confirm := d.Rule != "summon_late"
		note := ""
		if !confirm {
			note = "当日电梯故障，已核实"
		}
		if _, err := c.svc.DecideDeduction(c.ctx, ma, d.ID, confirm, note); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.svc.DecideDeduction(c.ctx, ma, sc.Deductions[0].ID, true, ""); models.ErrorCode(err) != models.ErrConflict {
		t.Errorf("deciding twice: %v", err)
	}
	if _, err := c.svc.DecideDeduction(c.ctx, zhang, sc.Deductions[0].ID, true, ""); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("window staff deciding: %v", err)
	}
	sc, err = c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]reportsUnit{}
	for _, u := range sc.Units {
		units[u.Department] = reportsUnit{u.Deducted, u.Proposed, u.RedFlagEligible, len(u.Recurring)}
		if u.Department == "realestate" && (len(u.Recurring) != 1 || !slices.Equal(u.Recurring[0].Cases, nos) || u.Recurring[0].Sample != "过户超期未办结") {
			t.Errorf("real estate's recurring problem %+v, want %v", u.Recurring, nos)
		}
	}
	for dept, w := range map[string]reportsUnit{
		"":           {deducted: 1, eligible: true},
		"realestate": {deducted: 4, eligible: false, recurring: 1}, // 4 faults; the summons waived
		"market":     {deducted: 3, eligible: true},                // 2 overdue orders, 1 shirked
	} {
		if units[dept] != w {
			t.Errorf("unit %q = %+v, want %+v", dept, units[dept], w)
		}
	}
	// Reported to the market window's own department: once, and only
	// when confirmed and the unit has one.
	for _, d := range sc.Deductions {
		switch d.Rule {
		case "unit_failure":
			if d.Department != "market" || d.Staff != "" || !strings.Contains(d.Reason, "推脱责任") || d.CaseNo != other {
				t.Errorf("the unit failure: %+v", d)
			}
			r, unit, err := c.svc.ReportDeduction(c.ctx, ma, d.ID)
			if err != nil || r.ReportedAt == nil || unit.ParentUnit != "县市场监督管理局" {
				t.Fatalf("reporting: %+v %+v %v", r, unit, err)
			}
			again, _, err := c.svc.ReportDeduction(c.ctx, ma, d.ID)
			if err != nil || !again.ReportedAt.Equal(*r.ReportedAt) {
				t.Errorf("reporting again: %v %v", again.ReportedAt, err)
			}
		case "staff_fault":
			if _, _, err := c.svc.ReportDeduction(c.ctx, ma, d.ID); models.ErrorCode(err) != models.ErrInvalid {
				t.Errorf("reporting for a unit with no parent department: %v", err)
			}
		case "summon_late":
			if _, _, err := c.svc.ReportDeduction(c.ctx, ma, d.ID); models.ErrorCode(err) != models.ErrConflict {
				t.Errorf("reporting a waived deduction: %v", err)
			}
		}
	}
	people := map[string][3]any{}
	for _, s := range sc.Staff {
		people[s.Staff] = [3]any{s.Deducted, s.Complaints, s.ServiceStarEligible}
	}
	if got := people["zhang"]; got != [3]any{3, 3, false} {
		t.Errorf("张伟 = %v, want 3 points, 3 complaints, not eligible", got)
	}
	if got := people["liu"]; got != [3]any{1, 0, true} {
		t.Errorf("刘强 = %v, want 1 point, no complaint, eligible", got)
	}

	// 红旗窗口: the grouping proposes, the supervision section decides.
	redFlag := func() (eligible, pending bool) {
		t.Helper()
		sc, err := c.rep.Scores(c.ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range sc.Units {
			if u.Department == "realestate" {
				return u.RedFlagEligible, u.RedFlagPending
			}
		}
		t.Fatal("no real estate unit")
		return
	}
	if e, p := redFlag(); e || !p {
		t.Errorf("real estate before review: eligible %v pending %v, want lost pending review", e, p)
	}
	if err := c.svc.ReviewRecurrence(c.ctx, zhang, 2026, "realestate", nos, false, "x"); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("window staff reviewing: %v", err)
	}
	if err := c.svc.ReviewRecurrence(c.ctx, ma, 2026, "realestate", nos, false, " "); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("dismissing without a reason: %v", err)
	}
	if err := c.svc.ReviewRecurrence(c.ctx, ma, 2026, "realestate", nos, false, "三件分属不同业务，非同类问题"); err != nil {
		t.Fatal(err)
	}
	if e, p := redFlag(); !e || p {
		t.Errorf("real estate after the dismissal: eligible %v pending %v", e, p)
	}
	if err := c.svc.ReviewRecurrence(c.ctx, ma, 2026, "realestate", nos, true, ""); err != nil {
		t.Fatal(err)
	}
	if e, p := redFlag(); e || p {
		t.Errorf("real estate after confirming: eligible %v pending %v", e, p)
	}

	// A complaint recorded against 刘强 and then waived (not his after
	// all) does not count; a second on the same case is refused.
	later := c.register("2026-07-01 10:00", models.CategoryAttitude, "登记材料审核时态度生硬")
	c.must(c.svc.Dispatch(c.ctx, wang, later, []string{"realestate"}, "", false))
	c.must(c.svc.MarkFault(c.ctx, ma, later, "liu", "careless", ""))
	if _, err := c.svc.MarkFault(c.ctx, ma, later, "liu", "poor_attitude", ""); models.ErrorCode(err) != models.ErrConflict {
		t.Errorf("a second fault of one person on one case: %v", err)
	}
	complaintsOfLiu := func() int {
		t.Helper()
		sc, err := c.rep.Scores(c.ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sc.Staff {
			if s.Staff == "liu" {
				return s.Complaints
			}
		}
		return -1
	}
	if n := complaintsOfLiu(); n != 1 {
		t.Errorf("刘强's complaints with the new fault: %d, want 1", n)
	}
	sc, err = c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sc.Deductions {
		if d.CaseNo == later && d.Staff == "liu" {
			if _, err := c.svc.DecideDeduction(c.ctx, ma, d.ID, false, "经复核，系申请人材料不全所致"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := complaintsOfLiu(); n != 0 {
		t.Errorf("刘强's complaints once the fault's deduction was waived: %d, want 0", n)
	}
}

type reportsUnit struct {
	deducted, proposed int
	eligible           bool
	recurring          int
}

// A unit summoned to the window three times for the same problem has had
// it handed over (交办) as much as by work order: 红旗窗口 waits for review.
func TestThreeSummonsForOneProblemRecur(t *testing.T) {
	c := newCentre(t)
	var nos []string
	for _, day := range []string{"2026-04-01", "2026-05-06", "2026-06-03"} {
		no := c.register(day+" 10:00", models.CategoryAttitude, "营业执照窗口工作人员态度生硬")
		c.must(c.svc.Summon(c.ctx, c.staff["wang"], no, "market", ""))
		nos = append(nos, no)
	}
	sc, err := c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sc.Units, func(u reports.UnitScore) bool { return u.Department == "market" })
	if i < 0 {
		t.Fatal("no market unit")
	}
	if u := sc.Units[i]; u.RedFlagEligible || !u.RedFlagPending || len(u.Recurring) != 1 || !slices.Equal(u.Recurring[0].Cases, nos) {
		t.Errorf("the market window summoned three times for one problem: %+v", u)
	}
}

package reports_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/reports"
	"bbcs/workday"
)

type centre struct {
	t     *testing.T
	ctx   context.Context
	clk   *clock.Fake
	svc   *casework.Service
	rep   *reports.Reports
	staff map[string]models.Staff
	db    *gorm.DB // to read what a test checks, and to set up the fixtures of the month (goodBadMonth)
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, models.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func newCentre(t *testing.T) *centre {
	cal, err := workday.New(workday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.MySQL(t)
	c := &centre{t: t, ctx: context.Background(), clk: clock.NewFrozen(at("2026-03-02 09:00")), db: db}
	c.svc = casework.New(db, c.clk, cal, casework.Options{}, testenv.Quiet())
	c.rep = reports.New(db, cal.Location(), c.clk.Now)
	c.rep.Centre = "某某县政务服务中心"
	staff := []models.Staff{
		{ID: "wang", Name: "王芳", Role: models.RoleSpecialist},
		{ID: "zhang", Name: "张伟", Role: models.RoleWindowStaff, DepartmentCode: "realestate"},
		{ID: "liu", Name: "刘强", Role: models.RoleWindowHead, DepartmentCode: "realestate"},
		{ID: "zhao", Name: "赵敏", Role: models.RoleWindowStaff, DepartmentCode: "market"},
		{ID: "ma", Name: "马科长", Role: models.RoleSupervisor},
	}
	err = c.svc.SyncDirectory(c.ctx, casework.Directory{
		Departments: []models.Department{{Code: "realestate", Name: "不动产登记窗口"}, {Code: "market", Name: "市场监管窗口", ParentUnit: "县市场监督管理局"}},
		Staff:       staff,
	})
	if err != nil {
		t.Fatal(err)
	}
	c.staff = map[string]models.Staff{}
	for _, s := range staff {
		s.Active = true
		c.staff[s.ID] = s
	}
	return c
}

func (c *centre) at(s string) { c.clk.Set(at(s)) }

func (c *centre) must(_ *models.Case, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *centre) register(when string, cat models.Category, matter string) string {
	c.t.Helper()
	c.at(when)
	cs, err := c.svc.Register(c.ctx, c.staff["wang"], casework.Registration{ApplicantName: "申请人", ApplicantMobile: "13800138000",
		Category: cat, Matter: matter, Channel: models.ChannelWalkIn})
	if err != nil {
		c.t.Fatal(err)
	}
	return cs.No
}

func (c *centre) order(no string, round int) string {
	c.t.Helper()
	d, err := c.svc.Get(c.ctx, no)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, o := range d.Orders {
		if o.Round == round {
			return o.No
		}
	}
	c.t.Fatalf("%s has no order of round %d", no, round)
	return ""
}

// A month of cases whose summary was worked out by hand.
func TestMonthlySummaryOfASeededMonth(t *testing.T) {
	c := newCentre(t)
	wang, zhang, zhao := c.staff["wang"], c.staff["zhang"], c.staff["zhao"]

	// C1: real estate, answered on time, 满意.
	c1 := c.register("2026-03-02 10:00", models.CategoryNotCompleted, "不动产过户缺完税证明被退回，说要先去税务窗口")
	c.must(c.svc.Dispatch(c.ctx, wang, c1, []string{"realestate"}, "", false)) // due 03-05 18:00
	c.at("2026-03-04 10:00")
	c.must(c.svc.Reply(c.ctx, zhang, c.order(c1, 1), "已告知补交"))
	c.must(c.svc.Rate(c.ctx, wang, c1, models.RatingSatisfied, "", casework.ViaPhone))

	// C2: real estate, answered late, 非常不满意 → a second round still open.
	c2 := c.register("2026-03-03 10:00", models.CategoryNotCompleted, "办理不动产过户时因缺少完税证明被退回")
	c.must(c.svc.Dispatch(c.ctx, wang, c2, []string{"realestate"}, "", false)) // due 03-06 18:00
	c.at("2026-03-09 10:00")
	c.must(c.svc.Reply(c.ctx, zhang, c.order(c2, 1), "已办"))
	c.at("2026-03-09 12:00")
	c.must(c.svc.Rate(c.ctx, wang, c2, models.RatingVeryDissatisfy, "太慢", casework.ViaPhone)) // round 2 due 03-12 18:00

	// C3: real estate, extended to 03-13 and answered before it; not rated yet.
	c3 := c.register("2026-03-04 10:00", models.CategoryNotCompleted, "过户材料缺完税证明，窗口退回了两次")
	c.must(c.svc.Dispatch(c.ctx, wang, c3, []string{"realestate"}, "", false)) // due 03-09 18:00
	c.at("2026-03-06 10:00")
	c.must(c.svc.Extend(c.ctx, zhang, c.order(c3, 1), "2026-03-13", "需调取档案"))
	c.at("2026-03-12 10:00")
	c.must(c.svc.Reply(c.ctx, zhang, c.order(c3, 1), "已办结"))

	// C4: poor attitude, solved on the spot, 基本满意.
	c4 := c.register("2026-03-05 10:00", models.CategoryAttitude, "窗口工作人员态度恶劣")
	c.must(c.svc.Resolve(c.ctx, wang, c4, "已当场协调并致歉"))
	c.must(c.svc.Rate(c.ctx, wang, c4, models.RatingBasically, "", casework.ViaInPerson))

	// C5: market, on time, 不满意 → round 2 on time → 满意.
	c5 := c.register("2026-03-06 10:00", models.CategorySlow, "营业执照变更慢")
	c.must(c.svc.Dispatch(c.ctx, wang, c5, []string{"market"}, "", false))
	c.at("2026-03-09 11:00")
	c.must(c.svc.Reply(c.ctx, zhao, c.order(c5, 1), "已办"))
	c.must(c.svc.Rate(c.ctx, wang, c5, models.RatingDissatisfied, "", casework.ViaPhone))
	c.at("2026-03-10 11:00")
	c.must(c.svc.Reply(c.ctx, zhao, c.order(c5, 2), "已重新办结"))
	c.must(c.svc.Rate(c.ctx, wang, c5, models.RatingSatisfied, "", casework.ViaPhone))
	// A re-handled case closes once its follow-up visit is on record (第十三条).
	c.must(c.svc.RecordFollowUp(c.ctx, wang, c5, "电话回访，反映人对重新办理的结果满意"))

	// C6: poor attitude again, solved on the spot, not rated yet: with C4, a
	// problem that keeps coming back though it never reached a department.
	c.at("2026-03-20 10:00")
	c6 := c.register("2026-03-20 10:00", models.CategoryAttitude, "窗口工作人员态度恶劣，不耐烦")
	c.must(c.svc.Resolve(c.ctx, wang, c6, "已当场协调并致歉"))

	// April: not in March's summary.
	c.register("2026-04-01 10:00", models.CategoryOther, "四月的事项")

	c.at("2026-03-31 20:00")
	m, err := c.rep.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	if m.Received != 6 || m.Closed != 3 || m.Open != 3 {
		t.Errorf("received %d closed %d open %d, want 6, 3, 3", m.Received, m.Closed, m.Open)
	}
	wantMap(t, "by category", m.ByCategory, map[string]int64{"not_completed_in_time": 3, "poor_attitude": 2, "slow_action": 1})
	wantMap(t, "by outcome", m.ByOutcome, map[string]int64{"work_orders": 4, "on_the_spot": 2})
	wantMap(t, "ratings", m.Ratings, map[string]int64{"satisfied": 2, "very_dissatisfied": 1, "basically_satisfied": 1})
	if m.SatisfiedOrMore != 2 {
		t.Errorf("satisfied or better %d, want 2", m.SatisfiedOrMore)
	}
	// Orders received in March: C1-1 on time, C2-1 late, C2-2 open past its
	// deadline, C3-1 on time (extended), C5-1 and C5-2 on time.
	if m.Orders != 6 || m.OnTime != 4 || m.Overdue != 2 || m.OnTimeRate == nil || math.Abs(*m.OnTimeRate-4.0/6) > 1e-9 {
		t.Errorf("orders %d on time %d overdue %d rate %v, want 6, 4, 2, 0.667", m.Orders, m.OnTime, m.Overdue, m.OnTimeRate)
	}
	if len(m.Departments) != 2 {
		t.Fatalf("departments %+v", m.Departments)
	}
	mk, re := m.Departments[0], m.Departments[1]
	if re.Department != "realestate" || re.Cases != 3 || re.Orders != 4 || re.OnTime != 2 || re.Overdue != 2 || re.OnTimeRate == nil || *re.OnTimeRate != 0.5 {
		t.Errorf("real estate %+v", re)
	}
	if mk.Department != "market" || mk.Cases != 1 || mk.Orders != 2 || mk.OnTime != 2 || mk.OnTimeRate == nil || *mk.OnTimeRate != 1 {
		t.Errorf("market %+v", mk)
	}
	if len(m.BadRatings) != 2 || m.BadRatings[0].CaseNo != c2 || m.BadRatings[0].Comment != "太慢" || m.BadRatings[1].CaseNo != c5 || m.BadRatings[1].Level != "dissatisfied" {
		t.Errorf("bad ratings %+v", m.BadRatings)
	}
	if len(m.Recurring) != 2 || !reflect.DeepEqual(m.Recurring[0].Cases, []string{c1, c2, c3}) || m.Recurring[0].Department != "realestate" ||
		!reflect.DeepEqual(m.Recurring[1].Cases, []string{c4, c6}) || m.Recurring[1].Department != "" {
		t.Errorf("recurring %+v, want %s, %s, %s at real estate and %s, %s at the centre", m.Recurring, c1, c2, c3, c4, c6)
	}
	_, lines := m.Card(map[string]string{"realestate": "不动产登记窗口"})
	// C2's first order answered late is the month's one deduction waiting
	// for the supervision section (proposed when the reply came).
	if m.PendingDeductions != 1 {
		t.Errorf("pending deductions %d, want 1", m.PendingDeductions)
	}
	if card := strings.Join(lines, "\n"); !strings.Contains(card, "3 件（不动产登记窗口，受理后超时未办结）") || !strings.Contains(card, "2 件（某某县政务服务中心，服务态度差）") ||
		!strings.Contains(card, "差评 2 件（已退回重办）") || !strings.Contains(card, "扣分建议 1 项待监督考核科确认。") {
		t.Errorf("the leaders' card:\n%s", card)
	}
	if _, err := c.rep.Monthly(c.ctx, "March"); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("a bad month: %v", err)
	}
}

func wantMap(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

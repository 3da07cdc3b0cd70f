package reports_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/reports"
	"bbcs/timers"
)

// goodBadMonth seeds March 2026 as issue 16 describes a month of the
// 好差评 loop, and returns the case numbers:
//
//	c1 real estate, 张伟 replied, 满意
//	c2 real estate, 张伟 replied, 不满意; its 整改 reported on time
//	c3 market, 赵敏 replied, 非常不满意; appeal 非本部门原因 upheld (out of
//	   the market's figures, not the centre's), which closed its 整改 excused
//	   after its deadline (in no unit's rectification figures)
//	c4 real estate, 张伟 replied, 不满意; 整改 open past its deadline;
//	   appeal 恶意差评 upheld (out of real estate's and the centre's)
//	c5 market, 赵敏 replied, 不满意; 整改 reported late; appeal 恶意差评 rejected
//	c6 solved on the spot by 王芳, 基本满意
//	c7 solved on the spot by 王芳, closed 未评价
//
// plus a 整改 due in April (not March's) and an appeal filed in April.
func goodBadMonth(t *testing.T, c *centre) []string {
	wang, zhang, zhao := c.staff["wang"], c.staff["zhang"], c.staff["zhao"]
	type seed struct {
		dept, day string
		level     models.RatingLevel
	}
	seeds := []seed{
		{"realestate", "2026-03-02", models.RatingSatisfied},
		{"realestate", "2026-03-03", models.RatingDissatisfied},
		{"market", "2026-03-04", models.RatingVeryDissatisfy},
		{"realestate", "2026-03-05", models.RatingDissatisfied},
		{"market", "2026-03-06", models.RatingDissatisfied},
	}
	var nos []string
	for _, s := range seeds {
		no := c.register(s.day+" 10:00", models.CategoryNotCompleted, "过户材料被退回"+s.day)
		c.must(c.svc.Dispatch(c.ctx, wang, no, []string{s.dept}, "", false))
		c.at(s.day + " 15:00")
		replier := zhang
		if s.dept == "market" {
			replier = zhao
		}
		c.must(c.svc.Reply(c.ctx, replier, c.order(no, 1), "已办"))
		c.must(c.svc.Rate(c.ctx, wang, no, s.level, "", casework.ViaPhone))
		nos = append(nos, no)
	}
	c6 := c.register("2026-03-09 10:00", models.CategoryAttitude, "窗口态度差")
	c.must(c.svc.Resolve(c.ctx, wang, c6, "已当场协调并致歉"))
	c.must(c.svc.Rate(c.ctx, wang, c6, models.RatingBasically, "", casework.ViaInPerson))
	c7 := c.register("2026-03-10 10:00", models.CategorySlow, "叫号机坏了")
	c.must(c.svc.Resolve(c.ctx, wang, c7, "已协调维修"))
	// Nobody rates c7: seven days on, its rating clock closes it 未评价.
	c.at("2026-03-18 10:00")
	mux := timers.NewMux(testenv.Quiet())
	c.svc.HandleTimers(mux)
	if err := mux.Fire(c.ctx, "rate:"+c7+":1:close", c.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if d, err := c.svc.Get(c.ctx, c7); err != nil || d.Case.RatingVia != "not_rated" || d.Case.Status != models.CaseClosed {
		t.Fatalf("c7 did not close unrated: %+v %v", d, err)
	}
	nos = append(nos, c6, c7)

	ratingOf := func(no string) (uint64, uint64) {
		var r models.Rating
		if err := c.db.Joins("JOIN cases ON cases.id = ratings.case_id").Where("cases.no = ?", no).First(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r.ID, r.CaseID
	}
	// The 差评 above opened their rectifications through the use case; the
	// month's are set here as the units left them (due, reported or not),
	// in their place.
	if err := c.db.Where("created >= ?", at("2026-01-01 00:00")).Delete(&models.Rectification{}).Error; err != nil {
		t.Fatal(err)
	}
	rectify := func(no, dept, owner, due string, reported string) *models.Rectification {
		id, caseID := ratingOf(no)
		x := models.Rectification{RatingID: id, CaseID: caseID, Round: 1, DepartmentCode: dept, OwnerID: owner, DueAt: at(due), Created: at("2026-03-02 10:00")}
		if reported != "" {
			when := at(reported)
			x.ReportedAt, x.ReportedBy, x.Verdict = &when, owner, models.VerdictFounded
		}
		if err := c.db.Create(&x).Error; err != nil {
			t.Fatal(err)
		}
		return &x
	}
	rectify(nos[1], "realestate", "liu", "2026-03-10 18:00", "2026-03-09 16:00") // on time
	// Closed by the upheld appeal, as DecideAppeal closes it: excused, not rectified.
	excused := rectify(nos[2], "market", "zhao", "2026-03-11 18:00", "2026-03-12 10:00")
	excused.Verdict, excused.Measures, excused.ReportedBy = models.VerdictUnfounded, "申诉成立，免于整改：系上级部门系统故障", "ma"
	if err := c.db.Save(excused).Error; err != nil {
		t.Fatal(err)
	}
	rectify(nos[3], "realestate", "liu", "2026-03-12 18:00", "")              // open past due, malicious
	rectify(nos[4], "market", "zhao", "2026-03-13 18:00", "2026-03-16 10:00") // late
	rectify(nos[4], "market", "zhao", "2026-04-01 18:00", "")                 // due in April: not March's
	appeal := func(no, dept string, ground models.AppealGround, status models.AppealStatus, filed string) {
		id, caseID := ratingOf(no)
		a := models.Appeal{CaseID: caseID, RatingID: id, DepartmentCode: dept, Ground: ground, Reason: "申诉理由", FiledBy: "liu",
			FiledAt: at(filed), Status: status, DecidedBy: "ma"}
		if err := c.db.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
	}
	appeal(nos[2], "market", models.GroundUnrelated, models.AppealUpheld, "2026-03-05 10:00")
	appeal(nos[3], "realestate", models.GroundMalicious, models.AppealUpheld, "2026-03-06 10:00")
	appeal(nos[4], "market", models.GroundMalicious, models.AppealRejected, "2026-03-07 10:00")
	appeal(nos[0], "realestate", models.GroundUnrelated, models.AppealPending, "2026-04-02 10:00") // April's
	c.at("2026-03-31 20:00")
	return nos
}

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-9 }

// The month's 好差评 figures, worked out by hand from issue 16's rules.
func TestGoodBadFiguresOfAMonth(t *testing.T) {
	c := newCentre(t)
	goodBadMonth(t, c)
	m, err := c.rep.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	g := m.GoodBad
	if g.UnratedCountedAs != "not_rated" {
		t.Errorf("unrated counted as %q, want not_rated", g.UnratedCountedAs)
	}
	// The centre: c4 (malicious) is out; c3 (unrelated) stays. Five rounds
	// rated, one 未评价 in no rate: 差评 c2, c3, c5 of 5.
	wantMap(t, "levels", g.Levels, map[string]int64{"satisfied": 1, "dissatisfied": 2, "very_dissatisfied": 1, "basically_satisfied": 1, "not_rated": 1})
	ce := g.Centre
	if ce.Rated != 5 || ce.NotRated != 1 || ce.Bad != 3 || !near(ce.BadRate, 0.6) || ce.SatisfiedOrBetter != 1 || !near(ce.SatisfactionRate, 0.2) || ce.ExcludedByAppeals != 1 {
		t.Errorf("centre ratings %+v", ce)
	}
	if g.ExcludedByAppeals != 2 {
		t.Errorf("excluded by appeals %d, want 2 (c3 from the market, c4 from real estate and the centre)", g.ExcludedByAppeals)
	}
	// Rectifications due in March: c2 on time, c5 late. c4's malicious 差评
	// is out; c3's rectification was excused by the upheld appeal: its 差评
	// still counts for the centre, but nothing was rectified, on time or
	// late, so it is in no rectification figure.
	if ce.RectifyDue != 2 || ce.RectifiedOnTime != 1 || ce.RectifiedLate != 1 || ce.RectifyOpenOverdue != 0 || ce.RectifyOpen != 0 || !near(ce.RectifyOnTimeRate, 0.5) {
		t.Errorf("centre rectifications %+v", ce)
	}
	if ce.AppealsFiled != 3 || ce.AppealsUpheld != 2 || ce.AppealsRejected != 1 || ce.AppealsPending != 0 {
		t.Errorf("centre appeals %+v", ce)
	}

	units := map[string]reports.UnitFigures{}
	for _, u := range g.Departments {
		units[u.Department] = u
	}
	if len(units) != 3 {
		t.Errorf("units %+v, want the centre itself, market, real estate", g.Departments)
	}
	re, mk, own := units["realestate"], units["market"], units[""]
	if re.Name != "不动产登记窗口" || re.Rated != 2 || re.Bad != 1 || !near(re.BadRate, 0.5) || re.ExcludedByAppeals != 1 ||
		re.RectifyDue != 1 || re.RectifiedOnTime != 1 || !near(re.RectifyOnTimeRate, 1) || re.AppealsFiled != 1 || re.AppealsUpheld != 1 {
		t.Errorf("real estate %+v", re)
	}
	if mk.Rated != 1 || mk.Bad != 1 || !near(mk.BadRate, 1) || mk.ExcludedByAppeals != 1 ||
		mk.RectifyDue != 1 || mk.RectifiedLate != 1 || mk.RectifyOpenOverdue != 0 || !near(mk.RectifyOnTimeRate, 0) ||
		mk.AppealsFiled != 2 || mk.AppealsUpheld != 1 || mk.AppealsRejected != 1 {
		t.Errorf("market %+v", mk)
	}
	if own.Name != "某某县政务服务中心" || own.Rated != 1 || own.NotRated != 1 || own.Bad != 0 || !near(own.BadRate, 0) || own.SatisfiedOrBetter != 0 {
		t.Errorf("the centre itself %+v", own)
	}

	staff := map[string]reports.StaffFigures{}
	for _, s := range g.Staff {
		staff[s.Staff] = s
	}
	zhang, zhao, wang, liu := staff["zhang"], staff["zhao"], staff["wang"], staff["liu"]
	if zhang.Name != "张伟" || zhang.Rated != 2 || zhang.Bad != 1 || zhang.SatisfiedOrBetter != 1 || zhang.ExcludedByAppeals != 1 || zhang.AppealsFiled != 1 || zhang.AppealsUpheld != 1 {
		t.Errorf("张伟 %+v", zhang)
	}
	if zhao.Rated != 1 || zhao.Bad != 1 || zhao.ExcludedByAppeals != 1 || zhao.RectifyDue != 1 || zhao.RectifiedLate != 1 || zhao.AppealsFiled != 2 || zhao.AppealsRejected != 1 {
		t.Errorf("赵敏 %+v", zhao)
	}
	if wang.Rated != 1 || wang.NotRated != 1 || wang.Bad != 0 {
		t.Errorf("王芳 (the owner answering without orders) %+v", wang)
	}
	if liu.Rated != 0 || liu.RectifyDue != 1 || liu.RectifiedOnTime != 1 {
		t.Errorf("刘强 (the window head who reports back) %+v", liu)
	}

	_, lines := m.Card(nil)
	card := strings.Join(lines, "\n")
	if !strings.Contains(card, "差评 3 次，差评率 60%（占已评价 5 轮），另有 1 次经申诉成立不计入；整改到期 2 件，按期 1 件；申诉 3 件，成立 2 件、驳回 1 件") ||
		!strings.Contains(card, "未评价 1 轮，不计入满意") {
		t.Errorf("the leaders' card:\n%s", card)
	}
	raw, _ := json.Marshal(m)
	if !strings.Contains(string(raw), `"good_bad":{"unrated_counted_as":"not_rated"`) || !strings.Contains(string(raw), `"bad_rate":0.6`) {
		t.Errorf("the JSON: %s", raw)
	}

	// The year holds the month (and April's appeal and rectification).
	sc, err := c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	y := sc.GoodBad.Centre
	if y.Rated != 5 || y.Bad != 3 || y.NotRated != 1 || y.RectifyDue != 3 || y.RectifyOpen != 1 || y.AppealsFiled != 4 || y.AppealsPending != 1 {
		t.Errorf("the year's centre %+v", y)
	}
}

// rating.unrated_as_satisfied: 未评价 counts as 满意 in the rates, stays
// visible in the distribution, and every output says so.
func TestUnratedCountedAsSatisfiedWhenSwitchedOn(t *testing.T) {
	c := newCentre(t)
	goodBadMonth(t, c)
	on := *c.rep
	on.UnratedAsSatisfied = true
	m, err := on.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	g := m.GoodBad
	ce := g.Centre
	if g.UnratedCountedAs != "satisfied" || g.Levels["not_rated"] != 1 || ce.NotRated != 1 ||
		ce.Rated != 6 || ce.SatisfiedOrBetter != 2 || !near(ce.SatisfactionRate, 2.0/6) || ce.Bad != 3 || !near(ce.BadRate, 0.5) {
		t.Errorf("switched on: counted as %q, levels %v, centre %+v", g.UnratedCountedAs, g.Levels, ce)
	}
	for _, u := range g.Departments {
		if u.Department == "" && (u.Rated != 2 || u.SatisfiedOrBetter != 1) {
			t.Errorf("the centre itself, switched on: %+v", u)
		}
	}
	_, lines := m.Card(nil)
	if card := strings.Join(lines, "\n"); !strings.Contains(card, "未评价 1 轮计为满意") {
		t.Errorf("the card does not say 未评价 counted as 满意:\n%s", card)
	}
	sc, err := on.Scores(c.ctx, 2026)
	if err != nil || sc.GoodBad.UnratedCountedAs != "satisfied" {
		t.Errorf("the year's scores do not say so: %v", err)
	}
	// Off again (the default): 未评价 is in no rate.
	m, _ = c.rep.Monthly(c.ctx, "2026-03")
	if ce := m.GoodBad.Centre; ce.Rated != 5 || ce.SatisfiedOrBetter != 1 {
		t.Errorf("switched off: %+v", ce)
	}
}

// A month with nothing rated says “—”, not 0% nor 100%, and the card adds
// no 好差评 line.
func TestGoodBadOfAQuietMonth(t *testing.T) {
	c := newCentre(t)
	m, err := c.rep.Monthly(c.ctx, "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	if ce := m.GoodBad.Centre; ce.BadRate != nil || ce.SatisfactionRate != nil || ce.RectifyOnTimeRate != nil || len(m.GoodBad.Departments) != 0 {
		t.Errorf("an empty month: %+v", m.GoodBad)
	}
	_, lines := m.Card(nil)
	if strings.Contains(strings.Join(lines, "\n"), "好差评") {
		t.Errorf("an empty month's card: %q", lines)
	}
}

// The leaders' card counts every 差评 given in its headline and leaves
// the ones an upheld appeal set aside out of the 好差评 line: that line
// says so, or the two numbers would contradict each other.
func TestTheCardSaysWhyItsTwoBadCountsDiffer(t *testing.T) {
	m := reports.Monthly{Month: "2026-03", Received: 2, Closed: 2,
		BadRatings: make([]reports.BadRating, 2),
		GoodBad:    &reports.GoodBad{Centre: reports.Figures{Rated: 1, Bad: 1, ExcludedByAppeals: 1}}}
	_, lines := m.Card(nil)
	card := strings.Join(lines, "\n")
	if !strings.Contains(card, "差评 2 件") || !strings.Contains(card, "好差评：差评 1 次") || !strings.Contains(card, "另有 1 次经申诉成立不计入") {
		t.Errorf("the card:\n%s", card)
	}
}

// An appeal of a deduction that cost a person a point too (a verified staff
// fault) counts in that person's appeal figures, as an appeal of a 差评
// counts for whoever answered the round: upheld, it waived their point.
func TestADeductionsAppealCountsForThePersonWhoLostThePoint(t *testing.T) {
	c := newCentre(t)
	no := c.register("2026-03-02 10:00", models.CategoryAttitude, "窗口人员态度生硬")
	c.must(c.svc.Dispatch(c.ctx, c.staff["wang"], no, []string{"realestate"}, "", false))
	c.at("2026-03-03 10:00")
	c.must(c.svc.MarkFault(c.ctx, c.staff["ma"], no, "zhang", models.FaultKind("poor_attitude"), "经核实，对反映人态度生硬"))
	var d models.Deduction
	if err := c.db.Where("case_no = ? AND staff_id = ?", no, "zhang").First(&d).Error; err != nil {
		t.Fatalf("the fault proposed no deduction for 张伟: %v", err)
	}
	c.at("2026-03-05 10:00")
	a, err := c.svc.FileAppeal(c.ctx, c.staff["liu"], casework.AppealInput{CaseNo: no, DeductionID: d.ID, Department: "realestate",
		Ground: models.GroundDeduction, Reason: "录像显示已按规定解释"})
	if err != nil {
		t.Fatal(err)
	}
	c.at("2026-03-06 10:00")
	if _, err := c.svc.DecideAppeal(c.ctx, c.staff["ma"], a.ID, true, "录像为证"); err != nil {
		t.Fatal(err)
	}
	c.at("2026-03-31 20:00")
	m, err := c.rep.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	var zhang *reports.StaffFigures
	for i := range m.GoodBad.Staff {
		if m.GoodBad.Staff[i].Staff == "zhang" {
			zhang = &m.GoodBad.Staff[i]
		}
	}
	if zhang == nil || zhang.AppealsFiled != 1 || zhang.AppealsUpheld != 1 {
		t.Errorf("张伟's appeal figures: %+v, want the appeal of his deduction, upheld", zhang)
	}
	if ce := m.GoodBad.Centre; ce.AppealsFiled != 1 || ce.AppealsUpheld != 1 {
		t.Errorf("the centre's appeals: %+v", ce)
	}
}

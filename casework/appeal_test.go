package casework_test

import (
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/workday"
)

// answerer is who answers a department's work orders in the tests.
var answerer = map[string]string{"realestate": "zhang", "market": "zhao", "tax": "sun"}

// badlyRated is a case the departments answered (the 不动产登记窗口 when none
// is named) and the applicant rated level by phone, with a comment, now.
func (h *harness) badlyRated(level models.RatingLevel, depts ...string) *models.Case {
	h.t.Helper()
	if len(depts) == 0 {
		depts = []string{"realestate"}
	}
	c := h.dispatched(depts...)
	for _, dept := range depts {
		h.repliedBy(c.No, dept, answerer[dept], "材料不全，已一次性告知")
	}
	_, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, level, "窗口态度差", casework.ViaPhone)
	must(h.t, "rate", err)
	return c
}

// A department's window head appeals a 差评 of a round it had an order in,
// with a reason and files; the supervision section hears of it, and
// decides it once, with a reason; the department hears the decision.
func TestAppealOfABadRating(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.badlyRated(models.RatingDissatisfied)
	in := casework.AppealInput{CaseNo: c.No, Round: 1, Department: "realestate", Ground: models.GroundMalicious,
		Reason: "反映人要求违规办理未果，恶意差评",
		Files:  []casework.AppealUpload{{Name: "窗口录像说明.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 ...")}}}

	before := h.snap(c.No)
	_, err := h.svc.FileAppeal(h.ctx, h.as("zhang"), in) // window staff, not the head
	wantErr(t, err, models.ErrForbidden, "首席审批员")
	other := in
	other.Department = "market"
	_, err = h.svc.FileAppeal(h.ctx, h.as("qian"), other) // market had no order
	wantErr(t, err, models.ErrForbidden, "没有工单")
	short := in
	short.Reason = "恶意"
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), short)
	wantErr(t, err, models.ErrInvalid, "理由")
	none := in
	none.Reason = "  "
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), none)
	wantErr(t, err, models.ErrInvalid, "申诉理由")
	noCase := in
	noCase.CaseNo = ""
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), noCase)
	wantErr(t, err, models.ErrInvalid, "case_no")
	bad := in
	bad.Ground = models.GroundDeduction
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), bad)
	wantErr(t, err, models.ErrInvalid, "deduction_id")
	h.unchanged(c.No, before)

	a, err := h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	must(t, "file", err)
	if a.Status != models.AppealPending || a.RatingID == 0 || a.DepartmentCode != "realestate" || a.FiledBy != "liu" {
		t.Fatalf("appeal = %+v", a)
	}
	f, err := h.svc.AppealFile(h.ctx, a.ID, 1)
	must(t, "file 1", err)
	if f.Name != "窗口录像说明.pdf" || string(f.Data) != "%PDF-1.4 ..." || f.ContentType != "application/pdf" {
		t.Errorf("file 1 = %+v", f)
	}
	for _, n := range []int{0, 2} {
		_, err = h.svc.AppealFile(h.ctx, a.ID, n)
		wantErr(t, err, models.ErrNotFound, "没有第 "+strconv.Itoa(n)+" 个附件")
	}
	wantAnyEvent(t, h.get(c.No), "appeal_filed", "刘强", "不动产登记窗口", "第 1 轮差评", "恶意差评", "反映人要求违规办理未果")
	if n := h.noticesOf(c.No, models.NoticeAppealFiled, models.AudienceSupervision); len(n) != 1 {
		t.Errorf("supervision notices: %+v", n)
	}
	_, err = h.svc.FileAppeal(h.ctx, h.as("chen"), in) // the leader, a second time
	wantErr(t, err, models.ErrConflict, "已对该差评提出过申诉")

	_, err = h.svc.DecideAppeal(h.ctx, h.as("liu"), a.ID, true, "理由充分")
	wantErr(t, err, models.ErrForbidden, "监督考核科")
	_, err = h.svc.DecideAppeal(h.ctx, h.as("ma"), a.ID, true, "")
	wantErr(t, err, models.ErrInvalid, "裁定理由")
	got, err := h.svc.DecideAppeal(h.ctx, h.as("ma"), a.ID, true, "经调取录像，窗口已依规告知")
	must(t, "decide", err)
	if got.Status != models.AppealUpheld || got.DecidedBy != "ma" || got.Decision != "经调取录像，窗口已依规告知" {
		t.Fatalf("decided = %+v", got)
	}
	_, err = h.svc.DecideAppeal(h.ctx, h.as("ma"), a.ID, false, "再议")
	wantErr(t, err, models.ErrConflict, "不能重复裁定")
	wantAnyEvent(t, h.get(c.No), "appeal_decided", "马科长", "申诉成立", "经调取录像", "不计入不动产登记窗口")
	if n := h.noticesOf(c.No, models.NoticeAppealDecided, models.AudienceDepartment); len(n) != 1 || n[0].Target != "realestate" {
		t.Errorf("window group notices: %+v", n)
	}
	if n := h.noticesOf(c.No, models.NoticeAppealDecided, models.AudienceStaff); len(n) != 1 || n[0].Target != "liu" {
		t.Errorf("window head notices: %+v", n)
	}
	if !got.Excludes(a.RatingID, "realestate") || !got.Excludes(a.RatingID, "") {
		t.Errorf("an upheld malicious appeal should take the 差评 out of the department's and the centre's figures")
	}
	list, err := h.svc.Appeals(h.ctx, casework.AppealFilter{Department: "realestate", Month: "2026-03"})
	must(t, "list", err)
	if len(list) != 1 || list[0].CaseNo != c.No || list[0].Rating == nil || list[0].Rating.Comment != "窗口态度差" || len(list[0].Files) != 1 {
		t.Errorf("list = %+v", list)
	}
	if list, _ := h.svc.Appeals(h.ctx, casework.AppealFilter{Status: models.AppealPending}); len(list) != 0 {
		t.Errorf("pending = %+v", list)
	}
}

// Only a 差评 may be appealed, and only within rating.appeal_days working
// days (default 5) of the rating.
func TestAppealOfARatingNeedsABadOneInTime(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	good := h.badlyRated(models.RatingSatisfied)
	in := casework.AppealInput{CaseNo: good.No, Round: 1, Department: "realestate", Ground: models.GroundUnrelated, Reason: "系反映人自身材料问题"}
	_, err := h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	wantErr(t, err, models.ErrInvalid, "不是差评")

	c := h.badlyRated(models.RatingVeryDissatisfy)
	in.CaseNo = c.No
	h.clock.Set(at("2026-03-18 10:00")) // 5 working days after 03-10 end 03-17 18:00
	before := h.snap(c.No)
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	wantErr(t, err, models.ErrConflict, "申诉期限已过", "2026年3月17日")
	h.unchanged(c.No, before)
	h.clock.Set(at("2026-03-17 17:00"))
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	must(t, "file on the last day", err)
}

// A unit appeals its own deduction: another unit may not; upheld, the
// deduction is waived with the appeal's reason; rejected, it stands.
func TestAppealOfADeduction(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	h.clock.Set(at("2026-03-16 10:00")) // due 03-13 18:00
	h.fire(h.orderOf(c.No, "realestate"), ":due:")
	ds := h.deductions()
	if len(ds) != 1 || ds[0].DepartmentCode != "realestate" {
		t.Fatalf("deductions = %+v", ds)
	}
	in := casework.AppealInput{DeductionID: ds[0].ID, Department: "market", Ground: models.GroundDeduction, Reason: "系统停机三天，无法办理"}
	_, err = h.svc.FileAppeal(h.ctx, h.as("qian"), in)
	wantErr(t, err, models.ErrForbidden, "不是市场监管窗口的扣分")
	in.Department = "realestate"
	a, err := h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	must(t, "file", err)
	wantAnyEvent(t, h.get(c.No), "appeal_filed", "刘强", "扣分", "系统停机三天")
	_, err = h.svc.DecideAppeal(h.ctx, h.as("ma"), a.ID, true, "停机属实，不可归责于窗口")
	must(t, "uphold", err)
	d := h.deductions()[0]
	if d.Status != models.DeductionWaived || d.DecidedBy != "ma" || !strings.Contains(d.Note, "申诉成立") || !strings.Contains(d.Note, "停机属实") {
		t.Errorf("deduction after the upheld appeal = %+v", d)
	}
	wantAnyEvent(t, h.get(c.No), "appeal_decided", "马科长", "申诉成立", "该扣分免除")

	// Another, rejected: its deduction stands as it was.
	c2 := h.walkIn()
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c2.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	h.clock.Set(at("2026-03-20 10:00"))
	h.fire(h.orderOf(c2.No, "realestate"), ":due:")
	ds = h.deductions()
	second := ds[len(ds)-1]
	a2, err := h.svc.FileAppeal(h.ctx, h.as("chen"), casework.AppealInput{DeductionID: second.ID, Department: "realestate", Ground: models.GroundDeduction, Reason: "材料在途，非窗口拖延"})
	must(t, "file by the leader", err)
	_, err = h.svc.DecideAppeal(h.ctx, h.as("ma"), a2.ID, false, "未提供在途证明")
	must(t, "reject", err)
	ds = h.deductions()
	if got := ds[len(ds)-1]; got.Status != models.DeductionProposed || got.Note != "" {
		t.Errorf("a rejected appeal changed the deduction: %+v", got)
	}
	wantAnyEvent(t, h.get(c2.No), "appeal_decided", "马科长", "申诉驳回", "未提供在途证明")
}

// The applicant's progress does not show the appeal: it is between the
// department and the supervision section.
func TestAppealIsNotTheApplicantsLatestStep(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.badlyRated(models.RatingDissatisfied)
	before, err := h.svc.Progress(h.ctx, c.No)
	must(t, "progress", err)
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), casework.AppealInput{CaseNo: c.No, Round: 1, Department: "realestate",
		Ground: models.GroundMalicious, Reason: "反映人要求违规办理未果"})
	must(t, "file", err)
	after, err := h.svc.Progress(h.ctx, c.No)
	must(t, "progress", err)
	if after.Last == nil || before.Last == nil || after.Last.Action != before.Last.Action || strings.HasPrefix(after.Last.Action, "appeal") {
		t.Errorf("the applicant's latest step: before %+v, after %+v", before.Last, after.Last)
	}
}

// An upheld appeal of a 差评 closes the department's open 差评整改 of it:
// the supervision section found nothing for the department to put right,
// so no reminder or escalation goes out about it, and the applicant is not
// asked to rate again. A rejected appeal leaves the rectification open.
func TestAnUpheldAppealExcusesTheRectification(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.badlyRated(models.RatingDissatisfied)
	rejected := h.badlyRated(models.RatingVeryDissatisfy)
	if rcs := h.rectifications(c.No); len(rcs) != 1 || !rcs[0].Open() || rcs[0].DepartmentCode != "realestate" {
		t.Fatalf("rectifications before the appeal = %+v", rcs)
	}
	file := func(no string) *models.Appeal {
		a, err := h.svc.FileAppeal(h.ctx, h.as("liu"), casework.AppealInput{CaseNo: no, Round: 1, Department: "realestate",
			Ground: models.GroundMalicious, Reason: "反映人要求违规办理未果，恶意差评"})
		must(t, "file", err)
		return a
	}
	a, b := file(c.No), file(rejected.No)
	before := len(h.notices(c.No))
	_, err := h.svc.DecideAppeal(h.ctx, h.as("ma"), a.ID, true, "经调取录像，窗口已依规告知")
	must(t, "uphold", err)
	_, err = h.svc.DecideAppeal(h.ctx, h.as("ma"), b.ID, false, "未见录像")
	must(t, "reject", err)

	rc := h.rectifications(c.No)[0]
	if rc.Open() || rc.Verdict != models.VerdictUnfounded || rc.ReportedBy != "ma" || !rc.ReportedAt.Equal(at("2026-03-10 10:00")) ||
		rc.Measures != "申诉成立，免于整改：经调取录像，窗口已依规告知" {
		t.Errorf("rectification after the upheld appeal = %+v", rc)
	}
	wantAnyEvent(t, h.get(c.No), "appeal_decided", "马科长", "免于差评整改", "经调取录像")
	for _, n := range h.since(c.No, before) {
		if n.Kind == models.NoticeRectified || n.Kind == models.NoticeRectifyReported {
			t.Errorf("an excused rectification sent %s to %s %s", n.Kind, n.Audience, n.Target)
		}
	}
	if rc := h.rectifications(rejected.No)[0]; !rc.Open() {
		t.Errorf("a rejected appeal closed the rectification: %+v", rc)
	}

	want, err := h.svc.WantedTimers(h.ctx)
	must(t, "wanted", err)
	p := "rectify:" + strconv.FormatUint(rc.ID, 10) + ":"
	for id := range want {
		if strings.HasPrefix(id, p) {
			t.Errorf("timer %s still wanted after the upheld appeal", id)
		}
	}
	h.clock.Set(at("2026-04-30 10:00")) // long past its deadline
	before = len(h.notices(c.No))
	must(t, "stale fire", h.svc.FireTimer(h.ctx, p+"overdue"))
	if got := h.since(c.No, before); len(got) != 0 {
		t.Errorf("the excused rectification's overdue timer wrote %+v", got)
	}
}

// The appeal period is counted by the calendar's rule of deadlines, as
// the rectification's is: with workday.after_hours_next_day, a 差评 given
// after hours counts from the next working day, so its appeal period ends
// a working day later.
func TestTheAppealPeriodCountsAfterHoursFromTheNextDay(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	cal, err := workday.New(workday.Options{AfterHoursNextDay: true})
	must(t, "calendar", err)
	h.cal = cal
	h.svc = casework.New(h.db, h.clock, cal, casework.Options{}, testenv.Quiet())
	c := h.walkIn()
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.orderOf(c.No, "realestate").No, "材料不全，已一次性告知")
	must(t, "reply", err)
	h.clock.Set(at("2026-03-10 19:00")) // after hours: counts from 03-11
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "窗口态度差", casework.ViaPhone)
	must(t, "rate", err)
	in := casework.AppealInput{CaseNo: c.No, Round: 1, Department: "realestate", Ground: models.GroundUnrelated, Reason: "系反映人自身材料问题"}
	h.clock.Set(at("2026-03-18 10:00")) // 5 working days from 03-11 end 03-18 18:00
	_, err = h.svc.FileAppeal(h.ctx, h.as("liu"), in)
	must(t, "file on the last day", err)
}

// The list of appeals reads the cases, departments, ratings, deductions
// and file names of all its appeals with one query per table, not one per
// appeal (up to 1000 of them), and each view has its own.
func TestTheAppealListReadsEachTableOnce(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	var nos []string
	for i := 0; i < 3; i++ {
		c := h.badlyRated(models.RatingDissatisfied)
		nos = append(nos, c.No)
		_, err := h.svc.FileAppeal(h.ctx, h.as("liu"), casework.AppealInput{CaseNo: c.No, Round: 1, Department: "realestate",
			Ground: models.GroundMalicious, Reason: "反映人要求违规办理未果，恶意差评",
			Files: []casework.AppealUpload{{Name: "说明" + strconv.Itoa(i) + ".pdf", Data: []byte("%PDF")}, {Name: "截图.png", Data: []byte("png")}}})
		must(t, "file", err)
	}
	var counting bool
	queries := 0
	must(t, "callback", h.db.Callback().Query().After("gorm:query").Register("test:count_appeal_queries", func(*gorm.DB) {
		if counting {
			queries++
		}
	}))
	counting = true
	list, err := h.svc.Appeals(h.ctx, casework.AppealFilter{})
	counting = false
	must(t, "list", err)
	if queries > 5 { // the appeals, cases, departments, ratings, files
		t.Errorf("listing 3 appeals took %d queries, want one per table", queries)
	}
	if len(list) != 3 {
		t.Fatalf("list = %+v", list)
	}
	for i, v := range list {
		no := nos[len(nos)-1-i] // the newest first
		if v.CaseNo != no || v.DepartmentName != "不动产登记窗口" || v.Rating == nil || v.Rating.ID != v.RatingID ||
			v.Rating.Comment != "窗口态度差" || len(v.Files) != 2 || v.Files[0] != "说明"+strconv.Itoa(len(nos)-1-i)+".pdf" || v.Files[1] != "截图.png" {
			t.Errorf("view %d = %+v", i, v)
		}
	}
}

// Filing and deciding return the appeal's view as a later read shows it,
// so the API answers without reading it again.
func TestFilingAndDecidingReturnTheAppealsView(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.badlyRated(models.RatingDissatisfied)
	same := func(what string, got *casework.AppealView) {
		t.Helper()
		want, err := h.svc.Appeal(h.ctx, got.ID)
		must(t, "read", err)
		if got.CaseNo != want.CaseNo || got.DepartmentName != want.DepartmentName || got.Status != want.Status ||
			got.Decision != want.Decision || strings.Join(got.Files, "|") != strings.Join(want.Files, "|") ||
			(got.Rating == nil) != (want.Rating == nil) || (got.Deduction == nil) != (want.Deduction == nil) {
			t.Errorf("%s: view %+v, read back %+v", what, got, want)
		}
		if got.Rating != nil && (got.Rating.ID != want.Rating.ID || got.Rating.Comment != want.Rating.Comment) {
			t.Errorf("%s: rating %+v, read back %+v", what, got.Rating, want.Rating)
		}
		if got.Deduction != nil && (got.Deduction.ID != want.Deduction.ID || got.Deduction.Status != want.Deduction.Status) {
			t.Errorf("%s: deduction %+v, read back %+v", what, got.Deduction, want.Deduction)
		}
	}
	v, err := h.svc.FileAppealView(h.ctx, h.as("liu"), casework.AppealInput{CaseNo: c.No, Round: 1, Department: "realestate",
		Ground: models.GroundMalicious, Reason: "反映人要求违规办理未果，恶意差评",
		Files: []casework.AppealUpload{{Name: " 说明.pdf ", Data: []byte("%PDF")}, {Name: "截图.png", Data: []byte("png")}}})
	must(t, "file", err)
	if v.CaseNo != c.No || v.DepartmentName != "不动产登记窗口" || v.Rating == nil || len(v.Files) != 2 {
		t.Errorf("filed view = %+v", v)
	}
	same("filed", v)
	v, err = h.svc.DecideAppealView(h.ctx, h.as("ma"), v.ID, false, "未见录像")
	must(t, "decide", err)
	same("decided", v)

	d := h.walkIn()
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), d.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	h.clock.Set(at("2026-03-16 10:00"))
	h.fire(h.orderOf(d.No, "realestate"), ":due:")
	ds := h.deductions()
	v, err = h.svc.FileAppealView(h.ctx, h.as("liu"), casework.AppealInput{DeductionID: ds[len(ds)-1].ID, Department: "realestate",
		Ground: models.GroundDeduction, Reason: "系统停机三天，无法办理"})
	must(t, "file deduction", err)
	same("filed deduction", v)
	v, err = h.svc.DecideAppealView(h.ctx, h.as("ma"), v.ID, true, "停机属实")
	must(t, "uphold deduction", err)
	if v.Deduction == nil || v.Deduction.Status != models.DeductionWaived {
		t.Errorf("upheld deduction view = %+v", v.Deduction)
	}
	same("upheld deduction", v)
}

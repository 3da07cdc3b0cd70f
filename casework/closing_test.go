package casework_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"bbcs/casework"
	"bbcs/models"
)

// 第十三条: the applicant rates every answer. The owner cannot close an
// answered case by hand: it closes on a rating (the applicant's, or one
// the owner records as given in person or by phone), or as 未评价 when
// the rating clocks run out.
func TestAnAnsweredCaseClosesOnlyOnARating(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已协调不动产窗口当场办结过户")
	must(t, "resolve", err)
	before := h.snap(c.No)
	_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "申请人已知晓")
	wantErr(t, err, models.ErrConflict, "评价", "当面", "电话", "未评价")
	h.unchanged(c.No, before)

	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaInPerson)
	must(t, "rate in person", err)
	if d := h.get(c.No); d.Case.Status != models.CaseClosed || d.Case.Rating != models.RatingSatisfied {
		t.Fatalf("after the rating given in person: %s %s", d.Case.Status, d.Case.Rating)
	}
}

// 第六条: an on-the-spot answer that reads as a refusal is a bare “no”:
// it must go through the way and path, what to add, or a 请示.
func TestAnOnTheSpotAnswerIsNotABareNo(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	for _, result := range []string{
		"不符合条件，无法办理",
		"该事项不属于本中心受理范围",
		"窗口拒绝办理",
		"这个办不了",
		"不予受理",
		"经核实，不能办",
	} {
		c := h.walkIn()
		before := h.snap(c.No)
		_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, result)
		wantErr(t, err, models.ErrInvalid, "第六条", "办理方法", "需补充", "请示")
		h.unchanged(c.No, before)
	}
	for _, result := range []string{
		"已补办，不需要再跑",
		"已当场办结过户。此前窗口以不符合条件为由拒绝受理，经核实属误解，已纠正",
		"已协调税务窗口补开完税证明，无需再来",
	} {
		c := h.walkIn()
		_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, result)
		must(t, "resolve "+result, err)
		// Solved or not, the answer waits for the applicant's rating.
		if d := h.get(c.No); d.Case.Status != models.CaseAnswered {
			t.Errorf("after %q: %s", result, d.Case.Status)
		}
		_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "")
		wantErr(t, err, models.ErrConflict, "评价")
	}
}

// 第十三条: after a 差评 the case is handled again and the applicant is
// visited (跟踪回访) about the new result: the visit is planned once that
// result is given, the owner is reminded when it is due and the leaders
// and the supervision section are told a working day later, and the case
// closes only once the visit is recorded.
func TestTheFollowUpVisitComesAfterTheNewResult(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	// The owner belongs to the market window: its leader 吴副主任 hears
	// of a visit not made; 陈副主任 is on duty that day.
	must(t, "owner's department", h.db.Model(&models.Staff{}).Where("id = ?", "wang").Update("department_code", "market").Error)
	must(t, "duty roster", h.db.Create(&models.DutyDay{Date: "2026-03-16", SpecialistID: "li", LeaderID: "chen"}).Error)
	c := h.dispatched("realestate")
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)

	h.clock.Set(at("2026-03-11 10:00"))
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "证书信息有误", casework.ViaPhone)
	must(t, "差评", err)
	d := h.get(c.No)
	if len(d.FollowUps) != 0 {
		t.Fatalf("a visit planned before the new result: %+v", d.FollowUps)
	}
	_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "提前回访")
	wantErr(t, err, models.ErrConflict, "回访")

	// Thu 12th: the second result; the visit is due Fri 13th 09:00.
	h.clock.Set(at("2026-03-12 10:00"))
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.get(c.No).Orders[1].No, "已更正证书信息并重新发证")
	must(t, "round-2 reply", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseAnswered || len(d.FollowUps) != 1 || d.FollowUps[0].Round != 2 {
		t.Fatalf("after the new result: %s, follow-ups %+v", d.Case.Status, d.FollowUps)
	}
	wantTime(t, "visit due", &d.FollowUps[0].DueAt, "2026-03-13 09:00")
	wantAnyEvent(t, d, "follow_up_planned", "系统", "2026年3月13日（周五）09:00")
	id := strconv.FormatUint(d.FollowUps[0].ID, 10)

	// A good rating is recorded, but the case waits for the visit.
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
	must(t, "round-2 rating", err)
	if d := h.get(c.No); d.Case.Status != models.CaseAnswered || d.Case.Rating != models.RatingSatisfied || d.Case.ClosedAt != nil {
		t.Fatalf("rated before the visit: %s %s closed %v", d.Case.Status, d.Case.Rating, d.Case.ClosedAt)
	}
	_, err = h.svc.Close(h.ctx, h.as("wang"), c.No, "")
	wantErr(t, err, models.ErrConflict, "回访")

	// The clock of the visit: a reminder when due, an escalation a working
	// day later (Fri → Mon).
	must(t, "early timer", h.svc.FireTimer(h.ctx, "followup:"+id))
	if n := h.noticesOf(c.No, models.NoticeFollowUpDue, models.AudienceStaff); len(n) != 0 {
		t.Fatalf("reminded before the visit is due")
	}
	h.clock.Set(at("2026-03-13 09:00"))
	must(t, "reminder", h.svc.FireTimer(h.ctx, "followup:"+id))
	if n := h.noticesOf(c.No, models.NoticeFollowUpDue, models.AudienceStaff); len(n) != 1 || n[0].Target != "wang" {
		t.Fatalf("follow_up_due = %v", targets(n))
	}
	h.clock.Set(at("2026-03-16 09:00"))
	must(t, "escalation", h.svc.FireTimer(h.ctx, "followup:"+id+":escalate"))
	if got := targets(h.noticesOf(c.No, models.NoticeFollowUpOverdue, models.AudienceStaff)); !slices.Equal(got, []string{"wu", "chen"}) {
		t.Errorf("follow_up_overdue to %v, want the owner's department leader and the leader on duty", got)
	}
	if n := h.noticesOf(c.No, models.NoticeFollowUpOverdue, models.AudienceSupervision); len(n) != 1 {
		t.Errorf("follow_up_overdue to the supervision section: %d", len(n))
	}

	_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "已电话回访，申请人认可重新办理结果")
	must(t, "visit", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseClosed || d.Case.Rating != models.RatingSatisfied || d.FollowUps[0].DoneAt == nil {
		t.Fatalf("after the visit: %s %s", d.Case.Status, d.Case.Rating)
	}
	if n := h.noticesOf(c.No, models.NoticeCaseClosed, models.AudienceApplicant); len(n) != 1 {
		t.Errorf("case_closed to the applicant: %d", len(n))
	}
	// Recorded in time, the visit's escalation does nothing.
	before := len(h.notices(c.No))
	must(t, "late escalation", h.svc.FireTimer(h.ctx, "followup:"+id+":escalate"))
	if len(h.notices(c.No)) != before {
		t.Errorf("a recorded visit escalated")
	}
}

// No rating in a re-handled round: the case stays open as 未评价 until
// the visit; the owner records the visit with the rating given in it.
func TestNotRatedInARehandledRoundWaitsForTheVisit(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVeryDissatisfy, "", casework.ViaPhone)
	must(t, "差评", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.get(c.No).Orders[1].No, "已重新办理")
	must(t, "round-2 reply", err)

	h.clock.Set(at("2026-03-20 10:00")) // past the rating clocks
	must(t, "not rated", h.svc.FireTimer(h.ctx, "rate:"+c.No+":2:close"))
	d := h.get(c.No)
	if d.Case.Status != models.CaseAnswered || d.Case.RatingVia != string(casework.ViaNotRated) {
		t.Fatalf("not rated before the visit: %s via %s", d.Case.Status, d.Case.RatingVia)
	}
	wantAnyEvent(t, d, "not_rated", "系统", "未评价", "回访")

	_, err = h.svc.RecordFollowUpRating(h.ctx, h.as("wang"), c.No, "已电话回访", models.RatingBasically, "还行", casework.ViaPhone)
	must(t, "visit with its rating", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseClosed || d.Case.Rating != models.RatingBasically || d.Case.RatingVia != string(casework.ViaPhone) {
		t.Fatalf("after the visit: %s %s via %s", d.Case.Status, d.Case.Rating, d.Case.RatingVia)
	}
}

// The rating reminder's menu names its case and round like the request's:
// a click on either rates that round of that case. (The ids WeChat gets
// for them are bot/wechat's: TestRatingMenuIDs.)
func TestRatingMenusNameTheirCaseAndRound(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场办结")
	must(t, "resolve", err)
	h.clock.Set(at("2026-03-12 10:01"))
	must(t, "reminder", h.svc.FireTimer(h.ctx, "rate:"+c.No+":1:remind"))
	for _, kind := range []models.NoticeKind{models.NoticeRatingRequest, models.NoticeRatingReminder} {
		n := h.noticesOf(c.No, kind, models.AudienceStaff)
		if len(n) != 1 {
			t.Fatalf("%s: %d notices", kind, len(n))
		}
		menu := dataOf(t, n[0]).Menu
		if len(menu) != len(models.RatingLevels) {
			t.Fatalf("%s menu: %+v", kind, menu)
		}
		for i, it := range menu {
			want := models.RatingChoice{CaseID: c.ID, Round: 1, Level: models.RatingLevels[i]}
			if it.Rates == nil || *it.Rates != want || it.ID != 0 {
				t.Errorf("%s item %q (id %d) rates %+v, want %+v", kind, it.Label, it.ID, it.Rates, want)
			}
		}
	}
}

// 第六条 through 研判: an owner who decides 当场解决 at triage and gives the
// answer there is held to the same rules as Resolve — no bare “no”, no
// over-long answer — so the triage route is no way around 窗口无否决权.
func TestTriageOnTheSpotIsNotABareNoEither(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	for _, result := range []string{
		"不符合条件，无法办理",
		"不予受理",
		"经核实，不能办",
	} {
		c := h.walkIn()
		before := h.snap(c.No)
		_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{Decision: casework.DecideOnTheSpot, Result: result})
		wantErr(t, err, models.ErrInvalid, "第六条", "办理方法", "需补充", "请示")
		h.unchanged(c.No, before)
	}
	c := h.walkIn()
	before := h.snap(c.No)
	_, err := h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{Decision: casework.DecideOnTheSpot, Result: strings.Repeat("已", 2001)})
	wantErr(t, err, models.ErrInvalid, "处理结果", "2000")
	h.unchanged(c.No, before)

	c = h.walkIn()
	_, err = h.svc.Triage(h.ctx, h.as("wang"), c.No, casework.Triage{Decision: casework.DecideOnTheSpot, Result: "  已协调税务窗口补开完税证明  "})
	must(t, "triage on the spot", err)
	if d := h.get(c.No); d.Case.Status != models.CaseAnswered || d.Case.Result != "已协调税务窗口补开完税证明" {
		t.Errorf("after triage: %s %q", d.Case.Status, d.Case.Result)
	}
}

// 第十三条 after two 差评 in a row: the visit of round 2 was about a
// result the applicant rejected again. Round 3 takes it over: the round-2
// visit is closed as merged into round 3's, its reminder and escalation do
// not fire, no "visit" is recorded before round 3 has a result, and the
// visit recorded then is round 3's.
func TestASecondBadRatingMovesTheVisitToTheNewRound(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "证书信息有误", casework.ViaPhone)
	must(t, "first 差评", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.get(c.No).Orders[1].No, "已更正证书信息")
	must(t, "round-2 reply", err)
	d := h.get(c.No)
	if len(d.FollowUps) != 1 || d.FollowUps[0].Round != 2 {
		t.Fatalf("round-2 visit: %+v", d.FollowUps)
	}
	id2 := strconv.FormatUint(d.FollowUps[0].ID, 10)

	// The applicant rejects the second result too: round 3.
	h.clock.Set(at("2026-03-11 15:00"))
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVeryDissatisfy, "还是错的", casework.ViaPhone)
	must(t, "second 差评", err)
	d = h.get(c.No)
	if d.Case.Round != 3 || d.Case.Status != models.CaseDispatched {
		t.Fatalf("after the second 差评: round %d %s", d.Case.Round, d.Case.Status)
	}
	if len(d.FollowUps) != 1 || d.FollowUps[0].DoneAt == nil || !strings.Contains(d.FollowUps[0].Note, "第 3 轮") {
		t.Fatalf("the round-2 visit is still open: %+v", d.FollowUps)
	}
	wantAnyEvent(t, d, "follow_up_superseded", "系统", "第 3 轮")
	want, err := h.svc.WantedTimers(h.ctx)
	must(t, "wanted timers", err)
	for tid := range want {
		if strings.HasPrefix(tid, "followup:"+id2) {
			t.Errorf("round-2 visit timer still wanted: %s", tid)
		}
	}

	// Its clock, firing anyway, tells nobody.
	h.clock.Set(at("2026-03-12 09:00"))
	must(t, "round-2 reminder", h.svc.FireTimer(h.ctx, "followup:"+id2))
	h.clock.Set(at("2026-03-13 09:00"))
	must(t, "round-2 escalation", h.svc.FireTimer(h.ctx, "followup:"+id2+":escalate"))
	if n := h.noticesOf(c.No, models.NoticeFollowUpDue, models.AudienceStaff); len(n) != 0 {
		t.Errorf("round-2 visit reminded during round 3: %v", targets(n))
	}
	if n := h.noticesOf(c.No, models.NoticeFollowUpOverdue, models.AudienceSupervision); len(n) != 0 {
		t.Errorf("round-2 visit escalated during round 3")
	}

	// No visit before round 3 has its result.
	_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "提前回访")
	wantErr(t, err, models.ErrConflict, "重新办理", "新的处理结果")

	// Round 3's result plans round 3's visit; recording it closes the case.
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.get(c.No).Orders[2].No, "已重新核对并发证")
	must(t, "round-3 reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
	must(t, "round-3 rating", err)
	_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "已电话回访，申请人认可")
	must(t, "round-3 visit", err)
	d = h.get(c.No)
	if d.Case.Status != models.CaseClosed || len(d.FollowUps) != 2 {
		t.Fatalf("after the round-3 visit: %s, %+v", d.Case.Status, d.FollowUps)
	}
	if f := d.FollowUps[1]; f.Round != 3 || f.DoneAt == nil || f.Note != "已电话回访，申请人认可" || f.DoneBy != "wang" {
		t.Errorf("round-3 visit: %+v", f)
	}
	if f := d.FollowUps[0]; strings.Contains(f.Note, "申请人认可") {
		t.Errorf("the owner's visit went to round 2: %+v", f)
	}
}

// A visit of an earlier round left open by an earlier version (before a
// new 差评 closed it) is not the present round's: it is not recorded in
// its place, it does not hold the case open, and its clock tells nobody.
func TestAnOpenVisitOfAnEarlierRoundIsNotThePresentOne(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场办结")
	must(t, "resolve", err)
	stale := models.FollowUp{CaseID: c.ID, Round: 0, DueAt: at("2026-03-11 09:00"), Created: at("2026-03-10 10:00")}
	must(t, "legacy visit", h.db.Create(&stale).Error)
	_, err = h.svc.RecordFollowUp(h.ctx, h.as("wang"), c.No, "回访")
	wantErr(t, err, models.ErrConflict, "没有待办的跟踪回访")
	h.clock.Set(at("2026-03-12 09:00"))
	must(t, "stale reminder", h.svc.FireTimer(h.ctx, "followup:"+strconv.FormatUint(stale.ID, 10)))
	if n := h.noticesOf(c.No, models.NoticeFollowUpDue, models.AudienceStaff); len(n) != 0 {
		t.Errorf("an earlier round's visit reminded: %v", targets(n))
	}
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
	must(t, "rating", err)
	if d := h.get(c.No); d.Case.Status != models.CaseClosed {
		t.Errorf("a good rating of round 1 waits for an earlier round's visit: %s", d.Case.Status)
	}
}

// A rating reminder that fires late — bbcs was down past the rating
// clock's end — asks for nothing: the case is closing as 未评价 and a
// request for a rating then would be answered by “已办结，不能再评价”.
func TestALateRatingReminderStaysSilent(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场办结")
	must(t, "resolve", err)
	h.clock.Set(at("2026-03-17 10:05")) // past the 7 days of the rating clock
	must(t, "late reminder", h.svc.FireTimer(h.ctx, "rate:"+c.No+":1:remind"))
	if n := h.noticesOf(c.No, models.NoticeRatingReminder, models.AudienceStaff); len(n) != 0 {
		t.Errorf("a late reminder asked for a rating: %v", targets(n))
	}
	if n := h.noticesOf(c.No, models.NoticeRatingReminder, models.AudienceApplicant); len(n) != 0 {
		t.Errorf("a late reminder asked the applicant for a rating")
	}
	if e := eventsOf(h.get(c.No), "rating_reminded"); len(e) != 0 {
		t.Errorf("a late reminder recorded as sent: %+v", e)
	}
	want, err := h.svc.WantedTimers(h.ctx)
	must(t, "wanted timers", err)
	if _, ok := want["rate:"+c.No+":1:remind"]; ok {
		t.Errorf("the late reminder is still wanted after it fired")
	}
	must(t, "close", h.svc.FireTimer(h.ctx, "rate:"+c.No+":1:close"))
	if d := h.get(c.No); d.Case.Status != models.CaseClosed {
		t.Errorf("not closed as 未评价: %s", d.Case.Status)
	}
}

// The owner recording a rating for a round already rated gets a plain
// staff message — not the applicant's “感谢您的评价！”.
func TestStaffRecordingASecondRatingGetAPlainMessage(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate")
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), "GD20260310-001-1", "已办结")
	must(t, "reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "证书信息有误", casework.ViaPhone)
	must(t, "差评", err)
	_, err = h.svc.Reply(h.ctx, h.as("zhang"), h.get(c.No).Orders[1].No, "已更正证书信息")
	must(t, "round-2 reply", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaPhone)
	must(t, "round-2 rating", err)
	before := h.snap(c.No)
	_, err = h.svc.RecordFollowUpRating(h.ctx, h.as("wang"), c.No, "已电话回访", models.RatingVerySatisfied, "", casework.ViaPhone)
	wantErr(t, err, models.ErrConflict, c.No, "第 2 轮", "已记录", "回访")
	if msg := models.ErrorMessage(err); strings.Contains(msg, "感谢") || strings.Contains(msg, "您的评价") {
		t.Errorf("staff got the applicant's message: %s", msg)
	}
	h.unchanged(c.No, before)
	// The applicant still gets theirs.
	_, err = h.svc.Rate(h.ctx, casework.Applicant(""), c.No, models.RatingVerySatisfied, "", casework.ViaServiceAccount)
	wantErr(t, err, models.ErrConflict, "感谢您的评价")
}

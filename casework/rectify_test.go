package casework_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/casework"
	"bbcs/models"
)

// rectifications are a case's 差评整改 as the database holds them.
func (h *harness) rectifications(no string) []models.Rectification {
	h.t.Helper()
	return h.get(no).Rectifications
}

// repliedBy answers the present round's order of dept.
func (h *harness) repliedBy(no, dept, who, result string) {
	h.t.Helper()
	d := h.get(no)
	for _, o := range d.Orders {
		if o.DepartmentCode == dept && o.Round == d.Case.Round {
			_, err := h.svc.Reply(h.ctx, h.as(who), o.No, result)
			must(h.t, "reply "+o.No, err)
			return
		}
	}
	h.t.Fatalf("case %s has no order of round %d for %s", no, d.Case.Round, dept)
}

// 第十三条: a 差评 of a round two departments answered opens one
// 差评整改 for each, owned by its window head, due five working days later
// (a weekend in between); each head and each window group get the notice,
// with the 差评 (mobile masked), the date and how to report. The case is
// still sent back for re-handling.
func TestABadRatingOpensARectificationPerDepartment(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.dispatched("realestate", "market")
	h.repliedBy(c.No, "realestate", "zhang", "已办结过户")
	h.repliedBy(c.No, "market", "zhao", "已核实")
	h.clock.Set(at("2026-03-11 10:00")) // Wednesday
	before := len(h.notices(c.No))
	_, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVeryDissatisfy, "跑了三趟，请回电13800138000", casework.ViaPhone)
	must(t, "rate", err)

	list := h.rectifications(c.No)
	if len(list) != 2 {
		t.Fatalf("want 2 rectifications, got %+v", list)
	}
	owners := map[string]string{}
	for _, rc := range list {
		owners[rc.DepartmentCode] = rc.OwnerID
		// Thu 12, Fri 13, Mon 16, Tue 17, Wed 18.
		if !rc.DueAt.Equal(at("2026-03-18 18:00")) || rc.Round != 1 || !rc.Open() {
			t.Errorf("rectification %+v: want round 1, open, due 2026-03-18 18:00", rc)
		}
	}
	if owners["realestate"] != "liu" || owners["market"] != "qian" {
		t.Errorf("owners %v, want the window heads liu and qian", owners)
	}
	got := h.since(c.No, before)
	for _, who := range [][2]string{{string(models.AudienceStaff), "liu"}, {string(models.AudienceStaff), "qian"}, {string(models.AudienceDepartment), "realestate"}, {string(models.AudienceDepartment), "market"}} {
		cards := cardsTo(t, got, models.Audience(who[0]), who[1])
		// The last day to appeal (rating.appeal_days 5 after the 差评) is the same Wed 18.
		// The command names the department: the same works for a 分管领导 of several.
		unit := map[string]string{"liu": "不动产登记窗口", "realestate": "不动产登记窗口", "qian": "市场监管窗口", "market": "市场监管窗口"}[who[1]]
		if !anyContains(cards, "差评整改通知", c.No, "非常不满意", "138****8000", "2026年3月18日", "整改 "+c.No+" "+unit+" 属实|不属实", "申诉 "+c.No+" 恶意差评|非本部门原因") {
			t.Errorf("%s %s read %q, want the 差评整改通知 with level, masked comment, date, how to report and how to appeal", who[0], who[1], cards)
		}
		if anyContains(cards, "/api/v1/") {
			t.Errorf("%s %s read an API call on a card staff read: %q", who[0], who[1], cards)
		}
		for _, s := range cards {
			if strings.Contains(s, "13800138000") {
				t.Errorf("%s %s read the full mobile: %q", who[0], who[1], s)
			}
		}
	}
	if d := h.get(c.No); d.Case.Status != models.CaseDispatched && d.Case.Status != models.CaseReopened || d.Case.Round != 2 {
		t.Errorf("the case is %s in round %d, want sent back for re-handling in round 2", d.Case.Status, d.Case.Round)
	}
}

// A 差评 of an answer the owner gave on the spot (no orders) is the
// centre's own to verify: one rectification, owned by the case owner.
func TestARoundWithoutOrdersIsTheCentresToRectify(t *testing.T) {
	h := newHarness(t, "2026-04-02 10:00") // Thursday before 清明 (04-04 – 04-06)
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场说明办理流程，过户材料需补交完税证明")
	must(t, "resolve", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "", casework.ViaInPerson)
	must(t, "rate", err)
	list := h.rectifications(c.No)
	if len(list) != 1 || list[0].DepartmentCode != "" || list[0].OwnerID != "wang" {
		t.Fatalf("want one rectification of the centre owned by wang, got %+v", list)
	}
	// Fri 3, (Sat 4 – Mon 6 清明), Tue 7, Wed 8, Thu 9, Fri 10.
	if !list[0].DueAt.Equal(at("2026-04-10 18:00")) {
		t.Errorf("due %v, want 2026-04-10 18:00 on the working-day calendar", list[0].DueAt)
	}
	if n := len(h.noticesOf(c.No, models.NoticeRectifyOpened, models.AudienceStaff)); n != 1 {
		t.Errorf("%d notices to the owner, want 1", n)
	}
}

// On the due day the window head and the group are reminded; past the
// deadline the 分管领导 (陈副主任 for 不动产) and the supervision section
// hear that no report came. Once reported, a late firing does nothing.
func TestARectificationIsRemindedAndEscalated(t *testing.T) {
	h := newHarness(t, "2026-03-11 10:00")
	c := h.badlyRated(models.RatingDissatisfied)

	h.clock.Set(at("2026-03-17 10:00"))
	if ids := h.fireDue("rectify:"); len(ids) != 0 {
		t.Fatalf("rectification timers fired the day before the due day: %v", ids)
	}
	h.clock.Set(at("2026-03-18 09:00"))
	before := len(h.notices(c.No))
	if ids := h.fireDue("rectify:"); len(ids) != 1 || !strings.HasSuffix(ids[0], ":remind") {
		t.Fatalf("fired %v on the due morning, want the reminder", ids)
	}
	got := h.since(c.No, before)
	if !anyContains(cardsTo(t, got, models.AudienceStaff, "liu"), "差评整改今天到期", c.No) ||
		!anyContains(cardsTo(t, got, models.AudienceDepartment, "realestate"), "差评整改今天到期") {
		t.Errorf("reminder notices %v", got)
	}
	h.clock.Set(at("2026-03-19 09:00"))
	before = len(h.notices(c.No))
	if ids := h.fireDue("rectify:"); len(ids) != 1 || !strings.HasSuffix(ids[0], ":overdue") {
		t.Fatalf("fired %v after the deadline, want the escalation", ids)
	}
	got = h.since(c.No, before)
	if !anyContains(cardsTo(t, got, models.AudienceStaff, "chen"), "差评整改逾期未报告", "刘强") ||
		!anyContains(cardsTo(t, got, models.AudienceSupervision, ""), "差评整改逾期未报告", "不动产登记窗口") {
		t.Errorf("escalation notices %v, want 分管领导 chen and supervision", got)
	}
	wantAnyEvent(t, h.get(c.No), "rectify_overdue", "系统", "陈副主任（分管领导）", "监督考核科")

	_, err := h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictFounded, "已批评教育并补正材料清单")
	must(t, "report", err)
	if rc := h.rectifications(c.No)[0]; rc.Open() || rc.OnTime() || rc.ReportedBy != "liu" {
		t.Errorf("after a late report: %+v", rc)
	}
	want, err := h.svc.WantedTimers(h.ctx)
	must(t, "wanted", err)
	for id := range want {
		if strings.HasPrefix(id, "rectify:") {
			t.Errorf("timer %s still wanted after the report", id)
		}
	}
	before = len(h.notices(c.No))
	id := "rectify:" + strconv.FormatUint(h.rectifications(c.No)[0].ID, 10) + ":remind"
	must(t, "stale fire", h.svc.FireTimer(h.ctx, id))
	if n := len(h.notices(c.No)) - before; n != 0 {
		t.Errorf("a stale firing after the report wrote %d notices", n)
	}
}

// Only the owner (or the department's window head) reports; verdict and
// measures are required; a second report is refused; nothing changes on
// a refusal.
func TestReportingARectificationIsChecked(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.badlyRated(models.RatingDissatisfied)
	before := h.snap(c.No)
	_, err := h.svc.ReportRectification(h.ctx, h.as("zhang"), c.No, "realestate", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrForbidden, "整改负责人", "窗口负责人")
	_, err = h.svc.ReportRectification(h.ctx, h.as("qian"), c.No, "realestate", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrForbidden)
	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", "maybe", "已整改")
	wantErr(t, err, models.ErrInvalid, "属实", "不属实")
	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictFounded, "  ")
	wantErr(t, err, models.ErrInvalid, "整改情况")
	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "market", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrNotFound, "市场监管窗口") // the department by its name, not its code
	h.unchanged(c.No, before)

	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictUnfounded, "经调取录像，窗口按规定一次性告知")
	must(t, "report", err)
	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictFounded, "再报一次")
	wantErr(t, err, models.ErrConflict, "不能重复报告", "不属实")
	rc := h.rectifications(c.No)[0]
	if rc.Verdict != models.VerdictUnfounded || rc.Measures != "经调取录像，窗口按规定一次性告知" || !rc.OnTime() {
		t.Errorf("recorded %+v", rc)
	}
	wantAnyEvent(t, h.get(c.No), "rectified", "刘强", "不动产登记窗口", "不属实", "经调取录像")
	sup := cardsTo(t, h.noticesOf(c.No, models.NoticeRectifyReported, models.AudienceSupervision), models.AudienceSupervision, "")
	if !anyContains(sup, "差评整改报告", "不属实", "经调取录像") {
		t.Errorf("supervision read %q", sup)
	}
	// A walk-in applicant, the case still being re-handled: the owner gets
	// the words to send, which promise a rating request later.
	owner := cardsTo(t, h.noticesOf(c.No, models.NoticeRectified, models.AudienceStaff), models.AudienceStaff, "wang")
	if !anyContains(owner, "可发送的短信", "经调取录像", "有新的结果后会再请您评价") {
		t.Errorf("the owner read %q", owner)
	}
}

// The applicant hears the outcome and is asked again: when the re-handled
// round is answered and not yet rated, the notice carries the rating menu
// of that round, and a click rates it.
func TestTheApplicantIsAskedAgainAfterTheReport(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.serviceAccountCase("realestate")
	h.repliedBy(c.No, "realestate", "zhang", "已办结过户")
	_, err := h.svc.RateOwnCase(h.ctx, "o-citizen-1", c.No, 1, models.RatingDissatisfied)
	must(t, "rate", err)
	h.repliedBy(c.No, "realestate", "zhang", "已当面致歉并办结过户")
	if d := h.get(c.No); d.Case.Status != models.CaseAnswered || d.Case.Round != 2 {
		t.Fatalf("the re-handled round: %s round %d", d.Case.Status, d.Case.Round)
	}
	_, err = h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictFounded, "已对窗口人员批评教育并补正材料清单")
	must(t, "report", err)
	told := h.noticesOf(c.No, models.NoticeRectified, models.AudienceApplicant)
	if len(told) != 1 || told[0].Target != "o-citizen-1" {
		t.Fatalf("applicant notices %+v", told)
	}
	d := dataOf(t, told[0])
	if !strings.Contains(d.Text, "属实") || !strings.Contains(d.Text, "批评教育") || len(d.Menu) != 5 || d.Menu[0].Rates == nil || d.Menu[0].Rates.Round != 2 {
		t.Fatalf("the applicant read %q with menu %+v, want the outcome and the round-2 rating menu", d.Text, d.Menu)
	}
	_, err = h.svc.RateMenuChoice(h.ctx, "o-citizen-1", *d.Menu[1].Rates)
	must(t, "rate again", err)
	if cs := h.get(c.No).Case; cs.Rating != models.RatingSatisfied {
		t.Errorf("rated again: %s", cs.Rating)
	}
}

// A unit with neither a window head nor a 分管领导 on file (the demo's
// 税务窗口) still has its 差评 verified: its own staff report it, and
// nobody of another unit may.
func TestAUnitWithoutAHeadReportsItsOwnRectification(t *testing.T) {
	h := newHarness(t, "2026-03-11 10:00")
	c := h.badlyRated(models.RatingDissatisfied, "tax")
	list := h.rectifications(c.No)
	if len(list) != 1 || list[0].DepartmentCode != "tax" || list[0].OwnerID != "" {
		t.Fatalf("want one rectification of tax with no owner on file, got %+v", list)
	}
	if _, err := h.svc.ReportRectification(h.ctx, h.as("zhang"), c.No, "tax", models.VerdictFounded, "已整改"); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("staff of another unit reported tax's rectification: %v", err)
	}
	if _, err := h.svc.ReportRectification(h.ctx, h.as("sun"), c.No, "tax", models.VerdictFounded, "已对办理流程整改，补充一次性告知清单"); err != nil {
		t.Fatalf("tax's own staff could not report its rectification: %v", err)
	}
	if got := h.rectifications(c.No); got[0].Open() || got[0].ReportedBy != "sun" {
		t.Errorf("after sun's report: %+v", got[0])
	}
}

// headless deactivates a department's window head, so that its 分管领导
// owns its rectifications.
func (h *harness) headless(head string) {
	h.t.Helper()
	must(h.t, "deactivate "+head, h.db.Model(&models.Staff{}).Where("id = ?", head).Update("active", false).Error)
}

// A department without a window head answers to its 分管领导, who has no
// department of their own: without naming one (the group command names
// none) they report the rectification they own; with two they must name
// the department, and then the other one is the only one left.
func TestALeaderReportsTheRectificationTheyOwn(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.headless("liu")
	h.headless("qian")
	must(t, "market's leader", h.db.Model(&models.Department{}).Where("code = ?", "market").Update("leader_id", "chen").Error)
	c := h.badlyRated(models.RatingDissatisfied, "realestate", "market")
	for _, rc := range h.rectifications(c.No) {
		if rc.OwnerID != "chen" {
			t.Fatalf("rectification %+v: want chen, the 分管领导, as owner", rc)
		}
	}
	before := h.snap(c.No)
	_, err := h.svc.ReportRectification(h.ctx, h.as("chen"), c.No, "", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrInvalid, "不动产登记窗口", "市场监管窗口", "部门")
	_, err = h.svc.ReportRectification(h.ctx, h.as("wang"), c.No, "", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrForbidden, "整改负责人")
	h.unchanged(c.No, before)

	_, err = h.svc.ReportRectification(h.ctx, h.as("chen"), c.No, "market", models.VerdictFounded, "已督促市场监管窗口补正告知")
	must(t, "report market", err)
	_, err = h.svc.ReportRectification(h.ctx, h.as("chen"), c.No, "", models.VerdictUnfounded, "经核实已按规定办理")
	must(t, "report the one left", err)
	for _, rc := range h.rectifications(c.No) {
		if rc.Open() || rc.ReportedBy != "chen" {
			t.Errorf("rectification %+v: want reported by chen", rc)
		}
		if rc.DepartmentCode == "realestate" && rc.Verdict != models.VerdictUnfounded {
			t.Errorf("realestate's %+v: want the second report's 不属实", rc)
		}
	}
	_, err = h.svc.ReportRectification(h.ctx, h.as("chen"), c.No, "", models.VerdictFounded, "再报一次")
	wantErr(t, err, models.ErrConflict, "不能重复报告")
}

// The centre's own rectification is the case owner's: after a handover
// the new owner reports it (the old one no longer may) and is the one
// reminded on the due day.
func TestTheCentresRectificationFollowsAHandover(t *testing.T) {
	h := newHarness(t, "2026-04-02 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场说明办理流程，过户材料需补交完税证明")
	must(t, "resolve", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "", casework.ViaInPerson)
	must(t, "rate", err)
	_, err = h.svc.Handover(h.ctx, h.as("wang"), c.No, "li", "轮休，交李明跟进")
	must(t, "handover", err)

	h.clock.Set(at("2026-04-10 09:00")) // the due morning
	before := len(h.notices(c.No))
	if ids := h.fireDue("rectify:"); len(ids) != 1 || !strings.HasSuffix(ids[0], ":remind") {
		t.Fatalf("fired %v on the due morning, want the reminder", ids)
	}
	got := h.since(c.No, before)
	if !anyContains(cardsTo(t, got, models.AudienceStaff, "li"), "差评整改今天到期", c.No) {
		t.Errorf("li, the owner now, was not reminded: %v", got)
	}
	if cards := cardsTo(t, got, models.AudienceStaff, "wang"); len(cards) != 0 {
		t.Errorf("wang, the owner before the handover, was reminded: %q", cards)
	}
	if rc := h.get(c.No).RectifyOwners; rc["li"] == "" {
		t.Errorf("the case names the rectification's owners %v, want li", rc)
	}

	_, err = h.svc.ReportRectification(h.ctx, h.as("wang"), c.No, "", models.VerdictFounded, "已整改")
	wantErr(t, err, models.ErrForbidden)
	_, err = h.svc.ReportRectification(h.ctx, h.as("li"), c.No, "", models.VerdictFounded, "已向反映人补充说明完税证明的开具方式")
	must(t, "the new owner reports", err)
	// The row itself is li's, so the figures credit li (reports count by it).
	if rc := h.rectifications(c.No)[0]; rc.Open() || rc.ReportedBy != "li" || rc.OwnerID != "li" {
		t.Errorf("after li's report: %+v", rc)
	}
}

// timerLog is a Timers that records what casework asks of it.
type timerLog struct {
	mu        sync.Mutex
	cancelled []string
	prefixes  []string
}

func (l *timerLog) Schedule(context.Context, string, time.Time) error { return nil }

func (l *timerLog) Cancel(_ context.Context, ids ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelled = append(l.cancelled, ids...)
	return nil
}

func (l *timerLog) CancelPrefix(_ context.Context, prefix string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prefixes = append(l.prefixes, prefix)
	return nil
}

// A reported rectification's timers are not cancelled when the case is
// re-planned (by id or by a prefix: work on the timer set each time any
// use case touches the case); they may still fire, and firing drops them:
// neither the reminder nor the escalation goes out.
func TestAReportedRectificationsTimersFireNothing(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	log := &timerLog{}
	h.svc.SetTimers(log)
	c := h.badlyRated(models.RatingDissatisfied)
	_, err := h.svc.ReportRectification(h.ctx, h.as("liu"), c.No, "realestate", models.VerdictFounded, "已整改")
	must(t, "report", err)
	h.repliedBy(c.No, "realestate", "zhang", "已当面致歉并办结过户") // one more re-plan

	log.mu.Lock()
	for _, pre := range log.prefixes {
		if strings.HasPrefix(pre, "rectify:") {
			t.Errorf("cancelled the rectification's timers by the prefix %q", pre)
		}
	}
	for _, id := range log.cancelled {
		if strings.HasPrefix(id, "rectify:") {
			t.Errorf("cancelled %s on a re-plan after the report", id)
		}
	}
	log.mu.Unlock()

	// Due Tue 2026-03-17 18:00 (5 working days): the reminder would go out
	// that morning, the escalation after it.
	p := "rectify:" + strconv.FormatUint(h.rectifications(c.No)[0].ID, 10) + ":"
	before := len(h.notices(c.No))
	h.clock.Set(at("2026-03-17 12:00"))
	must(t, "fire the reminder", h.svc.FireTimer(h.ctx, p+"remind"))
	h.clock.Set(at("2026-03-19 09:00"))
	must(t, "fire the escalation", h.svc.FireTimer(h.ctx, p+"overdue"))
	if got := h.since(c.No, before); len(got) != 0 {
		t.Errorf("a reported rectification's timers wrote notices %+v", got)
	}
	for _, action := range []string{"rectify_reminded", "rectify_overdue"} {
		if e := eventsOf(h.get(c.No), action); len(e) != 0 {
			t.Errorf("a reported rectification's timer recorded %+v", e)
		}
	}
}

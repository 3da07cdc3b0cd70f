package casework_test

import (
	"slices"
	"strings"
	"testing"

	"bbcs/bot"
	"bbcs/bot/wechat"
	"bbcs/casework"
	"bbcs/models"
)

// fireDue fires, as the engine would, every timer the database wants
// whose id contains part and whose time has come; it lists them.
func (h *harness) fireDue(part string) []string {
	h.t.Helper()
	want, err := h.svc.WantedTimers(h.ctx)
	must(h.t, "wanted timers", err)
	var ids []string
	for id, when := range want {
		if strings.Contains(id, part) && !when.After(h.clock.Now()) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		must(h.t, "fire "+id, h.svc.FireTimer(h.ctx, id))
	}
	return ids
}

// since lists the notices of a case written after the first n.
func (h *harness) since(no string, n int) []models.Notice {
	all := h.notices(no)
	if n > len(all) {
		return nil
	}
	return all[n:]
}

// card renders a staff notice as its reader sees it.
func card(t *testing.T, n models.Notice) string {
	c := bot.RenderCard(n.Kind, dataOf(t, n))
	return c.Title + "\n" + strings.Join(c.Lines, "\n")
}

func cardsTo(t *testing.T, list []models.Notice, aud models.Audience, target string) []string {
	var out []string
	for _, n := range list {
		if n.Audience == aud && n.Target == target {
			out = append(out, card(t, n))
		}
	}
	return out
}

func anyContains(list []string, subs ...string) bool {
	for _, s := range list {
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(s, sub)
		}
		if ok {
			return true
		}
	}
	return false
}

func (h *harness) roster(date, specialist, leader string) {
	h.t.Helper()
	must(h.t, "roster "+date, h.svc.SaveDutyDay(h.ctx, h.as("admin"), models.DutyDay{Date: date, SpecialistID: specialist, LeaderID: leader}))
}

// Defect 5: an order due Friday 03-13 18:00 whose timers fire only on
// Tuesday 03-17 (bbcs was down over the weekend): nobody is told “今天
// 18:00 到期”; the group hears once that the order is 2 working days
// overdue (Mon 16, Tue 17), whichever timer the engine hands out first.
func TestALateReminderDoesNotSayToday(t *testing.T) {
	for _, order := range [][]string{{":remind:", ":due:"}, {":due:", ":remind:"}} {
		t.Run(strings.Join(order, "then"), func(t *testing.T) {
			h := newHarness(t, "2026-03-10 10:00")
			c := h.dispatched("realestate")
			before := len(h.notices(c.No))
			h.clock.Set(at("2026-03-17 10:00"))
			for _, part := range order {
				h.fire(h.orderOf(c.No, "realestate"), part)
			}
			got := h.since(c.No, before)
			for _, n := range got {
				if s := card(t, n); strings.Contains(s, "今天") {
					t.Errorf("a notice to %s %s says %q on the day after the deadline", n.Audience, n.Target, s)
				}
			}
			group := cardsTo(t, got, models.AudienceDepartment, "realestate")
			if len(group) != 1 || !strings.Contains(group[0], "已超期 2 个工作日") {
				t.Errorf("the window group read %q, want one notice: 已超期 2 个工作日", group)
			}
			if n := len(eventsOf(h.get(c.No), "reminded")); n != 0 {
				t.Errorf("%d reminder lines on the timeline after the deadline", n)
			}
			wantAnyEvent(t, h.get(c.No), "overdue", "系统", "已超期 2 个工作日")
		})
	}
	t.Run("on time it is still today", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		h.clock.Set(at("2026-03-13 15:00")) // late, but before the deadline
		h.fire(h.orderOf(c.No, "realestate"), ":remind:")
		group := cardsTo(t, h.noticesOf(c.No, models.NoticeReminder, models.AudienceDepartment), models.AudienceDepartment, "realestate")
		if len(group) != 1 || !strings.Contains(group[0], "今天 18:00 到期") {
			t.Errorf("reminder %q", group)
		}
	})
	t.Run("the cap fired late says how late", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		h.clock.Set(at("2026-03-27 10:00")) // cap 03-24 18:00: 25, 26, 27
		before := len(h.notices(c.No))
		h.fire(h.orderOf(c.No, "realestate"), ":cap")
		sup := cardsTo(t, h.since(c.No, before), models.AudienceSupervision, "")
		if len(sup) != 1 || !strings.Contains(sup[0], "3 个工作日") || strings.Contains(sup[0], "已满10个工作日") {
			t.Errorf("supervision read %q, want the cap passed 3 working days ago", sup)
		}
	})
}

// serviceAccountCase is a citizen's report on the service account, owned
// by the specialist on duty (李明 on 03-10), dispatched by him.
func (h *harness) serviceAccountCase(depts ...string) *models.Case {
	h.t.Helper()
	c, err := h.svc.Register(h.ctx, casework.Applicant("李女士"), casework.Registration{
		ApplicantName: "李女士", ApplicantMobile: "13800138000", Category: models.CategoryNotCompleted,
		Matter: "过户材料提交后一直没有办理", Channel: models.ChannelServiceAccount, OpenID: "o-citizen-1",
	})
	must(h.t, "register", err)
	_, err = h.svc.Dispatch(h.ctx, h.as(c.OwnerID), c.No, depts, "", false)
	must(h.t, "dispatch", err)
	return c
}

func citizenTexts(t *testing.T, list []models.Notice) []string {
	var out []string
	for _, n := range list {
		if n.Audience == models.AudienceApplicant {
			d := dataOf(t, n)
			f := wechat.TemplateFields(n.Kind, d)
			out = append(out, wechat.Text(n.Kind, d)+"\n"+f.First+"｜"+f.Keyword2+"｜"+f.Keyword3+"｜"+f.Remark)
		}
	}
	return out
}

// Defect 9: the applicant hears when the department misses its deadline
// and when the order goes up to a leader, with the latest date (the
// 10-working-day cap, Tue 03-24 18:00), never a date already past.
func TestTheApplicantIsToldOfDelays(t *testing.T) {
	const capDate = "2026年3月24日（周二）18:00"
	t.Run("overdue", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.serviceAccountCase("realestate")
		before := len(h.notices(c.No))
		h.clock.Set(at("2026-03-16 09:00"))
		h.fire(h.orderOf(c.No, "realestate"), ":due:")
		got := citizenTexts(t, h.since(c.No, before))
		if len(got) != 1 || !strings.Contains(got[0], "不动产登记窗口") || !strings.Contains(got[0], capDate) || !strings.Contains(got[0], c.No) {
			t.Fatalf("the applicant read %q, want one message naming the window and %s", got, capDate)
		}
		if strings.Contains(got[0], "李明") || strings.Contains(got[0], "GD") {
			t.Errorf("a citizen sees no staff names or order numbers: %q", got[0])
		}
	})
	t.Run("escalated", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.serviceAccountCase("realestate")
		before := len(h.notices(c.No))
		h.clock.Set(at("2026-03-11 09:30"))
		_, err := h.svc.Escalate(h.ctx, h.as("zhang"), h.orderOf(c.No, "realestate").No, "涉及历史遗留产权问题", nil)
		must(t, "escalate", err)
		got := citizenTexts(t, h.since(c.No, before))
		if len(got) != 1 || !strings.Contains(got[0], "领导") || !strings.Contains(got[0], capDate) {
			t.Fatalf("the applicant read %q, want one message: a leader coordinates, answer by %s", got, capDate)
		}
	})
	t.Run("past the cap: no date that is gone", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.serviceAccountCase("realestate")
		before := len(h.notices(c.No))
		h.clock.Set(at("2026-03-27 10:00"))
		h.fire(h.orderOf(c.No, "realestate"), ":due:")
		h.fire(h.orderOf(c.No, "realestate"), ":cap")
		got := citizenTexts(t, h.since(c.No, before))
		if len(got) != 1 {
			t.Fatalf("the applicant read %q, want one message", got)
		}
		if strings.Contains(got[0], "3月24日") || strings.Contains(got[0], "3月13日") {
			t.Errorf("the applicant was given a date already past: %q", got[0])
		}
	})
	t.Run("walk-in: the owner has the text to send", func(t *testing.T) {
		h := newHarness(t, "2026-03-10 10:00")
		c := h.dispatched("realestate")
		before := len(h.notices(c.No))
		h.clock.Set(at("2026-03-16 09:00"))
		h.fire(h.orderOf(c.No, "realestate"), ":due:")
		owner := cardsTo(t, h.since(c.No, before), models.AudienceStaff, "wang")
		if !anyContains(owner, "反映人", "短信", capDate) {
			t.Errorf("the owner's cards %q: none gives a text for the applicant with %s", owner, capDate)
		}
	})
}

// Defect 6: a case registered Tuesday 10:00 and left alone: its owner
// is reminded on the morning of the next working day (第十条 研判: the same or
// the next working day), and at its end the owner's leader, the leader on
// duty that day and the supervision section hear of it. A case dispatched
// in time hears nothing.
func TestAnUntriagedCaseIsRemindedThenEscalated(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	_, err := h.svc.SaveDepartment(h.ctx, h.as("admin"), models.Department{Code: "centre", Name: "政务服务中心", LeaderID: "wu"})
	must(t, "centre", err)
	wang := h.as("wang")
	wang.DepartmentCode = "centre"
	_, err = h.svc.SaveStaff(h.ctx, h.as("admin"), casework.StaffChange{Staff: wang})
	must(t, "wang's department", err)
	h.roster("2026-03-11", "li", "chen")

	c := h.walkIn()
	done := h.walkIn()
	before := len(h.notices(c.No))

	h.clock.Set(at("2026-03-11 08:59"))
	if ids := h.fireDue(c.No); len(ids) != 0 {
		t.Fatalf("fired before the morning: %v", ids)
	}
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), done.No, []string{"tax"}, "", false)
	must(t, "dispatch", err)
	doneBefore := len(h.notices(done.No))

	h.clock.Set(at("2026-03-11 09:00"))
	h.fireDue(c.No)
	h.fireDue(done.No)
	got := h.since(c.No, before)
	if cards := cardsTo(t, got, models.AudienceStaff, "wang"); len(cards) != 1 || !strings.Contains(cards[0], c.No) || !strings.Contains(cards[0], "研判") {
		t.Fatalf("the owner read %q, want one reminder to triage %s", cards, c.No)
	}
	if len(got) != 1 {
		t.Errorf("the reminder went to more than the owner: %d notices", len(got))
	}

	h.clock.Set(at("2026-03-11 18:01"))
	h.fireDue(c.No)
	h.fireDue(done.No)
	got = h.since(c.No, before+1)
	for _, who := range []string{"wu", "chen"} {
		if cards := cardsTo(t, got, models.AudienceStaff, who); len(cards) != 1 || !strings.Contains(cards[0], c.No) {
			t.Errorf("%s read %q, want one escalation of %s", who, cards, c.No)
		}
	}
	if cards := cardsTo(t, got, models.AudienceSupervision, ""); len(cards) != 1 || !strings.Contains(cards[0], "王芳") {
		t.Errorf("supervision read %q, want one escalation naming the owner", cards)
	}
	wantAnyEvent(t, h.get(c.No), "wait_escalated", "系统", "陈副主任", "吴副主任")
	if n := len(h.notices(done.No)); n != doneBefore {
		t.Errorf("the dispatched case got %d notices from wait timers", n-doneBefore)
	}
	// Once fired, a timer is not wanted again; dispatching ends the wait.
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false)
	must(t, "dispatch", err)
	want, err := h.svc.WantedTimers(h.ctx)
	must(t, "wanted", err)
	for id := range want {
		if strings.HasPrefix(id, "wait:"+c.No) {
			t.Errorf("still wanted after dispatch: %s", id)
		}
	}
}

// Defect 6: 退回重办 of a case answered on the spot leaves no work order:
// the owner must handle it again, on the same clock as a new case.
func TestAReopenedCaseWithoutOrdersIsReminded(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	_, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "已当场协调办理")
	must(t, "resolve", err)
	_, err = h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "其实没有办好", casework.ViaInPerson)
	must(t, "rate", err)
	if st := h.get(c.No).Case.Status; st != models.CaseReopened {
		t.Fatalf("status %s", st)
	}
	h.roster("2026-03-11", "li", "chen")
	before := len(h.notices(c.No))
	h.clock.Set(at("2026-03-11 09:00"))
	h.fireDue("wait:" + c.No)
	if cards := cardsTo(t, h.since(c.No, before), models.AudienceStaff, "wang"); !anyContains(cards, c.No, "退回重办") {
		t.Fatalf("the owner read %q, want a reminder of the re-handling", cards)
	}
	h.clock.Set(at("2026-03-11 18:01"))
	h.fireDue("wait:" + c.No)
	got := h.since(c.No, before)
	if len(cardsTo(t, got, models.AudienceStaff, "chen")) != 1 || len(cardsTo(t, got, models.AudienceSupervision, "")) != 1 {
		t.Errorf("escalation of the re-handling: %v", targets(got))
	}
}

// Defect 6: a 请示 to 陈副主任 on Tuesday: he is reminded on the morning of
// the third working day (Fri 03-13) and at its end the 主要负责领导, the
// leader on duty and the supervision section hear of it; a 请示 answered
// in time is not chased.
func TestAnUnansweredInstructionIsChased(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.roster("2026-03-13", "li", "wu")
	c := h.walkIn()
	answered := h.walkIn()
	for _, no := range []string{c.No, answered.No} {
		_, err := h.svc.RequestInstruction(h.ctx, h.as("wang"), no, "chen", "无先例可循，能否按个案办理？")
		must(t, "ask", err)
	}
	_, err := h.svc.AnswerInstruction(h.ctx, h.as("chen"), answered.No, "可以按个案办理")
	must(t, "answer", err)
	before, answeredBefore := len(h.notices(c.No)), len(h.notices(answered.No))

	h.clock.Set(at("2026-03-12 18:00"))
	if ids := h.fireDue("wait:"); len(ids) != 0 {
		t.Fatalf("fired early: %v", ids)
	}
	h.clock.Set(at("2026-03-13 09:00"))
	h.fireDue("wait:")
	if cards := cardsTo(t, h.since(c.No, before), models.AudienceStaff, "chen"); len(cards) != 1 || !strings.Contains(cards[0], "请示") {
		t.Fatalf("the leader read %q, want one reminder of the 请示", cards)
	}
	h.clock.Set(at("2026-03-13 18:01"))
	h.fireDue("wait:")
	got := h.since(c.No, before+1)
	for _, who := range []string{"zhou", "wu"} {
		if len(cardsTo(t, got, models.AudienceStaff, who)) != 1 {
			t.Errorf("%s not told of the unanswered 请示: %v", who, targets(got))
		}
	}
	if len(cardsTo(t, got, models.AudienceSupervision, "")) != 1 {
		t.Errorf("supervision not told: %v", targets(got))
	}
	if n := len(h.notices(answered.No)); n != answeredBefore {
		t.Errorf("the answered 请示 was chased: %d notices", n-answeredBefore)
	}
}

// Defect 11: the leader on duty that day (第四条) hears of the day's
// escalations and of the specialist's missed check-in.
func TestTheDutyLeaderHearsTheDaysEscalations(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.roster("2026-03-16", "li", "wu")
	h.roster("2026-03-24", "li", "wu")
	c := h.dispatched("realestate")
	h.clock.Set(at("2026-03-16 09:00"))
	h.fire(h.orderOf(c.No, "realestate"), ":due:")
	if len(cardsTo(t, h.noticesOf(c.No, models.NoticeOverdue, models.AudienceStaff), models.AudienceStaff, "wu")) != 1 {
		t.Errorf("the duty leader wu did not hear of the overdue order: %v", targets(h.noticesOf(c.No, models.NoticeOverdue, models.AudienceStaff)))
	}
	h.clock.Set(at("2026-03-24 18:01"))
	h.fire(h.orderOf(c.No, "realestate"), ":cap")
	if len(cardsTo(t, h.noticesOf(c.No, models.NoticeCapReached, models.AudienceStaff), models.AudienceStaff, "wu")) != 1 {
		t.Errorf("the duty leader wu did not hear of the cap: %v", targets(h.noticesOf(c.No, models.NoticeCapReached, models.AudienceStaff)))
	}

	// 03-10: 李明 on duty, 陈副主任 the leader; nobody checks in.
	h.clock.Set(at("2026-03-10 08:31"))
	must(t, "duty timer", h.svc.FireTimer(h.ctx, "duty:2026-03-10"))
	var missed []models.Notice
	must(t, "read", h.db.Where("kind = ?", models.NoticeDutyMissed).Find(&missed).Error)
	var to []string
	for _, n := range missed {
		to = append(to, string(n.Audience)+":"+n.Target)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"staff:chen", "supervision:"}) {
		t.Errorf("missed check-in told %v, want the duty leader chen and supervision", to)
	}
}

// An order extended to exactly its 10-working-day cap (R6, 第十二条): when
// that deadline passes unanswered it has reached the cap as well, so the
// 主要负责领导 and the supervision section hear of it, once, and the
// applicant gets the cap's text, not the plain overdue one.
func TestAnOrderExtendedToItsCapReachesThePrincipal(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.serviceAccountCase("realestate")
	o := h.orderOf(c.No, "realestate")
	_, err := h.svc.Extend(h.ctx, h.as("zhang"), o.No, "2026-03-24", "需要外调材料")
	must(t, "extend to the cap", err)
	before := len(h.notices(c.No))
	h.clock.Set(at("2026-03-25 09:00"))
	h.fireDue("wo:")
	h.fireDue("wo:") // an engine may hand timers out twice
	got := h.since(c.No, before)
	if p := cardsTo(t, got, models.AudienceStaff, "zhou"); len(p) != 1 {
		t.Errorf("the 主要负责领导 read %q, want one notice", p)
	}
	if s := cardsTo(t, got, models.AudienceSupervision, ""); len(s) != 1 {
		t.Errorf("the supervision section read %q, want one notice", s)
	}
	cit := citizenTexts(t, got)
	if len(cit) != 1 {
		t.Fatalf("the applicant read %q, want one message", cit)
	}
	if !strings.Contains(cit[0], "已超过最长办理时限") || strings.Contains(cit[0], "未能在承诺时限内答复") {
		t.Errorf("the applicant read %q, want the cap's text (已超过最长办理时限…主要负责领导督办)", cit[0])
	}
	wantAnyEvent(t, h.get(c.No), "cap_reached", "系统", "主要负责领导", "监督考核科")
}

// Once the owner has triaged a case (当场解决 without a result yet) or
// summoned the window staff, it still waits — for the applicant's answer,
// not for triage: its own wait, from that moment, with its own words.
// Triaged Wed 03-11 08:30: reminded Thu 03-12 09:00, escalated after
// 18:00; nothing says the case was never triaged.
func TestATriagedOrSummonedCaseWaitsForItsAnswer(t *testing.T) {
	for name, act := range map[string]func(h *harness, no string) error{
		"on the spot, no result yet": func(h *harness, no string) error {
			_, err := h.svc.Triage(h.ctx, h.as("wang"), no, casework.Triage{Decision: casework.DecideOnTheSpot, Note: "请窗口当场核实"})
			return err
		},
		"triaged to summon": func(h *harness, no string) error {
			_, err := h.svc.Triage(h.ctx, h.as("wang"), no, casework.Triage{Decision: casework.DecideSummon, Departments: []string{"tax"}})
			return err
		},
		"summoned": func(h *harness, no string) error {
			_, err := h.svc.Summon(h.ctx, h.as("wang"), no, "tax", "")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "2026-03-10 10:00")
			h.roster("2026-03-12", "li", "chen")
			c := h.walkIn()
			h.clock.Set(at("2026-03-11 08:30"))
			must(t, name, act(h, c.No))
			before := len(h.notices(c.No))

			h.clock.Set(at("2026-03-11 18:01"))
			if ids := h.fireDue(c.No); len(ids) != 0 {
				t.Fatalf("fired on the triage clock: %v", ids)
			}
			h.clock.Set(at("2026-03-12 09:00"))
			ids := h.fireDue(c.No)
			if len(ids) != 1 || !strings.Contains(ids[0], ":answer:remind") {
				t.Errorf("fired %v, want the answer wait's reminder", ids)
			}
			got := h.since(c.No, before)
			cards := cardsTo(t, got, models.AudienceStaff, "wang")
			if len(cards) != 1 || !strings.Contains(cards[0], "尚未答复申请人") || strings.Contains(cards[0], "尚未研判") {
				t.Fatalf("the owner read %q, want one reminder to answer the applicant", cards)
			}
			h.clock.Set(at("2026-03-12 18:01"))
			h.fireDue(c.No)
			got = h.since(c.No, before+1)
			sup := cardsTo(t, got, models.AudienceSupervision, "")
			if len(sup) != 1 || !strings.Contains(sup[0], "尚未答复申请人") || strings.Contains(sup[0], "尚未研判") {
				t.Errorf("supervision read %q, want the case escalated as not yet answered", sup)
			}
			wantAnyEvent(t, h.get(c.No), "wait_escalated", "系统", "已研判/已通知窗口到现场，尚未答复申请人")
			for _, e := range eventsOf(h.get(c.No), "wait_escalated") {
				if strings.Contains(e.Note, "尚未研判") {
					t.Errorf("timeline says the case was not triaged: %q", e.Note)
				}
			}
		})
	}
}

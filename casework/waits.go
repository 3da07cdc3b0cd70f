package casework

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// The waits outside work orders: each has its working-day clock, like an
// order's (第十二条), so no case sits forever where nobody looks.
//
//	wait:BB…:triage:remind|escalate          registered, not yet triaged, summoned or dispatched (第九条, 第十条)
//	wait:BB…:answer:remind|escalate          triaged (当场解决) or window staff summoned, the applicant not yet answered
//	wait:BB…:reopen:<round>:remind|escalate  退回重办 without a new work order (第十三条)
//	wait:BB…:ask:<id>:remind|escalate        a 请示 the leader has not answered (第六条)
//
// The one who must act (the owner; for a 请示 the leader asked) is reminded
// on the morning of the wait's last working day; at its end the wait is
// escalated: to the owner's 分管领导, the leader on duty that day (第四条)
// and the supervision section; a 请示 to the 主要负责领导, the leader on duty
// and the supervision section. The timers are planned from the database;
// a firing re-reads it and does nothing when the wait has ended.
const (
	waitTriage      = "triage"
	waitAnswer      = "answer"
	waitReopen      = "reopen"
	waitInstruction = "instruction"
)

func waitPrefix(caseNo string) string { return waitNS + caseNo + ":" }

// wait is one open wait of a case.
type wait struct {
	kind  string
	key   string // the id's part after the case number
	since time.Time
	days  int
	who   string // the staff id who must act
	ask   *models.Instruction
}

// waitFacts are what a case's waits are read from: its open 请示 and the
// latest triage, summons and reopening on its timeline.
type waitFacts struct {
	asks []models.Instruction
	last map[string]models.TimelineEvent // by action
}

// waitActions are the timeline steps a wait starts from.
var waitActions = []string{"triaged", "summoned", "reopened"}

// loadWaitFacts reads the facts of the waits of the cases ids in two
// queries per 500 cases, however many cases there are: reconciliation
// reads every waiting case at once.
func loadWaitFacts(db *gorm.DB, ids []uint64) (map[uint64]*waitFacts, error) {
	facts := make(map[uint64]*waitFacts, len(ids))
	for _, id := range ids {
		facts[id] = &waitFacts{last: map[string]models.TimelineEvent{}}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var asks []models.Instruction
		if err := db.Where("case_id IN ? AND answered_at IS NULL", chunk).Order("id").Find(&asks).Error; err != nil {
			return nil, fmt.Errorf("casework: read open instructions: %w", err)
		}
		for _, a := range asks {
			facts[a.CaseID].asks = append(facts[a.CaseID].asks, a)
		}
		var events []models.TimelineEvent
		if err := db.Where("case_id IN ? AND action IN ?", chunk, waitActions).Find(&events).Error; err != nil {
			return nil, fmt.Errorf("casework: read the steps waits start from: %w", err)
		}
		for _, e := range events {
			if cur, ok := facts[e.CaseID].last[e.Action]; !ok || e.Seq > cur.Seq {
				facts[e.CaseID].last[e.Action] = e
			}
		}
	}
	return facts, nil
}

// waitsOf reads a case's open waits.
func (s *Service) waitsOf(db *gorm.DB, c *models.Case) ([]wait, error) {
	facts, err := loadWaitFacts(db, []uint64{c.ID})
	if err != nil {
		return nil, err
	}
	return s.waitsFrom(c, facts[c.ID]), nil
}

// waitsFrom are a case's open waits, from its facts. While a 请示 is open
// the owner waits for the leader: the leader's clock runs, not the owner's.
func (s *Service) waitsFrom(c *models.Case, f *waitFacts) []wait {
	var out []wait
	for i := range f.asks {
		out = append(out, wait{kind: waitInstruction, key: "ask:" + strconv.FormatUint(f.asks[i].ID, 10),
			since: f.asks[i].AskedAt, days: s.opts.InstructionDays, who: f.asks[i].LeaderID, ask: &f.asks[i]})
	}
	if len(out) > 0 {
		return out
	}
	switch c.Status {
	case models.CaseRegistered:
		// Triaged (当场解决 without the result yet) or summoned, the case
		// is handled and awaits its answer, from the latest such step.
		e, ok := f.last["triaged"]
		if sm, summoned := f.last["summoned"]; summoned && (!ok || sm.Seq > e.Seq) {
			e, ok = sm, true
		}
		if ok {
			return append(out, wait{kind: waitAnswer, key: waitAnswer, since: e.At, days: s.opts.TriageDays, who: c.OwnerID})
		}
		out = append(out, wait{kind: waitTriage, key: waitTriage, since: c.AcceptedAt, days: s.opts.TriageDays, who: c.OwnerID})
	case models.CaseReopened:
		if e, ok := f.last["reopened"]; ok {
			out = append(out, wait{kind: waitReopen, key: waitReopen + ":" + strconv.Itoa(c.Round), since: e.At, days: s.opts.ReopenDays, who: c.OwnerID})
		}
	}
	return out
}

// planNew arms the clock of a case just registered. Its one wait is
// triage, known from the case alone, so registration reads nothing back
// (planCase would read orders, summons, waits and firings of a case that
// has none). A case found again by its source was planned when it was
// made; a firing that finds it moved on does nothing.
func (s *Service) planNew(ctx context.Context, c *models.Case) {
	if s.timers == nil || c.Status != models.CaseRegistered {
		return
	}
	for id, at := range s.waitTimers(c, s.waitsFrom(c, &waitFacts{})) {
		if err := s.timers.Schedule(ctx, id, at); err != nil {
			s.log.Warn("timers: schedule", "timer", id, "err", err)
		}
	}
}

// dueOf is when a wait runs out.
func (s *Service) dueOf(w wait) time.Time { return s.Calendar().DueAt(w.since, w.days) }

// waitTimers are the timers of a case's open waits.
func (s *Service) waitTimers(c *models.Case, waits []wait) map[string]time.Time {
	out := map[string]time.Time{}
	for _, w := range waits {
		due := s.dueOf(w)
		p := waitPrefix(c.No) + w.key + ":"
		out[p+"escalate"] = due
		if morning := s.Calendar().MorningOf(due); morning.After(w.since) && morning.Before(due) {
			out[p+"remind"] = morning
		}
	}
	return out
}

// wantedWaits are the wait timers of every case with an open wait.
func (s *Service) wantedWaits(ctx context.Context) (map[string]time.Time, error) {
	db := s.db.WithContext(ctx)
	var cases []models.Case
	asking := db.Model(&models.Instruction{}).Select("case_id").Where("answered_at IS NULL")
	if err := db.Where("status IN ? OR id IN (?)", []models.CaseStatus{models.CaseRegistered, models.CaseReopened}, asking).Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("casework: list waiting cases: %w", err)
	}
	ids := make([]uint64, len(cases))
	for i := range cases {
		ids[i] = cases[i].ID
	}
	facts, err := loadWaitFacts(db, ids)
	if err != nil {
		return nil, err
	}
	want := map[string]time.Time{}
	for i := range cases {
		maps.Copy(want, s.waitTimers(&cases[i], s.waitsFrom(&cases[i], facts[cases[i].ID])))
	}
	return want, nil
}

// fireWaitTimer: wait:<case no>:<key>:remind|escalate.
func (s *Service) fireWaitTimer(ctx context.Context, id string) error {
	rest := strings.TrimPrefix(id, waitNS)
	no, key, ok := strings.Cut(rest, ":")
	i := strings.LastIndex(key, ":")
	if !ok || i < 0 {
		return ErrUnknownTimer
	}
	key, what := key[:i], key[i+1:]
	if what != "remind" && what != "escalate" {
		return ErrUnknownTimer
	}
	return s.fireOnce(ctx, id, no, func(ch *change) error {
		waits, err := s.waitsOf(ch.tx, ch.c)
		if err != nil {
			return err
		}
		at, ok := s.waitTimers(ch.c, waits)[id]
		if !ok || ch.now.Before(at) {
			return errStale // handled, answered, or not yet
		}
		for _, w := range waits {
			if w.key != key {
				continue
			}
			if what == "remind" {
				return ch.waitRemind(w, s.dueOf(w))
			}
			return ch.waitEscalate(w, s.dueOf(w))
		}
		return errStale
	})
}

// waitData is the payload of a wait's notices.
func (ch *change) waitData(w wait, due time.Time) models.NoticeData {
	d := ch.data()
	since := w.since
	d.Wait, d.Since, d.DueAt = w.kind, &since, &due
	d.WaitedDays = ch.lateDays(w.since)
	if w.ask != nil {
		d.Note = w.ask.Question
	}
	return d
}

// waitWhat says what is awaited, for the timeline.
func waitWhat(w wait) string {
	switch w.kind {
	case waitReopen:
		return "退回重办后尚未重新派发工单或答复"
	case waitInstruction:
		return "请示尚未答复"
	case waitAnswer:
		return "已研判/已通知窗口到现场，尚未答复申请人"
	}
	return "受理后尚未研判处理（当场解决、通知窗口到现场或派发工单）"
}

// waitRemind tells the one who must act, on the morning of the last day.
// Fired after the wait ran out (a restart), it stays silent: the
// escalation, due as well, says how long it has been.
func (ch *change) waitRemind(w wait, due time.Time) error {
	if !ch.now.Before(due) {
		return nil
	}
	who, err := ch.staff(w.who)
	if err != nil {
		return err
	}
	ch.record("wait_reminded", "", fmt.Sprintf("提醒%s：%s，请于 %s 前办理", who.Name, waitWhat(w), ch.dueWhen(due)))
	ch.notify(models.NoticeWaitReminder, models.AudienceStaff, who.ID, ch.waitData(w, due))
	return nil
}

// waitEscalate reports a wait that ran out.
func (ch *change) waitEscalate(w wait, due time.Time) error {
	d := ch.waitData(w, due)
	told := map[string]bool{w.who: true}
	var names []string
	tell := func(st models.Staff, as string) {
		if st.ID == "" || !st.Active || told[st.ID] {
			return
		}
		told[st.ID] = true
		names = append(names, st.Name+"（"+as+"）")
		ch.notify(models.NoticeWaitEscalated, models.AudienceStaff, st.ID, d)
	}
	if w.kind == waitInstruction {
		if p, err := ch.principal(); err == nil {
			tell(p, "主要负责领导")
		}
	} else if ch.owner.DepartmentCode != "" {
		if dept, err := ch.departmentOnFile(ch.owner.DepartmentCode); err == nil && dept.LeaderID != "" {
			if leader, err := ch.staff(dept.LeaderID); err == nil {
				tell(leader, "分管领导")
			}
		}
	}
	duty, ok, err := ch.dutyLeader()
	if err != nil {
		return err
	}
	if ok {
		tell(duty, "值班领导")
	}
	ch.notify(models.NoticeWaitEscalated, models.AudienceSupervision, "", d)
	names = append(names, "监督考核科")
	ch.record("wait_escalated", "", fmt.Sprintf("%s（已 %d 个工作日，时限 %s），已报告 %s", waitWhat(w), d.WaitedDays, models.FormatTime(due), strings.Join(names, "、")))
	return nil
}

// tellDelay tells the applicant that an order is late or went up to a
// leader (第七条: 就办理进展情况及时向反映人反馈), with the latest date it may
// take: the 10-working-day cap of 第十二条, never a date already past. A
// walk-in or phone applicant hears it from the owner, who gets the text.
func (ch *change) tellDelay(o *models.WorkOrder, dept models.Department, why string, departments []string) {
	d := ch.data()
	d.Department, d.DepartmentName, d.Delay, d.Departments = dept.Code, dept.Name, why, departments
	if why != models.DelayCap && o.CapAt.After(ch.now) {
		capAt := o.CapAt
		d.CapAt = &capAt
	}
	if ch.c.ApplicantOpenID != "" {
		ch.notifyApplicant(models.NoticeOrderDelayed, d)
		return
	}
	d.Note = d.DelayText()
	ch.notify(models.NoticeOrderDelayed, models.AudienceStaff, ch.c.OwnerID, d)
}

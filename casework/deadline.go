package casework

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
	"bbcs/timers"
)

// Timers is the index of deadlines casework keeps in Redis (decision 3):
// the database holds every deadline, the timers only say when to look.
type Timers interface {
	Schedule(ctx context.Context, id string, at time.Time) error
	Cancel(ctx context.Context, ids ...string) error
	CancelPrefix(ctx context.Context, prefix string) error
}

// SetTimers connects the timer index. Without one (tests of the workflow
// alone), deadlines are only kept in the database.
func (s *Service) SetTimers(t Timers) { s.timers = t }

// The timers of a work order (第十二条). Ids name what they are for and
// the deadline they belong to, so a re-planned order gets new ids and a
// stale timer of the old deadline finds nothing to do.
//
//	wo:GD…:remind:<deadline unix>  the morning of the last working day
//	wo:GD…:due:<deadline unix>     the deadline: overdue, escalate
//	wo:GD…:cap                     10 working days from receipt
const (
	timerRemind = "remind"
	timerDue    = "due"
	timerCap    = "cap"
)

func orderTimerPrefix(orderNo string) string { return orderNS + orderNo + ":" }

// OrderTimers lists the timers an open order needs, with when they fire.
func (s *Service) OrderTimers(o *models.WorkOrder) map[string]time.Time {
	if !o.Open() {
		return nil
	}
	dl := o.Deadline()
	stamp := strconv.FormatInt(dl.Unix(), 10)
	p := orderTimerPrefix(o.No)
	out := map[string]time.Time{
		p + timerDue + ":" + stamp: dl,
		p + timerCap:               o.CapAt,
	}
	// A reminder on the morning of the last day, if that morning comes
	// after receipt (an order due the day it arrives needs none).
	if morning := s.Calendar().MorningOf(dl); morning.After(o.ReceivedAt) && morning.Before(dl) {
		out[p+timerRemind+":"+stamp] = morning
	}
	if !o.CapAt.After(dl) {
		delete(out, p+timerCap) // the cap is the deadline itself: one alarm
	}
	return out
}

// planCase re-plans the timers of a case after a use case committed: each
// order's old timers go and the ones its present state needs come (less
// those that fired already); summons likewise. A failure here is mended by
// the next reconciliation, so it is only logged.
func (s *Service) planCase(ctx context.Context, caseID uint64) {
	if s.timers == nil {
		return
	}
	db := s.db.WithContext(ctx)
	var orders []models.WorkOrder
	var summons []models.Summon
	if err := db.Where("case_id = ?", caseID).Find(&orders).Error; err != nil {
		s.log.Warn("timers: load orders", "case_id", caseID, "err", err)
		return
	}
	if err := db.Where("case_id = ?", caseID).Find(&summons).Error; err != nil {
		s.log.Warn("timers: load summons", "case_id", caseID, "err", err)
		return
	}
	want := map[string]time.Time{}
	for i := range orders {
		if err := s.timers.CancelPrefix(ctx, orderTimerPrefix(orders[i].No)); err != nil {
			s.log.Warn("timers: cancel", "case_id", caseID, "order", orders[i].No, "err", err)
			return
		}
		for id, at := range s.OrderTimers(&orders[i]) {
			want[id] = at
		}
	}
	for _, sm := range summons {
		if sm.ArrivedAt == nil {
			want[summonTimer(sm.ID)] = sm.ArriveBy
		} else if err := s.timers.Cancel(ctx, summonTimer(sm.ID)); err != nil {
			s.log.Warn("timers: cancel summons", "err", err)
		}
	}
	var c models.Case
	if err := db.Where("id = ?", caseID).First(&c).Error; err == nil {
		for _, id := range []string{ratingTimer(&c, "remind"), ratingTimer(&c, "close")} {
			if err := s.timers.Cancel(ctx, id); err != nil {
				s.log.Warn("timers: cancel", "err", err)
			}
		}
		for id, at := range s.caseTimers(&c) {
			want[id] = at
		}
		if err := s.timers.CancelPrefix(ctx, waitPrefix(c.No)); err != nil {
			s.log.Warn("timers: cancel waits", "case", c.No, "err", err)
			return
		}
		waits, err := s.waitsOf(db, &c)
		if err != nil {
			s.log.Warn("timers: load waits", "case", c.No, "err", err)
			return
		}
		for id, at := range s.waitTimers(&c, waits) {
			want[id] = at
		}
	}
	var follows []models.FollowUp
	if err := db.Where("case_id = ? AND done_at IS NULL", caseID).Find(&follows).Error; err == nil {
		for i := range follows {
			maps.Copy(want, s.followUpTimers(&follows[i]))
		}
	}
	s.planRectifications(db, caseID, want)
	s.scheduleWanted(ctx, want)
}

// scheduleWanted schedules the timers in want that have not fired yet.
// A failure is logged: reconciliation puts any timer missed back.
func (s *Service) scheduleWanted(ctx context.Context, want map[string]time.Time) {
	if err := s.dropFired(ctx, want); err != nil {
		s.log.Warn("timers: read firings", "err", err)
		return
	}
	for id, at := range want {
		if err := s.timers.Schedule(ctx, id, at); err != nil {
			s.log.Warn("timers: schedule", "timer", id, "err", err)
		}
	}
}

// dropFired removes the timers that fired already from want.
func (s *Service) dropFired(ctx context.Context, want map[string]time.Time) error {
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	for start := 0; start < len(ids); start += 500 {
		var fired []string
		end := min(start+500, len(ids))
		if err := s.db.WithContext(ctx).Model(&models.TimerFiring{}).Where("timer_id IN ?", ids[start:end]).Pluck("timer_id", &fired).Error; err != nil {
			return fmt.Errorf("casework: list fired timers: %w", err)
		}
		for _, id := range fired {
			delete(want, id)
		}
	}
	return nil
}

// WantedTimers is every timer the database says should exist and has not
// fired: reconciliation makes Redis hold exactly these (and any timer it
// holds that is not here is stale).
func (s *Service) WantedTimers(ctx context.Context) (map[string]time.Time, error) {
	var orders []models.WorkOrder
	if err := s.db.WithContext(ctx).Where("status <> ?", models.OrderReplied).Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("casework: list open orders: %w", err)
	}
	want := map[string]time.Time{}
	for i := range orders {
		for id, at := range s.OrderTimers(&orders[i]) {
			want[id] = at
		}
	}
	var summons []models.Summon
	if err := s.db.WithContext(ctx).Where("arrived_at IS NULL").Find(&summons).Error; err != nil {
		return nil, fmt.Errorf("casework: list open summons: %w", err)
	}
	for _, sm := range summons {
		want[summonTimer(sm.ID)] = sm.ArriveBy
	}
	for id, at := range s.dutyTimers(s.clock.Now()) {
		want[id] = at
	}
	for id, at := range s.monthlyTimers(s.clock.Now()) {
		want[id] = at
	}
	var answered []models.Case
	if err := s.db.WithContext(ctx).Where("status = ?", models.CaseAnswered).Find(&answered).Error; err != nil {
		return nil, fmt.Errorf("casework: list answered cases: %w", err)
	}
	for i := range answered {
		for id, at := range s.caseTimers(&answered[i]) {
			want[id] = at
		}
	}
	waiting, err := s.wantedWaits(ctx)
	if err != nil {
		return nil, err
	}
	for id, at := range waiting {
		want[id] = at
	}
	var follows []models.FollowUp
	if err := s.db.WithContext(ctx).Where("done_at IS NULL").Find(&follows).Error; err != nil {
		return nil, fmt.Errorf("casework: list follow-ups: %w", err)
	}
	for i := range follows {
		maps.Copy(want, s.followUpTimers(&follows[i]))
	}
	if err := s.wantedRectifications(ctx, want); err != nil {
		return nil, err
	}
	if err := s.dropFired(ctx, want); err != nil {
		return nil, err
	}
	return want, nil
}

func summonTimer(id uint64) string { return summonNS + strconv.FormatUint(id, 10) }

// The namespaces of the timers casework plans from the database and
// fires (each documented with its planning): the prefixes of their ids.
const (
	orderNS    = "wo:"
	summonNS   = "summon:"
	dutyNS     = "duty:"
	ratingNS   = "rate:"
	followUpNS = "followup:"
	waitNS     = "wait:"
)

// ErrUnknownTimer is a timer id no handler knows: the engine drops it.
var ErrUnknownTimer = timers.ErrUnknownTimer

// HandleTimers registers casework's timers with m. Each firing acts on a
// due timer once: it re-reads the database and does nothing when the
// order was answered, re-planned or the timer already fired; otherwise it
// writes the timeline line and the notices in one transaction with the
// record that it fired.
func (s *Service) HandleTimers(m *timers.Mux) {
	m.Handle(orderNS, byID(func(ctx context.Context, id string) error {
		orderNo, what, ok := strings.Cut(strings.TrimPrefix(id, orderNS), ":")
		if !ok {
			return ErrUnknownTimer
		}
		return s.fireOrderTimer(ctx, id, orderNo, what)
	}))
	m.Handle(ratingNS, byID(s.fireRatingTimer))
	m.Handle(followUpNS, byID(s.fireFollowUpTimer))
	m.Handle(dutyNS, byID(func(ctx context.Context, id string) error {
		date, _ := isDutyTimer(id)
		return s.fireDutyTimer(ctx, id, date)
	}))
	m.Handle(waitNS, byID(s.fireWaitTimer))
	m.Handle(rectifyNS, byID(s.fireRectifyTimer))
	m.Handle(summonNS, byID(func(ctx context.Context, id string) error {
		n, err := strconv.ParseUint(strings.TrimPrefix(id, summonNS), 10, 64)
		if err != nil {
			return ErrUnknownTimer
		}
		return s.fireSummonTimer(ctx, id, n)
	}))
}

// byID is a timer handler that reads the database's time, not the due
// time the engine passes.
func byID(fire func(ctx context.Context, id string) error) timers.Handler {
	return func(ctx context.Context, id string, _ time.Time) error { return fire(ctx, id) }
}

// fired records the firing; false when it had fired already.
func fired(tx *gorm.DB, id string, now time.Time) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.TimerFiring{TimerID: id, FiredAt: now})
	if res.Error != nil {
		return false, fmt.Errorf("casework: record timer %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// firstFiring records the firing of id in ch's transaction, or answers
// errStale when it fired already (an engine may hand a timer out twice).
func firstFiring(ch *change, id string) error {
	first, err := fired(ch.tx, id, ch.now)
	if err != nil {
		return err
	}
	if !first {
		return errStale
	}
	return nil
}

// fireOnce runs a due timer's action on its case, once. act answers
// errStale when the database says there is nothing to do (answered,
// re-planned, not yet); then nothing is written, the firing included.
func (s *Service) fireOnce(ctx context.Context, id, caseNo string, act func(ch *change) error) error {
	_, err := s.onCase(ctx, caseNo, System, func(ch *change) error {
		if err := firstFiring(ch, id); err != nil {
			return err
		}
		return act(ch)
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// fireRowTimer fires timer id of one row of T (a rectification, a
// follow-up, a summons), on the row's case, once: a row gone is done with.
// act gets the row as the firing's transaction reads it and answers
// errStale when the row no longer wants the timer. what names the row in
// errors; caseOf is its case id.
func fireRowTimer[T any](ctx context.Context, s *Service, id string, rowID uint64, what string, caseOf func(*T) uint64, act func(ch *change, row *T) error) error {
	var row T
	if err := s.db.WithContext(ctx).Where("id = ?", rowID).First(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return fmt.Errorf("casework: load %s %d: %w", what, rowID, err)
	}
	no, err := s.caseNoOf(ctx, caseOf(&row))
	if err != nil {
		return err
	}
	return s.fireOnce(ctx, id, no, func(ch *change) error {
		var cur T
		if err := ch.tx.Where("id = ?", rowID).First(&cur).Error; err != nil {
			return fmt.Errorf("casework: load %s %d: %w", what, rowID, err)
		}
		return act(ch, &cur)
	})
}

// caseNoOf finds the case number of a case id.
func (s *Service) caseNoOf(ctx context.Context, caseID uint64) (string, error) {
	var c models.Case
	if err := s.db.WithContext(ctx).Select("no").Where("id = ?", caseID).First(&c).Error; err != nil {
		return "", fmt.Errorf("casework: load case %d: %w", caseID, err)
	}
	return c.No, nil
}

func (s *Service) fireOrderTimer(ctx context.Context, id, orderNo, what string) error {
	kind, _, _ := strings.Cut(what, ":")
	_, err := s.onOrder(ctx, orderNo, System, func(ch *change, o *models.WorkOrder) error {
		want, ok := s.OrderTimers(o)[id]
		if !ok || ch.now.Before(want) {
			return errStale // answered, re-planned, or not yet: nothing to do
		}
		if err := firstFiring(ch, id); err != nil {
			return err
		}
		dept, err := ch.departmentOnFile(o.DepartmentCode)
		if err != nil {
			return err
		}
		d := ch.orderData(o, dept)
		switch kind {
		case timerRemind:
			return ch.remind(o, dept, d)
		case timerDue:
			return ch.overdue(o, dept, d)
		case timerCap:
			return ch.capReached(o, dept, d)
		}
		return ErrUnknownTimer
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// errStale rolls back a timer that found nothing to do.
var errStale = errors.New("casework: timer has nothing to do")

// remind: 第十二条's deadline is today and the order is still open. A
// reminder that fires after the deadline (after a restart, or a clock
// that jumped) would say “今天到期” of a day gone: it stays silent, since
// the overdue escalation, due as well, tells the same group how late the
// order is (its firing stays recorded, so it does not come back).
func (ch *change) remind(o *models.WorkOrder, dept models.Department, d models.NoticeData) error {
	if !ch.now.Before(o.Deadline()) {
		return nil
	}
	ch.record("reminded", o.No, fmt.Sprintf("提醒%s：%s 到期，尚未答复", dept.Name, ch.dueWhen(o.Deadline())))
	d.Mentions = ch.handlers(o)
	ch.notify(models.NoticeReminder, models.AudienceDepartment, dept.Code, d)
	return nil
}

// dueWhen says when a deadline still to come falls: “今天 18:00” on its
// day, else its date.
func (ch *change) dueWhen(t time.Time) string {
	loc := ch.cal.Location()
	if t.In(loc).Format(time.DateOnly) == ch.now.In(loc).Format(time.DateOnly) {
		return "今天 " + t.In(loc).Format("15:04")
	}
	return models.FormatTime(t)
}

// lateDays counts the working days from a deadline's day to now, as
// deadlines count them: 0 on its own day.
func (ch *change) lateDays(deadline time.Time) int {
	return max(ch.cal.WorkdaysBetween(deadline, ch.now), 0)
}

// overdue: the deadline passed unanswered — the window head (第十八条), the
// 分管领导, the leader on duty today (第四条) and the owner hear of it (R6),
// with how late it is when the timer fired late; the applicant hears the
// latest date it may now take (第七条: 及时向反映人反馈).
func (ch *change) overdue(o *models.WorkOrder, dept models.Department, d models.NoticeData) error {
	heads, err := ch.staffOf(dept.Code, models.RoleWindowHead)
	if err != nil {
		return err
	}
	d.LateDays = ch.lateDays(o.Deadline())
	var told []string
	for _, h := range heads {
		d.Mentions = append(d.Mentions, h.ID)
		told = append(told, h.Name)
		ch.notify(models.NoticeOverdue, models.AudienceStaff, h.ID, d)
	}
	if dept.LeaderID != "" {
		if leader, err := ch.staff(dept.LeaderID); err == nil {
			told = append(told, leader.Name+"（分管领导）")
			ch.notify(models.NoticeOverdue, models.AudienceStaff, leader.ID, d)
		}
	}
	duty, ok, err := ch.dutyLeader()
	if err != nil {
		return err
	}
	if ok && duty.ID != dept.LeaderID {
		told = append(told, duty.Name+"（值班领导）")
		ch.notify(models.NoticeOverdue, models.AudienceStaff, duty.ID, d)
	}
	ch.notify(models.NoticeOverdue, models.AudienceStaff, ch.c.OwnerID, d)
	ch.notify(models.NoticeOverdue, models.AudienceDepartment, dept.Code, d)
	late := "超期未答复"
	if d.LateDays > 0 {
		late = fmt.Sprintf("已超期 %d 个工作日未答复", d.LateDays)
	}
	ch.record("overdue", o.No, fmt.Sprintf("%s%s（时限 %s），已报告 %s", dept.Name, late, models.FormatTime(o.Deadline()), strings.Join(told, "、")))
	if !o.CapAt.After(o.Deadline()) {
		// Extended to the cap itself: this deadline is the cap, whose
		// alarm is this one (OrderTimers), so the cap's escalation goes
		// with it (R6); the leader on duty and the owner heard already.
		d.Mentions = nil
		skip := map[string]bool{ch.c.OwnerID: true}
		if ok {
			skip[duty.ID] = true
		}
		if err := ch.reachCap(o, dept, d, skip); err != nil {
			return err
		}
		return ch.proposeOverdue(o)
	}
	// Past the cap too, the cap's own alarm, due as well, tells the
	// applicant: one message, not two.
	if ch.now.Before(o.CapAt) {
		ch.tellDelay(o, dept, models.DelayOverdue, nil)
	}
	return ch.proposeOverdue(o)
}

// capReached: 10 working days from receipt and still open — the 主要负责领导,
// the leader on duty today and the supervision section (第十二条, R6); the
// applicant, promised that date, hears that it passed.
func (ch *change) capReached(o *models.WorkOrder, dept models.Department, d models.NoticeData) error {
	return ch.reachCap(o, dept, d, nil)
}

// reachCap is capReached less the staff in skip, who heard of the order
// already (the overdue alarm of an order extended to its cap).
func (ch *change) reachCap(o *models.WorkOrder, dept models.Department, d models.NoticeData, skip map[string]bool) error {
	d.LateDays = ch.lateDays(o.CapAt)
	principal, err := ch.principal()
	if err == nil {
		ch.notify(models.NoticeCapReached, models.AudienceStaff, principal.ID, d)
	}
	told := "主要负责领导"
	duty, ok, err := ch.dutyLeader()
	if err != nil {
		return err
	}
	if ok && duty.ID != principal.ID {
		told += "、" + duty.Name + "（值班领导）"
		if !skip[duty.ID] {
			ch.notify(models.NoticeCapReached, models.AudienceStaff, duty.ID, d)
		}
	}
	ch.notify(models.NoticeCapReached, models.AudienceSupervision, "", d)
	if !skip[ch.c.OwnerID] {
		ch.notify(models.NoticeCapReached, models.AudienceStaff, ch.c.OwnerID, d)
	}
	what := fmt.Sprintf("已满%d个工作日仍未答复", ch.s.opts.MaxDays)
	if d.LateDays > 0 {
		what = fmt.Sprintf("已超过%d个工作日的最长时限 %d 个工作日仍未答复", ch.s.opts.MaxDays, d.LateDays)
	}
	ch.record("cap_reached", o.No, fmt.Sprintf("%s%s，已报告%s和监督考核科", dept.Name, what, told))
	ch.tellDelay(o, dept, models.DelayCap, nil)
	return nil
}

// handlers are who to @ about an order: whoever signed it, else the
// department's window staff.
func (ch *change) handlers(o *models.WorkOrder) []string {
	if o.SignedBy != "" {
		return []string{o.SignedBy}
	}
	staff, err := ch.staffOf(o.DepartmentCode, models.RoleWindowStaff, models.RoleWindowHead)
	if err != nil {
		return nil
	}
	ids := make([]string, len(staff))
	for i, st := range staff {
		ids[i] = st.ID
	}
	return ids
}

// fireSummonTimer: summoned window staff have not confirmed arrival in
// time (第十条, 第十七条): the owner hears, and the lateness is on file.
func (s *Service) fireSummonTimer(ctx context.Context, id string, summonID uint64) error {
	caseOf := func(sm *models.Summon) uint64 { return sm.CaseID }
	return fireRowTimer(ctx, s, id, summonID, "summons", caseOf, func(ch *change, cur *models.Summon) error {
		if cur.ArrivedAt != nil || ch.now.Before(cur.ArriveBy) {
			return errStale
		}
		if err := ch.tx.Model(&models.Summon{}).Where("id = ?", summonID).Update("late", true).Error; err != nil {
			return fmt.Errorf("casework: mark summons late: %w", err)
		}
		if err := propose(ch.tx, summonedLate(ch.yearOf(cur.SummonedAt), *cur, ch.c.No)); err != nil {
			return err
		}
		dept, err := ch.departmentOnFile(cur.DepartmentCode)
		if err != nil {
			return err
		}
		ch.record("summon_overdue", "", fmt.Sprintf("%s工作人员未在 %s 前到达“办不成事”反映窗口", dept.Name, models.FormatTime(cur.ArriveBy)))
		d := ch.data()
		d.Department, d.DepartmentName, d.ArriveBy = dept.Code, dept.Name, &cur.ArriveBy
		ch.notify(models.NoticeSummonOverdue, models.AudienceStaff, ch.c.OwnerID, d)
		return nil
	})
}

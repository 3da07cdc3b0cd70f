package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// The duty check (第四条, 第十七条): at the check-in time of each working
// day, the specialist on duty must have checked in; if not, it is recorded
// for the assessment and the supervision section and the leader on duty
// that day are told.
//
//	duty:YYYY-MM-DD  fires at duty.check_in on that working day

func dutyTimer(date string) string { return dutyNS + date }

// dutyTimers are the checks of today (if a working day) and of the next
// working day.
func (s *Service) dutyTimers(now time.Time) map[string]time.Time {
	cal := s.Calendar()
	loc := cal.Location()
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	out := map[string]time.Time{}
	if cal.IsWorkday(today) {
		out[dutyTimer(today.Format(time.DateOnly))] = today.Add(s.opts.CheckIn)
	}
	next := cal.AddWorkdays(today, 1)
	out[dutyTimer(next.Format(time.DateOnly))] = next.Add(s.opts.CheckIn)
	return out
}

func (s *Service) fireDutyTimer(ctx context.Context, id, date string) error {
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.clock.Now()
		if err := firstFiring(&change{tx: tx, now: now}, id); err != nil {
			return err
		}
		day, err := s.Calendar().ParseDate(date)
		if err != nil {
			return errStale
		}
		ch := &change{s: s, tx: tx, now: day.Add(s.opts.CheckIn), cal: s.Calendar(), actor: System, c: &models.Case{}}
		st, err := ch.onDuty()
		if err != nil {
			return errStale // nobody is on duty: nothing to check
		}
		var n int64
		if err := tx.Model(&models.CheckIn{}).Where("date = ? AND staff_id = ?", date, st.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("casework: read check-ins: %w", err)
		}
		if n > 0 {
			return nil // checked in on time (the firing stays recorded)
		}
		miss := models.DutyMiss{Date: date, StaffID: st.ID, At: now}
		if err := tx.Create(&miss).Error; err != nil {
			return fmt.Errorf("casework: record missed duty: %w", err)
		}
		if err := propose(tx, dutyMissed(day.Year(), miss, st.Name)); err != nil {
			return err
		}
		d := models.NoticeData{ActorName: st.Name, Note: date}
		notices := []models.Notice{{Kind: models.NoticeDutyMissed, Audience: models.AudienceSupervision,
			Payload: models.EncodeNoticeData(d), Status: models.NoticePending, NextAttemptAt: now, CreatedAt: now}}
		// The department leader on duty that day (第四条) hears it too.
		leader, ok, err := ch.dutyLeader()
		if err != nil {
			return err
		}
		if ok {
			notices = append(notices, models.Notice{Kind: models.NoticeDutyMissed, Audience: models.AudienceStaff, Target: leader.ID,
				Payload: models.EncodeNoticeData(d), Status: models.NoticePending, NextAttemptAt: now, CreatedAt: now})
		}
		return tx.Create(&notices).Error
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// DutyMisses lists the days the specialist on duty did not check in.
func (s *Service) DutyMisses(ctx context.Context) ([]models.DutyMiss, error) {
	var list []models.DutyMiss
	if err := s.db.WithContext(ctx).Order("date").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("casework: list missed duties: %w", err)
	}
	return list, nil
}

func isDutyTimer(id string) (string, bool) { return strings.CutPrefix(id, dutyNS) }

// The monthly summary (第十四条) goes to the leaders' group on the first
// working day of each month:
//
//	monthly:YYYY-MM  fires at the reminder time of the first working day after that month
//
// casework plans these timers; the push itself, which needs the reports,
// registers their handler (see bbcs/jobs).
const MonthlyTimerPrefix = "monthly:"

func monthlyTimer(month string) string { return MonthlyTimerPrefix + month }

// monthlyTimers are the pushes of last month's and this month's summary.
func (s *Service) monthlyTimers(now time.Time) map[string]time.Time {
	cal := s.Calendar()
	loc := cal.Location()
	local := now.In(loc)
	out := map[string]time.Time{}
	for _, m := range []time.Time{
		time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, loc),
		time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc),
	} {
		next := m.AddDate(0, 1, 0)
		first := next
		if !cal.IsWorkday(first) {
			first = cal.AddWorkdays(next, 1)
		}
		// A push whose day is over is not made up later: a summary of two
		// months ago helps nobody on a new deployment.
		if now.Before(cal.EndOf(first)) {
			out[monthlyTimer(m.Format("2006-01"))] = cal.MorningOf(first)
		}
	}
	return out
}

// TellOnceFor writes a notice once per key — a message's: handled again
// after a crash, the message does not tell twice. One statement, where
// TellOnce, whose keys are timers', records the firing besides.
//
// The statement is written out rather than built by GORM's Create: the
// dialog's every menu writes one, and building the INSERT from the model
// by reflection cost more CPU than sending it (bench/load's profile). The
// row is the one Create wrote: every column, empty where Create left the
// field at its zero value.
func (s *Service) TellOnceFor(ctx context.Context, key string, kind models.NoticeKind, aud models.Audience, target string, d models.NoticeData) error {
	now := s.clock.Now()
	ignore := " ON CONFLICT DO NOTHING" // SQLite
	if s.db.Dialector.Name() == "mysql" {
		ignore = " ON DUPLICATE KEY UPDATE id = id" // as GORM's OnConflict{DoNothing: true} writes it
	}
	// Straight to the pool: GORM's Exec would still run its callbacks and
	// parse the statement, for a statement it has nothing to add to.
	_, err := s.db.Statement.ConnPool.ExecContext(ctx, "INSERT INTO notices (kind, audience, target, case_no, order_no, payload, status, next_attempt_at, "+
		"claimed_until, claim_token, once_key, attempts, last_error, receipt, sent_at, created_at) "+
		"VALUES (?, ?, ?, '', '', ?, ?, ?, NULL, '', ?, 0, '', '', NULL, ?)"+ignore,
		string(kind), string(aud), target, models.EncodeNoticeData(d), string(models.NoticePending), now, key, now)
	if err != nil {
		return fmt.Errorf("casework: write %s notice: %w", kind, err)
	}
	return nil
}

// TellOnce writes a timer's notice once: the firing is recorded in the
// same transaction, so a timer handed out twice tells once, and
// reconciliation, which reads the firings, does not set it again.
func (s *Service) TellOnce(ctx context.Context, timerID string, kind models.NoticeKind, aud models.Audience, target string, d models.NoticeData) error {
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.clock.Now()
		if err := firstFiring(&change{tx: tx, now: now}, timerID); err != nil {
			return err
		}
		return tx.Create(&models.Notice{Kind: kind, Audience: aud, Target: target, Payload: models.EncodeNoticeData(d),
			Status: models.NoticePending, NextAttemptAt: now, CreatedAt: now}).Error
	})
	if errors.Is(err, errStale) {
		return nil
	}
	return err
}

// Package casework is every use case of the “办不成事” workflow. Each use
// case is one database transaction: load → check the rule → change →
// timeline → outbox → commit. It commits whole or not at all, and it talks
// to the outside only through the outbox.
package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/clock"
	"bbcs/models"
	"bbcs/store"
	"bbcs/workday"
)

// Options are the workflow's settings, copied from config at wiring time.
type Options struct {
	CasePrefix  string // "BB"
	OrderPrefix string // "GD"
	ReplyDays   int    // 第十二条: 3 working days
	MaxDays     int    // 第十二条: never past 10 working days
	// SummonWithin is how long summoned window staff have to reach the
	// complaint window (第十条) before their arrival counts as late.
	SummonWithin time.Duration
	// CheckIn is the duty check-in time, as an offset from midnight.
	CheckIn time.Duration
	// Principal is the staff id of the 主要负责领导 (leaders.principal); when
	// empty, or when the console has retired that person, the first active
	// staff member with that role.
	Principal string
	// RateRemindAfter and RateCloseAfter: an answered case not rated gets
	// one reminder, then closes as 未评价 (第十三条, R7).
	RateRemindAfter time.Duration
	RateCloseAfter  time.Duration
	// RatingLinkTTL is how long a rating link works.
	RatingLinkTTL time.Duration
	// PublicURL is where the rating page lives (links in messages).
	PublicURL string
	// The waits outside work orders, in working days: a registered case
	// not yet handled (第九条 立即受理, 第十条 研判: the same or the next
	// working day), a 退回重办 without a new order (handled afresh, as a new
	// case), and a 请示 (第六条, on 第十二条's clock of 3 working days). The
	// one who must act is reminded on the morning of the last day; at its
	// end the wait is escalated.
	TriageDays      int
	ReopenDays      int
	InstructionDays int
}

// Service runs the use cases.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	cal    atomic.Pointer[workday.Calendar] // swapped when the console edits holidays
	opts   Options
	log    *slog.Logger
	timers Timers // nil: deadlines only in the database
	// counterDay is the day whose case counter row this process has made.
	counterDay atomic.Pointer[string]
	// directoryEdits counts this process's changes to departments and
	// staff, for readers that keep a copy (DirectoryEdits).
	directoryEdits atomic.Uint64

	buildCalendar CalendarBuilder // nil: holidays only from config
	// calendarFrom is the digest of the console's overrides cal was last
	// built with: ReloadCalendar rebuilds only when they changed.
	calendarFrom atomic.Pointer[string]
}

// New returns a Service. Zero options take the policy's defaults.
func New(db *gorm.DB, clk clock.Clock, cal *workday.Calendar, opts Options, log *slog.Logger) *Service {
	if opts.CasePrefix == "" {
		opts.CasePrefix = "BB"
	}
	if opts.OrderPrefix == "" {
		opts.OrderPrefix = "GD"
	}
	if opts.ReplyDays == 0 {
		opts.ReplyDays = models.DefaultReplyDays
	}
	if opts.MaxDays == 0 {
		opts.MaxDays = models.DefaultMaxDays
	}
	if opts.SummonWithin == 0 {
		opts.SummonWithin = 30 * time.Minute
	}
	if opts.RateRemindAfter == 0 {
		opts.RateRemindAfter = 48 * time.Hour
	}
	if opts.RateCloseAfter == 0 {
		opts.RateCloseAfter = 7 * 24 * time.Hour
	}
	if opts.RatingLinkTTL == 0 {
		opts.RatingLinkTTL = 7 * 24 * time.Hour
	}
	if opts.TriageDays == 0 {
		opts.TriageDays = 1
	}
	if opts.ReopenDays == 0 {
		opts.ReopenDays = 1
	}
	if opts.InstructionDays == 0 {
		opts.InstructionDays = 3
	}
	if opts.CheckIn == 0 {
		opts.CheckIn = 8*time.Hour + 30*time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, clock: clk, opts: opts, log: log}
	s.cal.Store(cal)
	return s
}

// Clock is the service's clock, shared with the rest of bbcs.
func (s *Service) Clock() clock.Clock { return s.clock }

// Calendar is the working-day calendar deadlines follow.
func (s *Service) Calendar() *workday.Calendar { return s.cal.Load() }

// ReplyDays is the working days a department has to answer a work order
// (第十二条, workday.reply_days).
func (s *Service) ReplyDays() int { return s.opts.ReplyDays }

// inTx runs fn in one transaction, again when it lost a race (deadlock,
// lock wait, busy file): the loser retries from a fresh read, so concurrent
// use cases serialise instead of failing.
func (s *Service) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		err = s.db.WithContext(ctx).Transaction(fn, s.txOptions())
		if err == nil || !store.Retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 15 * time.Millisecond)
	}
	return err
}

// txOptions runs MySQL transactions at READ COMMITTED: every use case
// locks its case row first, and then must read what the previous holder of
// that lock committed, not a snapshot from before it waited. SQLite
// serialises writers on its one connection and takes no options.
func (s *Service) txOptions() *sql.TxOptions {
	if s.db.Dialector.Name() == "mysql" {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

// change collects what one use case does to one case: the timeline events
// and the notices written with it, in the same transaction.
type change struct {
	s   *Service
	tx  *gorm.DB
	now time.Time
	// cal is the working-day calendar the use case started with: the
	// console may swap the service's meanwhile, and one order must not mix
	// two.
	cal     *workday.Calendar
	actor   models.Staff
	c       *models.Case
	owner   models.Staff
	events  []models.TimelineEvent
	notices []models.Notice
}

// onCase loads the case numbered no under its row lock, runs fn and commits
// the case, its events and its notices.
func (s *Service) onCase(ctx context.Context, no string, actor models.Staff, fn func(ch *change) error) (*models.Case, error) {
	var out *models.Case
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		c, err := lockCase(tx, "no = ?", no)
		if err != nil {
			return err
		}
		ch, err := s.begin(tx, actor, c)
		if err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return err
		}
		out = c
		return ch.commit()
	})
	if err == nil {
		s.planCase(ctx, out.ID)
	}
	return out, err
}

// onOrder is onCase for a use case on one work order. The case row is
// locked before the order's, the same order every use case takes.
func (s *Service) onOrder(ctx context.Context, orderNo string, actor models.Staff, fn func(ch *change, o *models.WorkOrder) error) (*models.Case, error) {
	// Find the case outside the transaction: a plain read inside it would
	// fix MySQL's snapshot before the case lock is ours, and the use case
	// would then miss what the previous holder of that lock committed.
	var probe models.WorkOrder
	if err := s.db.WithContext(ctx).Select("case_id").Where("no = ?", orderNo).First(&probe).Error; err != nil {
		return nil, notFound(err, "工单 %s 不存在", orderNo)
	}
	var out *models.Case
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		c, err := lockCase(tx, "id = ?", probe.CaseID)
		if err != nil {
			return err
		}
		var o models.WorkOrder
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("no = ?", orderNo).First(&o).Error; err != nil {
			return fmt.Errorf("casework: load work order %s: %w", orderNo, err)
		}
		ch, err := s.begin(tx, actor, c)
		if err != nil {
			return err
		}
		if err := fn(ch, &o); err != nil {
			return err
		}
		if err := tx.Save(&o).Error; err != nil {
			return fmt.Errorf("casework: save work order %s: %w", o.No, err)
		}
		out = c
		return ch.commit()
	})
	if err == nil {
		s.planCase(ctx, out.ID)
	}
	return out, err
}

func lockCase(tx *gorm.DB, where string, arg any) (*models.Case, error) {
	var c models.Case
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where(where, arg).First(&c).Error
	if err != nil {
		return nil, notFound(err, "案件 %v 不存在", arg)
	}
	return &c, nil
}

func (s *Service) begin(tx *gorm.DB, actor models.Staff, c *models.Case) (*change, error) {
	ch := &change{s: s, tx: tx, now: s.clock.Now(), cal: s.Calendar(), actor: actor, c: c}
	if c.OwnerID != "" {
		owner, err := ch.staff(c.OwnerID)
		if err != nil {
			return nil, err
		}
		ch.owner = owner
	}
	return ch, nil
}

// record puts one line on the case's timeline.
func (ch *change) record(action, orderNo, note string) {
	ch.c.EventSeq++
	ch.events = append(ch.events, models.TimelineEvent{
		Seq: ch.c.EventSeq, At: ch.now, ActorID: ch.actor.ID, ActorName: ch.actor.Name,
		Action: action, OrderNo: orderNo, Note: note,
	})
}

// notify writes one notice into the outbox.
func (ch *change) notify(kind models.NoticeKind, aud models.Audience, target string, d models.NoticeData) {
	ch.notices = append(ch.notices, models.Notice{
		Kind: kind, Audience: aud, Target: target, CaseNo: ch.c.No, OrderNo: d.OrderNo,
		Payload: models.EncodeNoticeData(d), Status: models.NoticePending,
		NextAttemptAt: ch.now, CreatedAt: ch.now,
	})
}

// notifyApplicant reaches the applicant on the channel the case came by:
// the service account for its citizens; for walk-in and phone cases the
// notice has no target and the owner passes it on (an SMS-ready text).
func (ch *change) notifyApplicant(kind models.NoticeKind, d models.NoticeData) {
	ch.notify(kind, models.AudienceApplicant, ch.c.ApplicantOpenID, d)
}

// data is the payload every notice about this case starts from.
func (ch *change) data() models.NoticeData {
	return models.NoticeData{
		CaseNo: ch.c.No, Category: ch.c.Category, Matter: ch.c.Matter,
		ApplicantName: ch.c.ApplicantName, ApplicantKind: ch.c.ApplicantKind, Company: ch.c.Company,
		MaskedMobile: models.MaskMobile(ch.c.ApplicantMobile),
		OwnerID:      ch.owner.ID, OwnerName: ch.owner.Name, ActorName: ch.actor.Name, Round: ch.c.Round,
		ReplyDays: ch.s.opts.ReplyDays, MaxDays: ch.s.opts.MaxDays,
	}
}

func (ch *change) commit() error {
	if ch.c.ID == 0 {
		if err := ch.tx.Create(ch.c).Error; err != nil {
			return fmt.Errorf("casework: create case %s: %w", ch.c.No, err)
		}
	} else if err := ch.tx.Save(ch.c).Error; err != nil {
		return fmt.Errorf("casework: save case %s: %w", ch.c.No, err)
	}
	for i := range ch.events {
		ch.events[i].CaseID = ch.c.ID
	}
	if len(ch.events) > 0 {
		if err := ch.tx.Create(&ch.events).Error; err != nil {
			return fmt.Errorf("casework: write timeline of %s: %w", ch.c.No, err)
		}
	}
	if len(ch.notices) > 0 {
		if err := ch.tx.Create(&ch.notices).Error; err != nil {
			return fmt.Errorf("casework: write outbox for %s: %w", ch.c.No, err)
		}
	}
	return nil
}

func (ch *change) staff(id string) (models.Staff, error) {
	var st models.Staff
	if err := ch.tx.Where("id = ?", id).First(&st).Error; err != nil {
		return st, notFound(err, "工作人员 %s 不存在", id)
	}
	return st, nil
}

func (ch *change) department(code string) (models.Department, error) {
	var d models.Department
	if err := ch.tx.Where("code = ? AND active = ?", code, true).First(&d).Error; err != nil {
		return d, notFound(err, "部门 %s 不存在", code)
	}
	return d, nil
}

// departmentOnFile is a department, retired or not: what happened on a
// case stays recorded after its unit leaves the centre.
func (ch *change) departmentOnFile(code string) (models.Department, error) {
	var d models.Department
	if err := ch.tx.Where("code = ?", code).First(&d).Error; err != nil {
		return d, notFound(err, "部门 %s 不存在", code)
	}
	return d, nil
}

// staffOf lists the active staff of a department with one of the roles.
func (ch *change) staffOf(dept string, roles ...models.Role) ([]models.Staff, error) {
	var list []models.Staff
	err := ch.tx.Where("department_code = ? AND role IN ? AND active = ?", dept, roles, true).Order("id").Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("casework: list staff of %s: %w", dept, err)
	}
	return list, nil
}

// principal is the 主要负责领导: config's, while active, else the one the
// directory names by role (the console manages both).
func (ch *change) principal() (models.Staff, error) {
	var list []models.Staff
	err := ch.tx.Where("role = ? AND active = ?", models.RolePrincipalLeader, true).Order("id").Find(&list).Error
	if err != nil {
		return models.Staff{}, fmt.Errorf("casework: find the principal leader: %w", err)
	}
	if len(list) == 0 {
		return models.Staff{}, models.Errorf(models.ErrNotFound, "未配置主要负责领导，请管理员在配置（leaders.principal）或管理后台“工作人员”中设置")
	}
	for _, st := range list {
		if st.ID == ch.s.opts.Principal {
			return st, nil
		}
	}
	return list[0], nil
}

// orders lists the case's work orders of the current round.
func (ch *change) roundOrders() ([]models.WorkOrder, error) {
	var list []models.WorkOrder
	err := ch.tx.Where("case_id = ? AND round = ?", ch.c.ID, ch.c.Round).Order("no").Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("casework: list orders of %s: %w", ch.c.No, err)
	}
	return list, nil
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Errorf(models.ErrNotFound, format, args...)
	}
	return fmt.Errorf("casework: %s: %w", fmt.Sprintf(format, args...), err)
}

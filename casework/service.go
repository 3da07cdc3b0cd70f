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
	"slices"
	"strings"
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
	// Province is the push of 好差评 records (casework/province.go).
	Province ProvinceOptions
	// AppealDays is how many working days a department has to appeal a
	// 差评 or a deduction (rating.appeal_days).
	AppealDays int
	// RectifyDays is the working days a unit has to verify a 差评 and
	// report its rectification (差评整改, rating.rectify_days).
	RectifyDays int
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
	// rotation is the duty rotation's day count of the last date asked
	// (rotationDay).
	rotation atomic.Pointer[rotationCount]
	// directoryEdits counts this process's changes to departments and
	// staff, for readers that keep a copy (DirectoryEdits).
	directoryEdits atomic.Uint64

	buildCalendar CalendarBuilder // nil: holidays only from config
	// calendarFrom is the digest of the console's overrides cal was last
	// built with: ReloadCalendar rebuilds only when they changed.
	calendarFrom atomic.Pointer[string]
	// tuned: the database's sessions run at READ COMMITTED already and
	// take a use case's writes in one round trip (store.Tuned).
	tuned bool
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
	if opts.AppealDays == 0 {
		opts.AppealDays = 5
	}
	if opts.RectifyDays == 0 {
		opts.RectifyDays = 5
	}
	if opts.CheckIn == 0 {
		opts.CheckIn = 8*time.Hour + 30*time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, clock: clk, opts: opts, log: log, tuned: store.Tuned(db)}
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

// MaxDays is workday.max_days: an order's longest time, extensions
// included (第十二条: at most 10 working days).
func (s *Service) MaxDays() int { return s.opts.MaxDays }

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
// serialises writers on its one connection and takes no options. Sessions
// that start at READ COMMITTED (store.Tuned) need no option, which would
// cost a SET TRANSACTION round trip before each transaction.
func (s *Service) txOptions() *sql.TxOptions {
	if s.db.Dialector.Name() == "mysql" && !s.tuned {
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
	// writes are rows written at commit with the case, its events and its
	// notices, in one round trip (store.Tuned): the work order of an order
	// use case, new rows (a rating link).
	writes []write
	// depts are the active departments read so far, by code.
	depts map[string]models.Department
	// pushRounds are the rounds whose 好差评 records go to the provincial
	// platform at commit (pushRatingRecords).
	pushRounds []int
}

// write is a row to save (update) or create at commit.
type write struct {
	row    any
	create bool
}

// laterCreate inserts row at commit; its id is not read back.
func (ch *change) laterCreate(row any) { ch.writes = append(ch.writes, write{row: row, create: true}) }

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
	c, _, _, err := s.onOrderUnplanned(ctx, orderNo, actor, fn)
	if err == nil {
		s.planCase(ctx, c.ID)
	}
	return c, err
}

// onOrderUnplanned is onOrder that leaves the timers to its caller, which
// knows what the use case changed: the order after it, and the case's
// status before it.
func (s *Service) onOrderUnplanned(ctx context.Context, orderNo string, actor models.Staff, fn func(ch *change, o *models.WorkOrder) error) (*models.Case, *models.WorkOrder, models.CaseStatus, error) {
	var (
		out    *models.Case
		order  models.WorkOrder
		before models.CaseStatus
	)
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		// The case is found by the order's number in the statement that
		// locks it: the subquery is a plain read, which locks nothing (the
		// order's row is locked next, after the case's), and at READ
		// COMMITTED every statement reads what was committed before it.
		var c models.Case
		owner := tx.Model(&models.WorkOrder{}).Select("case_id").Where("no = ?", orderNo)
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = (?)", owner).First(&c).Error; err != nil {
			return notFound(err, "工单 %s 不存在", orderNo)
		}
		var o models.WorkOrder
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("no = ?", orderNo).First(&o).Error; err != nil {
			return fmt.Errorf("casework: load work order %s: %w", orderNo, err)
		}
		before = c.Status
		ch, err := s.begin(tx, actor, &c)
		if err != nil {
			return err
		}
		if err := fn(ch, &o); err != nil {
			return err
		}
		ch.writes = append([]write{{row: &o}}, ch.writes...) // the order first, as before
		if err := ch.commit(); err != nil {
			return err
		}
		out, order = &c, o
		return nil
	})
	if err != nil {
		return nil, nil, "", err
	}
	return out, &order, before, nil
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
	var rows []write
	if ch.c.ID == 0 {
		// A new case first, alone: its id numbers its timeline.
		if err := ch.tx.Create(ch.c).Error; err != nil {
			return fmt.Errorf("casework: create case %s: %w", ch.c.No, err)
		}
		rows = append(rows, ch.writes...)
	} else {
		rows = append(append(rows, ch.writes...), write{row: ch.c})
	}
	for i := range ch.events {
		ch.events[i].CaseID = ch.c.ID
	}
	if len(ch.events) > 0 {
		rows = append(rows, write{row: &ch.events, create: true})
	}
	if len(ch.notices) > 0 {
		rows = append(rows, write{row: &ch.notices, create: true})
	}
	if err := ch.s.writeAll(ch.tx, rows); err != nil {
		return fmt.Errorf("casework: write case %s: %w", ch.c.No, err)
	}
	return ch.writeRatingPushes() // built from what was just written
}

// writeAll saves and creates rows in order: on a tuned MySQL (store.Tuned)
// as one Exec of their statements, one round trip; else one by one. Rows
// created in one Exec do not learn their ids.
func (s *Service) writeAll(tx *gorm.DB, rows []write) error {
	if !s.tuned || len(rows) < 2 {
		for _, w := range rows {
			var err error
			if w.create {
				err = tx.Create(w.row).Error
			} else {
				err = tx.Save(w.row).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	dry := tx.Session(&gorm.Session{DryRun: true, NewDB: true})
	var (
		sqls []string
		vars []any
	)
	for _, w := range rows {
		var q *gorm.DB
		if w.create {
			q = dry.Create(w.row)
		} else {
			q = dry.Save(w.row)
		}
		if q.Error != nil {
			return q.Error
		}
		sqls = append(sqls, q.Statement.SQL.String())
		vars = append(vars, q.Statement.Vars...)
	}
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, strings.Join(sqls, ";\n"), vars...)
	return err
}

func (ch *change) staff(id string) (models.Staff, error) {
	var st models.Staff
	if err := ch.tx.Where("id = ?", id).First(&st).Error; err != nil {
		return st, notFound(err, "工作人员 %s 不存在", id)
	}
	return st, nil
}

func (ch *change) department(code string) (models.Department, error) {
	if d, ok := ch.depts[code]; ok {
		return d, nil
	}
	var d models.Department
	if err := ch.tx.Where("code = ? AND active = ?", code, true).First(&d).Error; err != nil {
		return d, notFound(err, "部门 %s 不存在", code)
	}
	if ch.depts == nil {
		ch.depts = map[string]models.Department{}
	}
	ch.depts[code] = d
	return d, nil
}

// departments reads the active departments of codes not read yet, in one
// query; a code with none stays unknown (department then says so).
func (ch *change) departments(codes []string) error {
	var want []string
	for _, code := range codes {
		if _, ok := ch.depts[code]; !ok && !slices.Contains(want, code) {
			want = append(want, code)
		}
	}
	if len(want) == 0 {
		return nil
	}
	var list []models.Department
	if err := ch.tx.Where("code IN ? AND active = ?", want, true).Find(&list).Error; err != nil {
		return fmt.Errorf("casework: read departments: %w", err)
	}
	if ch.depts == nil {
		ch.depts = map[string]models.Department{}
	}
	for _, d := range list {
		ch.depts[d.Code] = d
	}
	return nil
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

package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
	"bbcs/workday"
)

// Applicant stands for a citizen acting on their own case in the timeline.
func Applicant(name string) models.Staff {
	return models.Staff{ID: "applicant", Name: name, Active: true}
}

// System stands for bbcs itself (timers, reconciliation) in the timeline.
var System = models.Staff{ID: "system", Name: "系统", Active: true}

// Registration is the 登记表 of 第九条.
type Registration struct {
	ApplicantName   string
	ApplicantMobile string
	ApplicantKind   models.ApplicantKind
	Company         string
	Category        models.Category
	Matter          string
	Channel         models.Channel
	Departments     []string // related departments, if known
	OpenID          string   // service-account applicant
	Photos          []string // platform media ids of photos sent with it
	// SourceID names the message that submitted the report; registering
	// the same source again returns the case already registered.
	SourceID string
}

// errRegistered ends a registration whose source already has its case.
var errRegistered = errors.New("casework: already registered")

func (r *Registration) normalise() error {
	var err error
	if r.ApplicantName, err = text("applicant_name", "反映人姓名", r.ApplicantName, 32); err != nil {
		return err
	}
	r.ApplicantMobile = strings.TrimSpace(r.ApplicantMobile)
	if r.ApplicantMobile == "" {
		return models.Errorf(models.ErrInvalid, "请填写联系电话：手机号，或带区号的固定电话（如 0739-1234567）")
	}
	phone, ok := models.NormalisePhone(r.ApplicantMobile)
	if !ok {
		return models.Errorf(models.ErrInvalid, "联系电话“%s”不正确：请填写 11 位手机号，或带区号的固定电话（如 0739-1234567）", r.ApplicantMobile)
	}
	r.ApplicantMobile = phone
	if r.ApplicantKind == "" {
		r.ApplicantKind = models.ApplicantPerson
	}
	if !r.ApplicantKind.Valid() {
		return models.Errorf(models.ErrInvalid, "反映人类型 %q 不正确：应为 person（群众）或 company（企业）", r.ApplicantKind)
	}
	r.Company = strings.TrimSpace(r.Company)
	if r.ApplicantKind == models.ApplicantCompany && r.Company == "" {
		return models.Errorf(models.ErrInvalid, "企业反映的事项请填写企业名称（company）")
	}
	if utf8.RuneCountInString(r.Company) > 100 {
		return models.Errorf(models.ErrInvalid, "企业名称过长，最多 100 字")
	}
	if r.Category == "" {
		return models.Errorf(models.ErrInvalid, "请选择事项类别，可选：%s", categoryCodes())
	}
	if !r.Category.Valid() {
		return models.Errorf(models.ErrInvalid, "事项类别 %q 不正确，可选：%s", r.Category, categoryCodes())
	}
	if r.Matter, err = text("matter", "反映事项", r.Matter, 2000); err != nil {
		return err
	}
	if !r.Channel.Valid() {
		return models.Errorf(models.ErrInvalid, "反映渠道 %q 不正确：应为 walk_in（现场）、phone（电话）或 service_account（服务号）", r.Channel)
	}
	return nil
}

func categoryCodes() string {
	codes := make([]string, len(models.Categories))
	for i, c := range models.Categories {
		codes[i] = fmt.Sprintf("%s（%s）", c, c.Label())
	}
	return strings.Join(codes, "、")
}

// Register accepts a case (第九条) and assigns its first-contact owner
// (第五条): whoever received a walk-in or phone case, the specialist on
// duty for a service-account case. actor is the registering specialist, or
// Applicant(name) when a citizen reports on the service account.
func (s *Service) Register(ctx context.Context, actor models.Staff, r Registration) (*models.Case, error) {
	if err := r.normalise(); err != nil {
		return nil, err
	}
	fromCitizen := actor.ID == "applicant"
	if !fromCitizen {
		if err := requireRole(actor, models.RoleSpecialist, models.RoleAdmin); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	day := now.In(s.Calendar().Location()).Format("20060102")
	out, err := s.register(ctx, actor, r, now, day)
	if errors.Is(err, errNoCounter) {
		// The counter row went (a database restored or cleaned): make it
		// again, once.
		s.counterDay.Store(nil)
		out, err = s.register(ctx, actor, r, now, day)
	}
	if err == nil && out != nil {
		s.planNew(ctx, out) // the clock of a case not yet handled
	}
	if err != nil && r.SourceID != "" {
		// The same message registered meanwhile (its unique source
		// refused this second one), maybe on another day's counter (a
		// delivery either side of midnight): the first one wins.
		if existing, _ := registeredFrom(s.db.WithContext(ctx), r.SourceID); existing != nil {
			return existing, nil
		}
	}
	return out, err
}

// register is Register's transaction. It reads all it needs first and
// takes the day's counter, whose row lock every registration of the day
// waits for, only then: the lock is held over the writes alone.
func (s *Service) register(ctx context.Context, actor models.Staff, r Registration, now time.Time, day string) (*models.Case, error) {
	if !s.tuned {
		if err := s.ensureCounter(ctx, day); err != nil {
			return nil, err
		}
	}
	var out *models.Case
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		for _, code := range r.Departments {
			if err := tx.Where("code = ? AND active = ?", code, true).First(&models.Department{}).Error; err != nil {
				return notFound(err, "部门 %s 不存在", code)
			}
		}
		// A delivery again of a message registered before finds its case.
		// On a tuned MySQL the unique source tells, when the case is
		// written: Register then finds the case registered before.
		if !s.tuned {
			if existing, err := registeredFrom(tx, r.SourceID); err != nil || existing != nil {
				out = existing
				return cmp.Or(err, errRegistered)
			}
		}
		c := &models.Case{
			Status: models.CaseRegistered, Category: r.Category, Matter: r.Matter,
			ApplicantName: r.ApplicantName, ApplicantKind: r.ApplicantKind,
			ApplicantMobile: r.ApplicantMobile, Company: r.Company, ApplicantOpenID: r.OpenID,
			Channel: r.Channel, Departments: models.JoinCodes(r.Departments),
			AcceptedAt: now, Round: 1,
		}
		if r.SourceID != "" {
			c.SourceID = &r.SourceID
		}
		ch := &change{s: s, tx: tx, now: now, cal: s.Calendar(), actor: actor, c: c}
		owner := actor
		if r.Channel == models.ChannelServiceAccount || actor.Role != models.RoleSpecialist {
			var err error
			if owner, err = ch.onDuty(); err != nil {
				return err
			}
		}
		seq, err := s.nextSeq(tx, day)
		if err != nil {
			return err
		}
		c.No = fmt.Sprintf("%s%s-%03d", s.opts.CasePrefix, day, seq)
		c.OwnerID, ch.owner = owner.ID, owner
		note := fmt.Sprintf("%s受理，类别：%s", r.Channel.Label(), r.Category.Label())
		if len(r.Photos) > 0 {
			note += fmt.Sprintf("，附照片 %d 张", len(r.Photos))
		}
		ch.record("registered", "", note)
		ch.record("owner_assigned", "", "首接负责人："+owner.Name)
		ch.notifyApplicant(models.NoticeCaseReceived, ch.data())
		if owner.ID != actor.ID {
			ch.notify(models.NoticeOwnerAssigned, models.AudienceStaff, owner.ID, ch.data())
		}
		if err := ch.commit(); err != nil {
			return err
		}
		if len(r.Photos) > 0 {
			photos := make([]models.Attachment, len(r.Photos))
			for i, id := range r.Photos {
				photos[i] = models.Attachment{CaseID: c.ID, MediaID: id, Status: models.AttachmentPending, CreatedAt: now}
			}
			if err := tx.Create(&photos).Error; err != nil {
				return fmt.Errorf("casework: record attachments of %s: %w", c.No, err)
			}
		}
		out = c
		return nil
	})
	if errors.Is(err, errRegistered) {
		return out, nil
	}
	return out, err
}

// registeredFrom finds the case a source registered, nil when none.
func registeredFrom(tx *gorm.DB, source string) (*models.Case, error) {
	if source == "" {
		return nil, nil
	}
	var c models.Case
	err := tx.Where("source_id = ?", source).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("casework: find case of %s: %w", source, err)
	}
	return &c, nil
}

// ensureCounter creates the day's counter row in its own statement: inside
// the transaction, MySQL's insert-or-ignore would take a shared lock that
// deadlocks with the update every concurrent registration then makes.
// A process makes the row once a day, the first time it registers.
func (s *Service) ensureCounter(ctx context.Context, day string) error {
	if made := s.counterDay.Load(); made != nil && *made == day {
		return nil
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&models.CaseCounter{Day: day}).Error
	if err != nil {
		return fmt.Errorf("casework: create case counter %s: %w", day, err)
	}
	s.counterDay.Store(&day)
	return nil
}

// errNoCounter: the day's counter row is not there after all.
var errNoCounter = errors.New("casework: no case counter for the day")

// nextSeq bumps the day's counter under its row lock, held to commit, so
// concurrent registrations take distinct numbers, and no number is lost
// to a registration that fails. On a tuned MySQL one statement makes the
// day's row or bumps it, and hands back the number (LAST_INSERT_ID(expr)
// is what the statement's result reports as its insert id): an upsert
// takes the row's exclusive lock at once, so it does not deadlock as an
// insert-or-ignore's shared lock would with the update after it.
func (s *Service) nextSeq(tx *gorm.DB, day string) (int, error) {
	if s.tuned {
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context,
			"INSERT INTO `case_counters` (`day`, `last`) VALUES (?, LAST_INSERT_ID(1)) "+
				"ON DUPLICATE KEY UPDATE `last` = LAST_INSERT_ID(`last` + 1)", day)
		if err != nil {
			return 0, fmt.Errorf("casework: bump case counter %s: %w", day, err)
		}
		seq, err := res.LastInsertId()
		if err != nil || seq < 1 {
			return 0, fmt.Errorf("casework: bump case counter %s: no number (%v)", day, err)
		}
		return int(seq), nil
	}
	return nextSeqRead(tx, day)
}

func nextSeqRead(tx *gorm.DB, day string) (int, error) {
	res := tx.Model(&models.CaseCounter{}).Where("day = ?", day).Update("last", gorm.Expr("last + 1"))
	if res.Error != nil {
		return 0, fmt.Errorf("casework: bump case counter %s: %w", day, res.Error)
	}
	if res.RowsAffected == 0 {
		return 0, errNoCounter
	}
	var ctr models.CaseCounter
	if err := tx.Where("day = ?", day).First(&ctr).Error; err != nil {
		return 0, fmt.Errorf("casework: read case counter %s: %w", day, err)
	}
	return ctr.Last, nil
}

// onDuty is the specialist on duty now (第四条): the roster's for today,
// else the rotation's turn, else the first specialist on file.
//
// Every registration from the service account asks this, so it costs two
// round trips: the day's roster entry and the rotation setting together,
// then the staff they name (it was three to four reads of whole rows
// through GORM: 6 % of bbcs's CPU in bench/load's closed loop).
func (ch *change) onDuty() (models.Staff, error) {
	date := ch.now.In(ch.cal.Location()).Format(time.DateOnly)
	var specialistID, rotation string
	err := ch.tx.Statement.ConnPool.QueryRowContext(ch.tx.Statement.Context,
		"SELECT COALESCE((SELECT specialist_id FROM duty_days WHERE `date` = ? LIMIT 1), ''), "+
			"COALESCE((SELECT `value` FROM settings WHERE name = ?), '')", date, models.SettingRotation).Scan(&specialistID, &rotation)
	if err != nil {
		return models.Staff{}, fmt.Errorf("casework: read duty roster: %w", err)
	}
	var settings models.Settings
	if rotation != "" {
		settings = ch.s.decodeSettings([]models.Setting{{Name: models.SettingRotation, Value: rotation}})
	}
	ids := settings.Rotation
	if specialistID != "" {
		ids = append([]string{specialistID}, ids...)
	}
	byID := map[string]models.Staff{}
	if len(ids) > 0 {
		var named []models.Staff
		if err := ch.tx.Where("id IN ?", ids).Find(&named).Error; err != nil {
			return models.Staff{}, fmt.Errorf("casework: read the staff on duty: %w", err)
		}
		for _, st := range named {
			byID[st.ID] = st
		}
	}
	if st, ok := byID[specialistID]; ok && st.Active {
		return st, nil
	}
	// Keep the rotation's order; turns advance one per working day.
	var order []models.Staff
	for _, id := range settings.Rotation {
		if st, ok := byID[id]; ok && st.Role == models.RoleSpecialist && st.Active {
			order = append(order, st)
		}
	}
	if len(order) > 0 {
		turn := ch.s.rotationDay(ch.cal, date, ch.now) % len(order)
		return order[turn], nil
	}
	var first models.Staff
	if err := ch.tx.Where("role = ? AND active = ?", models.RoleSpecialist, true).Order("id").First(&first).Error; err != nil {
		return first, notFound(err, "当前没有值班的接诉即办专员，请管理员配置值班表（duty.roster）")
	}
	return first, nil
}

// rotationDay is the rotation's day number of now, whose date in cal's
// location is date: the working days from 2020-01-01 to it. Counting them
// walks every day since, for every case registered (2.6 % of bbcs's CPU in
// bench/load's closed loop, one registration in ten messages), so the
// Service keeps the count for the last date and calendar asked about.
func (s *Service) rotationDay(cal *workday.Calendar, date string, now time.Time) int {
	if c := s.rotation.Load(); c != nil && c.cal == cal && c.date == date {
		return c.n
	}
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, cal.Location())
	n := cal.WorkdaysBetween(epoch, now)
	s.rotation.Store(&rotationCount{cal: cal, date: date, n: n})
	return n
}

// rotationCount is rotationDay's answer for one date and calendar.
type rotationCount struct {
	cal  *workday.Calendar
	date string
	n    int
}

// dutyLeader is the department leader on duty at the window today (第四条:
// 分管领导在“办不成事”反映窗口轮流值班): the roster's leader for the day of
// ch.now. ok is false when the roster names nobody, or somebody no longer
// active; the caller then escalates to whom it would have told anyway.
func (ch *change) dutyLeader() (leader models.Staff, ok bool, err error) {
	date := ch.now.In(ch.cal.Location()).Format(time.DateOnly)
	var day models.DutyDay
	if err := ch.tx.Where("date = ?", date).Limit(1).Find(&day).Error; err != nil {
		return models.Staff{}, false, fmt.Errorf("casework: read duty roster: %w", err)
	}
	if day.LeaderID == "" {
		return models.Staff{}, false, nil
	}
	st, err := ch.staff(day.LeaderID)
	if err != nil || !st.Active {
		return models.Staff{}, false, nil
	}
	return st, true, nil
}

// Handover passes the case to another specialist (工作交接, 第七条).
func (s *Service) Handover(ctx context.Context, actor models.Staff, no, toID, reason string) (*models.Case, error) {
	reason, err := text("reason", "交接原因", reason, 500)
	if err != nil {
		return nil, err
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := models.CheckOpen(ch.c); err != nil {
			return err
		}
		if err := ch.requireOwner(); err != nil {
			return err
		}
		to, err := ch.staff(toID)
		if err != nil {
			return err
		}
		if !to.Active || to.Role != models.RoleSpecialist {
			return models.Errorf(models.ErrInvalid, "%s 不是在岗的接诉即办专员，不能接手案件", to.Name)
		}
		if to.ID == ch.c.OwnerID {
			return models.Errorf(models.ErrConflict, "%s 已经是案件 %s 的首接负责人", to.Name, ch.c.No)
		}
		from := ch.owner
		ch.c.OwnerID, ch.owner = to.ID, to
		// The centre's own open 差评整改 is the owner's: it goes with the
		// case, so the figures and the record credit whoever reports it.
		if err := ch.tx.Model(&models.Rectification{}).Where("case_id = ? AND department_code = '' AND reported_at IS NULL", ch.c.ID).
			Update("owner_id", to.ID).Error; err != nil {
			return fmt.Errorf("casework: hand over the rectification of %s: %w", ch.c.No, err)
		}
		ch.record("handed_over", "", fmt.Sprintf("%s → %s，原因：%s", from.Name, to.Name, reason))
		d := ch.data()
		d.Reason, d.Note = reason, from.Name
		ch.notify(models.NoticeHandedOver, models.AudienceStaff, to.ID, d)
		return nil
	})
}

// CheckIn records the duty specialist's arrival (第四条, R2); a check-in
// after the configured time is recorded as late for the assessment (R9).
func (s *Service) CheckIn(ctx context.Context, actor models.Staff) (*models.CheckIn, error) {
	if err := requireRole(actor, models.RoleSpecialist); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	loc := s.Calendar().Location()
	local := now.In(loc)
	date := local.Format(time.DateOnly)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	ci := &models.CheckIn{Date: date, StaffID: actor.ID, At: now}
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		// Late only on a working day, and only for the one on duty: a
		// specialist who comes in to help, or on a rest day, is not late.
		if now.After(midnight.Add(s.opts.CheckIn)) && s.Calendar().IsWorkday(local) {
			ch := &change{s: s, tx: tx, now: now, cal: s.Calendar(), actor: actor, c: &models.Case{}}
			if onDuty, err := ch.onDuty(); err == nil && onDuty.ID == actor.ID {
				ci.Late = true
			}
		}
		var n int64
		if err := tx.Model(&models.CheckIn{}).Where("date = ? AND staff_id = ?", date, actor.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("casework: read check-ins: %w", err)
		}
		if n > 0 {
			return models.Errorf(models.ErrConflict, "%s 今天（%s）已签到", actor.Name, date)
		}
		if err := tx.Create(ci).Error; err != nil {
			return fmt.Errorf("casework: record check-in: %w", err)
		}
		if ci.Late {
			return propose(tx, checkedInLate(local.Year(), *ci, actor.Name))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ci, nil
}

// DutyToday tells whether st is the specialist on duty today, a working
// day, and when they checked in today (nil: not yet), for the console to
// offer the check-in to the one who owes it.
func (s *Service) DutyToday(ctx context.Context, st models.Staff) (onDuty bool, in *models.CheckIn, err error) {
	if st.Role != models.RoleSpecialist {
		return false, nil, nil
	}
	now := s.clock.Now()
	local := now.In(s.Calendar().Location())
	db := s.db.WithContext(ctx)
	if s.Calendar().IsWorkday(local) {
		ch := &change{s: s, tx: db, now: now, cal: s.Calendar(), actor: st, c: &models.Case{}}
		if duty, err := ch.onDuty(); err == nil && duty.ID == st.ID {
			onDuty = true
		}
	}
	var list []models.CheckIn
	if err := db.Where("date = ? AND staff_id = ?", local.Format(time.DateOnly), st.ID).Limit(1).Find(&list).Error; err != nil {
		return false, nil, fmt.Errorf("casework: read check-ins: %w", err)
	}
	if len(list) > 0 {
		in = &list[0]
	}
	return onDuty, in, nil
}

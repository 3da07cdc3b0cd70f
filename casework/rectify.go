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

// 差评整改 (第十三条; 国办发〔2019〕51号): every 差评 is verified by the unit
// it concerns, put right within rating.rectify_days working days and
// reported back; the applicant hears the outcome and is asked again.

// openRectifications opens one rectification per unit of the rated round:
// each department with a work order in it, or the centre itself (the case
// owner) when the owner answered without orders. Called by rate before
// reopen moves the case to its next round.
func (ch *change) openRectifications(r *models.Rating) error {
	orders, err := ch.roundOrders()
	if err != nil {
		return err
	}
	var codes []string
	for _, o := range orders {
		if !containsStr(codes, o.DepartmentCode) {
			codes = append(codes, o.DepartmentCode)
		}
	}
	if len(codes) == 0 {
		codes = []string{""} // answered on the spot: the centre verifies
	}
	due := ch.cal.DueAt(ch.now, ch.s.opts.RectifyDays)
	for _, code := range codes {
		rc := models.Rectification{RatingID: r.ID, CaseID: ch.c.ID, Round: r.Round, DepartmentCode: code, DueAt: due, Created: ch.now}
		dept, name, err := ch.rectifyUnit(code)
		if err != nil {
			return err
		}
		if code == "" {
			rc.OwnerID = ch.c.OwnerID
		} else if rc.OwnerID, err = ch.rectifyOwner(dept); err != nil {
			return err
		}
		if err := ch.tx.Create(&rc).Error; err != nil {
			return fmt.Errorf("casework: open rectification: %w", err)
		}
		d := ch.rectifyData(&rc, name, r.Level, r.Comment)
		if code != "" { // a department may appeal instead (申诉); the centre does not appeal to itself
			by := ch.appealDeadline(r.At)
			d.AppealBy = &by
		}
		if rc.OwnerID != "" {
			ch.notify(models.NoticeRectifyOpened, models.AudienceStaff, rc.OwnerID, d)
		}
		if code != "" {
			ch.notify(models.NoticeRectifyOpened, models.AudienceDepartment, code, d)
		}
		ch.record("rectify_opened", "", fmt.Sprintf("差评整改：请%s核实并于 %s 前报告整改情况", name, models.FormatTime(due)))
	}
	return nil
}

// rectifyUnit is a rectification's unit: its department (the zero
// Department for the centre) and the name notices and the timeline give it
// (models.RectifyUnit).
func (ch *change) rectifyUnit(code string) (models.Department, string, error) {
	var dept models.Department
	if code != "" {
		var err error
		if dept, err = ch.departmentOnFile(code); err != nil {
			return dept, "", err
		}
	}
	return dept, models.RectifyUnit(code, dept.Name), nil
}

// rectifyOwner is who answers for a department's rectification: its
// window head, else its 分管领导.
func (ch *change) rectifyOwner(dept models.Department) (string, error) {
	heads, err := ch.staffOf(dept.Code, models.RoleWindowHead)
	if err != nil {
		return "", err
	}
	if len(heads) > 0 {
		return heads[0].ID, nil
	}
	return dept.LeaderID, nil
}

// rectifyData is the payload of a rectification's notices: the unit, the
// 差评 (level and comment; cards mask any mobile typed in it) and the date.
func (ch *change) rectifyData(rc *models.Rectification, unit string, level models.RatingLevel, comment string) models.NoticeData {
	d := ch.data()
	due := rc.DueAt
	d.Department, d.DepartmentName, d.DueAt, d.Round = rc.DepartmentCode, unit, &due, rc.Round
	d.Reason, d.Note = level.Label(), comment
	return d
}

// ReportRectification records a unit's report on its 差评整改: its verdict
// (属实/不属实) and what it did, once. dept names the unit; "" means the one
// the actor may report (see rectificationToReport).
func (s *Service) ReportRectification(ctx context.Context, actor models.Staff, caseNo, dept string, verdict models.RectifyVerdict, measures string) (*models.Case, error) {
	if !verdict.Valid() {
		return nil, models.Errorf(models.ErrInvalid, "请说明核实结论：属实（founded）或不属实（unfounded）")
	}
	measures, err := text("measures", "整改情况", measures, 2000)
	if err != nil {
		return nil, err
	}
	return s.onCase(ctx, caseNo, actor, func(ch *change) error {
		rc, err := ch.rectificationToReport(dept)
		if err != nil {
			return err
		}
		return ch.reportRectification(rc, verdict, measures)
	})
}

// rectificationToReport is the open rectification the actor reports: of
// dept when it is named, else the one unit's they may report. More than
// one such unit is refused: the actor must name the department.
func (ch *change) rectificationToReport(dept string) (*models.Rectification, error) {
	var list []models.Rectification
	q := ch.tx.Where("case_id = ?", ch.c.ID)
	if dept != "" {
		q = q.Where("department_code = ?", dept)
	}
	if err := q.Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("casework: load rectifications: %w", err)
	}
	if len(list) == 0 {
		name := ""
		if dept != "" {
			_, unit, err := ch.rectifyUnit(dept)
			if err != nil {
				return nil, err
			}
			name = unit
		}
		return nil, models.Errorf(models.ErrNotFound, "案件 %s 没有需要%s整改的差评", ch.c.No, name)
	}
	var mine []*models.Rectification
	for i := range list {
		if ch.mayReport(&list[i]) {
			mine = append(mine, &list[i])
		}
	}
	if len(mine) == 0 {
		return nil, models.Errorf(models.ErrForbidden, "只有整改负责人或本部门窗口负责人可以报告案件 %s 的差评整改", ch.c.No)
	}
	var rc *models.Rectification
	for _, m := range mine {
		if !m.Open() {
			continue
		}
		if rc == nil {
			rc = m // the oldest open one of its unit
			continue
		}
		if m.DepartmentCode != rc.DepartmentCode {
			_, a, err := ch.rectifyUnit(rc.DepartmentCode)
			if err != nil {
				return nil, err
			}
			_, b, err := ch.rectifyUnit(m.DepartmentCode)
			if err != nil {
				return nil, err
			}
			return nil, &UnitUnnamedError{CaseNo: ch.c.No, Units: [2]string{a, b}, Codes: [2]string{rc.DepartmentCode, m.DepartmentCode},
				err: models.Errorf(models.ErrInvalid, "案件 %s 有%s和%s的差评整改都待您报告，请写明报告哪个部门的整改", ch.c.No, a, b)}
		}
	}
	if rc == nil {
		last := mine[len(mine)-1]
		return nil, models.Errorf(models.ErrConflict, "案件 %s 的差评整改已于 %s 报告（%s），不能重复报告", ch.c.No, models.FormatTime(*last.ReportedAt), last.Verdict.Label())
	}
	return rc, nil
}

// UnitUnnamedError refuses a report that names no unit when the actor
// answers for more than one unit's open 差评整改 on the case: each channel
// tells in its own words how to name one (the API's department field, the
// group command's department after the case number). It is an invalid
// request (models.ErrInvalid) with a message that names both units.
type UnitUnnamedError struct {
	CaseNo string
	Units  [2]string // two of the units, by name
	Codes  [2]string // their department codes ("" for the centre itself)
	err    error
}

// Department names one of the two units that is a department, for an
// example: the centre's own is not named in a command (its owner reports
// it in the console).
func (e *UnitUnnamedError) Department() string {
	if e.Codes[1] == "" {
		return e.Units[0]
	}
	return e.Units[1]
}

func (e *UnitUnnamedError) Error() string { return e.err.Error() }
func (e *UnitUnnamedError) Unwrap() error { return e.err }

// mayReport: the actor may report rc — they answer for it (RectifyOwner),
// or head its department, or belong to a department with no owner on file
// (neither a window head nor a 分管领导: its own staff report, or the 差评
// would wait for nobody until it escalates).
func (ch *change) mayReport(rc *models.Rectification) bool {
	a := ch.actor
	if a.ID == RectifyOwner(rc, ch.c) {
		return true
	}
	return rc.DepartmentCode != "" && a.DepartmentCode == rc.DepartmentCode && (a.Role == models.RoleWindowHead || rc.OwnerID == "")
}

// RectifyOwner is who answers for rc now: the department's owner fixed
// at opening, or, for the centre's own, whoever owns the case — a handover
// passes it on with the case.
func RectifyOwner(rc *models.Rectification, c *models.Case) string {
	if rc.DepartmentCode == "" {
		return c.OwnerID
	}
	return rc.OwnerID
}

// closeRectification records rc's verdict and measures as reported now by
// the actor: a unit's report, or an upheld appeal excusing it.
func (ch *change) closeRectification(rc *models.Rectification, verdict models.RectifyVerdict, measures string) error {
	rc.Verdict, rc.Measures, rc.ReportedAt, rc.ReportedBy = verdict, measures, &ch.now, ch.actor.ID
	if err := ch.tx.Save(rc).Error; err != nil {
		return fmt.Errorf("casework: close rectification: %w", err)
	}
	return nil
}

func (ch *change) reportRectification(rc *models.Rectification, verdict models.RectifyVerdict, measures string) error {
	if err := ch.closeRectification(rc, verdict, measures); err != nil {
		return err
	}
	_, name, err := ch.rectifyUnit(rc.DepartmentCode)
	if err != nil {
		return err
	}
	late := ""
	if !rc.OnTime() {
		late = "（逾期）"
	}
	ch.record("rectified", "", fmt.Sprintf("%s报告差评整改%s：%s；%s", name, late, verdict.Label(), measures))
	var r models.Rating
	if err := ch.tx.Where("id = ?", rc.RatingID).First(&r).Error; err != nil {
		return fmt.Errorf("casework: load the rated 差评: %w", err)
	}
	ch.pushRatingRecords(r.Round) // the record now holds the rectification's outcome
	d := ch.rectifyData(rc, name, r.Level, r.Comment)
	d.Result, d.Text = measures, verdict.Label()
	ch.notify(models.NoticeRectifyReported, models.AudienceSupervision, "", d)
	return ch.tellRectified(name, verdict, measures)
}

// tellRectified tells the applicant the outcome and asks again: the rating
// menu when the present round is answered and not yet rated, else that
// they will be asked about the re-handled result when it comes.
func (ch *change) tellRectified(unit string, verdict models.RectifyVerdict, measures string) error {
	d := ch.data()
	found := "经核实，您反映的情况属实，已整改：" + measures
	if verdict == models.VerdictUnfounded {
		found = "经核实，情况说明如下：" + measures
	}
	d.Text = fmt.Sprintf("您对 %s 处理结果的评价我们已认真对待。%s对此进行了核实整改。%s", ch.c.No, unit, found)
	ask, err := ch.awaitsRating()
	if err != nil {
		return err
	}
	link := ""
	if ask {
		if link, err = ch.ratingLink(); err != nil {
			return err
		}
		d.Text += "\n请为最新的处理结果再次评价："
		d.Menu, d.Tail, d.Link, d.Result = RatingMenu(ch.c), "点击选择，或回复数字 1–5。", link, ch.c.Result
	} else {
		d.Text += "\n您的事项正在重新办理，有新的结果后会再请您评价。"
	}
	if ch.c.ApplicantOpenID != "" {
		ch.notifyApplicant(models.NoticeRectified, d)
		return nil
	}
	// A walk-in applicant: the owner sends the same words by SMS.
	d.Note = "您好！" + strings.ReplaceAll(d.Text, "\n", "")
	if ask && link != "" {
		d.Note = strings.TrimSuffix(d.Note, "：") + "（7天内有效）：" + link
	} else if ask {
		d.Note = strings.TrimSuffix(d.Note, "请为最新的处理结果再次评价：") + "请回复“非常满意”“满意”“基本满意”“不满意”或“非常不满意”再次评价。"
	}
	ch.notify(models.NoticeRectified, models.AudienceStaff, ch.c.OwnerID, d)
	return nil
}

// awaitsRating: the present round is answered and waits for its rating.
func (ch *change) awaitsRating() (bool, error) {
	if ch.c.Status != models.CaseAnswered || ch.c.RatingVia == string(ViaNotRated) {
		return false, nil
	}
	rated, err := ch.ratedThisRound()
	return !rated, err
}

// Rectifications lists a case's 差评整改, oldest first.
func (s *Service) Rectifications(ctx context.Context, caseID uint64) ([]models.Rectification, error) {
	var list []models.Rectification
	if err := s.db.WithContext(ctx).Where("case_id = ?", caseID).Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("casework: list rectifications: %w", err)
	}
	return list, nil
}

// rectifyOwners names the owners of d's rectifications.
func (s *Service) rectifyOwners(ctx context.Context, d *Detail) error {
	var ids []string
	for i := range d.Rectifications {
		if id := RectifyOwner(&d.Rectifications[i], &d.Case); id != "" {
			ids = append(ids, id)
		}
	}
	d.RectifyOwners = map[string]string{}
	if len(ids) == 0 {
		return nil
	}
	var list []models.Staff
	if err := s.db.WithContext(ctx).Select("id", "name").Where("id IN ?", ids).Find(&list).Error; err != nil {
		return fmt.Errorf("casework: name rectification owners: %w", err)
	}
	for _, st := range list {
		d.RectifyOwners[st.ID] = st.Name
	}
	return nil
}

// The clock of an open rectification, on the working-day calendar like a
// work order's:
//
//	rectify:<id>:remind   the morning of its due day (workday.reminder_time)
//	rectify:<id>:overdue  its deadline: escalate to the 分管领导 and supervision
const rectifyNS = "rectify:"

func rectifyTimerPrefix(id uint64) string { return rectifyNS + strconv.FormatUint(id, 10) + ":" }

// rectifyTimerIDs are both timers a rectification may have.
func rectifyTimerIDs(id uint64) []string {
	p := rectifyTimerPrefix(id)
	return []string{p + "remind", p + "overdue"}
}

// rectifyTimers are the timers an open rectification needs.
func (s *Service) rectifyTimers(rc *models.Rectification) map[string]time.Time {
	if !rc.Open() {
		return nil
	}
	ids := rectifyTimerIDs(rc.ID)
	out := map[string]time.Time{ids[1]: rc.DueAt}
	if morning := s.Calendar().MorningOf(rc.DueAt); morning.After(rc.Created) && morning.Before(rc.DueAt) {
		out[ids[0]] = morning
	}
	return out
}

// planRectifications adds the open rectifications' timers of a case to
// want. A reported one's timers are left alone: firing drops them (see
// fireRectifyTimer), as it does a recorded follow-up's.
func (s *Service) planRectifications(db *gorm.DB, caseID uint64, want map[string]time.Time) {
	var list []models.Rectification
	if err := db.Where("case_id = ? AND reported_at IS NULL", caseID).Find(&list).Error; err != nil {
		s.log.Warn("timers: load rectifications", "case_id", caseID, "err", err)
		return
	}
	for i := range list {
		maps.Copy(want, s.rectifyTimers(&list[i]))
	}
}

// wantedRectifications are the timers of every open rectification.
func (s *Service) wantedRectifications(ctx context.Context, want map[string]time.Time) error {
	var list []models.Rectification
	if err := s.db.WithContext(ctx).Where("reported_at IS NULL").Find(&list).Error; err != nil {
		return fmt.Errorf("casework: list open rectifications: %w", err)
	}
	for i := range list {
		for id, at := range s.rectifyTimers(&list[i]) {
			want[id] = at
		}
	}
	return nil
}

func (s *Service) fireRectifyTimer(ctx context.Context, id string) error {
	rest, what, ok := strings.Cut(strings.TrimPrefix(id, rectifyNS), ":")
	n, err := strconv.ParseUint(rest, 10, 64)
	if !ok || err != nil || (what != "remind" && what != "overdue") {
		return ErrUnknownTimer
	}
	caseOf := func(rc *models.Rectification) uint64 { return rc.CaseID }
	return fireRowTimer(ctx, s, id, n, "rectification", caseOf, func(ch *change, cur *models.Rectification) error {
		at, ok := s.rectifyTimers(cur)[id]
		if !ok || ch.now.Before(at) {
			return errStale // reported meanwhile, or not yet
		}
		return ch.rectifyAlarm(cur, what == "overdue")
	})
}

// rectifyAlarm: on the due day the owner and the window group are
// reminded; past the deadline the 分管领导 and the supervision section
// hear that no report came.
func (ch *change) rectifyAlarm(rc *models.Rectification, overdue bool) error {
	var r models.Rating
	if err := ch.tx.Where("id = ?", rc.RatingID).First(&r).Error; err != nil {
		return fmt.Errorf("casework: load the rated 差评: %w", err)
	}
	dept, name, err := ch.rectifyUnit(rc.DepartmentCode)
	if err != nil {
		return err
	}
	leader := dept.LeaderID
	if rc.DepartmentCode == "" {
		if owner, err := ch.staff(ch.c.OwnerID); err == nil && owner.DepartmentCode != "" {
			if od, err := ch.departmentOnFile(owner.DepartmentCode); err == nil {
				leader = od.LeaderID
			}
		}
	}
	d := ch.rectifyData(rc, name, r.Level, r.Comment)
	owner := RectifyOwner(rc, ch.c)
	if owner != "" {
		if st, err := ch.staff(owner); err == nil {
			d.OwnerName = st.Name
		}
	}
	if !overdue {
		if !ch.now.Before(rc.DueAt) {
			return nil // fired late: the escalation, due as well, says it
		}
		if owner != "" {
			ch.notify(models.NoticeRectifyReminder, models.AudienceStaff, owner, d)
		}
		if rc.DepartmentCode != "" {
			ch.notify(models.NoticeRectifyReminder, models.AudienceDepartment, rc.DepartmentCode, d)
		}
		ch.record("rectify_reminded", "", fmt.Sprintf("提醒%s：差评整改 %s 到期，尚未报告", name, ch.dueWhen(rc.DueAt)))
		return nil
	}
	d.LateDays = ch.lateDays(rc.DueAt)
	told := "监督考核科"
	if leader != "" {
		ch.notify(models.NoticeRectifyOverdue, models.AudienceStaff, leader, d)
		if l, err := ch.staff(leader); err == nil {
			told = l.Name + "（分管领导）、" + told
		}
	}
	ch.notify(models.NoticeRectifyOverdue, models.AudienceSupervision, "", d)
	ch.record("rectify_overdue", "", fmt.Sprintf("%s未在 %s 前报告差评整改，已报告%s", name, models.FormatTime(rc.DueAt), told))
	return nil
}

package casework

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
)

// Deductions (第十七条) are proposed by rules as what they judge happens,
// in the transaction that records it: a missed or late duty check-in, a
// summoned officer arriving late or not at all, a verified staff fault or
// unit failure, a work order answered late or left open past its deadline.
// Each is proposed once, keyed by its source, for the supervision section
// to confirm or waive. ProposeDeductions runs the same rules over a whole
// year, to catch up on what happened before a rule existed.

// propose records deductions as proposed, each once.
func propose(tx *gorm.DB, ds ...models.Deduction) error {
	for i := range ds {
		ds[i].Status, ds[i].Points = models.DeductionProposed, 1
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ds, 200).Error; err != nil {
		return fmt.Errorf("casework: propose deductions: %w", err)
	}
	return nil
}

// yearOf is the assessment year of a moment: the calendar year where the
// centre is.
func (ch *change) yearOf(t time.Time) int { return t.In(ch.cal.Location()).Year() }

// The rules, one per source. year is the assessment year the source
// belongs to: that of the day of duty, of the summons, of the fault, of
// the order's receipt.

func dutyMissed(year int, m models.DutyMiss, name string) models.Deduction {
	return models.Deduction{Year: year, Rule: models.RuleDutyLate, SourceKey: models.DutyDeductionKey(m.Date),
		Reason: fmt.Sprintf("%s 值班日 %s 未按时到岗签到", name, m.Date), At: m.At}
}

// checkedInLate shares its key with dutyMissed: one deduction per day,
// whichever came first.
func checkedInLate(year int, ci models.CheckIn, name string) models.Deduction {
	return models.Deduction{Year: year, Rule: models.RuleDutyLate, SourceKey: models.DutyDeductionKey(ci.Date),
		Reason: fmt.Sprintf("%s 值班日 %s 迟到，%s 签到", name, ci.Date, ci.At.In(models.Shanghai).Format("15:04")), At: ci.At}
}

func summonedLate(year int, sm models.Summon, caseNo string) models.Deduction {
	return models.Deduction{Year: year, Rule: models.RuleSummonLate, SourceKey: models.SummonDeductionKey(sm.ID),
		DepartmentCode: sm.DepartmentCode, CaseNo: caseNo,
		Reason: fmt.Sprintf("被通知后未在 %s 前到“办不成事”反映窗口", models.FormatTime(sm.ArriveBy)), At: sm.SummonedAt}
}

// faulted is a staff fault (the unit and the person −1) or, with no
// person, a related unit's failure (that unit −1).
func faulted(year int, f models.Fault, caseNo, name string) models.Deduction {
	d := models.Deduction{Year: year, SourceKey: models.FaultDeductionKey(f.ID), DepartmentCode: f.DepartmentCode,
		CaseNo: caseNo, At: f.At}
	if f.StaffID == "" {
		d.Rule, d.SourceKey = models.RuleUnitFailure, models.UnitDeductionKey(caseNo, f.DepartmentCode)
		d.Reason = unitFailureTopic(f.Kind) + freeText(f.Note)
		return d
	}
	d.Rule, d.StaffID = models.RuleStaffFault, f.StaffID
	d.Reason = fmt.Sprintf("经核实属工作人员过错（%s）：%s", models.FaultKinds[f.Kind], name)
	return d
}

// unitFailureTopic and overdueTopic begin a unit failure's and an order's
// reason, to tell them apart among those a related-unit deduction gathers
// (proposeFor).
func unitFailureTopic(kind models.FaultKind) string { return models.UnitFailures[kind] + "：" }

func overdue(year int, o models.WorkOrder, caseNo string) models.Deduction {
	what := "未在时限内答复"
	if o.RepliedAt != nil {
		what = "超期答复（" + models.FormatTime(*o.RepliedAt) + "）"
	}
	return models.Deduction{Year: year, Rule: models.RuleOrderOverdue, SourceKey: models.UnitDeductionKey(caseNo, o.DepartmentCode), DepartmentCode: o.DepartmentCode,
		CaseNo: caseNo, Reason: overdueTopic(o.No) + what + "，时限 " + models.FormatTime(o.Deadline()), At: o.Deadline()}
}

func overdueTopic(orderNo string) string { return "工单 " + orderNo + " " }

// proposeOverdue is the rule of an order past its deadline: at the
// deadline, or at a late reply.
func (ch *change) proposeOverdue(o *models.WorkOrder) error {
	return proposeFor(ch.tx, overdue(ch.yearOf(o.ReceivedAt), *o, ch.c.No), overdueTopic(o.No))
}

// proposeFor proposes d or, when its source has a deduction already,
// brings it up to date. Still undecided, d's reason replaces what it said
// of the same topic (an order's late reply after its overdue) or is added
// (a unit found to have shirked a case it also answered late). Waived, a
// new topic proposes it again with both reasons and the waiver's: what
// was waived may not be all that happened. Confirmed, the point is lost
// already and stays as decided.
func proposeFor(tx *gorm.DB, d models.Deduction, topic string) error {
	if err := propose(tx, d); err != nil {
		return err
	}
	var cur models.Deduction
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("source_key = ?", d.SourceKey).Take(&cur).Error; err != nil {
		return fmt.Errorf("casework: read deduction: %w", err)
	}
	if cur.Status == models.DeductionConfirmed || cur.Reason == d.Reason {
		return nil
	}
	parts := strings.Split(cur.Reason, reasonSep)
	i := slices.IndexFunc(parts, func(p string) bool { return strings.HasPrefix(p, topic) })
	update := map[string]any{}
	switch {
	case cur.Status == models.DeductionWaived && i >= 0:
		return nil // nothing new: the waiver stands
	case cur.Status == models.DeductionWaived:
		parts = append(parts, "（已免除："+cur.Note+"）", d.Reason)
		update["status"], update["decided_by"], update["decided_at"], update["note"] = models.DeductionProposed, "", nil, ""
	case i >= 0:
		parts[i] = d.Reason
	default:
		parts = append(parts, d.Reason)
	}
	update["reason"] = strings.Join(parts, reasonSep)
	if err := tx.Model(&cur).Updates(update).Error; err != nil {
		return fmt.Errorf("casework: update deduction: %w", err)
	}
	return nil
}

// reasonSep joins the reasons one deduction gathers; the free text put in
// a reason has it replaced, so a note cannot split into false reasons.
const reasonSep = "；"

func freeText(s string) string { return strings.ReplaceAll(s, reasonSep, "，") }

// ProposeDeductions applies every rule to a whole year. The use cases and
// timers propose as things happen; this catches up on what happened
// before (an upgrade, a restored backup) and is safe to run again.
func (s *Service) ProposeDeductions(ctx context.Context, year int) error {
	loc := s.Calendar().Location()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc).UTC()
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc).UTC()
	now := s.clock.Now()
	db := s.db.WithContext(ctx)
	var out []models.Deduction

	names := map[string]string{}
	var people []models.Staff
	if err := db.Find(&people).Error; err != nil {
		return fmt.Errorf("casework: staff: %w", err)
	}
	for _, p := range people {
		names[p.ID] = p.Name
	}
	var misses []models.DutyMiss
	if err := db.Where("date >= ? AND date < ?", strconv.Itoa(year), strconv.Itoa(year+1)).Find(&misses).Error; err != nil {
		return fmt.Errorf("casework: duty misses: %w", err)
	}
	for _, m := range misses {
		out = append(out, dutyMissed(year, m, names[m.StaffID]))
	}
	var late []models.CheckIn
	if err := db.Where("late = ? AND at >= ? AND at < ?", true, from, to).Find(&late).Error; err != nil {
		return fmt.Errorf("casework: late check-ins: %w", err)
	}
	for _, ci := range late {
		out = append(out, checkedInLate(year, ci, names[ci.StaffID]))
	}

	var summons []struct {
		models.Summon
		No string
	}
	if err := db.Table("summons").Select("summons.*, cases.no").Joins("JOIN cases ON cases.id = summons.case_id").
		Where("summons.late = ? AND summons.summoned_at >= ? AND summons.summoned_at < ?", true, from, to).Scan(&summons).Error; err != nil {
		return fmt.Errorf("casework: late summons: %w", err)
	}
	for _, sm := range summons {
		out = append(out, summonedLate(year, sm.Summon, sm.No))
	}

	var faults []struct {
		models.Fault
		No string
	}
	if err := db.Table("faults").Select("faults.*, cases.no").Joins("JOIN cases ON cases.id = faults.case_id").
		Where("faults.at >= ? AND faults.at < ?", from, to).Scan(&faults).Error; err != nil {
		return fmt.Errorf("casework: faults: %w", err)
	}
	for _, f := range faults {
		out = append(out, faulted(year, f.Fault, f.No, names[f.StaffID]))
	}

	var orders []struct {
		models.WorkOrder
		CaseNo string `gorm:"column:case_no"`
	}
	deadline := "COALESCE(work_orders.extended_due_at, work_orders.due_at)"
	if err := db.Table("work_orders").Select("work_orders.*, cases.no AS case_no").Joins("JOIN cases ON cases.id = work_orders.case_id").
		Where("work_orders.received_at >= ? AND work_orders.received_at < ?", from, to).
		Where("(work_orders.replied_at IS NOT NULL AND work_orders.replied_at > "+deadline+") OR (work_orders.replied_at IS NULL AND "+deadline+" < ?)", now).
		Scan(&orders).Error; err != nil {
		return fmt.Errorf("casework: overdue orders: %w", err)
	}
	for _, o := range orders {
		out = append(out, overdue(year, o.WorkOrder, o.CaseNo))
	}
	// Most were proposed when they happened: insert only the others, so a
	// run over a whole year neither locks those rows nor spends ids. A
	// related-unit deduction proposed before one case and unit made one
	// deduction is on file under its old key (order:…, fault:…).
	legacy := map[string][]string{}
	for _, o := range orders {
		k := models.UnitDeductionKey(o.CaseNo, o.DepartmentCode)
		legacy[k] = append(legacy[k], "order:"+o.No)
	}
	for _, f := range faults {
		if f.StaffID == "" {
			k := models.UnitDeductionKey(f.No, f.DepartmentCode)
			legacy[k] = append(legacy[k], models.FaultDeductionKey(f.ID))
		}
	}
	var fresh []models.Deduction
	seen := map[string]bool{}
	for chunk := range slices.Chunk(out, 500) {
		var keys []string
		for _, d := range chunk {
			keys = append(keys, d.SourceKey)
			keys = append(keys, legacy[d.SourceKey]...)
		}
		var have []string
		if err := db.Model(&models.Deduction{}).Where("source_key IN ?", keys).Pluck("source_key", &have).Error; err != nil {
			return fmt.Errorf("casework: read deductions: %w", err)
		}
		for _, k := range have {
			seen[k] = true
		}
		for _, d := range chunk {
			if !seen[d.SourceKey] && !slices.ContainsFunc(legacy[d.SourceKey], func(k string) bool { return seen[k] }) {
				fresh = append(fresh, d)
			}
			seen[d.SourceKey] = true // one source, one proposal
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	return propose(db, fresh...)
}

// DecideDeduction is the supervision section confirming a proposed
// deduction, or waiving it with a reason (R9).
func (s *Service) DecideDeduction(ctx context.Context, actor models.Staff, id uint64, confirm bool, note string) (*models.Deduction, error) {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return nil, models.Errorf(models.ErrForbidden, "只有监督考核科可以确认或免除扣分")
	}
	if !confirm {
		var err error
		if note, err = text("reason", "免除扣分的理由", note, 500); err != nil {
			return nil, err
		}
	}
	var d models.Deduction
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).First(&d).Error; err != nil {
			return notFound(err, "扣分记录 %d 不存在", id)
		}
		if d.Status != models.DeductionProposed {
			return models.Errorf(models.ErrConflict, "扣分记录 %d 已%s，不能重复处理", id, map[models.DeductionStatus]string{
				models.DeductionConfirmed: "确认", models.DeductionWaived: "免除"}[d.Status])
		}
		now := s.clock.Now()
		if !confirm {
			return waiveDeduction(tx, &d, actor, now, note)
		}
		d.Status, d.DecidedBy, d.DecidedAt, d.Note = models.DeductionConfirmed, actor.ID, &now, note
		return tx.Save(&d).Error
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// waiveDeduction is the one way a deduction is waived: by the supervision
// section's decision, or by an appeal it upheld (申诉成立, even of one it
// had confirmed); the scores leave out a waived deduction either way.
func waiveDeduction(tx *gorm.DB, d *models.Deduction, actor models.Staff, now time.Time, note string) error {
	d.Status, d.DecidedBy, d.DecidedAt, d.Note = models.DeductionWaived, actor.ID, &now, note
	if err := tx.Save(d).Error; err != nil {
		return fmt.Errorf("casework: waive deduction %d: %w", d.ID, err)
	}
	return nil
}

// ReportDeduction records that the supervision section reported a
// confirmed deduction to the unit's parent department (必要时向进驻窗口原
// 部门（单位）通报, 第十七条), and returns it with its unit, for the letter.
// Reporting again changes nothing: the letter may be printed again.
func (s *Service) ReportDeduction(ctx context.Context, actor models.Staff, id uint64) (*models.Deduction, *models.Department, error) {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return nil, nil, models.Errorf(models.ErrForbidden, "只有监督考核科可以向原单位通报")
	}
	var d models.Deduction
	var unit models.Department
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).First(&d).Error; err != nil {
			return notFound(err, "扣分记录 %d 不存在", id)
		}
		if d.DepartmentCode == "" {
			return models.Errorf(models.ErrInvalid, "扣分记录 %d 是中心自身的扣分，没有原单位可通报", id)
		}
		if d.Status != models.DeductionConfirmed {
			return models.Errorf(models.ErrConflict, "扣分记录 %d 尚未确认，确认后才能通报", id)
		}
		if err := tx.Where("code = ?", d.DepartmentCode).First(&unit).Error; err != nil {
			return notFound(err, "部门 %s 不存在", d.DepartmentCode)
		}
		if unit.ParentUnit == "" {
			return models.Errorf(models.ErrInvalid, "%s没有填写原部门（单位），请管理员先在“部门”中填写", unit.Name)
		}
		if d.ReportedAt != nil {
			return nil
		}
		now := s.clock.Now()
		d.ReportedAt, d.ReportedBy, d.ReportedTo, d.ReportedUnit = &now, actor.ID, unit.ParentUnit, unit.Name
		return tx.Model(&d).Updates(map[string]any{"reported_at": now, "reported_by": actor.ID,
			"reported_to": unit.ParentUnit, "reported_unit": unit.Name}).Error
	})
	if err != nil {
		return nil, nil, err
	}
	return &d, &unit, nil
}

// ReportedDeduction is a deduction reported to the unit's parent
// department, for printing its letter again.
func (s *Service) ReportedDeduction(ctx context.Context, id uint64) (*models.Deduction, error) {
	db := s.db.WithContext(ctx)
	var d models.Deduction
	if err := db.Where("id = ? AND reported_at IS NOT NULL", id).First(&d).Error; err != nil {
		return nil, notFound(err, "扣分记录 %d 不存在或尚未通报", id)
	}
	if d.ReportedTo == "" || d.ReportedUnit == "" {
		// Reported before the letter's names were kept: the unit as filed.
		var unit models.Department
		if err := db.Where("code = ?", d.DepartmentCode).First(&unit).Error; err != nil {
			return nil, notFound(err, "部门 %s 不存在", d.DepartmentCode)
		}
		d.ReportedTo, d.ReportedUnit = cmp.Or(d.ReportedTo, unit.ParentUnit), cmp.Or(d.ReportedUnit, unit.Name)
	}
	return &d, nil
}

// ReviewRecurrence is the supervision section's word on a problem handed
// to a unit three times or more in a year (同类问题, 第十七条): confirmed,
// the unit loses 红旗窗口 eligibility for the year; dismissed, with the
// reason, the cases are not one problem. It may be changed later, as long
// as the cases are the same; one more case makes it a new problem.
func (s *Service) ReviewRecurrence(ctx context.Context, actor models.Staff, year int, dept string, cases []string, confirm bool, note string) error {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return models.Errorf(models.ErrForbidden, "只有监督考核科可以核实同类问题")
	}
	if year < 2000 || year > 2200 || dept == "" {
		return models.Errorf(models.ErrInvalid, "请给出年份、窗口单位和该问题的全部案件（至少 3 件）")
	}
	note = strings.TrimSpace(note)
	if !confirm {
		var err error
		if note, err = text("note", "不属同类问题的理由", note, 500); err != nil {
			return err
		}
	}
	cases = slices.Compact(slices.Sorted(slices.Values(cases)))
	if !models.Recurring(len(cases)) {
		return models.Errorf(models.ErrInvalid, "同类问题至少有 3 件不同的案件")
	}
	r := models.RecurrenceReview{Year: year, Key: models.RecurrenceKey(dept, cases), DepartmentCode: dept,
		Cases: models.JoinCodes(cases), Decision: models.DeductionWaived, Note: note, DecidedBy: actor.ID, DecidedAt: s.clock.Now()}
	if confirm {
		r.Decision = models.DeductionConfirmed
	}
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.Case{}).Where("no IN ?", cases).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(cases) {
			return models.Errorf(models.ErrNotFound, "所列案件有的不存在")
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}, {Name: "cases_key"}},
			DoUpdates: clause.AssignmentColumns([]string{"decision", "note", "decided_by", "decided_at"}),
		}).Create(&r).Error
	})
	if err != nil {
		return wrapDirectory("review recurrence", err)
	}
	return nil
}

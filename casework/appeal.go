package casework

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
)

// Appeals (申诉, 好差评 rules and 第十七条): a department that believes a
// 差评 malicious or not of its making, or a deduction wrong, appeals it to
// the supervision section within rating.appeal_days working days; the
// section upholds or rejects it with a reason. Upheld, the 差评 leaves the
// department's figures (models.Appeal.Excludes) and a deduction is waived.

// AppealInput is a department's appeal: a 差评 (RatingID, or the case's
// Round) or a deduction (DeductionID), never both.
type AppealInput struct {
	CaseNo      string
	Round       int
	RatingID    uint64
	DeductionID uint64
	Department  string
	Ground      models.AppealGround
	Reason      string
	Files       []AppealUpload
}

// AppealUpload is a file sent with an appeal.
type AppealUpload struct {
	Name        string
	ContentType string
	Data        []byte
}

// The limits of an appeal's attachments: the API refuses more with 413.
const (
	MaxAppealFiles     = 5
	MaxAppealFileBytes = 2 << 20
	minAppealReason    = 4 // runes: “恶意差评” alone is no reason
)

// FileAppeal records a department's appeal, on the case's timeline, and
// tells the supervision section. The actor is the department's window
// head or its 分管领导.
func (s *Service) FileAppeal(ctx context.Context, actor models.Staff, in AppealInput) (*models.Appeal, error) {
	v, err := s.FileAppealView(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	return &v.Appeal, nil
}

// FileAppealView is FileAppeal returning the appeal's view, made of what
// filing it read anyway, for a caller that shows it (no second read).
func (s *Service) FileAppealView(ctx context.Context, actor models.Staff, in AppealInput) (*AppealView, error) {
	if !in.Ground.Valid() {
		return nil, models.Errorf(models.ErrInvalid, "申诉理由类型（ground）应为 malicious（恶意差评）、unrelated（非本部门原因）或 deduction（扣分有误）")
	}
	// What is appealed: a deduction (by its id, or the department's latest
	// on the case) or a 差评 (the case's latest, or one named by round or id).
	switch deduction := in.Ground == models.GroundDeduction; {
	case deduction && (in.Round != 0 || in.RatingID != 0), !deduction && in.DeductionID != 0:
		return nil, models.Errorf(models.ErrInvalid, "对扣分申诉请给出扣分记录（deduction_id）或案件编号并选“扣分有误”，不写轮次或评价；对差评申诉请给出案件编号（可加轮次或评价：round / rating_id）并选“恶意差评”或“非本部门原因”")
	case in.CaseNo == "" && in.DeductionID == 0:
		return nil, models.Errorf(models.ErrInvalid, "请给出被申诉差评或扣分所在的案件编号（case_no）")
	}
	reason, err := text("reason", "申诉理由", in.Reason, 1000)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(reason) < minAppealReason {
		return nil, models.Errorf(models.ErrInvalid, "申诉理由过短，请具体说明（至少 %d 个字）", minAppealReason)
	}
	if len(in.Files) > MaxAppealFiles {
		return nil, models.Errorf(models.ErrInvalid, "附件最多 %d 个", MaxAppealFiles)
	}
	for _, f := range in.Files {
		if strings.TrimSpace(f.Name) == "" || len(f.Data) == 0 {
			return nil, models.Errorf(models.ErrInvalid, "附件须有文件名和内容")
		}
		if len(f.Data) > MaxAppealFileBytes {
			return nil, models.Errorf(models.ErrInvalid, "附件 %s 超过 %d MB", f.Name, MaxAppealFileBytes>>20)
		}
	}
	caseNo := in.CaseNo
	var ded models.Deduction
	if in.DeductionID != 0 {
		if err := s.db.WithContext(ctx).Where("id = ?", in.DeductionID).First(&ded).Error; err != nil {
			return nil, notFound(err, "扣分记录 %d 不存在", in.DeductionID)
		}
		if ded.CaseNo == "" {
			return nil, models.Errorf(models.ErrInvalid, "扣分记录 %d 不属于任何部门的案件，不能由部门申诉", ded.ID)
		}
		caseNo = ded.CaseNo
	}
	var out AppealView
	_, err = s.onCase(ctx, caseNo, actor, func(ch *change) error {
		out = AppealView{} // afresh on a retried transaction
		dept, err := ch.department(in.Department)
		if err != nil {
			return err
		}
		if err := requireActive(actor); err != nil {
			return err
		}
		if !(actor.Role == models.RoleWindowHead && actor.DepartmentCode == dept.Code) && !(dept.LeaderID != "" && dept.LeaderID == actor.ID) && actor.Role != models.RoleAdmin {
			return models.Errorf(models.ErrForbidden, "只有%s的首席审批员或分管领导可以为该部门提出申诉", dept.Name)
		}
		a := models.Appeal{CaseID: ch.c.ID, DepartmentCode: dept.Code, Ground: in.Ground, Reason: reason,
			FiledBy: actor.ID, FiledAt: ch.now, Status: models.AppealPending}
		var since time.Time
		var what string
		if in.Ground == models.GroundDeduction {
			// Re-read under the case's lock: it may have been decided since.
			if in.DeductionID != 0 {
				if err := ch.tx.Where("id = ?", ded.ID).First(&ded).Error; err != nil {
					return fmt.Errorf("casework: read deduction: %w", err)
				}
			} else if ded, err = ch.deductionToAppeal(dept); err != nil {
				return err
			}
			if ded.DepartmentCode != dept.Code {
				return models.Errorf(models.ErrForbidden, "扣分记录 %d 不是%s的扣分，不能由其申诉", ded.ID, dept.Name)
			}
			if ded.Status == models.DeductionWaived {
				return models.Errorf(models.ErrConflict, "扣分记录 %d 已免除，无需申诉", ded.ID)
			}
			a.DeductionID, since = ded.ID, ded.At
			d := ded
			out.Deduction = &d
			what = fmt.Sprintf("扣分（%s）", ded.Reason)
		} else {
			r, err := ch.badRating(in.RatingID, in.Round)
			if err != nil {
				return err
			}
			var n int64
			if err := ch.tx.Model(&models.WorkOrder{}).Where("case_id = ? AND round = ? AND department_code = ?", ch.c.ID, r.Round, dept.Code).Count(&n).Error; err != nil {
				return fmt.Errorf("casework: orders of the round: %w", err)
			}
			if n == 0 {
				return models.Errorf(models.ErrForbidden, "%s在案件 %s 第 %d 轮没有工单，不能对该轮差评申诉", dept.Name, ch.c.No, r.Round)
			}
			a.RatingID, since = r.ID, r.At
			out.Rating = &r
			what = fmt.Sprintf("第 %d 轮差评（%s）", r.Round, r.Level.Label())
			ch.pushRatingRecords(r.Round) // the record now names the appeal
		}
		deadline := ch.appealDeadline(since)
		if ch.now.After(deadline) {
			return models.Errorf(models.ErrConflict, "申诉期限已过：应在 %d 个工作日内、于 %s 前提出", ch.s.opts.AppealDays, models.FormatTime(deadline))
		}
		var prior models.Appeal
		err = ch.tx.Where("rating_id = ? AND deduction_id = ? AND department_code = ?", a.RatingID, a.DeductionID, dept.Code).Take(&prior).Error
		if err == nil {
			return models.Errorf(models.ErrConflict, "%s已对该%s提出过申诉（%s），不能重复申诉", dept.Name, map[bool]string{true: "扣分", false: "差评"}[a.DeductionID != 0], prior.Status.Label())
		} else if err != gorm.ErrRecordNotFound {
			return fmt.Errorf("casework: read appeals: %w", err)
		}
		if err := ch.tx.Create(&a).Error; err != nil {
			return fmt.Errorf("casework: create appeal: %w", err)
		}
		for _, f := range in.Files {
			row := models.AppealFile{AppealID: a.ID, Name: strings.TrimSpace(f.Name), ContentType: f.ContentType, Data: f.Data, CreatedAt: ch.now}
			if err := ch.tx.Create(&row).Error; err != nil {
				return fmt.Errorf("casework: store appeal file: %w", err)
			}
			out.Files = append(out.Files, row.Name)
		}
		line := fmt.Sprintf("%s对%s提出申诉（%s）：理由：%s", dept.Name, what, in.Ground.Label(), reason)
		if len(in.Files) > 0 {
			line += fmt.Sprintf("（附件 %d 个）", len(in.Files))
		}
		ch.record("appeal_filed", "", line)
		d := ch.data()
		d.Department, d.DepartmentName, d.ActorName = dept.Code, dept.Name, actor.Name
		d.Reason, d.Note, d.Text = in.Ground.Label(), reason, what
		d.Link = appealsLink(ch.s.opts.PublicURL)
		ch.notify(models.NoticeAppealFiled, models.AudienceSupervision, "", d)
		out.Appeal, out.CaseNo, out.DepartmentName = a, ch.c.No, dept.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// appealDeadline is the end of the last working day to appeal what
// happened at since (rating.appeal_days), by the calendar's one rule of
// deadlines (DueAt: with workday.after_hours_next_day, what happened after
// hours counts from the next working day), as a rectification's is.
func (ch *change) appealDeadline(since time.Time) time.Time {
	return ch.cal.DueAt(since, ch.s.opts.AppealDays)
}

func appealsLink(public string) string {
	if public == "" {
		return ""
	}
	return strings.TrimRight(public, "/") + "/admin/appeals"
}

// deductionToAppeal is, for an appeal that names the case and not the
// deduction (as a group's 申诉 command does), the department's latest
// deduction on the case that stands and that it has not appealed yet.
func (ch *change) deductionToAppeal(dept models.Department) (models.Deduction, error) {
	var d models.Deduction
	err := ch.tx.Where("case_no = ? AND department_code = ? AND status <> ?", ch.c.No, dept.Code, models.DeductionWaived).
		Where("NOT EXISTS (SELECT 1 FROM appeals WHERE appeals.deduction_id = deductions.id AND appeals.department_code = ?)", dept.Code).
		Order("id DESC").First(&d).Error
	if err != nil {
		return d, notFound(err, "案件 %s 没有%s可申诉的扣分（已免除或已申诉的除外）", ch.c.No, dept.Name)
	}
	return d, nil
}

// badRating is the case's 差评 by id, or the latest of a round, or, when
// neither is named, the case's latest 差评.
func (ch *change) badRating(id uint64, round int) (models.Rating, error) {
	var r models.Rating
	q := ch.tx.Where("case_id = ?", ch.c.ID)
	switch {
	case id != 0:
		q = q.Where("id = ?", id)
	case round > 0:
		q = q.Where("round = ?", round).Order("id DESC")
	default:
		q = q.Where("level IN ?", []models.RatingLevel{models.RatingDissatisfied, models.RatingVeryDissatisfy}).Order("id DESC")
	}
	if err := q.First(&r).Error; err != nil {
		if id == 0 && round == 0 {
			return r, notFound(err, "案件 %s 没有差评，无需申诉", ch.c.No)
		}
		return r, notFound(err, "案件 %s 没有该轮评价", ch.c.No)
	}
	if !r.Level.Bad() {
		return r, models.Errorf(models.ErrInvalid, "案件 %s 第 %d 轮的评价是“%s”，不是差评，不能申诉", ch.c.No, r.Round, r.Level.Label())
	}
	return r, nil
}

// DecideAppeal is the supervision section upholding or rejecting an
// appeal, with its reason. Upheld, a deduction is waived as any waiver is
// (the reason says it was on appeal); a 差评 leaves the department's
// figures by models.Appeal.Excludes. Rejected, nothing changes but the
// record. The department's window group and window head hear either way.
func (s *Service) DecideAppeal(ctx context.Context, actor models.Staff, id uint64, uphold bool, reason string) (*models.Appeal, error) {
	v, err := s.DecideAppealView(ctx, actor, id, uphold, reason)
	if err != nil {
		return nil, err
	}
	return &v.Appeal, nil
}

// DecideAppealView is DecideAppeal returning the decided appeal's view,
// made mostly of what deciding it read anyway, for a caller that shows it.
func (s *Service) DecideAppealView(ctx context.Context, actor models.Staff, id uint64, uphold bool, reason string) (*AppealView, error) {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return nil, models.Errorf(models.ErrForbidden, "只有监督考核科可以裁定申诉")
	}
	reason, err := text("reason", "裁定理由", reason, 1000)
	if err != nil {
		return nil, err
	}
	var a models.Appeal
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&a).Error; err != nil {
		return nil, notFound(err, "申诉 %d 不存在", id)
	}
	var out AppealView
	no, err := s.caseNoOf(ctx, a.CaseID)
	if err != nil {
		return nil, notFound(err, "申诉 %d 的案件不存在", id)
	}
	_, err = s.onCase(ctx, no, actor, func(ch *change) error {
		out = AppealView{} // afresh on a retried transaction
		if err := ch.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).First(&a).Error; err != nil {
			return fmt.Errorf("casework: lock appeal: %w", err)
		}
		if a.Status != models.AppealPending {
			return models.Errorf(models.ErrConflict, "申诉 %d 已裁定（%s），不能重复裁定", id, a.Status.Label())
		}
		dept, err := ch.departmentOnFile(a.DepartmentCode)
		if err != nil {
			return err
		}
		a.Status, a.DecidedBy, a.DecidedAt, a.Decision = models.AppealRejected, actor.ID, &ch.now, reason
		if uphold {
			a.Status = models.AppealUpheld
		}
		if err := ch.tx.Save(&a).Error; err != nil {
			return fmt.Errorf("casework: save appeal: %w", err)
		}
		what := "差评"
		if a.DeductionID != 0 {
			what = "扣分"
			var d models.Deduction
			if err := ch.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", a.DeductionID).Limit(1).Find(&d).Error; err != nil {
				return fmt.Errorf("casework: read deduction: %w", err)
			}
			if uphold {
				if d.ID == 0 {
					return models.Errorf(models.ErrNotFound, "扣分记录 %d 不存在", a.DeductionID)
				}
				if d.Status != models.DeductionWaived {
					if err := waiveDeduction(ch.tx, &d, actor, ch.now, "申诉成立："+reason); err != nil {
						return err
					}
				}
			}
			if d.ID != 0 {
				out.Deduction = &d
			}
		} else {
			var r models.Rating
			if err := ch.tx.Where("id = ?", a.RatingID).First(&r).Error; err == nil {
				what = fmt.Sprintf("第 %d 轮差评", r.Round)
				ch.pushRatingRecords(r.Round) // the record now names the decision
				out.Rating = &r
			}
		}
		if err := ch.tx.Model(&models.AppealFile{}).Where("appeal_id = ?", a.ID).Order("id").Pluck("name", &out.Files).Error; err != nil {
			return fmt.Errorf("casework: appeal files: %w", err)
		}
		line := fmt.Sprintf("监督考核科裁定%s对%s的申诉（%s）%s：%s", dept.Name, what, a.Ground.Label(), a.Status.Label(), reason)
		if uphold && a.DeductionID != 0 {
			line += "；该扣分免除"
		} else if uphold {
			line += "；该差评不计入" + dept.Name + "的考核"
			if a.Ground == models.GroundMalicious {
				line += "和中心的统计"
			}
		}
		ch.record("appeal_decided", "", line)
		if uphold && a.RatingID != 0 {
			if err := ch.excuseRectification(a, dept, reason); err != nil {
				return err
			}
		}
		d := ch.data()
		d.Department, d.DepartmentName, d.ActorName = dept.Code, dept.Name, actor.Name
		d.Reason, d.Note, d.Result, d.Text = a.Ground.Label(), reason, a.Status.Label(), what
		heads, err := ch.staffOf(dept.Code, models.RoleWindowHead)
		if err != nil {
			return err
		}
		for _, h := range heads {
			d.Mentions = append(d.Mentions, h.ID)
		}
		ch.notify(models.NoticeAppealDecided, models.AudienceDepartment, dept.Code, d)
		for _, h := range heads {
			ch.notify(models.NoticeAppealDecided, models.AudienceStaff, h.ID, d)
		}
		out.CaseNo, out.DepartmentName = ch.c.No, dept.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Appeal = a
	return &out, nil
}

// excuseRectification closes the department's open 差评整改 of the 差评 an
// upheld appeal names: the supervision section found the 差评 malicious or
// not the department's, so there is nothing for it to verify or put right,
// and its reminder and escalation must not go out (firing drops the timers
// of a reported rectification). The applicant is not asked to
// rate again: nothing was re-examined on their behalf.
func (ch *change) excuseRectification(a models.Appeal, dept models.Department, reason string) error {
	var list []models.Rectification
	err := ch.tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("rating_id = ? AND department_code = ? AND reported_at IS NULL", a.RatingID, a.DepartmentCode).
		Order("id").Find(&list).Error
	if err != nil {
		return fmt.Errorf("casework: load rectification of the appealed 差评: %w", err)
	}
	for i := range list {
		rc := &list[i]
		if err := ch.closeRectification(rc, models.VerdictUnfounded, "申诉成立，免于整改："+reason); err != nil {
			return err
		}
		// An appeal_decided step, as the decision is: between the department
		// and the supervision section, not one of the applicant's.
		ch.record("appeal_decided", "", fmt.Sprintf("%s对第 %d 轮差评的申诉成立，免于差评整改：%s", dept.Name, rc.Round, reason))
	}
	return nil
}

// AppealFilter narrows the list of appeals; empty fields match all.
type AppealFilter struct {
	Status     models.AppealStatus
	Month      string // "2026-03": filed that month, where the centre is
	Department string
}

// AppealView is one appeal with what the decision needs: the case, the
// 差评 (level, comment) or the deduction, and the files' names.
type AppealView struct {
	models.Appeal
	CaseNo         string
	DepartmentName string
	Rating         *models.Rating
	Deduction      *models.Deduction
	Files          []string
}

// Appeals lists appeals, the pending first, then the newest.
func (s *Service) Appeals(ctx context.Context, f AppealFilter) ([]AppealView, error) {
	db := s.db.WithContext(ctx)
	q := db.Model(&models.Appeal{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Department != "" {
		q = q.Where("department_code = ?", f.Department)
	}
	if f.Month != "" {
		from, err := time.ParseInLocation("2006-01", f.Month, s.Calendar().Location())
		if err != nil {
			return nil, models.Errorf(models.ErrInvalid, "月份格式应为 2026-03")
		}
		q = q.Where("filed_at >= ? AND filed_at < ?", from.UTC(), from.AddDate(0, 1, 0).UTC())
	}
	var list []models.Appeal
	if err := q.Order("status = 'pending' DESC, id DESC").Limit(1000).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("casework: list appeals: %w", err)
	}
	return s.views(ctx, list)
}

// Appeal is one appeal with what the decision needs.
func (s *Service) Appeal(ctx context.Context, id uint64) (*AppealView, error) {
	var a models.Appeal
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, notFound(err, "申诉 %d 不存在", id)
	}
	list, err := s.views(ctx, []models.Appeal{a})
	if err != nil {
		return nil, err
	}
	return &list[0], nil
}

// views adds to appeals what the decision needs, with one query per
// table for the whole list (up to 1000 appeals).
func (s *Service) views(ctx context.Context, list []models.Appeal) ([]AppealView, error) {
	out := make([]AppealView, len(list))
	if len(list) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var caseIDs, ratingIDs, deductionIDs, appealIDs []uint64
	for _, a := range list {
		caseIDs, appealIDs = append(caseIDs, a.CaseID), append(appealIDs, a.ID)
		if a.RatingID != 0 {
			ratingIDs = append(ratingIDs, a.RatingID)
		}
		if a.DeductionID != 0 {
			deductionIDs = append(deductionIDs, a.DeductionID)
		}
	}
	var cases []models.Case
	if err := db.Select("id", "no").Where("id IN ?", caseIDs).Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("casework: appeals' cases: %w", err)
	}
	caseNo := make(map[uint64]string, len(cases))
	for _, c := range cases {
		caseNo[c.ID] = c.No
	}
	depts, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	ratings := map[uint64]*models.Rating{}
	if len(ratingIDs) > 0 {
		var rs []models.Rating
		if err := db.Where("id IN ?", ratingIDs).Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("casework: appealed ratings: %w", err)
		}
		for i := range rs {
			ratings[rs[i].ID] = &rs[i]
		}
	}
	deductions := map[uint64]*models.Deduction{}
	if len(deductionIDs) > 0 {
		var ds []models.Deduction
		if err := db.Where("id IN ?", deductionIDs).Find(&ds).Error; err != nil {
			return nil, fmt.Errorf("casework: appealed deductions: %w", err)
		}
		for i := range ds {
			deductions[ds[i].ID] = &ds[i]
		}
	}
	var files []struct {
		AppealID uint64
		Name     string
	}
	if err := db.Model(&models.AppealFile{}).Select("appeal_id", "name").Where("appeal_id IN ?", appealIDs).Order("id").Find(&files).Error; err != nil {
		return nil, fmt.Errorf("casework: appeal files: %w", err)
	}
	names := map[uint64][]string{}
	for _, f := range files {
		names[f.AppealID] = append(names[f.AppealID], f.Name)
	}
	for i, a := range list {
		// Each view has its own copy: a caller changing one changes no other.
		v := AppealView{Appeal: a, CaseNo: caseNo[a.CaseID], DepartmentName: depts[a.DepartmentCode].Name, Files: names[a.ID]}
		if r, ok := ratings[a.RatingID]; ok {
			r := *r
			v.Rating = &r
		}
		if d, ok := deductions[a.DeductionID]; ok {
			d := *d
			v.Deduction = &d
		}
		out[i] = v
	}
	return out, nil
}

// AppealFile is the n-th file (from 1, in the order sent) of an appeal,
// with its contents: only that one is read, not the appeal's every file
// (up to 5 of 2 MiB each). None is ErrNotFound.
func (s *Service) AppealFile(ctx context.Context, id uint64, n int) (*models.AppealFile, error) {
	var list []models.AppealFile
	if n >= 1 {
		if err := s.db.WithContext(ctx).Where("appeal_id = ?", id).Order("id").Offset(n - 1).Limit(1).Find(&list).Error; err != nil {
			return nil, fmt.Errorf("casework: appeal file: %w", err)
		}
	}
	if len(list) == 0 {
		return nil, models.Errorf(models.ErrNotFound, "申诉 %d 没有第 %d 个附件", id, n)
	}
	return &list[0], nil
}

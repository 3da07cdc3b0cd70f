package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// Detail is a case with everything the API and the console show of it.
type Detail struct {
	Case         models.Case
	Owner        models.Staff
	Orders       []models.WorkOrder
	Timeline     []models.TimelineEvent
	Summons      []models.Summon
	Instructions []models.Instruction
	Ratings      []models.Rating
	FollowUps    []models.FollowUp
	// Rectifications are the case's 差评整改, oldest first; RectifyOwners
	// names their owners by staff id; At is when the case was read (by
	// the service's clock), to tell which are past their deadline.
	Rectifications []models.Rectification
	RectifyOwners  map[string]string
	At             time.Time
	Departments    map[string]models.Department
}

// Get loads one case by number.
func (s *Service) Get(ctx context.Context, no string) (*Detail, error) {
	db := s.db.WithContext(ctx)
	var d Detail
	if err := db.Where("no = ?", no).First(&d.Case).Error; err != nil {
		return nil, notFound(err, "案件 %s 不存在", no)
	}
	if err := db.Where("id = ?", d.Case.OwnerID).Limit(1).Find(&d.Owner).Error; err != nil {
		return nil, fmt.Errorf("casework: load owner of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("round, no").Find(&d.Orders).Error; err != nil {
		return nil, fmt.Errorf("casework: load orders of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("seq").Find(&d.Timeline).Error; err != nil {
		return nil, fmt.Errorf("casework: load timeline of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("summoned_at").Find(&d.Summons).Error; err != nil {
		return nil, fmt.Errorf("casework: load summons of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("asked_at").Find(&d.Instructions).Error; err != nil {
		return nil, fmt.Errorf("casework: load instructions of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("id").Find(&d.Ratings).Error; err != nil {
		return nil, fmt.Errorf("casework: load ratings of %s: %w", no, err)
	}
	if err := db.Where("case_id = ?", d.Case.ID).Order("id").Find(&d.FollowUps).Error; err != nil {
		return nil, fmt.Errorf("casework: load follow-ups of %s: %w", no, err)
	}
	rects, err := s.Rectifications(ctx, d.Case.ID)
	if err != nil {
		return nil, err
	}
	d.Rectifications, d.At = rects, s.clock.Now()
	if err := s.rectifyOwners(ctx, &d); err != nil {
		return nil, err
	}
	depts, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	d.Departments = depts
	return &d, nil
}

// Progress is what a citizen is shown of their case: the case and its
// latest step, with the work order and department that step concerns
// (zero when it concerns none).
type Progress struct {
	Case       models.Case
	Last       *models.TimelineEvent // nil before the first step
	Order      models.WorkOrder
	Department models.Department
}

// Progress loads a case's latest step alone, for the citizen who asks
// after it: the few columns the answer reads, in one statement — the case,
// its latest step, that step's order and the order's department (no
// subquery in a join's condition: TiDB refuses those) — where
// Get reads everything. Only those fields are filled. Every citizen who
// sends a case number pays this; three reads through GORM's reflection
// cost more CPU than MariaDB's answer (bench/load's profile).
func (s *Service) Progress(ctx context.Context, no string) (*Progress, error) {
	var (
		p                        Progress
		action, orderNo, deptNm  sql.NullString
		at, dueAt, capAt, extDue sql.NullTime
		oNo, oStatus             sql.NullString
	)
	// An appeal is between a department and the supervision section, and a
	// 差评整改's reminder and escalation between the unit, its leader and
	// that section: the applicant's latest step is the last one taken on
	// the case itself.
	err := s.db.Statement.ConnPool.QueryRowContext(ctx, `SELECT c.id, c.no, c.category, c.status, COALESCE(c.applicant_open_id, ''), COALESCE(c.result, ''),
  e.action, e.at, e.order_no, o.no, o.status, o.due_at, o.cap_at, o.extended_due_at, d.name
FROM cases c
LEFT JOIN timeline_events e ON e.case_id = c.id AND e.action NOT IN ('appeal_filed', 'appeal_decided', 'rectify_reminded', 'rectify_overdue')
LEFT JOIN work_orders o ON e.order_no <> '' AND o.no = e.order_no
LEFT JOIN departments d ON d.code = o.department_code
WHERE c.no = ? ORDER BY e.seq DESC LIMIT 1`, no).Scan(&p.Case.ID, &p.Case.No, &p.Case.Category, &p.Case.Status, &p.Case.ApplicantOpenID, &p.Case.Result,
		&action, &at, &orderNo, &oNo, &oStatus, &dueAt, &capAt, &extDue, &deptNm)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, models.Errorf(models.ErrNotFound, "案件 %s 不存在", no)
	}
	if err != nil {
		return nil, fmt.Errorf("casework: load the progress of %s: %w", no, err)
	}
	if !action.Valid {
		return &p, nil
	}
	p.Last = &models.TimelineEvent{CaseID: p.Case.ID, Action: action.String, At: at.Time, OrderNo: orderNo.String}
	if oNo.Valid {
		p.Order = models.WorkOrder{No: oNo.String, Status: models.OrderStatus(oStatus.String), DueAt: dueAt.Time, CapAt: capAt.Time}
		if extDue.Valid {
			p.Order.ExtendedDueAt = &extDue.Time
		}
		p.Department.Name = deptNm.String
	}
	return &p, nil
}

// Departments maps every department (active or not) by code.
func (s *Service) Departments(ctx context.Context) (map[string]models.Department, error) {
	list, err := s.AllDepartments(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]models.Department, len(list))
	for _, d := range list {
		m[d.Code] = d
	}
	return m, nil
}

// Filter narrows a case list. Empty fields do not filter.
type Filter struct {
	Month      string // YYYY-MM of acceptance
	Status     models.CaseStatus
	Department string
	Category   models.Category
	Limit      int
	Offset     int
}

// List returns the cases matching f, newest first, and how many match.
func (s *Service) List(ctx context.Context, f Filter) ([]models.Case, int64, error) {
	q, err := s.filtered(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	// Newest first, the number breaking ties, so pages never overlap.
	var list []models.Case
	if err := q.Order(listOrder).Limit(f.Limit).Offset(f.Offset).Find(&list).Error; err != nil {
		return nil, 0, fmt.Errorf("casework: list cases: %w", err)
	}
	// A page that is not full is the last: the rows before it and on it
	// are all there are, and the COUNT (a second statement for every
	// citizen's “查询”) is not needed. An empty page past the first says
	// nothing of how many there are.
	if len(list) < f.Limit && (len(list) > 0 || f.Offset <= 0) {
		return list, int64(max(f.Offset, 0) + len(list)), nil
	}
	q, err = s.filtered(ctx, f) // q holds the page's ORDER BY, LIMIT and OFFSET now
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("casework: count cases: %w", err)
	}
	return list, total, nil
}

// CaseLine is a case as a citizen's 查询 lists it.
type CaseLine struct {
	No       string
	Category models.Category
	Status   models.CaseStatus
}

// CitizenCases lists the newest cases of a citizen, newest first, reading
// only the three columns the citizen's 查询 shows. Every “查询” of the service
// account reads this page; scanning whole case rows through GORM's
// reflection cost more than the statement itself (bench/load's profile).
func (s *Service) CitizenCases(ctx context.Context, openid string, newest int) ([]CaseLine, error) {
	rows, err := s.db.Statement.ConnPool.QueryContext(ctx,
		"SELECT no, category, status FROM cases WHERE applicant_open_id = ? ORDER BY "+listOrder+" LIMIT ?", openid, newest)
	if err != nil {
		return nil, fmt.Errorf("casework: list the citizen's cases: %w", err)
	}
	defer rows.Close()
	var out []CaseLine
	for rows.Next() {
		var l CaseLine
		if err := rows.Scan(&l.No, &l.Category, &l.Status); err != nil {
			return nil, fmt.Errorf("casework: read the citizen's cases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("casework: read the citizen's cases: %w", err)
	}
	return out, nil
}

// listOrder is the order of lists and of the ledger.
const listOrder = "accepted_at DESC, no DESC"

// filtered selects the cases matching f.
func (s *Service) filtered(ctx context.Context, f Filter) (*gorm.DB, error) {
	q := s.db.WithContext(ctx).Model(&models.Case{})
	if f.Month != "" {
		start, err := time.ParseInLocation("2006-01", f.Month, s.Calendar().Location())
		if err != nil {
			return nil, models.Errorf(models.ErrInvalid, "月份 %q 不正确，应为 YYYY-MM", f.Month)
		}
		q = q.Where("accepted_at >= ? AND accepted_at < ?", start.UTC(), start.AddDate(0, 1, 0).UTC())
	}
	if f.Status != "" {
		switch f.Status {
		case models.CaseRegistered, models.CaseDispatched, models.CaseAnswered, models.CaseReopened, models.CaseClosed:
		default:
			return nil, models.Errorf(models.ErrInvalid, "案件状态 %q 不正确，可选：registered、dispatched、answered、reopened、closed", f.Status)
		}
		q = q.Where("status = ?", f.Status)
	}
	if f.Category != "" {
		if !f.Category.Valid() {
			return nil, models.Errorf(models.ErrInvalid, "事项类别 %q 不正确，可选：%s", f.Category, categoryCodes())
		}
		q = q.Where("category = ?", f.Category)
	}
	if f.Department != "" {
		q = q.Where("id IN (?)", s.db.Model(&models.WorkOrder{}).Select("case_id").Where("department_code = ?", f.Department))
	}
	return q, nil
}

// Staff loads one staff member.
func (s *Service) Staff(ctx context.Context, id string) (models.Staff, error) {
	var st models.Staff
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&st).Error; err != nil {
		return st, notFound(err, "工作人员 %s 不存在", id)
	}
	return st, nil
}

// StaffByPlatformID finds the active staff member behind a WeCom or
// DingTalk user id: chat commands are authorised as that person.
func (s *Service) StaffByPlatformID(ctx context.Context, platform, userID string) (models.Staff, error) {
	var st models.Staff
	col := map[string]string{"wecom": "we_com_user_id", "dingtalk": "ding_talk_user_id"}[platform]
	if col == "" || userID == "" {
		return st, models.Errorf(models.ErrUnauthorized, "无法识别您的身份")
	}
	err := s.db.WithContext(ctx).Where(col+" = ? AND active = ?", userID, true).First(&st).Error
	if err != nil {
		return st, notFound(err, "您不在本中心的工作人员名单中")
	}
	return st, nil
}

// DepartmentByName finds an active department by its code or its name, as
// a leader types it in a command.
func (s *Service) DepartmentByName(ctx context.Context, name string) (models.Department, error) {
	var d models.Department
	err := s.db.WithContext(ctx).Where("(code = ? OR name = ?) AND active = ?", name, name, true).First(&d).Error
	if err != nil {
		return d, notFound(err, "没有名为“%s”的部门", name)
	}
	return d, nil
}

// Order loads a work order and its case.
func (s *Service) Order(ctx context.Context, orderNo string) (*models.Case, *models.WorkOrder, error) {
	db := s.db.WithContext(ctx)
	var o models.WorkOrder
	if err := db.Where("no = ?", orderNo).First(&o).Error; err != nil {
		return nil, nil, notFound(err, "工单 %s 不存在", orderNo)
	}
	var c models.Case
	if err := db.Where("id = ?", o.CaseID).First(&c).Error; err != nil {
		return nil, nil, fmt.Errorf("casework: load case of %s: %w", orderNo, err)
	}
	return &c, &o, nil
}

// LedgerEntry is one case as the ledger (台账, 第十五条) lists it.
type LedgerEntry struct {
	Case      models.Case
	OwnerName string
	Orders    []models.WorkOrder
	Ratings   []models.Rating
	FollowUps []models.FollowUp
	Appeals   []models.Appeal // the appeals of its 差评 and of its deductions, which the ledger lists
	// Deductions are the deductions its appeals are about, by id.
	Deductions map[uint64]models.Deduction
	// Rectifications are the case's 差评整改 (整改情况 in the ledger).
	Rectifications []models.Rectification
}

// Ledger lists every case matching f (no paging) with what the ledger
// shows of it. It reads the ids of the matching cases once, in the list's
// order (8 bytes a case), then loads the cases and their related rows a
// thousand at a time, handing each batch to emit so memory stays flat.
func (s *Service) Ledger(ctx context.Context, f Filter, emit func([]LedgerEntry) error) error {
	staff := map[string]string{}
	var people []models.Staff
	if err := s.db.WithContext(ctx).Select("id", "name").Find(&people).Error; err != nil {
		return fmt.Errorf("casework: load staff names: %w", err)
	}
	for _, p := range people {
		staff[p.ID] = p.Name
	}
	q, err := s.filtered(ctx, f)
	if err != nil {
		return err
	}
	var ids []uint64
	if err := q.Order(listOrder).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("casework: ledger cases: %w", err)
	}
	const page = 1000
	for len(ids) > 0 {
		chunk := ids[:min(page, len(ids))]
		ids = ids[len(chunk):]
		db := s.db.WithContext(ctx)
		var cases []models.Case
		if err := db.Where("id IN ?", chunk).Find(&cases).Error; err != nil {
			return fmt.Errorf("casework: ledger cases: %w", err)
		}
		at := make(map[uint64]int, len(chunk))
		for i, id := range chunk {
			at[id] = i
		}
		entries := make([]LedgerEntry, len(chunk))
		for _, c := range cases {
			entries[at[c.ID]] = LedgerEntry{Case: c, OwnerName: staff[c.OwnerID]}
		}
		// A case gone since the ids were read leaves no row.
		entries = slices.DeleteFunc(entries, func(e LedgerEntry) bool { return e.Case.ID == 0 })
		byID := make(map[uint64]*LedgerEntry, len(entries))
		for i := range entries {
			byID[entries[i].Case.ID] = &entries[i]
		}
		var orders []models.WorkOrder
		if err := db.Where("case_id IN ?", chunk).Order("no").Find(&orders).Error; err != nil {
			return fmt.Errorf("casework: ledger orders: %w", err)
		}
		for _, o := range orders {
			if e := byID[o.CaseID]; e != nil {
				e.Orders = append(e.Orders, o)
			}
		}
		var ratings []models.Rating
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&ratings).Error; err != nil {
			return fmt.Errorf("casework: ledger ratings: %w", err)
		}
		for _, r := range ratings {
			if e := byID[r.CaseID]; e != nil {
				e.Ratings = append(e.Ratings, r)
			}
		}
		var follows []models.FollowUp
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&follows).Error; err != nil {
			return fmt.Errorf("casework: ledger follow-ups: %w", err)
		}
		for _, fu := range follows {
			if e := byID[fu.CaseID]; e != nil {
				e.FollowUps = append(e.FollowUps, fu)
			}
		}
		var appeals []models.Appeal
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&appeals).Error; err != nil {
			return fmt.Errorf("casework: ledger appeals: %w", err)
		}
		var appealed []uint64
		for _, a := range appeals {
			if e := byID[a.CaseID]; e != nil {
				e.Appeals = append(e.Appeals, a)
			}
			if a.DeductionID != 0 {
				appealed = append(appealed, a.DeductionID)
			}
		}
		if len(appealed) > 0 {
			var deds []models.Deduction
			if err := db.Where("id IN ?", appealed).Find(&deds).Error; err != nil {
				return fmt.Errorf("casework: ledger appealed deductions: %w", err)
			}
			byDed := make(map[uint64]models.Deduction, len(deds))
			for _, d := range deds {
				byDed[d.ID] = d
			}
			for _, a := range appeals {
				if e := byID[a.CaseID]; e != nil && a.DeductionID != 0 {
					if e.Deductions == nil {
						e.Deductions = map[uint64]models.Deduction{}
					}
					e.Deductions[a.DeductionID] = byDed[a.DeductionID]
				}
			}
		}
		var rects []models.Rectification
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&rects).Error; err != nil {
			return fmt.Errorf("casework: ledger rectifications: %w", err)
		}
		for _, rc := range rects {
			if e := byID[rc.CaseID]; e != nil {
				e.Rectifications = append(e.Rectifications, rc)
			}
		}
		if err := emit(entries); err != nil {
			return err
		}
	}
	return nil
}

// OpenOrders are the open work orders of the current rounds of cases, by
// case id: the ledger marks a case whose order is past its deadline.
func (s *Service) OpenOrders(ctx context.Context, cases []models.Case) (map[uint64][]models.WorkOrder, error) {
	if len(cases) == 0 {
		return nil, nil
	}
	ids := make([]uint64, len(cases))
	round := make(map[uint64]int, len(cases))
	for i, c := range cases {
		ids[i], round[c.ID] = c.ID, c.Round
	}
	var orders []models.WorkOrder
	if err := s.db.WithContext(ctx).Where("case_id IN ? AND status <> ?", ids, models.OrderReplied).Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("casework: list open orders: %w", err)
	}
	out := map[uint64][]models.WorkOrder{}
	for _, o := range orders {
		if o.Round == round[o.CaseID] {
			out[o.CaseID] = append(out[o.CaseID], o)
		}
	}
	return out, nil
}

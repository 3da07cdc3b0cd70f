package reports

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// Scores is the assessment of a year (第十七条, R9).
type Scores struct {
	Year       int             `json:"year"`
	Units      []UnitScore     `json:"units"`
	Staff      []StaffScore    `json:"staff"`
	Deductions []DeductionView `json:"deductions"`
	// GoodBad is the year's 好差评 (the year's cases, rectifications due
	// and appeals filed in it), as the monthly summary has it.
	GoodBad *GoodBad `json:"good_bad"`
}

// UnitScore is one unit's year. Deducted counts confirmed points only;
// proposed ones wait for the supervision section.
type UnitScore struct {
	Department string `json:"department"` // "" = the centre itself
	Name       string `json:"name"`
	Deducted   int    `json:"deducted"`
	Proposed   int    `json:"proposed"`
	// RedFlagEligible is lost when the same problem comes back three
	// times or more in the year (红旗窗口), unless the supervision section
	// found the cases are not one problem; RedFlagPending says some of
	// those problems still wait for its word.
	RedFlagEligible bool            `json:"red_flag_eligible"`
	RedFlagPending  bool            `json:"red_flag_pending"`
	Recurring       []RecurringKind `json:"recurring"`
}

// RecurringKind is a problem handed to a unit three times or more, and
// the supervision section's word on it: "proposed" (none yet),
// "confirmed", or "waived" (not one problem, Note says why).
type RecurringKind struct {
	Category string   `json:"category"`
	Count    int      `json:"count"`
	Sample   string   `json:"sample"` // one of its matters
	Cases    []string `json:"cases"`
	Review   string   `json:"review"`
	Note     string   `json:"note,omitempty"`
}

// StaffScore is one person's year.
type StaffScore struct {
	Staff      string `json:"staff"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Deducted   int    `json:"deducted"`
	// Complaints counts verified faults of unfamiliarity, careless review or
	// bad attitude; three or more lose 服务明星 eligibility.
	Complaints          int  `json:"complaints"`
	ServiceStarEligible bool `json:"service_star_eligible"`
}

// DeductionView is one deduction as the supervision section reviews it.
type DeductionView struct {
	ID         uint64  `json:"id"`
	Rule       string  `json:"rule"`
	Department string  `json:"department"`
	Unit       string  `json:"unit"` // the department's name, or the centre's
	Staff      string  `json:"staff,omitempty"`
	CaseNo     string  `json:"case_no,omitempty"`
	Points     int     `json:"points"`
	Reason     string  `json:"reason"`
	Status     string  `json:"status"`
	Note       string  `json:"note,omitempty"`
	At         string  `json:"at"`
	DecidedAt  *string `json:"decided_at"`
	// ParentUnit is the unit's own department, to which it may be
	// reported; ReportedAt is when it was.
	ParentUnit string  `json:"parent_unit,omitempty"`
	ReportedAt *string `json:"reported_at"`
}

// handed are the cases handed to units in [from, to), one item per case
// and unit: those of work orders first, then those only summoned.
func (r *Reports) handed(db *gorm.DB, from, to time.Time) ([]Item, error) {
	var items []Item
	seen := map[string]bool{}
	for _, table := range []string{"work_orders", "summons"} {
		var rows []struct {
			DepartmentCode, No, Category, Matter string
			AcceptedAt                           time.Time
			ID                                   uint64
		}
		err := db.Table(table).Select("DISTINCT "+table+".department_code, cases.no, cases.category, cases.matter, cases.accepted_at, cases.id").
			Joins("JOIN cases ON cases.id = "+table+".case_id").
			Where("cases.accepted_at >= ? AND cases.accepted_at < ?", from, to).Order("cases.accepted_at, cases.id").Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("reports: problems handed to units: %w", err)
		}
		for _, row := range rows {
			if k := row.DepartmentCode + "\x00" + row.No; !seen[k] {
				seen[k] = true
				items = append(items, Item{CaseNo: row.No, Department: row.DepartmentCode, Category: row.Category, Matter: row.Matter})
			}
		}
	}
	return items, nil
}

// Scores computes a year's assessment from the deductions (as proposed
// and decided so far), the cases and the verified faults.
func (r *Reports) Scores(ctx context.Context, year int) (*Scores, error) {
	if year < 2000 || year > 2200 {
		return nil, models.Errorf(models.ErrInvalid, "年份 %d 不正确", year)
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, r.loc).UTC()
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, r.loc).UTC()
	db := r.db.WithContext(ctx)
	out := &Scores{Year: year, Units: []UnitScore{}, Staff: []StaffScore{}, Deductions: []DeductionView{}}

	var depts []models.Department
	if err := db.Order("code").Find(&depts).Error; err != nil {
		return nil, fmt.Errorf("reports: departments: %w", err)
	}
	units := map[string]*UnitScore{"": {Name: r.centre() + "（接诉即办专员）", RedFlagEligible: true, Recurring: []RecurringKind{}}}
	order := []string{""}
	parents := map[string]string{}
	for _, d := range depts {
		parents[d.Code] = d.ParentUnit
		units[d.Code] = &UnitScore{Department: d.Code, Name: d.Name, RedFlagEligible: true, Recurring: []RecurringKind{}}
		order = append(order, d.Code)
	}
	var people []models.Staff
	if err := db.Where("department_code <> ''").Order("id").Find(&people).Error; err != nil {
		return nil, fmt.Errorf("reports: staff: %w", err)
	}
	staff := map[string]*StaffScore{}
	for _, p := range people {
		staff[p.ID] = &StaffScore{Staff: p.ID, Name: p.Name, Department: p.DepartmentCode, ServiceStarEligible: true}
	}

	var ds []models.Deduction
	if err := db.Where("year = ?", year).Order("at, id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("reports: deductions: %w", err)
	}
	waived := map[string]bool{}
	for _, d := range ds {
		if d.Status == models.DeductionWaived {
			waived[d.SourceKey] = true
		}
		u := units[d.DepartmentCode]
		if u == nil {
			u = &UnitScore{Department: d.DepartmentCode, Name: d.DepartmentCode, RedFlagEligible: true, Recurring: []RecurringKind{}}
			units[d.DepartmentCode] = u
			order = append(order, d.DepartmentCode)
		}
		switch d.Status {
		case models.DeductionConfirmed:
			u.Deducted += d.Points
			if st := staff[d.StaffID]; st != nil {
				st.Deducted += d.Points
			}
		case models.DeductionProposed:
			u.Proposed += d.Points
		}
		v := DeductionView{ID: d.ID, Rule: string(d.Rule), Department: d.DepartmentCode, Unit: u.Name, Staff: d.StaffID, CaseNo: d.CaseNo,
			Points: d.Points, Reason: d.Reason, Status: string(d.Status), Note: d.Note, At: d.At.In(r.loc).Format(time.RFC3339),
			ParentUnit: parents[d.DepartmentCode]}
		if d.DecidedAt != nil {
			s := d.DecidedAt.In(r.loc).Format(time.RFC3339)
			v.DecidedAt = &s
		}
		if d.ReportedAt != nil {
			s := d.ReportedAt.In(r.loc).Format(time.RFC3339)
			v.ReportedAt = &s
		}
		out.Deductions = append(out.Deductions, v)
	}

	// 红旗窗口: the same problem (同类问题) handed to a unit (交办: by work
	// order, or by summoning its staff to the window) 3+ times in a year.
	// 同类问题 is grouped as the monthly 举一反三 groups (第十四条): the
	// unit's cases of one category whose matters are alike. A category
	// alone is too broad: three different matters answered late are not
	// one problem the unit failed to fix.
	handed, err := r.handed(db, from, to)
	if err != nil {
		return nil, err
	}
	var reviews []models.RecurrenceReview
	if err := db.Where("year = ?", year).Find(&reviews).Error; err != nil {
		return nil, fmt.Errorf("reports: recurrence reviews: %w", err)
	}
	reviewed := map[string]models.RecurrenceReview{}
	for _, rv := range reviews {
		reviewed[rv.Key] = rv
	}
	for _, g := range GroupSimilar(handed) {
		if u := units[g.Department]; u != nil && models.Recurring(len(g.Cases)) {
			k := RecurringKind{Category: g.Category, Count: len(g.Cases), Sample: g.Sample, Cases: g.Cases, Review: string(models.DeductionProposed)}
			if rv, ok := reviewed[models.RecurrenceKey(g.Department, g.Cases)]; ok {
				k.Review, k.Note = string(rv.Decision), rv.Note
			}
			u.Recurring = append(u.Recurring, k)
		}
	}
	for _, u := range units {
		reviews := make([]models.DeductionStatus, len(u.Recurring))
		for i, k := range u.Recurring {
			reviews[i] = models.DeductionStatus(k.Review)
		}
		u.RedFlagEligible, u.RedFlagPending = models.RedFlagStanding(reviews)
	}

	// 服务明星: 3+ complaints for unfamiliarity, careless review or
	// attitude. A fault whose deduction the supervision section waived
	// (recorded in error, or not the person's after all) does not count.
	var faults []struct {
		ID      uint64
		StaffID string
	}
	if err := db.Model(&models.Fault{}).Select("id, staff_id").
		Where("at >= ? AND at < ? AND kind IN ? AND staff_id <> ''", from, to, models.ComplaintKinds).Scan(&faults).Error; err != nil {
		return nil, fmt.Errorf("reports: complaints: %w", err)
	}
	for _, f := range faults {
		if st := staff[f.StaffID]; st != nil && !waived[models.FaultDeductionKey(f.ID)] {
			st.Complaints++
		}
	}
	for _, st := range staff {
		st.ServiceStarEligible = models.ServiceStarEligible(st.Complaints)
	}

	if out.GoodBad, err = r.goodBad(ctx, from, to); err != nil {
		return nil, err
	}
	for _, code := range order {
		out.Units = append(out.Units, *units[code])
	}
	for _, p := range people {
		out.Staff = append(out.Staff, *staff[p.ID])
	}
	return out, nil
}

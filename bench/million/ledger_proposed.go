package million

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/reports"
)

// LedgerProposed is the prototype of the change proposed for
// casework.Service.Ledger, which pages with LIMIT 1000 OFFSET k through
// Service.List: every page counts all matching cases again and sorts all of
// them again (ORDER BY accepted_at DESC, no DESC has no index to follow
// under a filter), so an export of n cases costs n/1000 full sorts. The
// prototype reads the ids of the matching cases once, in the ledger's
// order (8 bytes a case), then loads the cases a thousand ids at a time.
// The rows and their order are the same; the benchmark checks it.
func LedgerProposed(ctx context.Context, db *gorm.DB, loc *time.Location, f casework.Filter, emit func([]casework.LedgerEntry) error) error {
	db = db.WithContext(ctx)
	staff := map[string]string{}
	var people []models.Staff
	if err := db.Select("id", "name").Find(&people).Error; err != nil {
		return fmt.Errorf("casework: load staff names: %w", err)
	}
	for _, p := range people {
		staff[p.ID] = p.Name
	}
	q := db.Model(&models.Case{})
	if f.Month != "" {
		start, err := time.ParseInLocation("2006-01", f.Month, loc)
		if err != nil {
			return models.Errorf(models.ErrInvalid, "月份 %q 不正确，应为 YYYY-MM", f.Month)
		}
		q = q.Where("accepted_at >= ? AND accepted_at < ?", start.UTC(), start.AddDate(0, 1, 0).UTC())
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Category != "" {
		q = q.Where("category = ?", f.Category)
	}
	if f.Department != "" {
		q = q.Where("id IN (?)", db.Model(&models.WorkOrder{}).Select("case_id").Where("department_code = ?", f.Department))
	}
	if f.OpenID != "" {
		q = q.Where("applicant_open_id = ?", f.OpenID)
	}
	var ids []uint64
	if err := q.Order("accepted_at DESC, no DESC").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("casework: ledger ids: %w", err)
	}
	const page = 1000
	for len(ids) > 0 {
		chunk := ids[:min(page, len(ids))]
		ids = ids[len(chunk):]
		var cases []models.Case
		if err := db.Where("id IN ?", chunk).Find(&cases).Error; err != nil {
			return fmt.Errorf("casework: ledger cases: %w", err)
		}
		at := make(map[uint64]int, len(chunk))
		for i, id := range chunk {
			at[id] = i
		}
		entries := make([]casework.LedgerEntry, len(chunk))
		for _, c := range cases {
			entries[at[c.ID]] = casework.LedgerEntry{Case: c, OwnerName: staff[c.OwnerID]}
		}
		byID := make(map[uint64]*casework.LedgerEntry, len(entries))
		for i := range entries {
			byID[entries[i].Case.ID] = &entries[i]
		}
		var orders []models.WorkOrder
		if err := db.Where("case_id IN ?", chunk).Order("no").Find(&orders).Error; err != nil {
			return fmt.Errorf("casework: ledger orders: %w", err)
		}
		for _, o := range orders {
			byID[o.CaseID].Orders = append(byID[o.CaseID].Orders, o)
		}
		var ratings []models.Rating
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&ratings).Error; err != nil {
			return fmt.Errorf("casework: ledger ratings: %w", err)
		}
		for _, r := range ratings {
			byID[r.CaseID].Ratings = append(byID[r.CaseID].Ratings, r)
		}
		var follows []models.FollowUp
		if err := db.Where("case_id IN ?", chunk).Order("id").Find(&follows).Error; err != nil {
			return fmt.Errorf("casework: ledger follow-ups: %w", err)
		}
		for _, fu := range follows {
			byID[fu.CaseID].FollowUps = append(byID[fu.CaseID].FollowUps, fu)
		}
		if err := emit(entries); err != nil {
			return err
		}
	}
	return nil
}

// ExportProposed writes the ledger as handlers' buildLedger and sendLedger
// do, its rows from LedgerProposed, the workbook to w. It returns the rows
// written.
func (c *Centre) ExportProposed(ctx context.Context, query string, w io.Writer) (int64, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return 0, err
	}
	f := casework.Filter{Month: q.Get("month"), Status: models.CaseStatus(q.Get("status")),
		Department: q.Get("department"), Category: models.Category(q.Get("category"))}
	depts, err := c.Cases.Departments(ctx)
	if err != nil {
		return 0, err
	}
	names := make(map[string]string, len(depts))
	for code, d := range depts {
		names[code] = d.Name
	}
	book, err := reports.NewLedger(names, false, c.Cases.Clock().Now())
	if err != nil {
		return 0, err
	}
	var rows int64
	add := func(batch []casework.LedgerEntry) error {
		out := make([]reports.LedgerCase, len(batch))
		for i, e := range batch {
			out[i] = reports.LedgerCase{Case: e.Case, OwnerName: e.OwnerName, Orders: e.Orders, Ratings: e.Ratings, FollowUps: e.FollowUps}
		}
		rows += int64(len(batch))
		return book.Add(out)
	}
	if err := LedgerProposed(ctx, c.DB, c.Cases.Calendar().Location(), f, add); err != nil {
		book.Close()
		return rows, err
	}
	_, err = book.WriteTo(w)
	return rows, err
}

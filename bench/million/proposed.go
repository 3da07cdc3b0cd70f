package million

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
	"bbcs/reports"
)

// The prototype of the changes proposed for reports.Monthly, to measure
// them before they are made: the benchmark checks that it returns exactly
// what reports.Monthly returns.

// ProposedIndex is the index proposed for models.WorkOrder.ReceivedAt
// (`gorm:"index;not null"`), under the name GORM's migration gives it. The
// monthly summary selects work orders by received_at, which has no index:
// both of its work-order statements read the whole table.
const ProposedIndex = "idx_work_orders_received_at"

// EnsureProposedIndex creates ProposedIndex unless it exists; drop is nil
// when it existed already (the migration made it), else it drops it again.
func EnsureProposedIndex(db *gorm.DB) (drop func() error, err error) {
	if db.Migrator().HasIndex("work_orders", ProposedIndex) {
		return nil, nil
	}
	if err := db.Exec("CREATE INDEX " + ProposedIndex + " ON work_orders (received_at)").Error; err != nil {
		return nil, err
	}
	return func() error { return db.Exec("DROP INDEX " + ProposedIndex + " ON work_orders").Error }, nil
}

// DropProposedIndex removes ProposedIndex if a run that created it did
// not get to drop it, so the baseline is measured without it.
func DropProposedIndex(db *gorm.DB) error {
	if !db.Migrator().HasIndex("work_orders", ProposedIndex) {
		return nil
	}
	return db.Exec("DROP INDEX " + ProposedIndex + " ON work_orders").Error
}

// Variant says which of the proposed changes MonthlyProposed makes.
type Variant struct {
	FastGroups bool // GroupSimilarFast instead of reports.GroupSimilar
	Merged     bool // one GROUP BY over the month's cases, one over its orders
	// OnePass reads the month's cases once (counts, bad ratings and
	// matters all come from that read) and takes only ids and
	// department codes from ratings and work orders. It implies Merged's
	// orders statement and FastGroups.
	OnePass  bool
	Parallel bool // the independent parts at the same time
}

type monthlyPart func(ctx context.Context, m *reports.Monthly) error

// MonthlyProposed computes what reports.Reports.Monthly computes, with the
// changes v names.
func MonthlyProposed(ctx context.Context, db *gorm.DB, rep *reports.Reports, now time.Time, month string, v Variant) (*reports.Monthly, error) {
	from, to, err := rep.MonthRange(month)
	if err != nil {
		return nil, err
	}
	db = db.WithContext(ctx)
	m := &reports.Monthly{Month: month, ByCategory: map[string]int64{}, ByOutcome: map[string]int64{}, ByStatus: map[string]int64{},
		Ratings: map[string]int64{}, BadRatings: []reports.BadRating{}, Recurring: []reports.Group{}, Departments: []reports.DepartmentMonth{}}
	inMonth := func() *gorm.DB {
		return db.Model(&models.Case{}).Where("accepted_at >= ? AND accepted_at < ?", from, to)
	}

	// The parts write disjoint fields of m.
	cases := func(_ context.Context, m *reports.Monthly) error {
		if !v.Merged {
			return casesAsToday(inMonth, m)
		}
		var rows []struct {
			Category, Outcome, Status, Rating, RatingVia string
			N                                            int64
		}
		if err := inMonth().Select("category, outcome, status, rating, rating_via, COUNT(*) AS n").
			Group("category, outcome, status, rating, rating_via").Scan(&rows).Error; err != nil {
			return fmt.Errorf("reports: count cases: %w", err)
		}
		var notRated int64
		add := func(into map[string]int64, key string, n int64) {
			if key != "" {
				into[key] += n
			}
		}
		for _, r := range rows {
			add(m.ByCategory, r.Category, r.N)
			add(m.ByOutcome, r.Outcome, r.N)
			add(m.ByStatus, r.Status, r.N)
			add(m.Ratings, r.Rating, r.N)
			if r.RatingVia == "not_rated" {
				notRated += r.N
			}
		}
		if notRated > 0 {
			m.Ratings["not_rated"] = notRated
		}
		countTotals(m)
		return nil
	}
	orders := func(_ context.Context, m *reports.Monthly) error {
		type row struct {
			Department                     string
			Orders, Cases, OnTime, Overdue int64
		}
		var rows []row
		deadline := "COALESCE(extended_due_at, due_at)"
		sel := "department_code AS department, COUNT(*) AS orders, " +
			"SUM(CASE WHEN replied_at IS NOT NULL AND replied_at <= " + deadline + " THEN 1 ELSE 0 END) AS on_time, " +
			"SUM(CASE WHEN (replied_at IS NOT NULL AND replied_at > " + deadline + ") OR (replied_at IS NULL AND " + deadline + " < ?) THEN 1 ELSE 0 END) AS overdue"
		if v.Merged {
			sel += ", COUNT(DISTINCT case_id) AS cases"
		}
		err := db.Model(&models.WorkOrder{}).Select(sel, now.UTC()).
			Where("received_at >= ? AND received_at < ?", from, to).Group("department_code").Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("reports: count orders: %w", err)
		}
		if !v.Merged {
			var cases []struct {
				Key string
				N   int64
			}
			err = db.Model(&models.WorkOrder{}).Select("department_code AS `key`, COUNT(DISTINCT case_id) AS n").
				Where("received_at >= ? AND received_at < ?", from, to).Group("department_code").Scan(&cases).Error
			if err != nil {
				return fmt.Errorf("reports: count cases by department: %w", err)
			}
			per := map[string]int64{}
			for _, c := range cases {
				per[c.Key] = c.N
			}
			for i := range rows {
				rows[i].Cases = per[rows[i].Department]
			}
		}
		var depts []models.Department
		if err := db.Find(&depts).Error; err != nil {
			return fmt.Errorf("reports: departments: %w", err)
		}
		names := map[string]string{}
		for _, d := range depts {
			names[d.Code] = d.Name
		}
		for _, r := range rows {
			m.Orders += r.Orders
			m.OnTime += r.OnTime
			m.Overdue += r.Overdue
			m.Departments = append(m.Departments, reports.DepartmentMonth{
				Department: r.Department, Name: names[r.Department], Cases: r.Cases,
				Orders: r.Orders, OnTime: r.OnTime, Overdue: r.Overdue, OnTimeRate: onTimeRate(r.OnTime, r.Overdue),
			})
		}
		sort.Slice(m.Departments, func(i, j int) bool { return m.Departments[i].Department < m.Departments[j].Department })
		m.OnTimeRate = onTimeRate(m.OnTime, m.Overdue)
		return nil
	}
	bad := func(_ context.Context, m *reports.Monthly) error {
		var rows []struct {
			models.Rating
			No, Category, Matter, Departments string
		}
		err := db.Table("ratings").
			Select("ratings.*, cases.no, cases.category, cases.matter, cases.departments").
			Joins("JOIN cases ON cases.id = ratings.case_id").
			Where("cases.accepted_at >= ? AND cases.accepted_at < ? AND ratings.level IN ?", from, to,
				[]models.RatingLevel{models.RatingDissatisfied, models.RatingVeryDissatisfy}).
			Order("cases.no, ratings.round").Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("reports: bad ratings: %w", err)
		}
		for _, r := range rows {
			c := models.Case{Departments: r.Departments}
			m.BadRatings = append(m.BadRatings, reports.BadRating{CaseNo: r.No, Round: r.Round, Level: string(r.Level),
				Comment: r.Comment, Category: r.Category, Departments: c.DepartmentCodes(), Matter: r.Matter})
		}
		return nil
	}
	recurring := func(_ context.Context, m *reports.Monthly) error {
		var rows []struct{ No, Category, Matter, DepartmentCode string }
		err := db.Table("work_orders").
			Select("DISTINCT cases.no, cases.category, cases.matter, work_orders.department_code").
			Joins("JOIN cases ON cases.id = work_orders.case_id").
			Where("cases.accepted_at >= ? AND cases.accepted_at < ?", from, to).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("reports: matters: %w", err)
		}
		items := make([]reports.Item, len(rows))
		for i, r := range rows {
			items[i] = reports.Item{CaseNo: r.No, Department: r.DepartmentCode, Category: r.Category, Matter: r.Matter}
		}
		if v.FastGroups {
			m.Recurring = GroupSimilarFast(items)
		} else {
			m.Recurring = reports.GroupSimilar(items)
		}
		if m.Recurring == nil {
			m.Recurring = []reports.Group{}
		}
		return nil
	}

	parts := []monthlyPart{recurring, cases, orders, bad} // the longest first
	if v.OnePass {
		v.Merged = true
		parts = []monthlyPart{func(ctx context.Context, m *reports.Monthly) error {
			return onePass(db, from, to, m)
		}, orders}
	}
	if !v.Parallel {
		for _, p := range parts {
			if err := p(ctx, m); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p(ctx, m)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// casesAsToday is reports.Monthly's five statements over the month's cases.
func casesAsToday(inMonth func() *gorm.DB, m *reports.Monthly) error {
	type countRow struct {
		Key string
		N   int64
	}
	for col, into := range map[string]map[string]int64{"category": m.ByCategory, "outcome": m.ByOutcome, "status": m.ByStatus} {
		var rows []countRow
		if err := inMonth().Select(col + " AS `key`, COUNT(*) AS n").Group(col).Scan(&rows).Error; err != nil {
			return fmt.Errorf("reports: count by %s: %w", col, err)
		}
		for _, r := range rows {
			if r.Key != "" {
				into[r.Key] = r.N
			}
		}
	}
	var rated []countRow
	if err := inMonth().Select("rating AS `key`, COUNT(*) AS n").Where("rating <> ''").Group("rating").Scan(&rated).Error; err != nil {
		return fmt.Errorf("reports: count ratings: %w", err)
	}
	for _, r := range rated {
		m.Ratings[r.Key] = r.N
	}
	var notRated int64
	if err := inMonth().Where("rating_via = ?", "not_rated").Count(&notRated).Error; err != nil {
		return fmt.Errorf("reports: count not rated: %w", err)
	}
	if notRated > 0 {
		m.Ratings["not_rated"] = notRated
	}
	countTotals(m)
	return nil
}

func count(into map[string]int64, key string) {
	if key != "" {
		into[key]++
	}
}

func countTotals(m *reports.Monthly) {
	for status, n := range m.ByStatus {
		m.Received += n
		if status == string(models.CaseClosed) {
			m.Closed += n
		} else {
			m.Open += n
		}
	}
	m.SatisfiedOrMore = m.Ratings[string(models.RatingVerySatisfied)] + m.Ratings[string(models.RatingSatisfied)]
}

func onTimeRate(onTime, overdue int64) float64 {
	if onTime+overdue == 0 {
		return 1
	}
	return float64(onTime) / float64(onTime+overdue)
}

// onePass is the month's cases read once: the counts, the bad ratings and
// the matters to group all come from it; ratings and work orders give only
// the ids and codes that point at it.
func onePass(db *gorm.DB, from, to time.Time, m *reports.Monthly) error {
	type monthCase struct {
		no, category, matter, departments string
		pos                               int
	}
	rows, err := db.Raw("SELECT id, no, category, matter, outcome, status, rating, rating_via, departments FROM cases "+
		"WHERE accepted_at >= ? AND accepted_at < ? ORDER BY accepted_at, id", from, to).Rows()
	if err != nil {
		return fmt.Errorf("reports: month's cases: %w", err)
	}
	byID := map[uint64]*monthCase{}
	var notRated int64
	for rows.Next() {
		var id uint64
		var c monthCase
		var outcome, status, rating, via string
		if err := rows.Scan(&id, &c.no, &c.category, &c.matter, &outcome, &status, &rating, &via, &c.departments); err != nil {
			rows.Close()
			return fmt.Errorf("reports: month's cases: %w", err)
		}
		c.pos = len(byID)
		byID[id] = &c
		count(m.ByCategory, c.category)
		count(m.ByOutcome, outcome)
		count(m.ByStatus, status)
		count(m.Ratings, rating)
		if via == "not_rated" {
			notRated++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: month's cases: %w", err)
	}
	if notRated > 0 {
		m.Ratings["not_rated"] = notRated
	}
	countTotals(m)
	inMonth := db.Model(&models.Case{}).Select("id").Where("accepted_at >= ? AND accepted_at < ?", from, to)

	// Bad ratings, by case number and round as the SQL ORDER BY had them.
	var bad []models.Rating
	if err := db.Where("case_id IN (?) AND level IN ?", inMonth,
		[]models.RatingLevel{models.RatingDissatisfied, models.RatingVeryDissatisfy}).Find(&bad).Error; err != nil {
		return fmt.Errorf("reports: bad ratings: %w", err)
	}
	for _, r := range bad {
		c := byID[r.CaseID]
		dc := models.Case{Departments: c.departments}
		m.BadRatings = append(m.BadRatings, reports.BadRating{CaseNo: c.no, Round: r.Round, Level: string(r.Level),
			Comment: r.Comment, Category: c.category, Departments: dc.DepartmentCodes(), Matter: c.matter})
	}
	sort.Slice(m.BadRatings, func(i, j int) bool {
		a, b := m.BadRatings[i], m.BadRatings[j]
		if a.CaseNo != b.CaseNo {
			return a.CaseNo < b.CaseNo
		}
		return a.Round < b.Round
	})

	// The departments each case went to, in the order of the join.
	orows, err := db.Raw("SELECT case_id, department_code FROM work_orders WHERE case_id IN (?) ORDER BY case_id, id", inMonth).Rows()
	if err != nil {
		return fmt.Errorf("reports: matters: %w", err)
	}
	type item struct {
		pos, n int
		it     reports.Item
	}
	var list []item
	seen := map[string]bool{}
	for orows.Next() {
		var id uint64
		var dept string
		if err := orows.Scan(&id, &dept); err != nil {
			orows.Close()
			return fmt.Errorf("reports: matters: %w", err)
		}
		c := byID[id]
		if key := c.no + "\x00" + dept; !seen[key] {
			seen[key] = true
			list = append(list, item{pos: c.pos, n: len(list), it: reports.Item{CaseNo: c.no, Department: dept, Category: c.category, Matter: c.matter}})
		}
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return fmt.Errorf("reports: matters: %w", err)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].pos != list[j].pos {
			return list[i].pos < list[j].pos
		}
		return list[i].n < list[j].n
	})
	items := make([]reports.Item, len(list))
	for i, x := range list {
		items[i] = x.it
	}
	m.Recurring = GroupSimilarFast(items)
	if m.Recurring == nil {
		m.Recurring = []reports.Group{}
	}
	return nil
}

package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// Reports reads the database for the summaries the centre reads. It only
// reads; confirming deductions is casework's.
type Reports struct {
	db  *gorm.DB
	loc *time.Location
	now func() time.Time
}

// New returns Reports on db; now is bbcs's clock (what is overdue "now").
func New(db *gorm.DB, loc *time.Location, now func() time.Time) *Reports {
	return &Reports{db: db, loc: loc, now: now}
}

// Monthly is the monthly summary of 第十四条 (每月汇总分析).
type Monthly struct {
	Month           string            `json:"month"`
	Received        int64             `json:"received"`
	Closed          int64             `json:"closed"`
	Open            int64             `json:"open"`
	ByCategory      map[string]int64  `json:"by_category"`
	ByOutcome       map[string]int64  `json:"by_outcome"`
	ByStatus        map[string]int64  `json:"by_status"`
	Departments     []DepartmentMonth `json:"departments"`
	Orders          int64             `json:"orders"`
	OnTime          int64             `json:"on_time"`
	Overdue         int64             `json:"overdue"`
	OnTimeRate      float64           `json:"on_time_rate"` // on time / (on time + overdue); 1 when none is due yet
	Ratings         map[string]int64  `json:"ratings"`      // by level, plus "not_rated"
	SatisfiedOrMore int64             `json:"satisfied_or_better"`
	BadRatings      []BadRating       `json:"bad_ratings"`
	Recurring       []Group           `json:"recurring"`
}

// DepartmentMonth is one department's month.
type DepartmentMonth struct {
	Department string  `json:"department"`
	Name       string  `json:"name"`
	Cases      int64   `json:"cases"`
	Orders     int64   `json:"orders"`
	OnTime     int64   `json:"on_time"`
	Overdue    int64   `json:"overdue"`
	OnTimeRate float64 `json:"on_time_rate"`
}

// BadRating is one 差评 of the month: input to fixing the process.
type BadRating struct {
	CaseNo      string   `json:"case_no"`
	Round       int      `json:"round"`
	Level       string   `json:"level"`
	Comment     string   `json:"comment"`
	Category    string   `json:"category"`
	Departments []string `json:"departments"`
	Matter      string   `json:"matter"`
}

// MonthRange is the start and end (exclusive) of a YYYY-MM month.
func (r *Reports) MonthRange(month string) (time.Time, time.Time, error) {
	start, err := time.ParseInLocation("2006-01", month, r.loc)
	if err != nil {
		return time.Time{}, time.Time{}, models.Errorf(models.ErrInvalid, "月份 %q 不正确，应为 YYYY-MM", month)
	}
	return start.UTC(), start.AddDate(0, 1, 0).UTC(), nil
}

type countRow struct {
	Key string
	N   int64
}

// Monthly computes the summary of the cases received in month. The counts
// are SQL aggregates; only the month's matters are read, for grouping.
func (r *Reports) Monthly(ctx context.Context, month string) (*Monthly, error) {
	from, to, err := r.MonthRange(month)
	if err != nil {
		return nil, err
	}
	db := r.db.WithContext(ctx)
	inMonth := db.Model(&models.Case{}).Where("accepted_at >= ? AND accepted_at < ?", from, to)
	m := &Monthly{Month: month, ByCategory: map[string]int64{}, ByOutcome: map[string]int64{}, ByStatus: map[string]int64{},
		Ratings: map[string]int64{}, BadRatings: []BadRating{}, Recurring: []Group{}, Departments: []DepartmentMonth{}}

	group := func(col string, into map[string]int64) error {
		var rows []countRow
		if err := inMonth.Session(&gorm.Session{}).Select(col + " AS `key`, COUNT(*) AS n").Group(col).Scan(&rows).Error; err != nil {
			return fmt.Errorf("reports: count by %s: %w", col, err)
		}
		for _, row := range rows {
			if row.Key != "" {
				into[row.Key] = row.N
			}
		}
		return nil
	}
	for col, into := range map[string]map[string]int64{"category": m.ByCategory, "outcome": m.ByOutcome, "status": m.ByStatus} {
		if err := group(col, into); err != nil {
			return nil, err
		}
	}
	for status, n := range m.ByStatus {
		m.Received += n
		if status == string(models.CaseClosed) {
			m.Closed += n
		} else {
			m.Open += n
		}
	}

	// Ratings: the last rating of each case received in the month.
	var rated []countRow
	if err := inMonth.Session(&gorm.Session{}).Select("rating AS `key`, COUNT(*) AS n").Where("rating <> ''").Group("rating").Scan(&rated).Error; err != nil {
		return nil, fmt.Errorf("reports: count ratings: %w", err)
	}
	for _, row := range rated {
		m.Ratings[row.Key] = row.N
	}
	var notRated int64
	if err := inMonth.Session(&gorm.Session{}).Where("rating_via = ?", "not_rated").Count(&notRated).Error; err != nil {
		return nil, fmt.Errorf("reports: count not rated: %w", err)
	}
	if notRated > 0 {
		m.Ratings["not_rated"] = notRated
	}
	// “满意及以上” (STORIES.md §5): the top two of the five levels.
	m.SatisfiedOrMore = m.Ratings[string(models.RatingVerySatisfied)] + m.Ratings[string(models.RatingSatisfied)]

	if err := r.orders(ctx, from, to, m); err != nil {
		return nil, err
	}
	if err := r.badRatings(ctx, from, to, m); err != nil {
		return nil, err
	}
	if err := r.recurring(ctx, from, to, m); err != nil {
		return nil, err
	}
	return m, nil
}

// orders counts the work orders received in the month: on time (replied
// by the deadline in force, an allowed extension included) or overdue
// (replied late, or still open past it now).
func (r *Reports) orders(ctx context.Context, from, to time.Time, m *Monthly) error {
	now := r.now().UTC()
	type row struct {
		Department string
		Orders     int64
		OnTime     int64
		Overdue    int64
	}
	var rows []row
	deadline := "COALESCE(extended_due_at, due_at)"
	err := r.db.WithContext(ctx).Model(&models.WorkOrder{}).
		Select("department_code AS department, COUNT(*) AS orders, "+
			"SUM(CASE WHEN replied_at IS NOT NULL AND replied_at <= "+deadline+" THEN 1 ELSE 0 END) AS on_time, "+
			"SUM(CASE WHEN (replied_at IS NOT NULL AND replied_at > "+deadline+") OR (replied_at IS NULL AND "+deadline+" < ?) THEN 1 ELSE 0 END) AS overdue", now).
		Where("received_at >= ? AND received_at < ?", from, to).Group("department_code").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("reports: count orders: %w", err)
	}
	names := map[string]string{}
	var depts []models.Department
	if err := r.db.WithContext(ctx).Find(&depts).Error; err != nil {
		return fmt.Errorf("reports: departments: %w", err)
	}
	for _, d := range depts {
		names[d.Code] = d.Name
	}
	var cases []countRow
	err = r.db.WithContext(ctx).Model(&models.WorkOrder{}).Select("department_code AS `key`, COUNT(DISTINCT case_id) AS n").
		Where("received_at >= ? AND received_at < ?", from, to).Group("department_code").Scan(&cases).Error
	if err != nil {
		return fmt.Errorf("reports: count cases by department: %w", err)
	}
	perDept := map[string]int64{}
	for _, c := range cases {
		perDept[c.Key] = c.N
	}
	for _, row := range rows {
		m.Orders += row.Orders
		m.OnTime += row.OnTime
		m.Overdue += row.Overdue
		m.Departments = append(m.Departments, DepartmentMonth{
			Department: row.Department, Name: names[row.Department], Cases: perDept[row.Department],
			Orders: row.Orders, OnTime: row.OnTime, Overdue: row.Overdue, OnTimeRate: rate(row.OnTime, row.Overdue),
		})
	}
	sort.Slice(m.Departments, func(i, j int) bool { return m.Departments[i].Department < m.Departments[j].Department })
	m.OnTimeRate = rate(m.OnTime, m.Overdue)
	return nil
}

func rate(onTime, overdue int64) float64 {
	if onTime+overdue == 0 {
		return 1
	}
	return float64(onTime) / float64(onTime+overdue)
}

func (r *Reports) badRatings(ctx context.Context, from, to time.Time, m *Monthly) error {
	var rows []struct {
		models.Rating
		No          string
		Category    string
		Matter      string
		Departments string
	}
	err := r.db.WithContext(ctx).Table("ratings").
		Select("ratings.*, cases.no, cases.category, cases.matter, cases.departments").
		Joins("JOIN cases ON cases.id = ratings.case_id").
		Where("cases.accepted_at >= ? AND cases.accepted_at < ? AND ratings.level IN ?", from, to,
			[]models.RatingLevel{models.RatingDissatisfied, models.RatingVeryDissatisfy}).
		Order("cases.no, ratings.round").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("reports: bad ratings: %w", err)
	}
	for _, row := range rows {
		c := models.Case{Departments: row.Departments}
		m.BadRatings = append(m.BadRatings, BadRating{CaseNo: row.No, Round: row.Round, Level: string(row.Level),
			Comment: row.Comment, Category: row.Category, Departments: c.DepartmentCodes(), Matter: row.Matter})
	}
	return nil
}

// recurring groups the month's matters per department and category.
func (r *Reports) recurring(ctx context.Context, from, to time.Time, m *Monthly) error {
	var rows []struct {
		No, Category, Matter, DepartmentCode string
	}
	err := r.db.WithContext(ctx).Table("work_orders").
		Select("DISTINCT cases.no, cases.category, cases.matter, work_orders.department_code").
		Joins("JOIN cases ON cases.id = work_orders.case_id").
		Where("cases.accepted_at >= ? AND cases.accepted_at < ?", from, to).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("reports: matters: %w", err)
	}
	items := make([]Item, len(rows))
	for i, row := range rows {
		items[i] = Item{CaseNo: row.No, Department: row.DepartmentCode, Category: row.Category, Matter: row.Matter}
	}
	m.Recurring = GroupSimilar(items)
	if m.Recurring == nil {
		m.Recurring = []Group{}
	}
	return nil
}

// Card is the summary as the leaders' group reads it (STORIES.md §5): a
// title and a few lines.
func (m *Monthly) Card(departmentNames map[string]string) (title string, lines []string) {
	t, _ := time.Parse("2006-01", m.Month)
	title = fmt.Sprintf("【%d年%d月“办不成事”反映窗口月报】", t.Year(), t.Month())
	bad := m.Ratings[string(models.RatingDissatisfied)] + m.Ratings[string(models.RatingVeryDissatisfy)]
	lines = append(lines, fmt.Sprintf("受理 %d 件，办结 %d 件，按时答复率 %.0f%%；满意及以上 %d 件，差评 %d 件",
		m.Received, m.Closed, m.OnTimeRate*100, m.SatisfiedOrMore, bad))
	if len(m.Recurring) > 0 {
		lines = append(lines, "反复出现的问题：")
		for i, g := range m.Recurring {
			if i == 5 {
				lines = append(lines, fmt.Sprintf("……另有 %d 类", len(m.Recurring)-5))
				break
			}
			name := departmentNames[g.Department]
			if name == "" {
				name = g.Department
			}
			lines = append(lines, fmt.Sprintf("· %s —— %d 件（%s，%s）", shortText(g.Sample, 30), len(g.Cases), name, models.Category(g.Category).Label()))
		}
	}
	return title, lines
}

func shortText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "……"
}

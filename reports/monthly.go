package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
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
	// Centre is the centre's name (centre.name), for its own row: the
	// problems it handled itself, its specialists' deductions.
	Centre string
	// UnratedAsSatisfied is rating.unrated_as_satisfied: the 好差评 figures
	// count a round closed without a rating (未评价) as 满意, and say so.
	UnratedAsSatisfied bool
}

// centre is Centre, or a plain name when none is configured.
func (r *Reports) centre() string {
	return cmp.Or(r.Centre, "政务服务中心")
}

// New returns Reports on db; now is bbcs's clock (what is overdue "now").
func New(db *gorm.DB, loc *time.Location, now func() time.Time) *Reports {
	return &Reports{db: db, loc: loc, now: now}
}

// Monthly is the monthly summary of 第十四条 (每月汇总分析).
type Monthly struct {
	Month       string            `json:"month"`
	Received    int64             `json:"received"`
	Closed      int64             `json:"closed"`
	Open        int64             `json:"open"`
	ByCategory  map[string]int64  `json:"by_category"`
	ByOutcome   map[string]int64  `json:"by_outcome"`
	ByStatus    map[string]int64  `json:"by_status"`
	Departments []DepartmentMonth `json:"departments"`
	Orders      int64             `json:"orders"`
	OnTime      int64             `json:"on_time"`
	Overdue     int64             `json:"overdue"`
	// OnTimeRate is on time / (on time + overdue); nil (null, shown “—”)
	// when no order was due yet: nothing is known, and 100% would overstate.
	OnTimeRate      *float64         `json:"on_time_rate"`
	Ratings         map[string]int64 `json:"ratings"` // by level, plus "not_rated"
	SatisfiedOrMore int64            `json:"satisfied_or_better"`
	BadRatings      []BadRating      `json:"bad_ratings"`
	Recurring       []Group          `json:"recurring"`
	// PendingDeductions counts the month's proposed deductions still
	// waiting for the supervision section.
	PendingDeductions int64 `json:"pending_deductions"`
	// Centre names the centre's own row (problems that reached no department).
	Centre string `json:"centre"`
	// GoodBad is the month's 好差评: 差评 and their rate, rectifications
	// due, appeals, for the centre, per unit and per staff member.
	GoodBad *GoodBad `json:"good_bad"`
}

// DepartmentMonth is one department's month.
type DepartmentMonth struct {
	Department string   `json:"department"`
	Name       string   `json:"name"`
	Cases      int64    `json:"cases"`
	Orders     int64    `json:"orders"`
	OnTime     int64    `json:"on_time"`
	Overdue    int64    `json:"overdue"`
	OnTimeRate *float64 `json:"on_time_rate"` // nil when none was due
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

// Monthly computes the summary of the cases received in month. It reads
// the month's cases once (counts, bad ratings and the matters to group all
// come from that read) and, at the same time, counts the month's work
// orders in SQL.
func (r *Reports) Monthly(ctx context.Context, month string) (*Monthly, error) {
	from, to, err := r.MonthRange(month)
	if err != nil {
		return nil, err
	}
	m := &Monthly{Month: month, Centre: r.centre(), ByCategory: map[string]int64{}, ByOutcome: map[string]int64{}, ByStatus: map[string]int64{},
		Ratings: map[string]int64{}, BadRatings: []BadRating{}, Recurring: []Group{}, Departments: []DepartmentMonth{}}
	// The three write different fields of m.
	var ordersErr, goodBadErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		m.GoodBad, goodBadErr = r.goodBad(ctx, from, to)
	}()
	go func() {
		defer wg.Done()
		ordersErr = r.orders(ctx, from, to, m)
		if ordersErr == nil {
			ordersErr = r.db.WithContext(ctx).Model(&models.Deduction{}).
				Where("status = ? AND at >= ? AND at < ?", models.DeductionProposed, from, to).Count(&m.PendingDeductions).Error
		}
	}()
	casesErr := r.cases(ctx, from, to, m)
	wg.Wait()
	if err := errors.Join(casesErr, ordersErr, goodBadErr); err != nil {
		return nil, err
	}
	return m, nil
}

// monthCase is what the summary needs of one of the month's cases.
type monthCase struct {
	no, category, matter, departments string
	pos                               int // in acceptance order
}

// cases reads the month's cases once, in acceptance order, and fills the
// counts, the bad ratings and the recurring problems from them; ratings
// and work orders give only what points at them.
func (r *Reports) cases(ctx context.Context, from, to time.Time, m *Monthly) error {
	db := r.db.WithContext(ctx)
	rows, err := db.Model(&models.Case{}).
		Select("id, no, category, matter, outcome, status, rating, rating_via, departments").
		Where("accepted_at >= ? AND accepted_at < ?", from, to).Order("accepted_at, id").Rows()
	if err != nil {
		return fmt.Errorf("reports: month's cases: %w", err)
	}
	defer rows.Close()
	byID := map[uint64]*monthCase{}
	count := func(into map[string]int64, key string) {
		if key != "" {
			into[key]++
		}
	}
	var notRated int64
	for rows.Next() {
		var id uint64
		c := &monthCase{pos: len(byID)}
		var outcome, status, rating, via string
		if err := rows.Scan(&id, &c.no, &c.category, &c.matter, &outcome, &status, &rating, &via, &c.departments); err != nil {
			return fmt.Errorf("reports: month's cases: %w", err)
		}
		byID[id] = c
		count(m.ByCategory, c.category)
		count(m.ByOutcome, outcome)
		count(m.ByStatus, status)
		count(m.Ratings, rating) // the last rating of each case
		if via == "not_rated" {
			notRated++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: month's cases: %w", err)
	}
	rows.Close()
	if notRated > 0 {
		m.Ratings["not_rated"] = notRated
	}
	for status, n := range m.ByStatus {
		m.Received += n
		if status == string(models.CaseClosed) {
			m.Closed += n
		} else {
			m.Open += n
		}
	}
	// “满意及以上” (STORIES.md §5): the top two of the five levels.
	m.SatisfiedOrMore = m.Ratings[string(models.RatingVerySatisfied)] + m.Ratings[string(models.RatingSatisfied)]

	inMonth := db.Model(&models.Case{}).Select("id").Where("accepted_at >= ? AND accepted_at < ?", from, to)
	if err := r.badRatings(db, inMonth, byID, m); err != nil {
		return err
	}
	return r.recurring(db, inMonth, byID, m)
}

// orders counts the work orders received in the month: on time (replied
// by the deadline in force, an allowed extension included) or overdue
// (replied late, or still open past it now).
func (r *Reports) orders(ctx context.Context, from, to time.Time, m *Monthly) error {
	now := r.now().UTC()
	type row struct {
		Department string
		Orders     int64
		Cases      int64
		OnTime     int64
		Overdue    int64
	}
	var rows []row
	deadline := "COALESCE(extended_due_at, due_at)"
	err := r.db.WithContext(ctx).Model(&models.WorkOrder{}).
		Select("department_code AS department, COUNT(*) AS orders, COUNT(DISTINCT case_id) AS cases, "+
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
	for _, row := range rows {
		m.Orders += row.Orders
		m.OnTime += row.OnTime
		m.Overdue += row.Overdue
		m.Departments = append(m.Departments, DepartmentMonth{
			Department: row.Department, Name: names[row.Department], Cases: row.Cases,
			Orders: row.Orders, OnTime: row.OnTime, Overdue: row.Overdue, OnTimeRate: rate(row.OnTime, row.Overdue),
		})
	}
	sort.Slice(m.Departments, func(i, j int) bool { return m.Departments[i].Department < m.Departments[j].Department })
	m.OnTimeRate = rate(m.OnTime, m.Overdue)
	return nil
}

// rate is the on-time rate, nil when no order was due: “—”, not 100%.
func rate(onTime, overdue int64) *float64 {
	if onTime+overdue == 0 {
		return nil
	}
	r := float64(onTime) / float64(onTime+overdue)
	return &r
}

// badRatings lists every 差评 of the month's cases (all rounds), by case
// number and round.
func (r *Reports) badRatings(db, inMonth *gorm.DB, byID map[uint64]*monthCase, m *Monthly) error {
	var bad []models.Rating
	err := db.Where("case_id IN (?) AND level IN ?", inMonth,
		[]models.RatingLevel{models.RatingDissatisfied, models.RatingVeryDissatisfy}).Find(&bad).Error
	if err != nil {
		return fmt.Errorf("reports: bad ratings: %w", err)
	}
	for _, row := range bad {
		c := byID[row.CaseID]
		if c == nil {
			continue // accepted since the cases were read
		}
		dc := models.Case{Departments: c.departments}
		m.BadRatings = append(m.BadRatings, BadRating{CaseNo: c.no, Round: row.Round, Level: string(row.Level),
			Comment: row.Comment, Category: c.category, Departments: dc.DepartmentCodes(), Matter: c.matter})
	}
	sort.Slice(m.BadRatings, func(i, j int) bool {
		a, b := m.BadRatings[i], m.BadRatings[j]
		if a.CaseNo != b.CaseNo {
			return a.CaseNo < b.CaseNo
		}
		return a.Round < b.Round
	})
	return nil
}

// recurring groups the month's matters per department and category: one
// item per case and department it sent work orders to; a case that sent
// none (solved on the spot, summoned, out of scope, not qualified, not
// yet handled) counts under the departments it concerned, or under the
// centre itself (""). Problems that never reach a work order recur too,
// and 举一反三 is about them as much. Items are in acceptance order.
func (r *Reports) recurring(db, inMonth *gorm.DB, byID map[uint64]*monthCase, m *Monthly) error {
	rows, err := db.Model(&models.WorkOrder{}).Select("case_id, department_code").
		Where("case_id IN (?)", inMonth).Order("case_id, id").Rows()
	if err != nil {
		return fmt.Errorf("reports: matters: %w", err)
	}
	defer rows.Close()
	type item struct {
		pos, n int
		Item
	}
	var list []item
	seen := map[string]bool{}
	dispatched := map[uint64]bool{}
	for rows.Next() {
		var id uint64
		var dept string
		if err := rows.Scan(&id, &dept); err != nil {
			return fmt.Errorf("reports: matters: %w", err)
		}
		c := byID[id]
		if c == nil || seen[c.no+"\x00"+dept] {
			continue
		}
		seen[c.no+"\x00"+dept] = true
		dispatched[id] = true
		list = append(list, item{c.pos, len(list), Item{CaseNo: c.no, Department: dept, Category: c.category, Matter: c.matter}})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reports: matters: %w", err)
	}
	for id, c := range byID {
		if dispatched[id] {
			continue
		}
		// Not dispatched: under the units it concerned (summoned, or named
		// at registration), else under the centre.
		codes := (&models.Case{Departments: c.departments}).DepartmentCodes()
		if len(codes) == 0 {
			codes = []string{""}
		}
		for _, dept := range codes {
			list = append(list, item{c.pos, len(list), Item{CaseNo: c.no, Department: dept, Category: c.category, Matter: c.matter}})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].pos != list[j].pos {
			return list[i].pos < list[j].pos
		}
		return list[i].n < list[j].n
	})
	items := make([]Item, len(list))
	for i, it := range list {
		items[i] = it.Item
	}
	m.Recurring = GroupSimilar(items)
	if m.Recurring == nil {
		m.Recurring = []Group{}
	}
	return nil
}

// DepartmentName is the name of a department in the month's figures, its
// code when it has none there; "" is the centre itself, whose problems
// reached no department.
func (m *Monthly) DepartmentName(code string) string {
	if code == "" {
		return cmp.Or(m.Centre, "政务服务中心")
	}
	for _, d := range m.Departments {
		if d.Department == code && d.Name != "" {
			return d.Name
		}
	}
	return code
}

// Card is the summary as the leaders' group reads it (STORIES.md §5): a
// title and a few lines.
func (m *Monthly) Card(departmentNames map[string]string) (title string, lines []string) {
	t, _ := time.Parse("2006-01", m.Month)
	title = fmt.Sprintf("【%d年%d月“办不成事”反映窗口月报】", t.Year(), t.Month())
	// Every 差评 of the month, as the bad-rating list has them: one that
	// sent a case back counts though a later round was rated better.
	bad := len(m.BadRatings)
	onTime := "—" // no order was due: nothing to rate
	if m.OnTimeRate != nil {
		onTime = fmt.Sprintf("%.0f%%", *m.OnTimeRate*100)
	}
	headline := fmt.Sprintf("受理 %d 件，办结 %d 件，按时答复率 %s；满意及以上 %d 件，差评 %d 件",
		m.Received, m.Closed, onTime, m.SatisfiedOrMore, bad)
	if bad > 0 {
		headline += "（已退回重办）"
	}
	if m.Received == 0 && m.Orders == 0 {
		// Pushed in the following month: “本月” would be the wrong one.
		headline = fmt.Sprintf("%d年%d月没有受理反映事项。", t.Year(), t.Month())
	}
	lines = append(lines, headline)
	lines = append(lines, m.GoodBad.cardLines()...)
	if len(m.Recurring) > 0 {
		lines = append(lines, "反复出现的问题：")
		for i, g := range m.Recurring {
			if i == 5 {
				lines = append(lines, fmt.Sprintf("……另有 %d 类", len(m.Recurring)-5))
				break
			}
			name := cmp.Or(departmentNames[g.Department], m.DepartmentName(g.Department))
			lines = append(lines, fmt.Sprintf("· %s —— %d 件（%s，%s）", models.Shorten(g.Sample, 30), len(g.Cases), name, models.Category(g.Category).Label()))
		}
	}
	if m.PendingDeductions > 0 {
		lines = append(lines, fmt.Sprintf("扣分建议 %d 项待监督考核科确认。", m.PendingDeductions))
	}
	return title, lines
}

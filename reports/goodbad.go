package reports

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
)

// What a round closed without a rating (未评价) counts as in the figures.
const (
	// UnratedOwnOutcome: 未评价 is its own outcome, in no rate (issue 16:
	// no rating is not satisfaction).
	UnratedOwnOutcome = "not_rated"
	// UnratedSatisfied: the centre's local rule counts it as 满意
	// (rating.unrated_as_satisfied), and the figures say so.
	UnratedSatisfied = "satisfied"
)

// GoodBad is the 好差评 side of a month or a year (issue 16): ratings,
// 差评, rectifications and appeals, for the centre, per unit and per
// staff member.
//
// What is counted:
//   - ratings: every handling round of the period's cases (accepted in the
//     month or year, as the rest of the summary) that ended in one of the
//     five levels or in 未评价, once per round for the centre, and for each
//     unit of that round (the departments it sent work orders to, or the
//     centre itself, "", when the owner answered without orders) and each
//     staff member who replied to that unit's order (the owner for the
//     centre itself);
//   - rectifications: those whose deadline (DueAt) falls in the period,
//     per unit and per owner (the window head who reports back);
//   - appeals: those filed in the period, per unit, and per staff member of
//     the appealed rating.
//
// Upheld appeals exclude as models.RatingCounts says: a rating with an
// upheld appeal of unit D is out of D's figures and its staff's, its
// rectification with it; one upheld as malicious (恶意差评) is out of the
// centre's totals too.
type GoodBad struct {
	// UnratedCountedAs is UnratedOwnOutcome or UnratedSatisfied.
	UnratedCountedAs string `json:"unrated_counted_as"`
	// Levels are the centre's rounds by outcome: the five levels and
	// "not_rated", always apart (the rates fold 未评价 in only when
	// counted as satisfied).
	Levels map[string]int64 `json:"levels"`
	// ExcludedByAppeals counts the ratings an upheld appeal took out of
	// some unit's figures (Centre.ExcludedByAppeals: out of the totals).
	ExcludedByAppeals int64          `json:"excluded_by_appeals"`
	Centre            Figures        `json:"centre"`
	Departments       []UnitFigures  `json:"departments"`
	Staff             []StaffFigures `json:"staff"`
}

// Figures are one unit's, one person's or the centre's 好差评 figures.
type Figures struct {
	// Rated is the denominator of both rates: rounds rated on one of the
	// five levels, plus the 未评价 ones when they count as satisfied.
	Rated int64 `json:"rated"`
	// NotRated counts the rounds closed without a rating (未评价).
	NotRated int64 `json:"not_rated"`
	// SatisfiedOrBetter: 非常满意 and 满意 (and 未评价 when counted as 满意).
	SatisfiedOrBetter int64    `json:"satisfied_or_better"`
	SatisfactionRate  *float64 `json:"satisfaction_rate"` // / Rated; nil when none
	Bad               int64    `json:"bad"`               // 不满意 and 非常不满意
	BadRate           *float64 `json:"bad_rate"`          // Bad / Rated; nil when none
	// ExcludedByAppeals counts the rounds left out of these figures by
	// upheld appeals.
	ExcludedByAppeals int64 `json:"excluded_by_appeals"`
	// Rectifications due in the period: reported by the deadline, after
	// it, still open past it (not on time), and still open within it.
	RectifyDue         int64 `json:"rectify_due"`
	RectifiedOnTime    int64 `json:"rectified_on_time"`
	RectifiedLate      int64 `json:"rectified_late"`
	RectifyOpenOverdue int64 `json:"rectify_open_overdue"`
	RectifyOpen        int64 `json:"rectify_open"`
	// RectifyOnTimeRate is on time / (on time + late + open past due);
	// nil while none is past its deadline.
	RectifyOnTimeRate *float64 `json:"rectify_on_time_rate"`
	AppealsFiled      int64    `json:"appeals_filed"`
	AppealsUpheld     int64    `json:"appeals_upheld"`
	AppealsRejected   int64    `json:"appeals_rejected"`
	AppealsPending    int64    `json:"appeals_pending"`
}

// UnitFigures are one unit's figures; Department "" is the centre itself.
type UnitFigures struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Figures
}

// StaffFigures are one staff member's figures.
type StaffFigures struct {
	Staff      string `json:"staff"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Figures
}

// roundKey names one handling round of one case.
type roundKey struct {
	caseID uint64
	round  int
}

// ratedRound is one round's outcome: a level, or "not_rated".
type ratedRound struct {
	roundKey
	ratingID uint64 // 0 for 未评价
	level    string
	owner    string
}

// goodBad computes the 好差评 figures of the cases accepted in [from, to),
// the rectifications due and the appeals filed in it. Five reads, none per
// row: the rounds' ratings, the 未评价 closes, the orders of those cases,
// the rectifications, the appeals.
func (r *Reports) goodBad(ctx context.Context, from, to time.Time) (*GoodBad, error) {
	db := r.db.WithContext(ctx)
	g := &GoodBad{UnratedCountedAs: r.UnratedCountedAs(), Levels: map[string]int64{}, Departments: []UnitFigures{}, Staff: []StaffFigures{}}
	inPeriod := "cases.accepted_at >= ? AND cases.accepted_at < ?"

	var rounds []ratedRound
	rows, err := db.Table("ratings").Select("ratings.id, ratings.case_id, ratings.round, ratings.level, cases.owner_id").
		Joins("JOIN cases ON cases.id = ratings.case_id").Where(inPeriod, from, to).Rows()
	if err != nil {
		return nil, fmt.Errorf("reports: the period's ratings: %w", err)
	}
	for rows.Next() {
		var rr ratedRound
		if err := rows.Scan(&rr.ratingID, &rr.caseID, &rr.round, &rr.level, &rr.owner); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reports: the period's ratings: %w", err)
		}
		rounds = append(rounds, rr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reports: the period's ratings: %w", err)
	}
	// A round closed 未评价 is always a case's last: a round moves on only
	// by a 差评, and a rating recorded at the visit replaces the mark.
	var unrated []struct {
		ID      uint64
		Round   int
		OwnerID string
	}
	if err := db.Table("cases").Select("id, round, owner_id").Where(inPeriod+" AND cases.rating_via = ?", from, to, "not_rated").
		Scan(&unrated).Error; err != nil {
		return nil, fmt.Errorf("reports: the period's unrated rounds: %w", err)
	}
	for _, u := range unrated {
		rounds = append(rounds, ratedRound{roundKey: roundKey{u.ID, u.Round}, level: UnratedOwnOutcome, owner: u.OwnerID})
	}

	// The units and repliers of each round.
	type unitOfRound struct{ dept, replier string }
	units := map[roundKey][]unitOfRound{}
	var orders []struct {
		CaseID         uint64
		Round          int
		DepartmentCode string
		RepliedBy      string
	}
	if err := db.Table("work_orders").Select("work_orders.case_id, work_orders.round, work_orders.department_code, work_orders.replied_by").
		Joins("JOIN cases ON cases.id = work_orders.case_id").Where(inPeriod, from, to).Order("work_orders.id").Scan(&orders).Error; err != nil {
		return nil, fmt.Errorf("reports: the period's orders: %w", err)
	}
	for _, o := range orders {
		k := roundKey{o.CaseID, o.Round}
		units[k] = append(units[k], unitOfRound{o.DepartmentCode, o.RepliedBy})
	}

	var rects []models.Rectification
	if err := db.Where("due_at >= ? AND due_at < ?", from, to).Find(&rects).Error; err != nil {
		return nil, fmt.Errorf("reports: rectifications due: %w", err)
	}
	// Appeals filed in the period, with the repliers of the appealed
	// round's order of the appealing unit (the owner for the centre), and
	// the person an appealed deduction cost a point too.
	var filed []struct {
		models.Appeal
		RepliedBy      string
		OwnerID        string
		DeductionStaff string
	}
	if err := db.Table("appeals").Select("appeals.*, work_orders.replied_by, cases.owner_id, deductions.staff_id AS deduction_staff").
		Joins("LEFT JOIN ratings ON ratings.id = appeals.rating_id").
		Joins("LEFT JOIN deductions ON deductions.id = appeals.deduction_id").
		Joins("LEFT JOIN work_orders ON work_orders.case_id = ratings.case_id AND work_orders.round = ratings.round AND work_orders.department_code = appeals.department_code").
		Joins("LEFT JOIN cases ON cases.id = appeals.case_id").
		Where("appeals.filed_at >= ? AND appeals.filed_at < ?", from, to).Order("appeals.id").Scan(&filed).Error; err != nil {
		return nil, fmt.Errorf("reports: appeals filed: %w", err)
	}
	// Every upheld appeal against a rating, whenever filed: they decide
	// what is excluded. Few, so all of them.
	var upheld []models.Appeal
	if err := db.Where("status = ? AND rating_id <> 0", models.AppealUpheld).Find(&upheld).Error; err != nil {
		return nil, fmt.Errorf("reports: upheld appeals: %w", err)
	}
	appealsOf := map[uint64][]models.Appeal{}
	for _, a := range upheld {
		appealsOf[a.RatingID] = append(appealsOf[a.RatingID], a)
	}

	unitFig := map[string]*Figures{}
	staffFig := map[string]*Figures{}
	unit := func(code string) *Figures {
		if unitFig[code] == nil {
			unitFig[code] = &Figures{}
		}
		return unitFig[code]
	}
	person := func(id string) *Figures {
		if staffFig[id] == nil {
			staffFig[id] = &Figures{}
		}
		return staffFig[id]
	}
	excludedSomewhere := 0
	for _, rr := range rounds {
		fromCentre := !models.RatingCounts(rr.ratingID, "", appealsOf[rr.ratingID])
		if fromCentre {
			g.Centre.ExcludedByAppeals++
		} else {
			g.Levels[rr.level]++
			r.count(&g.Centre, rr.level)
		}
		list := units[rr.roundKey]
		if len(list) == 0 {
			list = []unitOfRound{{"", rr.owner}}
		}
		seenUnit, seenStaff := map[string]bool{}, map[string]bool{}
		out := false
		for _, u := range list {
			gone := !models.RatingCounts(rr.ratingID, u.dept, appealsOf[rr.ratingID])
			if !seenUnit[u.dept] {
				seenUnit[u.dept] = true
				if gone {
					unit(u.dept).ExcludedByAppeals++
					out = true
				} else {
					r.count(unit(u.dept), rr.level)
				}
			}
			if u.replier != "" && !seenStaff[u.replier] {
				seenStaff[u.replier] = true
				if gone {
					person(u.replier).ExcludedByAppeals++
				} else {
					r.count(person(u.replier), rr.level)
				}
			}
		}
		if out || fromCentre {
			excludedSomewhere++
		}
	}
	g.ExcludedByAppeals = int64(excludedSomewhere)

	now := r.now()
	for i := range rects {
		x := &rects[i]
		// A rectification whose unit's appeal was upheld was excused (the
		// appeal closed it): nothing was rectified, on time or late, so it
		// is in no rectification figure — not the centre's either, even
		// where the 差评 itself still counts for the centre (非本部门原因).
		if !models.RatingCounts(x.RatingID, x.DepartmentCode, appealsOf[x.RatingID]) {
			continue
		}
		if models.RatingCounts(x.RatingID, "", appealsOf[x.RatingID]) {
			countRectification(&g.Centre, x, now)
		}
		countRectification(unit(x.DepartmentCode), x, now)
		if x.OwnerID != "" {
			countRectification(person(x.OwnerID), x, now)
		}
	}

	seenAppeal := map[uint64]bool{}
	seenAppealStaff := map[string]bool{}
	for _, a := range filed {
		if !seenAppeal[a.ID] {
			seenAppeal[a.ID] = true
			countAppeal(&g.Centre, a.Status)
			countAppeal(unit(a.DepartmentCode), a.Status)
		}
		who := a.RepliedBy
		switch {
		case a.DeductionID != 0:
			who = a.DeductionStaff // "" when the deduction was the unit's alone
		case a.DepartmentCode == "":
			who = a.OwnerID
		}
		if k := fmt.Sprint(a.ID, "\x00", who); who != "" && !seenAppealStaff[k] {
			seenAppealStaff[k] = true
			countAppeal(person(who), a.Status)
		}
	}

	if err := r.name(ctx, db, g, unitFig, staffFig); err != nil {
		return nil, err
	}
	return g, nil
}

// count adds one round's outcome to f, 未评价 as the configured rule says.
func (r *Reports) count(f *Figures, level string) {
	switch {
	case level == UnratedOwnOutcome:
		f.NotRated++
		if r.UnratedAsSatisfied {
			f.Rated++
			f.SatisfiedOrBetter++
		}
	default:
		f.Rated++
		switch models.RatingLevel(level) {
		case models.RatingVerySatisfied, models.RatingSatisfied:
			f.SatisfiedOrBetter++
		case models.RatingDissatisfied, models.RatingVeryDissatisfy:
			f.Bad++
		}
	}
}

// countRectification adds one rectification due in the period: open past
// its deadline now is not on time.
func countRectification(f *Figures, x *models.Rectification, now time.Time) {
	f.RectifyDue++
	switch {
	case x.OnTime():
		f.RectifiedOnTime++
	case !x.Open():
		f.RectifiedLate++
	case now.After(x.DueAt):
		f.RectifyOpenOverdue++
	default:
		f.RectifyOpen++
	}
}

// rates derives f's rates from its counts, once they are all in.
func (f *Figures) rates() {
	f.SatisfactionRate = share(f.SatisfiedOrBetter, f.Rated)
	f.BadRate = share(f.Bad, f.Rated)
	f.RectifyOnTimeRate = share(f.RectifiedOnTime, f.RectifiedOnTime+f.RectifiedLate+f.RectifyOpenOverdue)
}

func countAppeal(f *Figures, s models.AppealStatus) {
	f.AppealsFiled++
	switch s {
	case models.AppealUpheld:
		f.AppealsUpheld++
	case models.AppealRejected:
		f.AppealsRejected++
	default:
		f.AppealsPending++
	}
}

// UnratedCountedAs says how the figures and the records count a round
// closed 未评价: UnratedOwnOutcome, or UnratedSatisfied by the local rule
// rating.unrated_as_satisfied.
func (r *Reports) UnratedCountedAs() string {
	if r.UnratedAsSatisfied {
		return UnratedSatisfied
	}
	return UnratedOwnOutcome
}

// share is n / of, nil when of is 0: “—”, not 0% nor 100%.
func share(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	s := float64(n) / float64(of)
	return &s
}

// name lists the units (the centre itself first, then by code) and the
// staff (by unit, then id) that have figures, with their names.
func (r *Reports) name(ctx context.Context, db *gorm.DB, g *GoodBad, unitFig, staffFig map[string]*Figures) error {
	names, err := r.departmentNames(ctx)
	if err != nil {
		return err
	}
	names[""] = r.centre()
	g.Centre.rates()
	for code, f := range unitFig {
		f.rates()
		g.Departments = append(g.Departments, UnitFigures{Department: code, Name: cmp.Or(names[code], code), Figures: *f})
	}
	sort.Slice(g.Departments, func(i, j int) bool { return g.Departments[i].Department < g.Departments[j].Department })
	if len(staffFig) == 0 {
		return nil
	}
	ids := make([]string, 0, len(staffFig))
	for id := range staffFig {
		ids = append(ids, id)
	}
	var people []models.Staff
	if err := db.Where("id IN ?", ids).Find(&people).Error; err != nil {
		return fmt.Errorf("reports: staff: %w", err)
	}
	known := map[string]models.Staff{}
	for _, p := range people {
		known[p.ID] = p
	}
	for id, f := range staffFig {
		f.rates()
		p := known[id]
		g.Staff = append(g.Staff, StaffFigures{Staff: id, Name: cmp.Or(p.Name, id), Department: p.DepartmentCode, Figures: *f})
	}
	sort.Slice(g.Staff, func(i, j int) bool {
		a, b := g.Staff[i], g.Staff[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Staff < b.Staff
	})
	return nil
}

// cardLines are the 好差评 lines of the leaders' card: none for a month
// with nothing rated, due or appealed.
func (g *GoodBad) cardLines() []string {
	if g == nil {
		return nil
	}
	c := g.Centre
	if c.Rated+c.NotRated+c.RectifyDue+c.AppealsFiled+c.ExcludedByAppeals == 0 {
		return nil
	}
	line := fmt.Sprintf("好差评：差评 %d 次，差评率 %s（占已评价 %d 轮）", c.Bad, percent(c.BadRate), c.Rated)
	if c.ExcludedByAppeals > 0 {
		// The headline counts every 差评 given; these figures leave out
		// the malicious ones an upheld appeal set aside: say why they differ.
		line += fmt.Sprintf("，另有 %d 次经申诉成立不计入", c.ExcludedByAppeals)
	}
	if c.RectifyDue > 0 {
		line += fmt.Sprintf("；整改到期 %d 件，按期 %d 件", c.RectifyDue, c.RectifiedOnTime)
	}
	if c.AppealsFiled > 0 {
		line += fmt.Sprintf("；申诉 %d 件，成立 %d 件、驳回 %d 件", c.AppealsFiled, c.AppealsUpheld, c.AppealsRejected)
	}
	lines := []string{line}
	if n := g.UnratedNote(); n != "" {
		lines = append(lines, n)
	}
	return lines
}

// UnratedNote says how 未评价 was counted, "" when there was none.
func (g *GoodBad) UnratedNote() string {
	n := g.Centre.NotRated
	switch {
	case n == 0 && g.UnratedCountedAs != UnratedSatisfied:
		return ""
	case g.UnratedCountedAs == UnratedSatisfied:
		return fmt.Sprintf("按本中心规定，未评价 %d 轮计为满意（rating.unrated_as_satisfied）。", n)
	}
	return fmt.Sprintf("未评价 %d 轮，不计入满意，也不计入差评率。", n)
}

// percent is a share as a whole percentage, “—” when unknown.
func percent(f *float64) string {
	if f == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *f*100)
}

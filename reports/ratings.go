package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"bbcs/models"
)

// recordRound is one round rated, or closed 未评价, in the month.
type recordRound struct {
	caseID uint64
	rating *models.Rating // nil: 未评价
	at     time.Time
}

// ratingBatch is how many rounds are built at a time: each batch reads its
// cases, orders, rectifications and appeals in one query apiece.
const ratingBatch = 500

// RatingRecords builds the month's 好差评 records (issue 16): every rating
// given in the month, and every round that closed 未评价 in it, one
// record per unit rated (models.RatingRecordsOf), in the order of the
// ratings. Records reach each a batch at a time, so an export streams.
// 未评价 counts as r.UnratedAsSatisfied says.
func (r *Reports) RatingRecords(ctx context.Context, month string, each func([]models.RatingRecord) error) error {
	from, to, err := r.MonthRange(month)
	if err != nil {
		return err
	}
	rounds, err := r.ratedRounds(ctx, from, to)
	if err != nil {
		return err
	}
	names, err := r.departmentNames(ctx)
	if err != nil {
		return err
	}
	for start := 0; start < len(rounds); start += ratingBatch {
		batch := rounds[start:min(start+ratingBatch, len(rounds))]
		recs, err := r.ratingBatch(ctx, batch, names)
		if err != nil {
			return err
		}
		if err := each(recs); err != nil {
			return err
		}
	}
	return nil
}

// ratedRounds lists the month's ratings and 未评价 rounds, oldest first.
// A round stands 未评价 when its case says so (rating_via not_rated, set
// by the rating clock and left alone unless a rating is recorded in the
// follow-up visit); it was marked at the first close or not_rated event of
// the timeline after the answer, which is the moment the export counts.
func (r *Reports) ratedRounds(ctx context.Context, from, to time.Time) ([]recordRound, error) {
	db := r.db.WithContext(ctx)
	var ratings []models.Rating
	if err := db.Where("at >= ? AND at < ?", from, to).Order("at, id").Find(&ratings).Error; err != nil {
		return nil, fmt.Errorf("reports: the month's ratings: %w", err)
	}
	rounds := make([]recordRound, 0, len(ratings))
	for i := range ratings {
		rounds = append(rounds, recordRound{caseID: ratings[i].CaseID, rating: &ratings[i], at: ratings[i].At})
	}
	var unrated []struct {
		CaseID uint64
		At     time.Time
	}
	// answered_at and closed_at bound the moment, so most cases are ruled
	// out before the timeline is read.
	err := db.Table("cases AS c").Select("c.id AS case_id, MIN(t.at) AS at").
		Joins("JOIN timeline_events t ON t.case_id = c.id").
		Where("c.rating_via = ? AND c.answered_at < ? AND (c.closed_at IS NULL OR c.closed_at >= ?)", models.LevelNotRated, to, from).
		Where("t.action IN ? AND t.at >= c.answered_at", []string{"not_rated", "closed"}).
		Group("c.id").Having("MIN(t.at) >= ? AND MIN(t.at) < ?", from, to).Scan(&unrated).Error
	if err != nil {
		return nil, fmt.Errorf("reports: the month's rounds not rated: %w", err)
	}
	for _, u := range unrated {
		rounds = append(rounds, recordRound{caseID: u.CaseID, at: u.At})
	}
	sort.SliceStable(rounds, func(i, j int) bool { return rounds[i].at.Before(rounds[j].at) })
	return rounds, nil
}

func (r *Reports) departmentNames(ctx context.Context) (map[string]string, error) {
	var depts []models.Department
	if err := r.db.WithContext(ctx).Select("code, name").Find(&depts).Error; err != nil {
		return nil, fmt.Errorf("reports: departments: %w", err)
	}
	names := make(map[string]string, len(depts))
	for _, d := range depts {
		names[d.Code] = d.Name
	}
	return names, nil
}

// ratingBatch reads what a batch of rounds needs, four queries in all, and
// builds their records.
func (r *Reports) ratingBatch(ctx context.Context, batch []recordRound, names map[string]string) ([]models.RatingRecord, error) {
	db := r.db.WithContext(ctx)
	var caseIDs, ratingIDs []uint64
	for _, rr := range batch {
		caseIDs = append(caseIDs, rr.caseID)
		if rr.rating != nil {
			ratingIDs = append(ratingIDs, rr.rating.ID)
		}
	}
	var cases []models.Case
	if err := db.Where("id IN ?", caseIDs).Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("reports: the rated cases: %w", err)
	}
	byID := make(map[uint64]*models.Case, len(cases))
	for i := range cases {
		byID[cases[i].ID] = &cases[i]
	}
	var orders []models.WorkOrder
	if err := db.Select("case_id, round, department_code").Where("case_id IN ?", caseIDs).Order("id").Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("reports: the rated rounds' orders: %w", err)
	}
	units := map[string][]models.Department{} // case id and round → the units, in dispatch order
	for _, o := range orders {
		k := recordRoundKey(o.CaseID, o.Round)
		if !hasUnit(units[k], o.DepartmentCode) {
			units[k] = append(units[k], models.Department{Code: o.DepartmentCode, Name: names[o.DepartmentCode]})
		}
	}
	var rects []models.Rectification
	var appeals []models.Appeal
	if len(ratingIDs) > 0 {
		if err := db.Where("rating_id IN ?", ratingIDs).Find(&rects).Error; err != nil {
			return nil, fmt.Errorf("reports: rectifications: %w", err)
		}
		if err := db.Where("rating_id IN ?", ratingIDs).Order("filed_at, id").Find(&appeals).Error; err != nil {
			return nil, fmt.Errorf("reports: appeals: %w", err)
		}
	}
	var out []models.RatingRecord
	for _, rr := range batch {
		c := byID[rr.caseID]
		if c == nil {
			continue // deleted since the ratings were read
		}
		round := c.Round
		if rr.rating != nil {
			round = rr.rating.Round
		}
		recs := models.RatingRecordsOf(c, rr.rating, units[recordRoundKey(c.ID, round)], rects, appeals, r.centre(), r.UnratedAsSatisfied)
		for i := range recs {
			if rr.rating == nil {
				// Marked 未评价 at rr.at, which may precede the close (a
				// follow-up visit was still owed).
				recs[i].RatedAt = rr.at.In(models.Shanghai)
			}
		}
		out = append(out, recs...)
	}
	return out, nil
}

func recordRoundKey(caseID uint64, round int) string { return fmt.Sprintf("%d/%d", caseID, round) }

func hasUnit(list []models.Department, code string) bool {
	for _, d := range list {
		if d.Code == code {
			return true
		}
	}
	return false
}

// CentreName is the centre's name as the reports write it.
func (r *Reports) CentreName() string { return r.centre() }

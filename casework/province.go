package casework

import (
	"fmt"
	"slices"

	"bbcs/models"
)

// ProvinceOptions are what the push of 好差评 records to the provincial
// platform needs (bot/province, docs/province.md).
type ProvinceOptions struct {
	// Push: province.url is set. Without it no record is queued at all.
	Push bool
	// Centre names the unit of a round answered without work orders.
	Centre string
	// UnratedAsSatisfied is rating.unrated_as_satisfied: a round closed
	// 未评价 goes as 满意, marked defaulted.
	UnratedAsSatisfied bool
}

// pushRatingRecords queues the 好差评 records of the case's round for the
// provincial platform, in the transaction of the change, where the centre
// configured a push (province.url). Call it from every use case that
// changes what a round's record says: a rating (also one recorded after
// 未评价), a round closed 未评价, a rectification verified or reported
// back, an appeal filed or decided. The records are built at commit, from
// what the transaction wrote by then, so a use case may call it before
// its last change; a round named twice is pushed once. A record pushed
// again keeps its record_id: the platform upserts.
func (ch *change) pushRatingRecords(round int) {
	if !ch.s.opts.Province.Push || round < 1 || slices.Contains(ch.pushRounds, round) {
		return
	}
	ch.pushRounds = append(ch.pushRounds, round)
}

// writeRatingPushes writes the outbox rows of the rounds pushRatingRecords
// named, one per record, after the rest of the change is written. Each
// round costs a few reads: its rating, its units (orders with their
// departments, in one query), and for a 差评 its rectifications and
// appeals.
func (ch *change) writeRatingPushes() error {
	if len(ch.pushRounds) == 0 {
		return nil
	}
	var notices []models.Notice
	for _, round := range ch.pushRounds {
		recs, err := ch.ratingRecords(round)
		if err != nil {
			return err
		}
		for i := range recs {
			rec := &recs[i]
			d := models.NoticeData{CaseNo: ch.c.No, Round: rec.Round, Department: rec.DepartmentCode,
				DepartmentName: rec.DepartmentName, Record: rec}
			notices = append(notices, models.Notice{
				Kind: models.NoticeRatingRecord, Audience: models.AudienceProvince, Target: rec.RecordID, CaseNo: ch.c.No,
				Payload: models.EncodeNoticeData(d), Status: models.NoticePending, NextAttemptAt: ch.now, CreatedAt: ch.now,
			})
		}
	}
	ch.pushRounds = nil
	if len(notices) == 0 {
		return nil
	}
	if err := ch.tx.Create(&notices).Error; err != nil {
		return fmt.Errorf("casework: queue the 好差评 records of %s: %w", ch.c.No, err)
	}
	return nil
}

// ratingRecords builds a round's records as they stand in the
// transaction: rated, or (the present round, without a rating) 未评价.
// A round neither rated nor closed 未评价 has none yet.
func (ch *change) ratingRecords(round int) ([]models.RatingRecord, error) {
	var rating *models.Rating
	var r models.Rating
	if err := ch.tx.Where("case_id = ? AND round = ?", ch.c.ID, round).Order("id DESC").Limit(1).Find(&r).Error; err != nil {
		return nil, fmt.Errorf("casework: read the rating of %s round %d: %w", ch.c.No, round, err)
	}
	if r.ID != 0 {
		rating = &r
	} else if round != ch.c.Round || ch.c.RatingVia != string(ViaNotRated) {
		return nil, nil
	}
	// The units rated: the departments of the round's orders, in dispatch
	// order, retired ones too (the record is of what happened).
	var units []models.Department
	err := ch.tx.Table("departments").Select("departments.*").
		Joins("JOIN work_orders ON work_orders.department_code = departments.code").
		Where("work_orders.case_id = ? AND work_orders.round = ?", ch.c.ID, round).
		Order("work_orders.id").Find(&units).Error
	if err != nil {
		return nil, fmt.Errorf("casework: read the units of %s round %d: %w", ch.c.No, round, err)
	}
	var rects []models.Rectification
	var appeals []models.Appeal
	if rating != nil && rating.Level.Bad() {
		if err := ch.tx.Where("rating_id = ?", rating.ID).Find(&rects).Error; err != nil {
			return nil, fmt.Errorf("casework: read the rectifications of %s: %w", ch.c.No, err)
		}
		if err := ch.tx.Where("rating_id = ?", rating.ID).Find(&appeals).Error; err != nil {
			return nil, fmt.Errorf("casework: read the appeals of %s: %w", ch.c.No, err)
		}
	}
	recs := models.RatingRecordsOf(ch.c, rating, units, rects, appeals, ch.s.opts.Province.Centre, ch.s.opts.Province.UnratedAsSatisfied)
	for i := range recs {
		if rating == nil && recs[i].RatedAt.IsZero() {
			// Marked 未评价 while a visit is still owed: not closed yet,
			// so the record's moment is now, when it was marked.
			recs[i].RatedAt = ch.now.In(models.Shanghai)
		}
	}
	return recs, nil
}

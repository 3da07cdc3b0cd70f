package reports_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/reports"
)

// A month of many ratings is built in batches with a fixed number of
// queries, not one per rating (the export of a busy centre stays fast),
// every rating of the month once, in the order given, none of another
// month.
func TestRatingRecordsOfABusyMonth(t *testing.T) {
	db := testenv.MySQL(t)
	ctx := context.Background()
	if err := db.Create(&models.Department{Code: "realestate", Name: "不动产登记窗口", Active: true}).Error; err != nil {
		t.Fatal(err)
	}
	const n = 1201 // three batches, the last of one
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, models.Shanghai)
	cases := make([]models.Case, n+1)
	for i := range cases {
		cases[i] = models.Case{No: fmt.Sprintf("BB20260301-%04d", i), Status: models.CaseClosed, Category: models.CategoryOther,
			Matter: "咨询", ApplicantName: "李小明", ApplicantKind: models.ApplicantPerson, ApplicantMobile: "13912345678",
			Channel: models.ChannelWalkIn, OwnerID: "wang", AcceptedAt: start, Round: 1}
	}
	if err := db.CreateInBatches(&cases, 500).Error; err != nil {
		t.Fatal(err)
	}
	var orders []models.WorkOrder
	var ratings []models.Rating
	for i, c := range cases {
		orders = append(orders, models.WorkOrder{No: c.No + "-1", CaseID: c.ID, Round: 1, DepartmentCode: "realestate", Status: models.OrderReplied,
			DispatchedBy: "wang", ReceivedAt: start, DueAt: start, CapAt: start})
		// Given in reverse order of the cases; the last case was rated in February.
		at := start.Add(time.Duration(n-i) * time.Minute)
		if i == n {
			at = start.Add(-48 * time.Hour)
		}
		ratings = append(ratings, models.Rating{CaseID: c.ID, Round: 1, Level: models.RatingSatisfied, Via: "phone", At: at})
	}
	if err := db.CreateInBatches(&orders, 500).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInBatches(&ratings, 500).Error; err != nil {
		t.Fatal(err)
	}

	var queries atomic.Int64
	if err := db.Callback().Query().After("gorm:query").Register("count_queries", func(*gorm.DB) { queries.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Row().After("gorm:row").Register("count_rows", func(*gorm.DB) { queries.Add(1) }); err != nil {
		t.Fatal(err)
	}
	rep := reports.New(db, models.Shanghai, time.Now)
	var got []models.RatingRecord
	batches := 0
	err := rep.RatingRecords(ctx, "2026-03", func(recs []models.RatingRecord) error {
		batches++
		got = append(got, recs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || batches != 3 {
		t.Fatalf("%d records in %d batches, want %d in 3", len(got), batches, n)
	}
	// Listing (ratings, 未评价 rounds), the departments, then four a batch.
	if q := queries.Load(); q > 3+4*3 {
		t.Errorf("%d queries for %d records: one per rating?", q, n)
	}
	seen := map[string]bool{}
	for i, r := range got {
		if seen[r.RecordID] || r.DepartmentName != "不动产登记窗口" || r.Channel != "电话" || *r.Score != 8 {
			t.Errorf("record %d: %+v", i, r)
		}
		seen[r.RecordID] = true
		if i > 0 && r.RatedAt.Before(got[i-1].RatedAt) {
			t.Errorf("record %d rated %v, before the one listed before it (%v)", i, r.RatedAt, got[i-1].RatedAt)
		}
	}
	if seen[cases[n].No+"-1-realestate"] {
		t.Errorf("February's rating is in March")
	}
}

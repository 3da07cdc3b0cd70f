package million

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/reports"
)

// The benchmarks run only with BBCS_BENCH_MILLION=1 (and -bench): they seed
// a million cases first. `go test ./...` runs the fast tests of the
// generator and of GroupSimilarFast only.
//
//	BBCS_BENCH_MILLION=1 go test ./bench/million -run '^$' -bench 'Monthly$|LedgerExport$' -benchtime 3x -timeout 3h -v
//
// BBCS_MILLION_MONTH (2026-03) is the month of the summary, and
// BBCS_MILLION_EXPORT (category=poor_attitude, about 100 000 cases) the
// ledger filter, in the API's query syntax.

const childEnv = "BBCS_MILLION_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(exportChild(mode))
	}
	os.Exit(m.Run())
}

var (
	seedOnce  sync.Once
	seedErr   error
	seedStats SeedStats
)

// seeded skips b unless BBCS_BENCH_MILLION=1, then makes sure the database
// is seeded (once per process).
func seeded(b *testing.B) Options {
	b.Helper()
	if os.Getenv("BBCS_BENCH_MILLION") != "1" {
		b.Skip("set BBCS_BENCH_MILLION=1 to seed 1 000 000 cases into MariaDB and run this benchmark")
	}
	o := FromEnv()
	o.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	seedOnce.Do(func() {
		seedStats, seedErr = Seed(context.Background(), o)
		if seedErr != nil {
			return
		}
		if seedStats.Inserted > 0 {
			o.Logf("seeded %d cases in %s", seedStats.Inserted, seedStats.Took.Round(time.Second))
		} else {
			o.Logf("database %s already seeded (checked in %s)", o.Database, seedStats.Took.Round(time.Millisecond))
		}
		// The baseline is the schema the models migrate to: an index a
		// BenchmarkMonthlyProposed run left behind goes.
		db, err := Open(o)
		if err != nil {
			seedErr = err
			return
		}
		defer func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		}()
		if !modelHasIndex(db, ProposedIndex) {
			if seedErr = DropProposedIndex(db); seedErr != nil {
				return
			}
		}
		if seedStats.Tables, seedErr = TableSizes(db, o.Database); seedErr != nil {
			return
		}
		for _, t := range seedStats.Tables {
			o.Logf("  %s", t)
		}
	})
	if seedErr != nil {
		b.Fatal(seedErr)
	}
	return o
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func month() string { return env("BBCS_MILLION_MONTH", "2026-03") }

// loadavg is the machine's load average, logged next to every figure: the
// benchmark shares its two cores with whatever else runs.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// The monthly summary of one month of about 44 000 cases (第十四条),
// exactly as GET /api/v1/reports/monthly computes it, on the schema the
// current models migrate to. Target: < 2 s.
func BenchmarkMonthly(b *testing.B) {
	o := seeded(b)
	c, err := NewCentre(o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Logf("load average before: %s", loadavg())
	defer func() { b.Logf("load average after: %s", loadavg()) }()
	ctx := context.Background()
	var m *reports.Monthly
	for b.Loop() {
		if m, err = c.Reports.Monthly(ctx, month()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(m.Received), "cases")
	b.ReportMetric(float64(m.Orders), "orders")
	b.ReportMetric(float64(len(m.Recurring)), "groups")
}

// What the monthly summary's time is made of: each of its SQL statements
// run alone (to the last row) with its plan, then the grouping of similar
// matters (reports.GroupSimilar) and the prototype of its fix
// (GroupSimilarFast) on the month's matters.
func BenchmarkMonthlyParts(b *testing.B) {
	o := seeded(b)
	db, trace, err := TraceSQL(o)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	c, err := NewCentre(o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cal, err := Calendar()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// One traced run collects the statements.
	if _, err := reports.New(db, cal.Location(), func() time.Time { return Snapshot }).Monthly(ctx, month()); err != nil {
		b.Fatal(err)
	}
	b.Run("SQL", func(b *testing.B) {
		var profs []StatementProfile
		for b.Loop() {
			if profs, err = Profile(ctx, c.DB, trace.SQL); err != nil {
				b.Fatal(err)
			}
		}
		var total time.Duration
		for _, p := range profs {
			total += p.Took
			b.Log(p)
		}
		b.Logf("SQL total %.3f s", total.Seconds())
		b.ReportMetric(total.Seconds(), "s/op")
	})

	items, err := monthItems(ctx, c, month())
	if err != nil {
		b.Fatal(err)
	}
	var want []reports.Group
	b.Run("GroupSimilar", func(b *testing.B) {
		for b.Loop() {
			want = reports.GroupSimilar(items)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
		b.ReportMetric(float64(len(items)), "items")
		b.ReportMetric(float64(len(want)), "groups")
	})
	b.Run("GroupSimilarFast", func(b *testing.B) {
		var got []reports.Group
		for b.Loop() {
			got = GroupSimilarFast(items)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
		b.ReportMetric(float64(len(items)), "items")
		b.ReportMetric(float64(len(got)), "groups")
		if want != nil && !reflect.DeepEqual(got, want) {
			b.Errorf("GroupSimilarFast found other groups than reports.GroupSimilar (%d vs %d)", len(got), len(want))
		}
	})
}

// The monthly summary with the proposed changes, one at a time: the index
// on work_orders.received_at (created for the run, dropped after it unless
// the models define it), then GroupSimilarFast, then one pass over the
// month's cases and one over its orders, then the four parts at once.
// Each variant must return exactly what reports.Monthly returns.
func BenchmarkMonthlyProposed(b *testing.B) {
	o := seeded(b)
	c, err := NewCentre(o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	drop, err := EnsureProposedIndex(c.DB)
	if err != nil {
		b.Fatal(err)
	}
	if drop != nil && !modelHasIndex(c.DB, ProposedIndex) {
		defer func() {
			if err := drop(); err != nil {
				b.Error(err)
			}
		}()
	}
	b.Logf("load average before: %s", loadavg())
	defer func() { b.Logf("load average after: %s", loadavg()) }()
	ctx := context.Background()
	want, err := c.Reports.Monthly(ctx, month())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Reports.Monthly(ctx, month()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	})
	for _, v := range []struct {
		name string
		v    Variant
	}{
		{"index+fast-groups", Variant{FastGroups: true}},
		{"index+fast-groups+merged", Variant{FastGroups: true, Merged: true}},
		{"index+fast-groups+merged+parallel", Variant{FastGroups: true, Merged: true, Parallel: true}},
		{"index+one-pass", Variant{OnePass: true}},
		{"index+one-pass+parallel", Variant{OnePass: true, Parallel: true}},
	} {
		b.Run(v.name, func(b *testing.B) {
			var got *reports.Monthly
			for b.Loop() {
				if got, err = MonthlyProposed(ctx, c.DB, c.Reports, Snapshot, month(), v.v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
			if !reflect.DeepEqual(got, want) {
				b.Errorf("%s differs from reports.Monthly:\n got %+v\nwant %+v", v.name, got, want)
			}
		})
	}
}

// modelHasIndex reports whether the models define the index, so that the
// migration made it.
func modelHasIndex(db *gorm.DB, name string) bool {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(&models.WorkOrder{}); err != nil {
		return false
	}
	for _, idx := range stmt.Schema.ParseIndexes() {
		if idx.Name == name {
			return true
		}
	}
	return false
}

// monthItems are the month's matters as reports.recurring reads them.
func monthItems(ctx context.Context, c *Centre, month string) ([]reports.Item, error) {
	from, to, err := c.Reports.MonthRange(month)
	if err != nil {
		return nil, err
	}
	var rows []struct{ No, Category, Matter, DepartmentCode string }
	err = c.DB.WithContext(ctx).Table("work_orders").
		Select("DISTINCT cases.no, cases.category, cases.matter, work_orders.department_code").
		Joins("JOIN cases ON cases.id = work_orders.case_id").
		Where("cases.accepted_at >= ? AND cases.accepted_at < ?", from, to).Scan(&rows).Error
	items := make([]reports.Item, len(rows))
	for i, r := range rows {
		items[i] = reports.Item{CaseNo: r.No, Department: r.DepartmentCode, Category: r.Category, Matter: r.Matter}
	}
	return items, err
}

// childReport is what the export child prints.
type childReport struct {
	Export    ExportResult `json:"export"`
	Peak      MemPeak      `json:"peak"`
	RSSBefore uint64       `json:"rss_before"` // bytes, after wiring, before the request
	MaxRSS    uint64       `json:"max_rss"`    // bytes, the process's peak
	Err       string       `json:"err,omitempty"`
}

// exportChild runs one ledger export in this fresh process and prints a
// childReport: the peak RSS of a process that did nothing else. Mode
// "export" downloads GET /api/v1/ledger.xlsx from handlers.Server;
// "export-proposed" writes the same workbook from LedgerProposed.
func exportChild(mode string) int {
	var r childReport
	defer func() {
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	c, err := NewCentre(FromEnv())
	if err != nil {
		r.Err = err.Error()
		return 1
	}
	defer c.Close()
	query := exportQuery()
	r.RSSBefore = RSS()
	s := StartSampler(5 * time.Millisecond)
	if mode == "export" {
		r.Export, err = c.Export(context.Background(), query)
	} else {
		start := time.Now()
		var cw countingWriter
		r.Export.Rows, err = c.ExportProposed(context.Background(), query, &cw)
		r.Export.Query, r.Export.Bytes, r.Export.Took = query, cw.n, time.Since(start)
	}
	r.Peak = s.Stop()
	r.MaxRSS = MaxRSS()
	if err != nil {
		r.Err = err.Error()
		return 1
	}
	return 0
}

func exportQuery() string { return env("BBCS_MILLION_EXPORT", "category=poor_attitude") }

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// runExport runs exportChild in a fresh process b.N times.
func runExport(b *testing.B, mode string) {
	var last childReport
	var maxRSS uint64
	b.Logf("load average before: %s", loadavg())
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+mode)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		runErr := cmd.Run()
		if err := json.Unmarshal(out.Bytes(), &last); err != nil {
			b.Fatalf("export child: %v, %v: %s", runErr, err, out.String())
		}
		if runErr != nil || last.Err != "" {
			b.Fatalf("export child: %v: %s", runErr, last.Err)
		}
		maxRSS = max(maxRSS, ProcessMaxRSS(cmd.ProcessState))
	}
	b.Logf("load average after: %s", loadavg())
	b.Logf("%s %s: %d rows, %.1f MiB xlsx in %.1f s; peak heap in use %.1f MiB, runtime Sys %.1f MiB, %d GCs; RSS %.1f MiB before the request, peak %.1f MiB",
		mode, last.Export.Query, last.Export.Rows, MiB(uint64(last.Export.Bytes)), last.Export.Took.Seconds(),
		MiB(last.Peak.HeapInuse), MiB(last.Peak.Sys), last.Peak.NumGC, MiB(last.RSSBefore), MiB(last.MaxRSS))
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(last.Export.Rows), "rows")
	b.ReportMetric(MiB(uint64(last.Export.Bytes)), "xlsx-MiB")
	b.ReportMetric(MiB(last.Peak.HeapInuse), "peak-heap-MiB")
	b.ReportMetric(MiB(maxRSS), "peak-RSS-MiB")
}

// The ledger export (GET /api/v1/ledger.xlsx, 第十五条) of about 100 000
// cases, each run in a fresh process so its peak RSS is the export's.
// Target: < 200 MB.
func BenchmarkLedgerExport(b *testing.B) {
	seeded(b)
	runExport(b, "export")
}

// The same export with LedgerProposed's paging, after checking on one
// month that it hands out the same rows in the same order as
// casework.Service.Ledger.
func BenchmarkLedgerExportProposed(b *testing.B) {
	o := seeded(b)
	c, err := NewCentre(o)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	f := casework.Filter{Month: month(), Category: models.CategoryAttitude}
	var today, proposed []string
	collect := func(into *[]string) func([]casework.LedgerEntry) error {
		return func(batch []casework.LedgerEntry) error {
			for _, e := range batch {
				*into = append(*into, fmt.Sprintf("%d %s o%v r%v f%v", e.Case.ID, e.OwnerName, ids(e.Orders), ids(e.Ratings), ids(e.FollowUps)))
			}
			return nil
		}
	}
	if err := c.Cases.Ledger(ctx, f, collect(&today)); err != nil {
		b.Fatal(err)
	}
	if err := LedgerProposed(ctx, c.DB, c.Cases.Calendar().Location(), f, collect(&proposed)); err != nil {
		b.Fatal(err)
	}
	c.Close()
	if !reflect.DeepEqual(today, proposed) || len(today) == 0 {
		b.Fatalf("LedgerProposed hands out other rows than casework.Service.Ledger (%d vs %d)", len(proposed), len(today))
	}
	runExport(b, "export-proposed")
}

func ids[T any](rows []T) []uint64 {
	var out []uint64
	for _, r := range rows {
		switch v := any(r).(type) {
		case models.WorkOrder:
			out = append(out, v.ID)
		case models.Rating:
			out = append(out, v.ID)
		case models.FollowUp:
			out = append(out, v.ID)
		}
	}
	return out
}

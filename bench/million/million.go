// Package million is the benchmark of issue 7: bbcs with 1 000 000 cases in
// MariaDB. It seeds a database of its own (bbcs_million, kept between runs),
// migrated by store.OpenDatabase exactly as bbcs migrates on start, and
// measures the monthly summary (reports.Reports.Monthly) and the ledger
// export (GET /api/v1/ledger.xlsx through handlers.Server) on it.
//
// Everything runs from million_test.go, and only with BBCS_BENCH_MILLION=1
// (see README.md):
//
//	BBCS_BENCH_MILLION=1 go test ./bench/million -run '^$' -bench 'Monthly$|LedgerExport$' -benchtime 3x -timeout 3h -v
package million

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/store"
	"bbcs/workday"
)

// Options say where and how much to seed. Zero fields take the defaults of
// FromEnv.
type Options struct {
	ServerDSN string // the MySQL server, without a database name
	Database  string // the benchmark's own database
	Cases     int
	Batch     int    // cases per transaction
	Workers   int    // transactions in flight
	Config    string // the config file whose departments and staff are used
	Logf      func(format string, args ...any)
}

// FromEnv reads the options from the environment:
// BBCS_TEST_MYSQL (root@tcp(127.0.0.1:3306)/), BBCS_MILLION_DB (bbcs_million),
// BBCS_MILLION_CASES (1000000), BBCS_MILLION_WORKERS (3) and
// BBCS_MILLION_CONFIG (config.example.yaml at the module root).
func FromEnv() Options {
	o := Options{
		ServerDSN: testenv.MySQLServerDSN(), Database: os.Getenv("BBCS_MILLION_DB"),
		Config: os.Getenv("BBCS_MILLION_CONFIG"), Batch: 2000, Workers: 3, Cases: 1_000_000,
	}
	if o.Database == "" {
		o.Database = "bbcs_million"
	}
	if n, err := strconv.Atoi(os.Getenv("BBCS_MILLION_CASES")); err == nil && n > 0 {
		o.Cases = n
	}
	if n, err := strconv.Atoi(os.Getenv("BBCS_MILLION_WORKERS")); err == nil && n > 0 {
		o.Workers = n
	}
	return o
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// DSN is the benchmark database's DSN, as bbcs would be given it.
func (o Options) DSN() (string, error) {
	cfg, err := mysqldrv.ParseDSN(o.ServerDSN)
	if err != nil {
		return "", fmt.Errorf("million: %q is not a MySQL DSN: %w", o.ServerDSN, err)
	}
	cfg.DBName = o.Database
	return cfg.FormatDSN(), nil
}

// Open connects to the seeded database the way bbcs does (store.OpenDatabase:
// its DSN normalisation, pool settings and migration).
func Open(o Options) (*gorm.DB, error) {
	dsn, err := o.DSN()
	if err != nil {
		return nil, err
	}
	return store.OpenDatabase(dsn, "", testenv.Quiet())
}

// Directory is the organisation of the config file (o.Config, or the demo
// centre of config.example.yaml), as cmd/bbcs syncs it.
func Directory(o Options) (casework.Directory, error) {
	dir, err := testenv.DirectoryOf(o.Config)
	if err != nil {
		return casework.Directory{}, fmt.Errorf("million: %w (set BBCS_MILLION_CONFIG)", err)
	}
	return dir, nil
}

// Calendar is bbcs's default working-day calendar.
func Calendar() (*workday.Calendar, error) { return workday.New(workday.Options{}) }

// SeedStats describe the seeded database.
type SeedStats struct {
	Inserted int           // cases inserted by this run (0: it was seeded already)
	Took     time.Duration // this run's seeding time
	Tables   []TableSize
}

// TableSize is one table's row count and InnoDB size.
type TableSize struct {
	Name          string
	Rows          int64
	Data, Indexes int64 // bytes
}

func (t TableSize) String() string {
	return fmt.Sprintf("%-12s %9d rows  data %6.1f MB  indexes %6.1f MB", t.Name, t.Rows, float64(t.Data)/1e6, float64(t.Indexes)/1e6)
}

// Seed makes sure the benchmark database holds o.Cases cases of this
// generator version: it creates and migrates the database, inserts the
// batches not there yet (each batch one transaction, so an interrupted run
// resumes where it stopped), and drops and starts over when the database
// was seeded with another version or count.
func Seed(ctx context.Context, o Options) (SeedStats, error) {
	start := time.Now()
	var st SeedStats
	stamp := fmt.Sprintf("v%s n=%d batch=%d", seedVersion, o.Cases, o.Batch)
	if err := prepareDatabase(ctx, o, stamp); err != nil {
		return st, err
	}
	dsn, err := o.DSN()
	if err != nil {
		return st, err
	}
	// Client-side interpolation: one round trip per multi-row INSERT and
	// no limit of 65 535 placeholders, whatever the DSN says.
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return st, err
	}
	cfg.InterpolateParams = true
	db, err := store.OpenDatabase(cfg.FormatDSN(), "", testenv.Quiet())
	if err != nil {
		return st, err
	}
	defer store.CloseDatabase(db)
	if err := db.Exec("CREATE TABLE IF NOT EXISTS bench_million_seed (stamp VARCHAR(64) NOT NULL PRIMARY KEY, done_at DATETIME NULL)").Error; err != nil {
		return st, err
	}
	if err := db.Exec("INSERT IGNORE INTO bench_million_seed (stamp) VALUES (?)", stamp).Error; err != nil {
		return st, err
	}

	dir, err := Directory(o)
	if err != nil {
		return st, err
	}
	cal, err := Calendar()
	if err != nil {
		return st, err
	}
	svc := casework.New(db, clock.NewFrozen(Snapshot), cal, casework.Options{}, testenv.Quiet())
	if err := svc.SyncDirectory(ctx, dir); err != nil {
		return st, err
	}
	gen, err := generatorFor(cal, o.Cases, dir)
	if err != nil {
		return st, err
	}

	// Which batches are there? A batch is one transaction: whole or absent.
	batches := (o.Cases + o.Batch - 1) / o.Batch
	have := map[int]int{}
	rows, err := db.Raw("SELECT (id - 1) DIV ? AS b, COUNT(*) FROM cases GROUP BY b", o.Batch).Rows()
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var b, n int
		if err := rows.Scan(&b, &n); err != nil {
			rows.Close()
			return st, err
		}
		have[b] = n
	}
	rows.Close()
	var todo []int
	for b := range batches {
		want := min(o.Batch, o.Cases-b*o.Batch)
		if have[b] != want {
			todo = append(todo, b)
		}
	}
	for b := range have {
		if b >= batches {
			return st, fmt.Errorf("million: database %s holds cases past %d: drop it", o.Database, o.Cases)
		}
	}
	if len(todo) > 0 {
		o.logf("seeding %s: %d of %d batches of %d cases to insert (%d workers)", o.Database, len(todo), batches, o.Batch, o.Workers)
		if err := insertBatches(ctx, o, db, gen, todo); err != nil {
			return st, err
		}
		st.Inserted = 0
		for _, b := range todo {
			st.Inserted += min(o.Batch, o.Cases-b*o.Batch)
		}
		if err := writeCounters(db, gen); err != nil {
			return st, err
		}
		o.logf("analyzing tables")
		for _, t := range []string{"cases", "work_orders", "ratings", "follow_ups"} {
			if err := db.Exec("ANALYZE TABLE " + t).Error; err != nil {
				return st, err
			}
		}
	}
	if err := db.Exec("UPDATE bench_million_seed SET done_at = COALESCE(done_at, UTC_TIMESTAMP())").Error; err != nil {
		return st, err
	}
	st.Took = time.Since(start)
	st.Tables, err = TableSizes(db, o.Database)
	return st, err
}

// prepareDatabase creates the database, or drops one seeded with another
// stamp.
func prepareDatabase(ctx context.Context, o Options, stamp string) error {
	cfg, err := mysqldrv.ParseDSN(o.ServerDSN)
	if err != nil {
		return fmt.Errorf("million: %q is not a MySQL DSN: %w", o.ServerDSN, err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return fmt.Errorf("million: MariaDB at %s: %w", cfg.Addr, err)
	}
	q := "`" + strings.ReplaceAll(o.Database, "`", "``") + "`"
	var have string
	err = admin.QueryRowContext(ctx, "SELECT stamp FROM "+q+".bench_million_seed LIMIT 1").Scan(&have)
	var me *mysqldrv.MySQLError
	switch {
	case err == nil && have != stamp:
		o.logf("database %s was seeded as %q, want %q: dropping it", o.Database, have, stamp)
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+q); err != nil {
			return err
		}
	case err == nil, errors.Is(err, sql.ErrNoRows):
	case errors.As(err, &me) && (me.Number == 1049 || me.Number == 1146): // no database, no table
	default:
		return err
	}
	_, err = admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+q+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	return err
}

func generatorFor(cal *workday.Calendar, n int, dir casework.Directory) (*generator, error) {
	staffByDept := map[string][]string{}
	var owners []string
	for _, s := range dir.Staff {
		switch s.Role {
		case models.RoleWindowStaff, models.RoleWindowHead:
			staffByDept[s.DepartmentCode] = append(staffByDept[s.DepartmentCode], s.ID)
		case models.RoleSpecialist:
			owners = append(owners, s.ID)
		}
	}
	if len(dir.Departments) == 0 || len(owners) == 0 {
		return nil, errors.New("million: the config names no department or no specialist")
	}
	return newGenerator(cal, n, dir.Departments, staffByDept, owners), nil
}

func insertBatches(ctx context.Context, o Options, db *gorm.DB, gen *generator, todo []int) error {
	work := make(chan int)
	errc := make(chan error, o.Workers)
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := insertBatch(ctx, db, gen, b*o.Batch, min((b+1)*o.Batch, o.Cases)); err != nil {
					errc <- fmt.Errorf("million: batch %d: %w", b, err)
					return
				}
				n := done.Add(1)
				if n%50 == 0 || int(n) == len(todo) {
					el := time.Since(start)
					o.logf("  %d/%d batches, %.0f cases/s, %s", n, len(todo), float64(n)*float64(o.Batch)/el.Seconds(), el.Round(time.Second))
				}
			}
		}()
	}
	var err error
feed:
	for _, b := range todo {
		select {
		case work <- b:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return err
}

// insertBatch inserts cases [from, to) and their rows in one transaction.
func insertBatch(ctx context.Context, db *gorm.DB, gen *generator, from, to int) error {
	var cases []models.Case
	var orders []models.WorkOrder
	var ratings []models.Rating
	var follows []models.FollowUp
	for i := from; i < to; i++ {
		s := gen.gen(i)
		cases = append(cases, s.c)
		orders = append(orders, s.orders...)
		ratings = append(ratings, s.ratings...)
		follows = append(follows, s.follows...)
	}
	return db.WithContext(ctx).Session(&gorm.Session{SkipDefaultTransaction: true}).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(cases, 500).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(orders, 500).Error; err != nil {
			return err
		}
		if len(ratings) > 0 {
			if err := tx.CreateInBatches(ratings, 1000).Error; err != nil {
				return err
			}
		}
		if len(follows) > 0 {
			if err := tx.CreateInBatches(follows, 1000).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// writeCounters sets each day's case counter to its last number, as
// registering the cases one by one would have.
func writeCounters(db *gorm.DB, gen *generator) error {
	var counters []models.CaseCounter
	for d := range gen.days {
		if count := gen.first(d+1) - gen.first(d); count > 0 {
			counters = append(counters, models.CaseCounter{Day: gen.days[d].Format("20060102"), Last: count})
		}
	}
	return db.Clauses(clause.OnConflict{UpdateAll: true}).CreateInBatches(counters, 500).Error
}

// TableSizes counts the rows of the seeded tables and reads their InnoDB
// sizes.
func TableSizes(db *gorm.DB, database string) ([]TableSize, error) {
	var out []TableSize
	for _, t := range []string{"cases", "work_orders", "ratings", "follow_ups"} {
		ts := TableSize{Name: t}
		if err := db.Raw("SELECT COUNT(*) FROM " + t).Scan(&ts.Rows).Error; err != nil {
			return nil, err
		}
		row := db.Raw("SELECT data_length, index_length FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", database, t).Row()
		if err := row.Scan(&ts.Data, &ts.Indexes); err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}

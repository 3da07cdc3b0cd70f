package million

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Trace records the SQL statements a piece of code runs, with their values
// in place, so each one can be timed and EXPLAINed on its own.
type Trace struct {
	mu   sync.Mutex
	SQL  []string
	seen map[string]bool
}

// TraceSQL opens a second connection to the seeded database whose
// statements land in the returned Trace (callbacks are per connection, so
// the measured one stays untouched).
func TraceSQL(o Options) (*gorm.DB, *Trace, error) {
	db, err := Open(o)
	if err != nil {
		return nil, nil, err
	}
	t := &Trace{seen: map[string]bool{}}
	record := func(tx *gorm.DB) {
		s := tx.Dialector.Explain(tx.Statement.SQL.String(), tx.Statement.Vars...)
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.seen[s] {
			t.seen[s] = true
			t.SQL = append(t.SQL, s)
		}
	}
	cb := db.Callback()
	for _, reg := range []error{
		cb.Query().After("gorm:query").Register("million:trace", record),
		cb.Row().After("gorm:row").Register("million:trace", record),
		cb.Raw().After("gorm:raw").Register("million:trace", record),
	} {
		if reg != nil {
			return nil, nil, reg
		}
	}
	return db, t, nil
}

// StatementProfile is one statement run alone: its time until the last
// row was read, its rows and its plan.
type StatementProfile struct {
	SQL     string
	Took    time.Duration
	Rows    int
	Explain []string
}

func (p StatementProfile) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%8.3f s %7d rows  %s\n", p.Took.Seconds(), p.Rows, p.SQL)
	for _, e := range p.Explain {
		b.WriteString("             EXPLAIN ")
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// Profile runs each statement, reading every row, and EXPLAINs it.
func Profile(ctx context.Context, db *gorm.DB, stmts []string) ([]StatementProfile, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	var out []StatementProfile
	for _, s := range stmts {
		p := StatementProfile{SQL: s}
		start := time.Now()
		n, err := drain(ctx, sqlDB, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		p.Took, p.Rows = time.Since(start), n
		if p.Explain, err = explain(ctx, sqlDB, s); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func drain(ctx context.Context, db *sql.DB, query string) (int, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// explain is EXPLAIN's rows as "table type key rows Extra".
func explain(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN "+query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var parts []string
		for i, c := range cols {
			switch c {
			case "table", "type", "key", "rows", "Extra":
				parts = append(parts, c+"="+vals[i].String)
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out, rows.Err()
}

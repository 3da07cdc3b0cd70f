package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"bbcs/store"
)

// Only an answer about what the statement writes is a refusal (the outbox
// splits a batch into rows and records a refused row reduced); anything
// that may pass with time — MariaDB read-only or out of connections,
// TiDB's TiKV or region unavailable (9002, 9005) or an internal error
// (1105), a lost connection — is tried again whole within the lease, so
// no row is given up and sent twice for an outage.
func TestOnlyARowsOwnFaultIsARefusal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1644, Message: "refused by trigger"}, true},
		{&mysql.MySQLError{Number: 1406, Message: "Data too long"}, true},
		{fmt.Errorf("outbox: %w", &mysql.MySQLError{Number: 1366}), true},
		{&mysql.MySQLError{Number: 1290}, false}, // --read-only
		{&mysql.MySQLError{Number: 1040}, false}, // too many connections
		{&mysql.MySQLError{Number: 1205}, false}, // lock wait timeout
		{&mysql.MySQLError{Number: 9002}, false}, // TiKV server timeout
		{&mysql.MySQLError{Number: 9005}, false}, // region unavailable
		{&mysql.MySQLError{Number: 1105}, false}, // TiDB's unknown error
		{mysql.ErrInvalidConn, false},
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp 127.0.0.1:3306: connect: connection refused"), false},
		{nil, false},
	} {
		if got := store.Refused(c.err); got != c.want {
			t.Errorf("Refused(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// liteErr stands for an SQLite error: the driver's carries its result
// code, extended codes included (SQLITE_BUSY_SNAPSHOT is 517).
type liteErr int

func (e liteErr) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e liteErr) Code() int     { return int(e) }

// Retryable reads SQLite's busy and locked codes as MySQL's deadlock and
// lock wait, whatever the message says; a refusal is not retried.
func TestRetryableIsALostRace(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1213}, true},
		{fmt.Errorf("casework: %w", &mysql.MySQLError{Number: 1205}), true},
		{&mysql.MySQLError{Number: 1062}, false},
		{liteErr(5), true},   // SQLITE_BUSY
		{liteErr(517), true}, // SQLITE_BUSY_SNAPSHOT
		{liteErr(6), true},   // SQLITE_LOCKED
		{liteErr(19), false}, // SQLITE_CONSTRAINT
		{errors.New("connection reset"), false},
		{nil, false},
	} {
		if got := store.Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// The code is read from the drivers' own errors: a real SQLite constraint
// (an extended code, SQLITE_CONSTRAINT_PRIMARYKEY) is its primary code 19
// and a refusal.
func TestErrorCodeOfTheDriversErrors(t *testing.T) {
	if got := store.ErrorCode(fmt.Errorf("x: %w", &mysql.MySQLError{Number: 1644})); got != "1644" {
		t.Errorf("ErrorCode(MySQL 1644) = %q", got)
	}
	if got := store.ErrorCode(errors.New("broken pipe")); got != "" {
		t.Errorf("ErrorCode(broken pipe) = %q, want none", got)
	}
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "t.db")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	db.Exec("INSERT INTO t (id) VALUES (1)")
	err = db.Exec("INSERT INTO t (id) VALUES (1)").Error
	if got := store.ErrorCode(err); got != "sqlite 19" || !store.Refused(err) {
		t.Errorf("a duplicate key on SQLite: ErrorCode %q, Refused %v (%v); want sqlite 19, refused", got, store.Refused(err), err)
	}
}

// Package store opens bbcs's two stores: the database (MySQL in
// production, an SQLite file by default) and Redis (a server, or an
// in-process one by default).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"bbcs/models"
)

// OpenDatabase connects to MySQL when dsn is set, else to the SQLite file
// at sqlitePath, and migrates the schema.
func OpenDatabase(dsn, sqlitePath string, log *slog.Logger) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		Logger: logger.Discard, // SQL carries personal data: never log it
		// A single statement is atomic by itself; use cases that need more
		// open their own transaction. Saves a BEGIN and a COMMIT round
		// trip on every lone write (the outbox's claims and outcomes).
		SkipDefaultTransaction: true,
		NowFunc: func() time.Time {
			// GORM fills CreatedAt/UpdatedAt itself; those are bookkeeping
			// only. Every time the workflow reads comes from our Clock.
			return time.Now().UTC()
		},
	}
	var db *gorm.DB
	var err error
	if dsn != "" {
		dsn, err = normaliseMySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		var rc bool
		if dsn, rc, err = readCommittedSessions(dsn); err != nil {
			return nil, err
		}
		db, err = gorm.Open(mysql.Open(dsn), gcfg)
		if err != nil {
			return nil, fmt.Errorf("store: open MySQL: %w", err)
		}
		sqlDB, _ := db.DB()
		if rc {
			tuned.Store(sqlDB, true)
		}
		sqlDB.SetMaxOpenConns(50)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
		log.Info("database: MySQL", "addr", mysqlAddr(dsn))
	} else {
		if sqlitePath == "" {
			sqlitePath = "bbcs.db"
		}
		// WAL and a busy timeout let readers and the one writer share the
		// file; one connection serialises writers so no use case ever
		// meets "database is locked".
		db, err = gorm.Open(sqlite.Open(sqlitePath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"), gcfg)
		if err != nil {
			return nil, fmt.Errorf("store: open SQLite %s: %w", sqlitePath, err)
		}
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		log.Info("database: embedded SQLite", "path", sqlitePath)
	}
	if err := Migrate(db); err != nil {
		return nil, err
	}
	return db, nil
}

// Migrate creates or extends the schema. Changes are additive only.
func Migrate(db *gorm.DB) error {
	m := db
	if db.Dialector.Name() == "mysql" {
		// Set returns a statement-bound handle: use it for the migration
		// only, never keep it as the shared *gorm.DB.
		m = db.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
	}
	if err := m.AutoMigrate(models.All()...); err != nil {
		return fmt.Errorf("store: migrate schema: %w", err)
	}
	return nil
}

// normaliseMySQLDSN makes times round-trip: parseTime with UTC, utf8mb4.
func normaliseMySQLDSN(dsn string) (string, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store: database.dsn is not a MySQL DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["charset"]; !ok {
		cfg.Params["charset"] = "utf8mb4"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	// One round trip per statement instead of prepare-then-execute: a
	// third of a citizen's database round trips (bench/load). Safe with
	// utf8mb4; the driver escapes as the server's mode requires.
	if !strings.Contains(dsn, "interpolateParams=") {
		cfg.InterpolateParams = true
	}
	return cfg.FormatDSN(), nil
}

// tuned holds the *sql.DB pools OpenDatabase made on MySQL: their sessions
// run at READ COMMITTED and take several statements in one round trip.
var tuned sync.Map

// Tuned reports whether db's connections are OpenDatabase's MySQL ones:
// each session runs at READ COMMITTED already (a transaction that wants it
// need not say so, which costs a round trip of its own: SET TRANSACTION
// before START TRANSACTION), and an Exec may carry several statements
// separated by semicolons (multiStatements, the parameters interpolated by
// the driver), one round trip for the lot.
func Tuned(db *gorm.DB) bool {
	sqlDB, err := db.DB()
	if err != nil {
		return false
	}
	_, ok := tuned.Load(sqlDB)
	return ok
}

// readCommittedSessions makes every session of dsn start at READ
// COMMITTED, the isolation every transaction of bbcs runs at (see
// casework's txOptions), and allows several statements in one Exec. The
// session variable is transaction_isolation on MySQL 8 and MariaDB 11.1+,
// tx_isolation before: one query asks which this server knows. rc is
// false when the DSN sets that variable itself.
func readCommittedSessions(dsn string) (_ string, rc bool, _ error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", false, fmt.Errorf("store: database.dsn is not a MySQL DSN: %w", err)
	}
	probe, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", false, fmt.Errorf("store: open MySQL: %w", err)
	}
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name := "transaction_isolation"
	var level string
	if err := probe.QueryRowContext(ctx, "SELECT @@transaction_isolation").Scan(&level); err != nil {
		var me *mysqldrv.MySQLError
		if !errors.As(err, &me) {
			return "", false, fmt.Errorf("store: reach MySQL at %s: %w", cfg.Addr, err)
		}
		name = "tx_isolation" // MariaDB before 11.1
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, set := cfg.Params[name]; !set {
		cfg.Params[name], rc = "'READ-COMMITTED'", true
	}
	cfg.MultiStatements = true
	return cfg.FormatDSN(), rc, nil
}

// CloseDatabase closes db's connections.
func CloseDatabase(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		tuned.Delete(sqlDB)
		sqlDB.Close()
	}
}

func mysqlAddr(dsn string) string {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "?"
	}
	return cfg.Addr + "/" + cfg.DBName
}

// Redis is a connected client and, for the embedded default, the
// in-process server behind it.
type Redis struct {
	*redis.Client
	embedded *miniredis.Miniredis
	stop     chan struct{}
}

// OpenRedis connects to addr, or starts an in-process Redis when addr is
// empty. The in-process one only expires keys when told, so a ticker moves
// its clock along with the wall clock.
func OpenRedis(ctx context.Context, addr, password string, db int, log *slog.Logger) (*Redis, error) {
	r := &Redis{}
	if addr == "" {
		m, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("store: start in-process Redis: %w", err)
		}
		r.embedded, r.stop = m, make(chan struct{})
		go r.tick()
		addr = m.Addr()
		log.Info("redis: in-process", "addr", addr)
	} else {
		log.Info("redis: server", "addr", addr, "db", db)
	}
	// go-redis's default pool (10 per core) made requests queue for a
	// connection under load (bench/load's block profile). RESP2: bbcs
	// subscribes to nothing, and under RESP3 go-redis looks for push
	// notifications before every reply it reads (2 % of bbcs's CPU per
	// service-account message in bench/load's closed loop).
	r.Client = redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: db, PoolSize: 100, Protocol: 2})
	if err := r.Ping(ctx).Err(); err != nil {
		r.Close()
		return nil, fmt.Errorf("store: reach Redis at %s: %w", addr, err)
	}
	return r, nil
}

func (r *Redis) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.embedded.FastForward(time.Second)
		}
	}
}

// Close closes the client and stops the in-process server.
func (r *Redis) Close() error {
	var err error
	if r.Client != nil {
		err = r.Client.Close()
	}
	if r.embedded != nil {
		close(r.stop)
		r.embedded.Close()
	}
	return err
}

// Retryable reports a transaction that lost a race and may simply run
// again: a MySQL deadlock or lock wait timeout, or a busy or locked SQLite
// file (read from SQLite's result code, not its message text).
func Retryable(err error) bool {
	switch ErrorCode(err) {
	case "1213", "1205", "sqlite 5", "sqlite 6": // deadlock, lock wait; SQLITE_BUSY, SQLITE_LOCKED
		return true
	case "":
		// A busy SQLite file reported as text, without the driver's error
		// type (as it was matched before ErrorCode): still a race lost.
		return err != nil && (strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY"))
	}
	return false
}

// Refused reports whether err is the database's answer to the statement:
// it was reached and declined this statement (a value it cannot take, a
// trigger's SIGNAL, a constraint). Not a connection refused or broken, a
// timeout or a cancelled context, nor an answer that says the database
// declines everything for now (shutting down, read-only, a lock wait, out
// of connections or disk): those may pass with time, so a caller tries
// the statement again rather than giving up on what it writes.
func Refused(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	return refusals[ErrorCode(err)]
}

// refusals are the codes (see ErrorCode) that refuse a statement for what
// it writes into a row. Every other MySQL/MariaDB error (TiDB answers with
// the same numbers) — the server down, read-only, out of connections, a
// lock wait, TiDB's region or TiKV unavailable (9001–9007, 1105) — and
// every other SQLite code (busy, locked, I/O, full, read-only …) may pass
// with time, so it is not taken for a refusal.
var refusals = map[string]bool{
	"1048": true, // a column cannot be null
	"1062": true, // duplicate entry
	"1264": true, // out of range
	"1265": true, // data truncated
	"1292": true, // incorrect value
	"1366": true, // incorrect string value (not UTF-8)
	"1406": true, // data too long
	"1452": true, // a foreign key fails
	"1644": true, // SIGNAL (a trigger refusing the row)
	"1690": true, // value out of range
	"3819": true, // a check constraint

	"sqlite 1":  true, // SQLITE_ERROR: the statement is wrong
	"sqlite 18": true, // SQLITE_TOOBIG
	"sqlite 19": true, // SQLITE_CONSTRAINT, a trigger's RAISE among them
	"sqlite 20": true, // SQLITE_MISMATCH
	"sqlite 25": true, // SQLITE_RANGE
}

// ErrorCode is the database's own code in err: the MySQL/MariaDB error
// number ("1644"), or "sqlite" and SQLite's primary result code ("sqlite
// 19", an extended code reduced to it); "" when err carries neither (a
// lost connection, a timeout, nil). One place reads the drivers' errors,
// for Retryable, Refused and notes that name the code. SQLite's errors
// (glebarez/go-sqlite's, a modernc fork) are asked for their code by
// method, as the driver's error type is not otherwise needed here.
func ErrorCode(err error) string {
	var my *mysqldrv.MySQLError
	if errors.As(err, &my) {
		return strconv.Itoa(int(my.Number))
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return "sqlite " + strconv.Itoa(lite.Code()&0xff)
	}
	return ""
}

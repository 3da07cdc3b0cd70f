// Package testenv gives tests the real services of this machine: a fresh
// MariaDB/MySQL database per test and a Redis key space per test. When a
// service cannot be reached the test fails with a message saying how to
// start it; it never skips.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"bbcs/store"
)

// MySQLServerDSN is the server the tests use, without a database name:
// BBCS_TEST_MYSQL, or root on 127.0.0.1:3306.
func MySQLServerDSN() string {
	if v := os.Getenv("BBCS_TEST_MYSQL"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// RedisAddr is the Redis the tests use: BBCS_TEST_REDIS, or 127.0.0.1:6379.
func RedisAddr() string {
	if v := os.Getenv("BBCS_TEST_REDIS"); v != "" {
		return v
	}
	return "127.0.0.1:6379"
}

// Quiet is a logger that drops everything, for tests that do not read logs.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// MySQLDSN creates a database of its own for this test, drops it when the
// test ends, and returns its DSN.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	dsn, drop, err := CreateDatabase(MySQLServerDSN(), "bbcs_t_"+sanitize(t.Name())+"_"+RandomHex(4))
	if err != nil {
		t.Fatalf("testenv: %v. The tests need MariaDB/MySQL (BBCS_TEST_MYSQL): run ./scripts/test, which starts it, or start it with 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'", err)
	}
	t.Cleanup(drop)
	return dsn
}

// CreateDatabase creates the database name on the server of serverDSN (a
// DSN without a database name), dropping any of that name first. It
// returns the new database's DSN and a function that drops it.
func CreateDatabase(serverDSN, name string) (dsn string, drop func(), err error) {
	cfg, err := mysqldrv.ParseDSN(serverDSN)
	if err != nil {
		return "", nil, fmt.Errorf("%q is not a MySQL DSN: %w", serverDSN, err)
	}
	cfg.DBName = ""
	cfg.Timeout = 5 * time.Second
	server := cfg.FormatDSN()
	admin, err := sql.Open("mysql", server)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return "", nil, fmt.Errorf("MariaDB/MySQL is not reachable at %s: %w", cfg.Addr, err)
	}
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS `" + name + "`",
		"CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return "", nil, fmt.Errorf("database %s: %w", name, err)
		}
	}
	drop = func() {
		admin, err := sql.Open("mysql", server)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	}
	cfg.DBName = name
	return cfg.FormatDSN(), drop, nil
}

// MySQL opens a migrated, empty database of this test's own.
func MySQL(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := store.OpenDatabase(MySQLDSN(t), "", Quiet())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { store.CloseDatabase(db) })
	return db
}

// Redis returns a client of the test Redis and a key prefix of this test's
// own; keys under the prefix are deleted when the test ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("testenv: Redis is not reachable at %s (%v). The tests need it: run ./scripts/test, which starts it, or start it with 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no'", RedisAddr(), err)
	}
	prefix := "bbcs-test:" + sanitize(t.Name()) + ":" + RandomHex(4)
	t.Cleanup(func() {
		DeleteKeys(context.Background(), c, prefix+"*")
		c.Close()
	})
	return c, prefix
}

// DeleteKeys removes the keys that match the pattern match (a test's or a
// benchmark's prefix and "*"), 500 at a time.
func DeleteKeys(ctx context.Context, c *redis.Client, match string) {
	iter := c.Scan(ctx, 0, match, 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			c.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		c.Unlink(ctx, batch...)
	}
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}

// RandomHex is n random bytes in hex: names and secrets of a run's own.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("testenv: random: %v", err))
	}
	return hex.EncodeToString(b)
}

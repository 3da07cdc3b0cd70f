// Package timers is bbcs's Redis timer engine: reminders, overdue
// escalations and every other deadline fire through it.
//
// The database stays the truth; Redis is only an index of deadlines, and a
// reconciliation pass (ScheduleMany from the database's open deadlines) can
// rebuild it at any time. Three keys under one hash tag hold the index, so a
// Redis Cluster keeps them on one slot:
//
//	PREFIX:{timers}:due    ZSET  id → when to fire next (unix ms)
//	PREFIX:{timers}:lease  ZSET  id → when its claim runs out (unix ms)
//	PREFIX:{timers}:at     HASH  id → its scheduled due time (unix ms)
//
// A timer is in exactly one of the two sets, and the hash remembers its due
// time while it is leased or waiting for a retry. Each operation is one Lua
// script, written next to the function that runs it, so every atomic step
// reads in one place.
//
// Time is bbcs's one clock.Clock: the scripts are told "now" by the caller
// (never Redis TIME), so the test clock (POST /debug/clock) drives firing.
//
// Delivery: Claim hands a due timer to one caller only and leases it for
// Options.Lease; Ack removes it. A timer fires at most once per (id, due)
// while its lease holds, but a process that dies or hangs mid-fire hands it
// back when the lease runs out and another process fires it again. Handlers
// must therefore be idempotent: bbcs's handlers re-read the database and do
// nothing when the work order was answered (or the deadline moved) meanwhile.
package timers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/clock"
)

// Options tune an Engine; zero values take the defaults.
type Options struct {
	// Lease is how long a claimed timer is held before another process may
	// take it back (default 30s). A handler gets this long to finish.
	Lease time.Duration
	// Batch is the most timers one Claim takes (default 1000).
	Batch int
	// Poll is how long Run sleeps when nothing was due (default 200ms);
	// Kick wakes it earlier.
	Poll time.Duration
	// Workers is how many handlers Run runs at once (default 8).
	Workers int
}

// Defaults of Options.
const (
	DefaultLease   = 30 * time.Second
	DefaultBatch   = 1000
	DefaultPoll    = 200 * time.Millisecond
	DefaultWorkers = 8
)

// Engine schedules, claims and fires timers kept in Redis. It is safe for
// concurrent use, and several processes may run engines on the same keys.
type Engine struct {
	rdb   *redis.Client
	keys  []string // due, lease, at
	clock clock.Clock
	opts  Options
	log   *slog.Logger
	kick  chan struct{}

	mu    sync.Mutex
	fails map[string]failure // failed firings, for Run's backoff
}

// New returns an Engine on the keys under prefix. The prefix must not
// contain '{' (the keys carry their own hash tag). A nil log discards.
func New(rdb *redis.Client, prefix string, clk clock.Clock, opts Options, log *slog.Logger) *Engine {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		rdb:   rdb,
		keys:  []string{prefix + ":{timers}:due", prefix + ":{timers}:lease", prefix + ":{timers}:at"},
		clock: clk,
		opts:  opts,
		log:   log,
		kick:  make(chan struct{}, 1),
		fails: map[string]failure{},
	}
}

// Keys returns the engine's Redis keys: due, lease, at.
func (e *Engine) Keys() (due, lease, at string) { return e.keys[0], e.keys[1], e.keys[2] }

// ms is t as the timers keep it: whole milliseconds, rounded up, so that
// no timer fires before its time, and one set again while firing, for a
// time just after its due time, is never taken for unchanged.
func ms(t time.Time) string {
	n := t.UnixMilli()
	if t.After(time.UnixMilli(n)) {
		n++
	}
	return strconv.FormatInt(n, 10)
}

func parseMs(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A score Redis formatted as a float ("1.7e+12") still parses.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return time.Time{}, fmt.Errorf("timers: bad time %q", s)
		}
		n = int64(f)
	}
	return time.UnixMilli(n), nil
}

// scheduleCmd sets timers' due times. ARGV holds id, due pairs. A timer
// that is already scheduled or leased for the same due time is left alone,
// so a reconciliation pass neither fires a timer twice nor undoes a retry's
// backoff; a new due time replaces the old one and drops a stale lease.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at; returns how many changed.
var scheduleCmd = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
	local id, due = ARGV[i], ARGV[i+1]
	if redis.call("HGET", KEYS[3], id) == due and
		(redis.call("ZSCORE", KEYS[1], id) or redis.call("ZSCORE", KEYS[2], id)) then
		-- unchanged
	else
		redis.call("ZREM", KEYS[2], id)
		redis.call("ZADD", KEYS[1], due, id)
		redis.call("HSET", KEYS[3], id, due)
		n = n + 1
	end
end
return n`)

// Schedule makes timer id due at at. It is idempotent by id: scheduling
// the same due time again changes nothing (even while the timer is being
// fired), and a different due time moves the timer, dropping a lease held
// on the old one so the old firing's Ack leaves the new schedule in place.
func (e *Engine) Schedule(ctx context.Context, id string, at time.Time) error {
	if id == "" {
		return errors.New("timers: schedule: empty id")
	}
	if err := scheduleCmd.Run(ctx, e.rdb, e.keys, id, ms(at)).Err(); err != nil {
		return fmt.Errorf("timers: schedule %q: %w", id, err)
	}
	return nil
}

// scheduleChunk is how many timers one scheduleCmd call carries, and
// pipelineChunks how many calls go to Redis in one round trip.
const (
	scheduleChunk  = 500
	pipelineChunks = 16
)

// ScheduleMany schedules many timers as Schedule does, batched and
// pipelined: for reconciliation, which restores every open deadline from
// the database (after a FLUSHALL too), and for bulk loads. Each timer is
// set atomically; the set as a whole is not.
func (e *Engine) ScheduleMany(ctx context.Context, timers map[string]time.Time) error {
	args := make([][]any, 0, len(timers)/scheduleChunk+1)
	var cur []any
	for id, at := range timers {
		if id == "" {
			return errors.New("timers: schedule: empty id")
		}
		cur = append(cur, id, ms(at))
		if len(cur) == 2*scheduleChunk {
			args, cur = append(args, cur), nil
		}
	}
	if len(cur) > 0 {
		args = append(args, cur)
	}
	for len(args) > 0 {
		n := min(len(args), pipelineChunks)
		if err := e.evalMany(ctx, scheduleCmd, args[:n]); err != nil {
			return fmt.Errorf("timers: schedule %d timers: %w", len(timers), err)
		}
		args = args[n:]
	}
	return nil
}

// evalMany runs script once per argument list in one pipeline. Every
// script it is used with is safe to run twice, so when Redis has lost its
// script cache the whole pipeline is simply sent again after SCRIPT LOAD.
func (e *Engine) evalMany(ctx context.Context, script *redis.Script, args [][]any) error {
	send := func() ([]redis.Cmder, error) {
		return e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, a := range args {
				script.EvalSha(ctx, p, e.keys, a...)
			}
			return nil
		})
	}
	cmds, err := send()
	if isNoScript(cmds) {
		if err := script.Load(ctx, e.rdb).Err(); err != nil {
			return err
		}
		_, err = send()
	}
	return err
}

func isNoScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT")) {
			return true
		}
	}
	return false
}

// cancelCmd removes timers wherever they are. ARGV holds ids.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at; returns how many were known.
var cancelCmd = redis.NewScript(`
redis.call("ZREM", KEYS[1], unpack(ARGV))
redis.call("ZREM", KEYS[2], unpack(ARGV))
return redis.call("HDEL", KEYS[3], unpack(ARGV))`)

// cancelChunk bounds the ids of one cancelCmd call (Lua's unpack limit).
const cancelChunk = 1000

// Cancel removes the timers ids, scheduled or leased; unknown ids are
// ignored. A handler already running for one of them still finishes, and
// its Ack or Retry then changes nothing.
func (e *Engine) Cancel(ctx context.Context, ids ...string) error {
	var args [][]any
	for len(ids) > 0 {
		n := min(len(ids), cancelChunk)
		a := make([]any, n)
		for i, id := range ids[:n] {
			a[i] = id
		}
		args, ids = append(args, a), ids[n:]
	}
	for len(args) > 0 {
		n := min(len(args), pipelineChunks)
		if err := e.evalMany(ctx, cancelCmd, args[:n]); err != nil {
			return fmt.Errorf("timers: cancel: %w", err)
		}
		args = args[n:]
	}
	return nil
}

// CancelPrefix removes every timer whose id starts with prefix, e.g. all
// the timers of one work order ("wo:GD20260310-001:"). It walks the sets
// with ZSCAN MATCH, so it never blocks Redis on a large index.
func (e *Engine) CancelPrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return errors.New("timers: cancel prefix: empty prefix")
	}
	pattern := globEscape(prefix) + "*"
	var ids []string
	for _, key := range e.keys[:2] {
		err := e.zscan(ctx, key, pattern, func(members []string, _ []float64) error {
			ids = append(ids, members...)
			return nil
		})
		if err != nil {
			return fmt.Errorf("timers: cancel prefix %q: %w", prefix, err)
		}
	}
	return e.Cancel(ctx, ids...)
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// zscan walks a sorted set, calling fn once per page.
func (e *Engine) zscan(ctx context.Context, key, pattern string, fn func(members []string, scores []float64) error) error {
	var cursor uint64
	for {
		page, next, err := e.rdb.ZScan(ctx, key, cursor, pattern, 1000).Result()
		if err != nil {
			return err
		}
		members := make([]string, 0, len(page)/2)
		scores := make([]float64, 0, len(page)/2)
		for i := 0; i+1 < len(page); i += 2 {
			s, err := strconv.ParseFloat(page[i+1], 64)
			if err != nil {
				return fmt.Errorf("bad score %q of %q", page[i+1], page[i])
			}
			members, scores = append(members, page[i]), append(scores, s)
		}
		if len(members) > 0 {
			if err := fn(members, scores); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// getCmd returns a timer's due time if it is scheduled or leased.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at; ARGV[1] id.
var getCmd = redis.NewScript(`
local due = redis.call("HGET", KEYS[3], ARGV[1])
if due and (redis.call("ZSCORE", KEYS[1], ARGV[1]) or redis.call("ZSCORE", KEYS[2], ARGV[1])) then
	return due
end
return false`)

// Get returns the due time of timer id and whether it is scheduled (or
// leased: being fired, or waiting for a retry).
func (e *Engine) Get(ctx context.Context, id string) (time.Time, bool, error) {
	s, err := getCmd.Run(ctx, e.rdb, e.keys, id).Text()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("timers: get %q: %w", id, err)
	}
	t, err := parseMs(s)
	if err != nil {
		return time.Time{}, false, err
	}
	return t, true, nil
}

// List returns every timer that is scheduled or leased with its due time,
// for reconciliation. It walks the index with ZSCAN, never KEYS, so a
// timer that is claimed or acked while List runs may or may not appear.
func (e *Engine) List(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for i, key := range e.keys[:2] {
		leased := i == 1
		err := e.zscan(ctx, key, "", func(members []string, scores []float64) error {
			dues, err := e.rdb.HMGet(ctx, e.keys[2], members...).Result()
			if err != nil {
				return err
			}
			for j, id := range members {
				if s, ok := dues[j].(string); ok {
					t, err := parseMs(s)
					if err != nil {
						return err
					}
					out[id] = t
				} else if !leased {
					// No hash entry: the score is all we know.
					out[id] = time.UnixMilli(int64(scores[j]))
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("timers: list: %w", err)
		}
	}
	return out, nil
}

// Claimed is a timer handed to one caller by Claim.
type Claimed struct {
	ID  string
	Due time.Time // the scheduled due time (not the time of a retry)
}

// claimCmd first hands back leases that ran out (their holder died or
// hung): each goes back to due at its own due time from the hash. Then it
// takes up to ARGV[3] timers due by ARGV[1] (now), earliest first, and
// leases them until ARGV[2]. It returns id, due pairs.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at.
var claimCmd = redis.NewScript(`
local now, batch = ARGV[1], tonumber(ARGV[3])
local expired = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now, "LIMIT", 0, batch)
for _, id in ipairs(expired) do
	redis.call("ZREM", KEYS[2], id)
	local due = redis.call("HGET", KEYS[3], id)
	if due then
		redis.call("ZADD", KEYS[1], due, id)
	end
end
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "WITHSCORES", "LIMIT", 0, batch)
local out = {}
for i = 1, #due, 2 do
	local id = due[i]
	redis.call("ZREM", KEYS[1], id)
	redis.call("ZADD", KEYS[2], ARGV[2], id)
	out[#out+1] = id
	out[#out+1] = redis.call("HGET", KEYS[3], id) or due[i+1]
end
return out`)

// Claim takes up to Options.Batch timers that are due by the engine's
// clock, earliest first, and leases them for Options.Lease: no other Claim
// returns them until the lease runs out. Leases that ran out are handed
// back first, in the same atomic step. The caller fires each timer and then
// calls Ack (or Retry).
func (e *Engine) Claim(ctx context.Context) ([]Claimed, error) {
	now := e.clock.Now()
	res, err := claimCmd.Run(ctx, e.rdb, e.keys, now.UnixMilli(), now.Add(e.opts.Lease).UnixMilli(), e.opts.Batch).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("timers: claim: %w", err)
	}
	out := make([]Claimed, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		due, err := parseMs(res[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, Claimed{ID: res[i], Due: due})
	}
	return out, nil
}

// ackCmd removes a fired timer, but only if it is still scheduled for the
// due time that fired: a timer re-scheduled meanwhile keeps its new time.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at; ARGV[1] id, ARGV[2] due.
var ackCmd = redis.NewScript(`
if redis.call("HGET", KEYS[3], ARGV[1]) ~= ARGV[2] then
	return 0
end
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return 1`)

// ackManyCmd is ackCmd for a whole batch: ARGV holds id, due pairs. One
// script per batch instead of one per timer is what lets 100 000 timers
// that fall due together fire within a second or two.
var ackManyCmd = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
	local id, due = ARGV[i], ARGV[i + 1]
	if redis.call("HGET", KEYS[3], id) == due then
		redis.call("ZREM", KEYS[1], id)
		redis.call("ZREM", KEYS[2], id)
		redis.call("HDEL", KEYS[3], id)
		n = n + 1
	end
end
return n`)

// Ack records that timer id fired for due (Claimed.Due) and removes it,
// unless it was re-scheduled to another due time meanwhile: then the new
// schedule stays in place.
func (e *Engine) Ack(ctx context.Context, id string, due time.Time) error {
	if err := ackCmd.Run(ctx, e.rdb, e.keys, id, ms(due)).Err(); err != nil {
		return fmt.Errorf("timers: ack %q: %w", id, err)
	}
	return nil
}

// retryCmd puts a leased timer back to due at ARGV[2], keeping its due
// time in the hash. A timer that is no longer leased (cancelled or
// re-scheduled meanwhile) is left alone.
//
// KEYS[1] due, KEYS[2] lease, KEYS[3] at; ARGV[1] id, ARGV[2] when.
var retryCmd = redis.NewScript(`
if not redis.call("ZSCORE", KEYS[2], ARGV[1]) then
	return 0
end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[1])
return 1`)

// Retry hands a claimed timer whose handler failed back, to be claimed
// again at at. The timer keeps its due time (Claimed.Due stays the same).
// If the timer was cancelled or re-scheduled since it was claimed, Retry
// changes nothing: the cancel or the new schedule wins.
func (e *Engine) Retry(ctx context.Context, id string, at time.Time) error {
	if err := retryCmd.Run(ctx, e.rdb, e.keys, id, ms(at)).Err(); err != nil {
		return fmt.Errorf("timers: retry %q: %w", id, err)
	}
	return nil
}

// Stats returns how many timers wait to be due (scheduled, including those
// waiting for a retry) and how many are leased (being fired).
func (e *Engine) Stats(ctx context.Context) (scheduled, leased int64, err error) {
	var due, lease *redis.IntCmd
	_, err = e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		due = p.ZCard(ctx, e.keys[0])
		lease = p.ZCard(ctx, e.keys[1])
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("timers: stats: %w", err)
	}
	return due.Val(), lease.Val(), nil
}

// Overdue counts the timers whose due time has passed and that no process
// holds: a number that stays above zero means nothing is firing them.
func (e *Engine) Overdue(ctx context.Context) (int64, error) {
	n, err := e.rdb.ZCount(ctx, e.keys[0], "-inf", ms(e.clock.Now())).Result()
	if err != nil {
		return 0, fmt.Errorf("timers: count overdue: %w", err)
	}
	return n, nil
}

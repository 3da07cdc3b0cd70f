// Command timers measures bbcs's Redis timer engine against asynq scheduled
// tasks on the same Redis, in the same run (issue 5): it schedules N timers
// all due at the same moment, fires them with a no-op handler, and prints
// one Markdown row per engine: schedule rate, fire rate, the lag from due to
// fired (p50/p99, wall clock) and Redis memory per timer.
//
//	cd bench/timers && go run .
//
// It uses one Redis database of its own (-db, default 9), which must be
// empty at the start; it flushes it between the engines and at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"bbcs/clock"
	"bbcs/timers"
)

var (
	addr      = flag.String("redis", "127.0.0.1:6379", "Redis address")
	db        = flag.Int("db", 9, "Redis database of the benchmark (must be empty; flushed at the end)")
	n         = flag.Int("n", 100_000, "timers per engine")
	fireLimit = flag.Duration("fire-timeout", 3*time.Minute, "give up firing after this long past due")
	poll      = flag.Duration("poll", 200*time.Millisecond, "idle poll of both engines (bbcs Options.Poll; asynq TaskCheckInterval and DelayedTaskCheckInterval)")
	asynqConc = flag.Int("asynq-concurrency", 64, "asynq server Concurrency")
	enqueuers = flag.Int("asynq-enqueuers", 16, "goroutines calling asynq Client.Enqueue")
	asynqLead = flag.Duration("asynq-lead", 10*time.Second, "how far ahead the asynq tasks are due: enough to enqueue them all")
	skipAsynq = flag.Bool("skip-asynq", false, "measure bbcs timers only")
)

// result is one row of the table.
type result struct {
	engine       string
	scheduled    int
	scheduleRate float64 // timers/s
	fired        int
	duplicates   int
	fireRate     float64 // timers/s, from the due time to the last firing
	drainRate    float64 // timers/s, from the first firing to the last
	p50, p99     time.Duration
	memUsed      float64 // bytes/timer, INFO used_memory delta
	memKeys      float64 // bytes/timer, MEMORY USAGE of the database's keys
	note         string
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rdb := redis.NewClient(&redis.Options{Addr: *addr, DB: *db})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		log.Fatalf("Redis at %s: %v", *addr, err)
	}
	if size, err := rdb.DBSize(ctx).Result(); err != nil || size != 0 {
		log.Fatalf("Redis database %d holds %d keys (err %v): the benchmark flushes its database, so it wants an empty one (-db)", *db, size, err)
	}
	defer func() {
		if err := rdb.FlushDB(context.Background()).Err(); err != nil {
			log.Printf("flush database %d: %v", *db, err)
		}
	}()

	var rows []result
	r, err := benchTimers(ctx, rdb)
	if err != nil {
		log.Printf("bbcs timers: %v", err)
		return
	}
	rows = append(rows, r)
	if !*skipAsynq {
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			log.Printf("flush: %v", err)
			return
		}
		r, err := benchAsynq(ctx, rdb)
		if err != nil {
			log.Printf("asynq: %v", err)
		} else {
			rows = append(rows, r)
		}
	}
	printTable(ctx, rdb, rows)
}

// firings records the wall time each timer fired, by index.
type firings struct {
	due   time.Time
	times []int64 // unix ns of the first firing, by timer index
	count atomic.Int64
	dups  atomic.Int64
	done  chan struct{}
}

func newFirings(n int, due time.Time) *firings {
	return &firings{due: due, times: make([]int64, n), done: make(chan struct{})}
}

func (f *firings) fire(i int) {
	now := time.Now().UnixNano()
	if !atomic.CompareAndSwapInt64(&f.times[i], 0, now) {
		f.dups.Add(1)
		return
	}
	if f.count.Add(1) == int64(len(f.times)) {
		close(f.done)
	}
}

// wait waits until every timer fired or the limit passed the due time.
func (f *firings) wait(ctx context.Context) {
	t := time.NewTimer(time.Until(f.due.Add(*fireLimit)))
	defer t.Stop()
	select {
	case <-f.done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// into fills r's firing figures.
func (f *firings) into(r *result) {
	var lags []time.Duration
	var first, last int64
	for _, ns := range f.times {
		if ns == 0 {
			continue
		}
		lags = append(lags, time.Duration(ns-f.due.UnixNano()))
		if first == 0 || ns < first {
			first = ns
		}
		last = max(last, ns)
	}
	r.fired, r.duplicates = len(lags), int(f.dups.Load())
	if len(lags) == 0 {
		return
	}
	slices.Sort(lags)
	r.p50 = lags[len(lags)*50/100]
	r.p99 = lags[min(len(lags)-1, len(lags)*99/100)]
	r.fireRate = float64(len(lags)) / time.Duration(last-f.due.UnixNano()).Seconds()
	if last > first {
		r.drainRate = float64(len(lags)) / time.Duration(last-first).Seconds()
	}
}

func timerID(i int) string { return fmt.Sprintf("wo:GD%07d:due-1", i) }

func timerIndex(id string) int {
	i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(id, "wo:GD"), ":due-1"))
	return i
}

// dueAfter is the next whole second at least d from now: asynq keeps due
// times in whole seconds, so both engines get one.
func dueAfter(d time.Duration) time.Time {
	return time.Now().Add(d + time.Second).Truncate(time.Second)
}

func benchTimers(ctx context.Context, rdb *redis.Client) (result, error) {
	r := result{engine: "bbcs timers"}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return r, err
	}
	e := timers.New(rdb, "bench", clock.Real{}, timers.Options{Poll: *poll}, slog.Default())
	due := dueAfter(5 * time.Second)
	all := make(map[string]time.Time, *n)
	for i := range *n {
		all[timerID(i)] = due
	}
	start := time.Now()
	if err := e.ScheduleMany(ctx, all); err != nil {
		return r, err
	}
	took := time.Since(start)
	r.scheduled, r.scheduleRate = *n, float64(*n)/took.Seconds()
	if time.Now().After(due) {
		r.note = "scheduling ended after the due time"
	}
	if r.memUsed, r.memKeys, err = memoryPerTimer(ctx, rdb, before, *n); err != nil {
		return r, err
	}

	f := newFirings(*n, due)
	runCtx, stopRun := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		e.Run(runCtx, func(_ context.Context, id string, _ time.Time) error {
			f.fire(timerIndex(id))
			return nil
		})
	}()
	f.wait(ctx)
	stopRun()
	<-stopped
	f.into(&r)
	return r, nil
}

func benchAsynq(ctx context.Context, rdb *redis.Client) (result, error) {
	r := result{engine: "asynq v0.26.0"}
	opt := asynq.RedisClientOpt{Addr: *addr, DB: *db}
	before, err := usedMemory(ctx, rdb)
	if err != nil {
		return r, err
	}
	client := asynq.NewClient(opt)
	defer client.Close()

	// asynq has no batch enqueue: several goroutines call Enqueue. Its
	// due time must leave room for all of them (asynq reads the wall clock).
	due := dueAfter(*asynqLead)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range *enqueuers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= *n || ctx.Err() != nil {
					return
				}
				id := timerID(i)
				// TaskID makes an enqueue idempotent by id, as bbcs's Schedule is.
				_, err := client.Enqueue(asynq.NewTask("timer", []byte(id)), asynq.TaskID(id), asynq.ProcessAt(due))
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return r, fmt.Errorf("%d enqueues failed, the first: %w", failed.Load(), firstErr)
	}
	r.scheduled, r.scheduleRate = *n, float64(*n)/took.Seconds()
	if time.Now().After(due) {
		r.note = fmt.Sprintf("enqueueing ended %v after the due time", time.Since(due).Round(time.Millisecond))
	}
	if r.memUsed, r.memKeys, err = memoryPerTimer(ctx, rdb, before, *n); err != nil {
		return r, err
	}

	f := newFirings(*n, due)
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:              *asynqConc,
		TaskCheckInterval:        *poll,
		DelayedTaskCheckInterval: *poll,
		LogLevel:                 asynq.WarnLevel,
	})
	err = srv.Start(asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		f.fire(timerIndex(string(t.Payload())))
		return nil
	}))
	if err != nil {
		return r, err
	}
	f.wait(ctx)
	srv.Shutdown()
	f.into(&r)
	return r, nil
}

// usedMemory is INFO memory's used_memory, in bytes.
func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// memoryPerTimer returns the bytes per timer by the used_memory delta
// (server-wide: other clients of the same Redis add noise) and by MEMORY
// USAGE of every key in the benchmark's database.
func memoryPerTimer(ctx context.Context, rdb *redis.Client, before int64, n int) (byUsed, byKeys float64, err error) {
	after, err := usedMemory(ctx, rdb)
	if err != nil {
		return 0, 0, err
	}
	var total int64
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return 0, 0, err
	}
	for len(keys) > 0 {
		page := keys[:min(len(keys), 1000)]
		keys = keys[len(page):]
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range page {
				p.MemoryUsage(ctx, k, 0) // SAMPLES 0: every element
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
		for _, c := range cmds {
			total += c.(*redis.IntCmd).Val()
		}
	}
	return float64(after-before) / float64(n), float64(total) / float64(n), nil
}

func printTable(ctx context.Context, rdb *redis.Client, rows []result) {
	version := "?"
	if info, err := rdb.Info(ctx, "server").Result(); err == nil {
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				version = v
			}
		}
	}
	fmt.Printf("\n%d timers due at the same second, no-op handler, Redis %s on 127.0.0.1, idle poll %v for both engines\n\n", *n, version, *poll)
	fmt.Println("| engine | timers | schedule rate (timers/s) | fire rate (timers/s) | lag p50 | lag p99 | Redis memory per timer | fired once |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		once := fmt.Sprintf("%d of %d", r.fired, r.scheduled)
		if r.duplicates > 0 {
			once += fmt.Sprintf(", %d duplicates", r.duplicates)
		}
		fmt.Printf("| %s | %d | %.0f | %.0f | %v | %v | %.0f B | %s |\n",
			r.engine, r.scheduled, r.scheduleRate, r.fireRate, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.memKeys, once)
	}
	fmt.Println()
	fmt.Println("fire rate: timers fired / (last firing − due time); lag: wall time of the handler call − due time.")
	fmt.Println("memory: MEMORY USAGE of the engine's keys / timers.")
	for _, r := range rows {
		fmt.Printf("%s: drain rate from first to last firing %.0f timers/s; INFO used_memory delta %.0f B/timer", r.engine, r.drainRate, r.memUsed)
		if r.note != "" {
			fmt.Printf("; %s", r.note)
		}
		fmt.Println()
	}
}

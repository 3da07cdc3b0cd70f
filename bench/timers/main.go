// Command timers measures bbcs's Redis timer engine against asynq's
// scheduled tasks on the same workload (issue 5): schedule 100 000 timers,
// let them fall due at once, fire them with a no-op handler, and report
// the schedule rate, the fire rate, the lag from due to fired (p50/p99)
// and Redis memory per timer. It uses Redis DB 9 on 127.0.0.1:6379,
// flushed before and after; asynq stays out of bbcs's own module.
//
//	cd bench/timers && go run . [-n 100000]
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
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

const redisAddr, redisDB = "127.0.0.1:6379", 9

type result struct {
	name              string
	scheduleRate      float64
	fireRate          float64
	p50, p99, max     time.Duration
	bytesPerTimer     float64
	scheduleTime, all time.Duration
}

func main() {
	n := flag.Int("n", 100_000, "how many timers")
	lead := flag.Duration("lead", 3*time.Second, "how far ahead the timers are due (all at the same moment)")
	flag.Parse()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: redisDB})
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		log.Fatalf("Redis at %s: %v", redisAddr, err)
	}
	defer rdb.FlushDB(ctx)

	var rows []result
	for _, run := range []func(context.Context, *redis.Client, int, time.Duration) result{runBBCS, runAsynq} {
		rdb.FlushDB(ctx)
		rows = append(rows, run(ctx, rdb, *n, *lead))
	}
	fmt.Printf("\n%d timers, all due at once, no-op handler; Redis %s DB %d on this machine.\n\n", *n, redisAddr, redisDB)
	fmt.Println("| engine | schedule rate | fire rate | lag p50 | lag p99 | lag max | Redis memory per timer |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %.0f /s | %.0f /s | %s | %s | %s | %.0f B |\n", r.name, r.scheduleRate, r.fireRate,
			r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.max.Round(time.Millisecond), r.bytesPerTimer)
	}
}

func usedMemory(ctx context.Context, rdb *redis.Client) int64 {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// lags collects due→fired lags from many goroutines.
type lags struct {
	mu   sync.Mutex
	d    []time.Duration
	last time.Time
}

func (l *lags) add(due time.Time) {
	now := time.Now()
	l.mu.Lock()
	l.d = append(l.d, now.Sub(due))
	if now.After(l.last) {
		l.last = now
	}
	l.mu.Unlock()
}

func (l *lags) finish(r *result, due time.Time, n int) {
	slices.Sort(l.d)
	r.p50, r.p99, r.max = l.d[len(l.d)/2], l.d[len(l.d)*99/100], l.d[len(l.d)-1]
	// Fire rate: from the moment they fell due to the last one fired.
	r.fireRate = float64(n) / l.last.Sub(due).Seconds()
}

func wait(what string, fired *atomic.Int64, n int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for fired.Load() < int64(n) {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "%s: only %d of %d fired within %v\n", what, fired.Load(), n, limit)
			os.Exit(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runBBCS(ctx context.Context, rdb *redis.Client, n int, lead time.Duration) result {
	r := result{name: "bbcs timers (Redis ZSET + Lua claim)"}
	e := timers.New(rdb, "bench", clock.Real{}, timers.Options{}, nil)
	before := usedMemory(ctx, rdb)
	due := time.Now().Add(lead).Truncate(time.Millisecond)
	all := make(map[string]time.Time, n)
	for i := range n {
		all[fmt.Sprintf("wo:GD%08d-001-1:due:1773396000", i)] = due
	}
	start := time.Now()
	if err := e.ScheduleMany(ctx, all); err != nil {
		log.Fatal(err)
	}
	r.scheduleTime = time.Since(start)
	r.scheduleRate = float64(n) / r.scheduleTime.Seconds()
	r.bytesPerTimer = float64(usedMemory(ctx, rdb)-before) / float64(n)
	if time.Now().After(due) {
		log.Fatalf("scheduling took %v, longer than the lead %v: raise -lead", r.scheduleTime, lead)
	}

	var fired atomic.Int64
	l := &lags{d: make([]time.Duration, 0, n)}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(runCtx, func(_ context.Context, _ string, d time.Time) error {
			l.add(d)
			fired.Add(1)
			return nil
		})
	}()
	wait(r.name, &fired, n, 5*time.Minute)
	cancel()
	<-done
	l.finish(&r, due, n)
	return r
}

func runAsynq(ctx context.Context, rdb *redis.Client, n int, lead time.Duration) result {
	r := result{name: "asynq v0.26.0 scheduled tasks (ProcessAt)"}
	opt := asynq.RedisClientOpt{Addr: redisAddr, DB: redisDB}
	client := asynq.NewClient(opt)
	defer client.Close()
	before := usedMemory(ctx, rdb)
	// asynq has no batch enqueue: 16 goroutines enqueue in parallel.
	due := time.Now().Add(lead + 30*time.Second).Truncate(time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				payload := binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))
				t := asynq.NewTask("timer", payload, asynq.TaskID(fmt.Sprintf("wo:GD%08d-001-1:due", i)), asynq.MaxRetry(0))
				if _, err := client.Enqueue(t, asynq.ProcessAt(due)); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	r.scheduleTime = time.Since(start)
	r.scheduleRate = float64(n) / r.scheduleTime.Seconds()
	r.bytesPerTimer = float64(usedMemory(ctx, rdb)-before) / float64(n)
	if time.Now().After(due) {
		log.Fatalf("asynq scheduling took %v, longer than its lead: raise -lead", r.scheduleTime)
	}

	var fired atomic.Int64
	l := &lags{d: make([]time.Duration, 0, n)}
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: 64, LogLevel: asynq.WarnLevel,
		// asynq moves due tasks to its queue on this interval (default 5s).
		DelayedTaskCheckInterval: time.Second,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc("timer", func(_ context.Context, t *asynq.Task) error {
		l.add(time.Unix(0, int64(binary.BigEndian.Uint64(t.Payload()))))
		fired.Add(1)
		return nil
	})
	if err := srv.Start(mux); err != nil {
		log.Fatal(err)
	}
	wait(r.name, &fired, n, 5*time.Minute)
	srv.Shutdown()
	l.finish(&r, due, n)
	return r
}

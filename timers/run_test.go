package timers_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/timers"
)

// running starts e.Run with h and stops it when the test ends.
func running(t *testing.T, e *timers.Engine, h timers.Handler) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, h)
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
}

// firings records what a handler was called with.
type firings struct {
	mu  sync.Mutex
	got []string
}

func (f *firings) handle(_ context.Context, id string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, id)
	return nil
}

func (f *firings) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

func TestRunFiresOnceTheClockPassesTheDueTime(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	e := newEngine(t, clk, timers.Options{Poll: 10 * time.Millisecond})
	due := t0.Add(time.Hour)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due))
	var f firings
	running(t, e, f.handle)

	time.Sleep(100 * time.Millisecond)
	if n := f.count(); n != 0 {
		t.Fatalf("fired %d times an hour early", n)
	}
	clk.Set(due.Add(time.Second)) // POST /debug/clock
	waitFor(t, 5*time.Second, func() bool { return f.count() == 1 })
	time.Sleep(100 * time.Millisecond)
	if n := f.count(); n != 1 {
		t.Fatalf("fired %d times, want once", n)
	}
	wantStats(t, e, 0, 0)
}

func TestKickWakesRunPromptly(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	e := newEngine(t, clk, timers.Options{Poll: time.Hour})
	var f firings
	running(t, e, f.handle)
	time.Sleep(50 * time.Millisecond) // Run has found nothing and sleeps for an hour

	must(t, e.Schedule(ctx, "wo:GD1:due-1", t0.Add(time.Minute)))
	clk.Set(t0.Add(2 * time.Minute))
	start := time.Now()
	e.Kick()
	waitFor(t, 2*time.Second, func() bool { return f.count() == 1 })
	t.Logf("fired %v after Kick", time.Since(start))
}

func TestRunRetriesAFailedHandlerWithBackoff(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{Poll: 5 * time.Millisecond})
	due := t0.Add(-time.Second)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due))
	var calls atomic.Int32
	var dues sync.Map
	running(t, e, func(_ context.Context, id string, d time.Time) error {
		dues.Store(calls.Load(), d)
		switch calls.Add(1) {
		case 1:
			return errors.New("database is down")
		case 2:
			panic("handler bug")
		}
		return nil
	})

	waitFor(t, 5*time.Second, func() bool { return calls.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	wantStats(t, e, 1, 0)
	wantGet(t, e, "wo:GD1:due-1", due, true)
	clk.Advance(2*time.Second - time.Millisecond) // first backoff: 2s
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("retried before its backoff: %d calls", n)
	}
	clk.Advance(time.Millisecond)
	waitFor(t, 5*time.Second, func() bool { return calls.Load() == 2 }) // panics
	time.Sleep(50 * time.Millisecond)
	clk.Advance(4*time.Second - time.Millisecond) // second backoff: 4s
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 2 {
		t.Fatalf("retried before its backoff: %d calls", n)
	}
	clk.Advance(time.Millisecond)
	waitFor(t, 5*time.Second, func() bool { return calls.Load() == 3 })
	waitFor(t, 5*time.Second, func() bool {
		s, l, err := e.Stats(ctx)
		return err == nil && s == 0 && l == 0
	})
	dues.Range(func(k, v any) bool {
		if !v.(time.Time).Equal(due) {
			t.Errorf("call %v got due %v, want %v", k, v, due)
		}
		return true
	})
}

func TestStoppingRunHandsItsTimersBackAtOnce(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(t)
	clk := clock.NewFrozen(t0)
	a := timers.New(rdb, prefix, clk, timers.Options{Poll: 5 * time.Millisecond}, nil)
	must(t, a.Schedule(ctx, "wo:GD1:due-1", t0))

	started := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(runCtx, func(ctx context.Context, _ string, _ time.Time) error {
			close(started)
			<-ctx.Done() // a slow handler, interrupted by shutdown
			return ctx.Err()
		})
	}()
	<-started
	stop()
	<-done
	// No need to wait for the lease: another process fires it now.
	b := timers.New(rdb, prefix, clk, timers.Options{}, nil)
	wantIDs(t, claimIDs(t, b), "wo:GD1:due-1")
}

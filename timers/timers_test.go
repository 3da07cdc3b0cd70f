package timers_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/timers"
)

var t0 = time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC)

func newEngine(t *testing.T, clk clock.Clock, opts timers.Options) *timers.Engine {
	t.Helper()
	rdb, prefix := testenv.Redis(t)
	return timers.New(rdb, prefix, clk, opts, testenv.Quiet())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantGet(t *testing.T, e *timers.Engine, id string, want time.Time, wantOK bool) {
	t.Helper()
	got, ok, err := e.Get(context.Background(), id)
	must(t, err)
	if ok != wantOK || (ok && !got.Equal(want)) {
		t.Fatalf("Get(%q) = %v, %v; want %v, %v", id, got, ok, want, wantOK)
	}
}

func wantStats(t *testing.T, e *timers.Engine, scheduled, leased int64) {
	t.Helper()
	s, l, err := e.Stats(context.Background())
	must(t, err)
	if s != scheduled || l != leased {
		t.Fatalf("Stats = %d scheduled, %d leased; want %d, %d", s, l, scheduled, leased)
	}
}

func claimIDs(t *testing.T, e *timers.Engine) []string {
	t.Helper()
	cs, err := e.Claim(context.Background())
	must(t, err)
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func wantIDs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestScheduleCancelAndIdempotentReschedule(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})

	due := t0.Add(time.Hour)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due))
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due)) // again: nothing changes
	wantGet(t, e, "wo:GD1:due-1", due, true)
	wantStats(t, e, 1, 0)

	later := t0.Add(2 * time.Hour)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", later)) // moves it
	wantGet(t, e, "wo:GD1:due-1", later, true)
	wantStats(t, e, 1, 0)
	clk.Set(due)
	wantIDs(t, claimIDs(t, e)) // not at the old time
	clk.Set(later)
	wantIDs(t, claimIDs(t, e), "wo:GD1:due-1")

	must(t, e.Schedule(ctx, "wo:GD1:cap", later))
	must(t, e.Cancel(ctx, "wo:GD1:due-1", "wo:GD1:cap", "unknown")) // leased, scheduled, unknown
	wantGet(t, e, "wo:GD1:due-1", time.Time{}, false)
	wantGet(t, e, "wo:GD1:cap", time.Time{}, false)
	wantStats(t, e, 0, 0)
	clk.Set(later.Add(time.Hour))
	wantIDs(t, claimIDs(t, e))
	must(t, e.Cancel(ctx)) // nothing to cancel
	if err := e.Schedule(ctx, "", due); err == nil {
		t.Fatal("Schedule with an empty id: no error")
	}
}

func TestClaimTakesOnlyDueTimersInDueOrderAndHonoursBatch(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{Batch: 3})
	// Scheduled out of order; five are due at t0, two later.
	for id, at := range map[string]time.Time{
		"c": t0.Add(-3 * time.Minute), "a": t0.Add(-5 * time.Minute), "e": t0,
		"b": t0.Add(-4 * time.Minute), "d": t0.Add(-time.Minute),
		"f": t0.Add(time.Millisecond), "g": t0.Add(time.Hour),
	} {
		must(t, e.Schedule(ctx, id, at))
	}
	cs, err := e.Claim(ctx)
	must(t, err)
	if len(cs) != 3 || cs[0].ID != "a" || !cs[0].Due.Equal(t0.Add(-5*time.Minute)) {
		t.Fatalf("first claim = %v", cs)
	}
	wantIDs(t, []string{cs[0].ID, cs[1].ID, cs[2].ID}, "a", "b", "c")
	wantIDs(t, claimIDs(t, e), "d", "e")
	wantIDs(t, claimIDs(t, e))
	wantStats(t, e, 2, 5)
	clk.Advance(time.Millisecond)
	wantIDs(t, claimIDs(t, e), "f")
}

func TestTwoEnginesFireEachTimerExactlyOnce(t *testing.T) {
	const n = 2000
	ctx := context.Background()
	rdb, prefix := testenv.Redis(t)
	clk := clock.NewFrozen(t0)
	opts := timers.Options{Batch: 37, Workers: 4, Poll: 5 * time.Millisecond}
	a := timers.New(rdb, prefix, clk, opts, testenv.Quiet())
	b := timers.New(rdb, prefix, clk, opts, testenv.Quiet()) // another process

	all := map[string]time.Time{}
	for i := range n {
		all[fmt.Sprintf("wo:GD%05d:due-1", i)] = t0.Add(-time.Duration(i) * time.Millisecond)
	}
	must(t, a.ScheduleMany(ctx, all))
	wantStats(t, a, n, 0)

	var fired sync.Map // id → *atomic.Int32
	var total atomic.Int32
	count := func(_ context.Context, id string, due time.Time) error {
		if !due.Equal(all[id]) {
			t.Errorf("%s fired with due %v, want %v", id, due, all[id])
		}
		c, _ := fired.LoadOrStore(id, new(atomic.Int32))
		c.(*atomic.Int32).Add(1)
		total.Add(1)
		return nil
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, e := range []*timers.Engine{a, a, b, b} { // two Run loops per process
		wg.Go(func() { e.Run(runCtx, count) })
	}
	// And a bare claimer racing them, acking what it takes.
	wg.Go(func() {
		for runCtx.Err() == nil {
			cs, err := b.Claim(runCtx)
			if err != nil {
				return
			}
			for _, c := range cs {
				_ = count(runCtx, c.ID, c.Due)
				_ = b.Ack(runCtx, c.ID, c.Due)
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, l, err := a.Stats(ctx)
		must(t, err)
		if s == 0 && l == 0 && total.Load() >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d fired, %d scheduled, %d leased", total.Load(), s, l)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a double fire would show now
	stop()
	wg.Wait()
	if got := total.Load(); got != n {
		t.Errorf("%d firings of %d timers", got, n)
	}
	for id := range all {
		c, ok := fired.Load(id)
		if !ok {
			t.Errorf("%s never fired", id)
		} else if k := c.(*atomic.Int32).Load(); k != 1 {
			t.Errorf("%s fired %d times", id, k)
		}
	}
}

func TestUnackedTimerIsReclaimedAfterLeaseNotBefore(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(t)
	clk := clock.NewFrozen(t0)
	dying := timers.New(rdb, prefix, clk, timers.Options{Lease: 30 * time.Second}, testenv.Quiet())
	other := timers.New(rdb, prefix, clk, timers.Options{Lease: 30 * time.Second}, testenv.Quiet())
	due := t0.Add(-time.Minute)
	must(t, dying.Schedule(ctx, "wo:GD1:due-1", due))

	wantIDs(t, claimIDs(t, dying), "wo:GD1:due-1") // … and the process dies
	wantGet(t, other, "wo:GD1:due-1", due, true)
	clk.Advance(30*time.Second - time.Millisecond)
	wantIDs(t, claimIDs(t, other))
	wantStats(t, other, 0, 1)
	clk.Advance(time.Millisecond)
	cs, err := other.Claim(ctx)
	must(t, err)
	if len(cs) != 1 || cs[0].ID != "wo:GD1:due-1" || !cs[0].Due.Equal(due) {
		t.Fatalf("claim after the lease = %v, want the timer with its due time %v", cs, due)
	}
	must(t, other.Ack(ctx, cs[0].ID, cs[0].Due))
	wantStats(t, other, 0, 0)
	clk.Advance(time.Hour)
	wantIDs(t, claimIDs(t, dying))
}

func TestAckAfterRescheduleKeepsTheNewSchedule(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})
	must(t, e.Schedule(ctx, "wo:GD1:due-1", t0))
	cs, err := e.Claim(ctx)
	must(t, err)
	// While it fires, the order is extended: the timer moves.
	extended := t0.Add(48 * time.Hour)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", extended))
	must(t, e.Ack(ctx, cs[0].ID, cs[0].Due))
	wantGet(t, e, "wo:GD1:due-1", extended, true)
	wantStats(t, e, 1, 0)
	clk.Set(extended)
	cs, err = e.Claim(ctx)
	must(t, err)
	if len(cs) != 1 || !cs[0].Due.Equal(extended) {
		t.Fatalf("claim at the new time = %v", cs)
	}
}

// A time between two milliseconds is kept as the later one: a timer
// never fires early, and one set again while firing for a moment after
// its due time keeps a later due time and is not acked away.
func TestSubMillisecondTimesRoundUp(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})
	must(t, e.Schedule(ctx, "dialog:o1", t0))
	wantIDs(t, claimIDs(t, e), "dialog:o1")
	must(t, e.Schedule(ctx, "dialog:o1", t0.Add(300*time.Microsecond)))
	must(t, e.Ack(ctx, "dialog:o1", t0))
	wantGet(t, e, "dialog:o1", t0.Add(time.Millisecond), true)
	clk.Set(t0.Add(500 * time.Microsecond))
	wantIDs(t, claimIDs(t, e))
	clk.Set(t0.Add(time.Millisecond))
	wantIDs(t, claimIDs(t, e), "dialog:o1")
}

func TestRescheduleToTheSameDueWhileFiringChangesNothing(t *testing.T) {
	// Reconciliation re-schedules every open deadline; one being fired
	// must not be fired a second time.
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})
	must(t, e.Schedule(ctx, "wo:GD1:due-1", t0))
	wantIDs(t, claimIDs(t, e), "wo:GD1:due-1")
	must(t, e.ScheduleMany(ctx, map[string]time.Time{"wo:GD1:due-1": t0}))
	wantIDs(t, claimIDs(t, e))
	wantStats(t, e, 0, 1)
	must(t, e.Ack(ctx, "wo:GD1:due-1", t0))
	wantStats(t, e, 0, 0)
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})
	due := t0.Add(-time.Second)
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due))
	must(t, e.Schedule(ctx, "wo:GD2:due-1", due))
	wantIDs(t, claimIDs(t, e), "wo:GD1:due-1", "wo:GD2:due-1")

	must(t, e.Retry(ctx, "wo:GD1:due-1", t0.Add(10*time.Second)))
	wantStats(t, e, 1, 1)
	wantGet(t, e, "wo:GD1:due-1", due, true) // keeps its due time
	clk.Advance(10*time.Second - time.Millisecond)
	wantIDs(t, claimIDs(t, e))
	// Reconciliation does not undo the backoff.
	must(t, e.Schedule(ctx, "wo:GD1:due-1", due))
	wantIDs(t, claimIDs(t, e))
	clk.Advance(time.Millisecond)
	cs, err := e.Claim(ctx)
	must(t, err)
	if len(cs) != 1 || cs[0].ID != "wo:GD1:due-1" || !cs[0].Due.Equal(due) {
		t.Fatalf("claim after the retry time = %v, want wo:GD1:due-1 due %v", cs, due)
	}
	must(t, e.Ack(ctx, cs[0].ID, cs[0].Due))

	// A timer cancelled while its handler ran is not brought back.
	must(t, e.Cancel(ctx, "wo:GD2:due-1"))
	must(t, e.Retry(ctx, "wo:GD2:due-1", clk.Now()))
	wantGet(t, e, "wo:GD2:due-1", time.Time{}, false)
	wantStats(t, e, 0, 0)
}

func TestCancelPrefix(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{})
	keep := map[string]time.Time{
		"wo:GD10:due-1": t0, "wo:GD2:due-1": t0.Add(time.Hour), "wo:GD1": t0,
		"x*y:1": t0, // a glob character in an id: "x*" must not match it
	}
	must(t, e.ScheduleMany(ctx, keep))
	must(t, e.Schedule(ctx, "wo:GD1:leased", t0))
	wantIDs(t, claimIDs(t, e), "wo:GD1", "wo:GD10:due-1", "wo:GD1:leased", "x*y:1") // equal scores: by id
	must(t, e.Schedule(ctx, "wo:GD1:due-1", t0.Add(time.Hour)))
	must(t, e.Schedule(ctx, "wo:GD1:cap", t0.Add(240*time.Hour)))
	must(t, e.Schedule(ctx, "x*:1", t0))

	must(t, e.CancelPrefix(ctx, "wo:GD1:"))
	must(t, e.CancelPrefix(ctx, "x*:"))
	got, err := e.List(ctx)
	must(t, err)
	if len(got) != len(keep) {
		t.Fatalf("after CancelPrefix: %v, want %v", got, keep)
	}
	for id, at := range keep {
		if !got[id].Equal(at) {
			t.Errorf("%s: %v, want %v", id, got[id], at)
		}
	}
	if err := e.CancelPrefix(ctx, ""); err == nil {
		t.Fatal("CancelPrefix(\"\"): no error (it would cancel everything)")
	}
}

func TestListShowsScheduledLeasedAndRetried(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFrozen(t0)
	e := newEngine(t, clk, timers.Options{Batch: 2})
	want := map[string]time.Time{}
	for i := range 2500 { // more than one ZSCAN page
		want[fmt.Sprintf("t%04d", i)] = t0.Add(time.Duration(i-2) * time.Minute)
	}
	must(t, e.ScheduleMany(ctx, want))
	wantIDs(t, claimIDs(t, e), "t0000", "t0001")
	must(t, e.Retry(ctx, "t0000", t0.Add(time.Hour)))
	got, err := e.List(ctx)
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("List: %d timers, want %d", len(got), len(want))
	}
	for id, at := range want {
		if !got[id].Equal(at) {
			t.Fatalf("List[%s] = %v, want %v", id, got[id], at)
		}
	}
}

func TestLostIndexIsRestoredByScheduleMany(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(t)
	clk := clock.NewFrozen(t0)
	e := timers.New(rdb, prefix, clk, timers.Options{Poll: 5 * time.Millisecond}, testenv.Quiet())
	open := map[string]time.Time{}
	for i := range 300 {
		open[fmt.Sprintf("wo:GD%03d:due-1", i)] = t0.Add(time.Duration(i) * time.Second)
	}
	must(t, e.ScheduleMany(ctx, open))

	// FLUSHALL, as far as this engine can tell. (Redis's script cache is
	// shared with the other packages' tests and stays; the embedded test
	// below starts with an empty one.)
	due, lease, at := e.Keys()
	must(t, rdb.Del(ctx, due, lease, at).Err())
	wantStats(t, e, 0, 0)
	wantGet(t, e, "wo:GD000:due-1", time.Time{}, false)

	// Reconciliation from the database puts them all back …
	must(t, e.ScheduleMany(ctx, open))
	wantStats(t, e, int64(len(open)), 0)

	// … and each fires once.
	var fired sync.Map
	var total atomic.Int32
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(runCtx, func(_ context.Context, id string, _ time.Time) error {
			if _, dup := fired.LoadOrStore(id, true); dup {
				t.Errorf("%s fired twice", id)
			}
			total.Add(1)
			return nil
		})
	}()
	clk.Set(t0.Add(time.Hour))
	e.Kick()
	waitFor(t, 10*time.Second, func() bool { return total.Load() == int32(len(open)) })
	// A second reconciliation after they fired must not be needed, and a
	// late one for the same (now answered) deadlines is the handler's business.
	time.Sleep(30 * time.Millisecond)
	stop()
	<-done
	if got := total.Load(); got != int32(len(open)) {
		t.Fatalf("%d fired, want %d", got, len(open))
	}
	wantStats(t, e, 0, 0)
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The embedded default (no Redis configured) is an in-process miniredis:
// the same scripts must run on its Lua, starting with an empty script cache
// as after a Redis restart.
func TestEngineOnTheEmbeddedRedis(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	clk := clock.NewFrozen(t0)
	e := timers.New(rdb, "bbcs", clk, timers.Options{Batch: 2}, nil)

	must(t, e.ScheduleMany(ctx, map[string]time.Time{ // pipelined EVALSHA: NOSCRIPT, then loaded
		"wo:GD1:due-1": t0.Add(-time.Minute), "wo:GD1:cap": t0, "wo:GD2:due-1": t0.Add(-2 * time.Minute),
		"wo:GD3:due-1": t0.Add(time.Hour),
	}))
	wantStats(t, e, 4, 0)
	cs, err := e.Claim(ctx)
	must(t, err)
	if len(cs) != 2 || cs[0].ID != "wo:GD2:due-1" || !cs[0].Due.Equal(t0.Add(-2*time.Minute)) || cs[1].ID != "wo:GD1:due-1" {
		t.Fatalf("claim = %v", cs)
	}
	must(t, e.Ack(ctx, cs[0].ID, cs[0].Due))
	must(t, e.Retry(ctx, cs[1].ID, t0.Add(time.Second)))
	wantGet(t, e, "wo:GD1:due-1", t0.Add(-time.Minute), true)
	wantIDs(t, claimIDs(t, e), "wo:GD1:cap")
	clk.Advance(30 * time.Second) // the lease of wo:GD1:cap runs out
	wantIDs(t, claimIDs(t, e), "wo:GD1:cap", "wo:GD1:due-1")
	must(t, e.CancelPrefix(ctx, "wo:GD1:"))
	got, err := e.List(ctx)
	must(t, err)
	if len(got) != 1 || !got["wo:GD3:due-1"].Equal(t0.Add(time.Hour)) {
		t.Fatalf("List = %v", got)
	}
}

package clock

import (
	"sync"
	"testing"
	"time"
)

func TestFrozenClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)
	f := NewFrozen(start)
	time.Sleep(5 * time.Millisecond)
	if !f.Now().Equal(start) {
		t.Fatalf("frozen clock moved to %v", f.Now())
	}
	if got := f.Advance(72 * time.Hour); !got.Equal(start.Add(72 * time.Hour)) {
		t.Fatalf("Advance = %v", got)
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatalf("Set: %v", f.Now())
	}
}

func TestFakeClockTicksFromWhereItWasSet(t *testing.T) {
	start := time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)
	f := NewFake(start)
	wall := start
	f.wall = func() time.Time { return wall } // a wall clock the test moves
	f.Set(start)
	wall = wall.Add(3 * time.Second)
	if got := f.Now(); !got.Equal(start.Add(3 * time.Second)) {
		t.Fatalf("after 3 wall seconds: %v", got)
	}
	if got := f.Advance(time.Hour); !got.Equal(start.Add(time.Hour + 3*time.Second)) {
		t.Fatalf("Advance keeps the ticked time: %v", got)
	}
}

func TestFakeClockIsSafeForConcurrentUse(t *testing.T) {
	f := NewFake(time.Now())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				f.Advance(time.Millisecond)
				_ = f.Now()
			}
		}()
	}
	wg.Wait()
}

// Package clock is bbcs's one source of time. Nothing else calls time.Now:
// the test clock of the black-box contract (POST /debug/clock) must move
// deadlines, reminders and timers together.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns the wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// Fake is a clock that stands still until it is set or advanced. It is
// safe for concurrent use. Between moves it still ticks with the wall clock,
// so that a running service sees time pass (timestamps differ, TTLs expire)
// while tests decide the date.
type Fake struct {
	mu      sync.Mutex
	base    time.Time // the fake time at the last move
	movedAt time.Time // the wall time of the last move
	frozen  bool
	wall    func() time.Time
}

// NewFake returns a fake clock showing t that keeps ticking from there.
func NewFake(t time.Time) *Fake {
	return &Fake{base: t, movedAt: time.Now(), wall: time.Now}
}

// NewFrozen returns a fake clock showing t that does not move by itself:
// unit tests use it to get exact timestamps.
func NewFrozen(t time.Time) *Fake {
	f := NewFake(t)
	f.frozen = true
	return f
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return f.base
	}
	return f.base.Add(f.wall().Sub(f.movedAt))
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.base, f.movedAt = t, f.wall()
}

// Advance moves the clock forward by d and returns the new time.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.base
	if !f.frozen {
		now = now.Add(f.wall().Sub(f.movedAt))
	}
	f.base, f.movedAt = now.Add(d), f.wall()
	return f.base
}

// Wall is the wall clock, for what the platforms check against their own
// real time: signatures and their timestamps, the freshness of inbound
// callbacks, access-token lifetimes, rate-limit windows. The test clock
// of the black-box contract (POST /debug/clock) moves business time only;
// a centre rehearses on its real groups with it moved, so nothing on the
// wire may follow it.
//
// Its unexported method keeps the test clock out: a *Fake is a Clock but
// never a Wall, so the compiler refuses to sign with business time.
type Wall interface {
	Now() time.Time
	wall()
}

func (Real) wall() {}

// WallFunc is a wall clock read from f: for tests that pin the wall time
// of a client or a callback. Production code uses Real.
type WallFunc func() time.Time

// Now returns f().
func (f WallFunc) Now() time.Time { return f() }

func (WallFunc) wall() {}

// WallAt is a wall clock that stands at t: for tests.
func WallAt(t time.Time) Wall { return WallFunc(func() time.Time { return t }) }

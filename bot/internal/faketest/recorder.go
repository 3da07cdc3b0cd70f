package faketest

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// Log records what a fake received, in order. It is safe for concurrent
// use; the zero Log is empty.
type Log[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add records v.
func (l *Log[T]) Add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
}

// All is what was recorded, oldest first.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

// Where is what was recorded that keep accepts, oldest first.
func (l *Log[T]) Where(keep func(T) bool) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []T
	for _, v := range l.items {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// Reset forgets what was recorded.
func (l *Log[T]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = nil
}

// WaitFor polls cond (deliveries are asynchronous) every few milliseconds
// of real time until it holds, or fails the test after timeout with what
// the fake recorded (recorded is called only then).
func WaitFor(t testing.TB, fake string, cond func() bool, timeout time.Duration, recorded func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: condition not met within %v; recorded:%s", fake, timeout, recorded())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Faults are the failures a test injects into a fake: the next n calls
// fail (with an HTTP status, or with a platform error code), or the whole
// platform is down. It is safe for concurrent use.
type Faults struct {
	mu                          sync.Mutex
	failN, failStatus, failCode int
	down                        bool
}

// FailNext makes the next n calls fail with status (an HTTP status; 0 or
// 200 for an answer carrying code).
func (f *Faults) FailNext(n, status, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failN, f.failStatus, f.failCode = n, status, code
}

// SetDown puts the platform down (true) or back up.
func (f *Faults) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// IsDown says whether the platform is down.
func (f *Faults) IsDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// Take consumes one injected failure: ok is false when none is pending.
func (f *Faults) Take() (status, code int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN <= 0 {
		return 0, 0, false
	}
	f.failN--
	return f.failStatus, f.failCode, true
}

// Clear forgets the pending failures and brings the platform up.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failN, f.failStatus, f.failCode, f.down = 0, 0, 0, false
}

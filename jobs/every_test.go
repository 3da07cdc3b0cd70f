package jobs

import (
	"context"
	"testing"
	"time"
)

// every runs its job until the context ends, and then stops: serve's
// shutdown waits for it.
func TestEveryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		every(ctx, time.Millisecond, func(context.Context) {
			select {
			case ran <- struct{}{}:
			default:
			}
		})
	}()
	<-ran // it runs …
	<-ran // … again
	cancel()
	<-stopped // and returns once ctx ends (a hang fails the test by its timeout)
}

// A context that has ended already runs nothing.
func TestEveryRunsNothingOnAnEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	every(ctx, time.Nanosecond, func(context.Context) { t.Error("ran after the end") })
}

// Package jobs is what bbcs does beside answering requests: it delivers
// the outbox, fires the timers and keeps them in step with the database,
// keeps the photos citizens send, pushes the monthly summary, and proposes
// the assessment's deductions for what happened before a rule existed.
// Each job is a use case of casework (or reports) run on a clock; the
// rules stay there.
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"bbcs/casework"
	"bbcs/reports"
	"bbcs/timers"
)

// Outbox delivers the notices the use cases write.
type Outbox interface {
	Run(ctx context.Context, poll time.Duration)
	Kick() // deliver what is due now, not at the next poll
}

// Jobs are one process's background work.
type Jobs struct {
	Cases   *casework.Service
	Reports *reports.Reports
	Outbox  Outbox
	Timers  *timers.Engine
	// Mux names each timer's owner: the engine fires through it, and
	// reconciliation drops only the timers the database plans.
	Mux *timers.Mux
	// Measure wraps each firing (metrics); nil for none.
	Measure func(timers.Handler) timers.Handler
	// Account is the service account in force, where citizens' photos
	// are fetched from.
	Account   func(ctx context.Context) Media
	PublicURL string // where the console is, for the monthly push's link
	Log       *slog.Logger
}

// Start runs the jobs until ctx ends; wait returns once all have stopped.
// The timers are reconciled once before it returns, so a Redis that lost
// them has them back before bbcs serves.
func (j *Jobs) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { j.Outbox.Run(ctx, time.Second) })
	if err := j.Reconcile(ctx); err != nil {
		j.Log.Error("timers: first reconciliation failed; retrying in the background", "err", err)
	}
	wg.Go(func() { j.catchUpDeductions(ctx) }) // not in the way of serving
	wg.Go(func() { j.Timers.Run(ctx, j.Fire) })
	wg.Go(func() { every(ctx, 3*time.Minute, j.reconcileAgain) })
	wg.Go(func() { every(ctx, 5*time.Second, j.FetchPhotos) })
	return wg.Wait
}

// Fire is the timer engine's handler: each timer's owner decides, and the
// outbox is woken to carry the notices at once (the mux's AfterFiring).
func (j *Jobs) Fire(ctx context.Context, id string, due time.Time) error {
	if j.Measure == nil {
		return j.Mux.Fire(ctx, id, due)
	}
	return j.Measure(j.Mux.Fire)(ctx, id, due)
}

// ClockMoved follows the test clock: timers and notices due at the new
// time go now.
func (j *Jobs) ClockMoved() {
	j.Timers.Kick()
	j.Outbox.Kick()
}

// every runs fn every d until ctx ends, the first time d from now.
func every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ctx.Err() != nil { // both were ready: the end wins
			return
		}
		fn(ctx)
	}
}

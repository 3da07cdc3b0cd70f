package jobs

import (
	"context"
	"fmt"
	"time"
)

// Reconcile makes Redis hold exactly the timers the database wants:
// missing ones (lost with a Redis restart or FLUSHALL) come back, stale
// ones (of answered or re-planned orders) go. Decision 3: Redis is an
// index; losing it loses nothing.
func (j *Jobs) Reconcile(ctx context.Context) error {
	want, err := j.Cases.WantedTimers(ctx)
	if err != nil {
		return err
	}
	have, err := j.Timers.List(ctx)
	if err != nil {
		return fmt.Errorf("timers: list: %w", err)
	}
	missing := map[string]time.Time{}
	for id, at := range want {
		if got, ok := have[id]; !ok || !got.Equal(at) {
			missing[id] = at
		}
	}
	var stale []string
	for id := range have {
		if _, ok := want[id]; !ok && j.Mux.Planned(id) {
			// Only the database's timers: a dialog's expiry lives in Redis
			// with the dialog itself, and goes when it goes.
			stale = append(stale, id)
		}
	}
	if len(missing) > 0 {
		if err := j.Timers.ScheduleMany(ctx, missing); err != nil {
			return fmt.Errorf("timers: restore: %w", err)
		}
		j.Timers.Kick()
	}
	if len(stale) > 0 {
		if err := j.Timers.Cancel(ctx, stale...); err != nil {
			return fmt.Errorf("timers: drop stale: %w", err)
		}
	}
	if len(missing)+len(stale) > 0 {
		j.Log.Info("timers reconciled", "restored", len(missing), "dropped", len(stale), "total", len(want))
	}
	return nil
}

// reconcileAgain is the periodic pass: another replica's console may
// have changed the holidays, so the calendar is read again first.
func (j *Jobs) reconcileAgain(ctx context.Context) {
	if err := j.Cases.ReloadCalendar(ctx); err != nil && ctx.Err() == nil {
		j.Log.Error("calendar: reload failed", "err", err)
	}
	if err := j.Reconcile(ctx); err != nil && ctx.Err() == nil {
		j.Log.Error("timers: reconciliation failed", "err", err)
	}
}

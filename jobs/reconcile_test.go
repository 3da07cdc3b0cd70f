package jobs_test

import (
	"context"
	"testing"
	"time"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/handlers"
	"bbcs/internal/testenv"
	"bbcs/jobs"
	"bbcs/timers"
	"bbcs/workday"
)

// Reconciliation gives Redis back the timers the database wants and drops
// the ones of the database's namespaces it no longer wants; a dialog's
// expiry, which only Redis holds, and a timer of no namespace stay.
func TestReconcileDropsOnlyWhatTheDatabasePlans(t *testing.T) {
	ctx := context.Background()
	cal, err := workday.New(workday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, cal.Location())
	clk := clock.NewFrozen(now)
	cases := casework.New(testenv.MySQL(t), clk, cal, casework.Options{}, testenv.Quiet())
	rdb, prefix := testenv.Redis(t)
	engine := timers.New(rdb, prefix, clk, timers.Options{}, testenv.Quiet())
	mux := timers.NewMux(testenv.Quiet())
	j := &jobs.Jobs{Cases: cases, Timers: engine, Mux: mux, Log: testenv.Quiet()}
	cases.HandleTimers(mux)
	(&handlers.Citizens{}).HandleTimers(mux)
	j.HandleTimers(mux)

	later := now.Add(time.Hour)
	kept := []string{handlers.DialogTimerPrefix + "oCitizen", "elsewhere:1"}
	gone := []string{"wo:GD20260301-001:due:1772000000", "monthly:2020-01"}
	for _, id := range append(kept, gone...) {
		if err := engine.Schedule(ctx, id, later); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	have, err := engine.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range kept {
		if _, ok := have[id]; !ok {
			t.Errorf("%s was dropped", id)
		}
	}
	for _, id := range gone {
		if _, ok := have[id]; ok {
			t.Errorf("%s, which the database does not want, was kept", id)
		}
	}
	want, err := cases.WantedTimers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the database wants no timer: nothing to restore")
	}
	for id, at := range want {
		if got, ok := have[id]; !ok || !got.Equal(at) {
			t.Errorf("%s: %v in Redis, the database wants %v", id, got, at)
		}
	}
}

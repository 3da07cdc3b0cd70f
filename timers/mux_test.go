package timers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"bbcs/timers"
)

// Each timer goes to the owner of its namespace; what no owner knows is
// logged and dropped, and the hook runs only after a firing that worked.
func TestTheMuxRoutesEachTimerToItsOwner(t *testing.T) {
	var logs bytes.Buffer
	m := timers.NewMux(slog.New(slog.NewTextHandler(&logs, nil)))
	var got []string
	owner := func(name string, err error) timers.Handler {
		return func(_ context.Context, id string, _ time.Time) error {
			got = append(got, name+" "+id)
			return err
		}
	}
	broken := errors.New("database down")
	m.Handle("wo:", owner("orders", nil))
	m.Handle("rate:", owner("ratings", broken))
	m.Handle("duty:", owner("duty", fmt.Errorf("reading it: %w", timers.ErrUnknownTimer)))
	m.HandleUnplanned("dialog:", owner("dialogs", nil))
	kicks := 0
	m.AfterFiring(func() { kicks++ })

	ctx := context.Background()
	for _, tc := range []struct {
		id      string
		want    error
		kicks   int
		dropped bool
	}{
		{id: "wo:GD1:due:1", kicks: 1},
		{id: "dialog:o1", kicks: 2},
		{id: "rate:BB1:1:remind", want: broken, kicks: 2},
		{id: "duty:bad", kicks: 2, dropped: true},
		{id: "nobody:1", kicks: 2, dropped: true},
	} {
		logs.Reset()
		if err := m.Fire(ctx, tc.id, time.Time{}); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tc.id, err, tc.want)
		}
		if kicks != tc.kicks {
			t.Errorf("%s: the hook ran %d times in all, want %d", tc.id, kicks, tc.kicks)
		}
		if dropped := strings.Contains(logs.String(), "dropping a timer no handler knows"); dropped != tc.dropped {
			t.Errorf("%s: logged as dropped %v, want %v: %s", tc.id, dropped, tc.dropped, logs.String())
		}
	}
	want := []string{"orders wo:GD1:due:1", "dialogs dialog:o1", "ratings rate:BB1:1:remind", "duty duty:bad"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("handlers called: %q, want %q", got, want)
	}

	for id, want := range map[string][2]bool{ // owned, planned
		"wo:GD1:cap": {true, true}, "dialog:o1": {true, false}, "nobody:1": {false, false}, "wo": {false, false},
	} {
		if owns, planned := m.Owns(id), m.Planned(id); owns != want[0] || planned != want[1] {
			t.Errorf("%s: owned %v planned %v, want %v %v", id, owns, planned, want[0], want[1])
		}
	}
}

// A namespace has one owner: a second registration of a prefix, or of one
// inside or around it, is a wiring mistake and panics at start.
func TestTheMuxRefusesASecondOwner(t *testing.T) {
	nop := func(context.Context, string, time.Time) error { return nil }
	for _, prefix := range []string{"wo:", "wo:GD", "w", ""} {
		m := timers.NewMux(nil)
		m.Handle("wo:", nop)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q beside \"wo:\" was accepted", prefix)
				}
			}()
			m.HandleUnplanned(prefix, nop)
		}()
	}
	m := timers.NewMux(nil)
	m.Handle("wo:", nop)
	m.Handle("wait:", nop) // shares a letter, not a prefix
}

package workday_test

import (
	"sync"
	"testing"
	"time"

	"bbcs/workday"
)

// One Calendar serves every request; run with -race.
func TestConcurrentUse(t *testing.T) {
	b, err := workday.LoadOverrideFile(override2027)
	if err != nil {
		t.Fatal(err)
	}
	opts := workday.Options{Override: b}
	c := newCal(t, opts)
	start := at("2026-01-01 10:00")
	want := make([]time.Time, 400)
	for i := range want {
		want[i] = c.DueAt(start.AddDate(0, 0, i), 3)
	}

	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			// The embedded data is parsed once and shared by every Calendar.
			own, err := workday.New(opts)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range want {
				i := (i + g*25) % len(want)
				r := start.AddDate(0, 0, i)
				for _, cal := range []*workday.Calendar{c, own} {
					if got := cal.DueAt(r, 3); !got.Equal(want[i]) {
						t.Errorf("goroutine %d: DueAt(%s) = %s, want %s", g, show(r), show(got), show(want[i]))
						return
					}
				}
				c.IsWorkday(r)
				c.Day(r)
				c.WorkdaysBetween(r, want[i])
				c.Unpublished(r, want[i])
				c.MissingNextYear(r)
			}
			c.Years()
		})
	}
	wg.Wait()
}

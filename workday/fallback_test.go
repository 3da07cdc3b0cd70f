package workday_test

import (
	"fmt"
	"testing"
	"time"

	"bbcs/workday"
)

// 2028 has no notice: weekends plus the statutory holidays, no make-up days.
func TestFallback2028(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, tc := range []struct {
		date    string
		working bool
		name    string
	}{
		{"2028-01-01", false, "元旦"},      // Saturday and 元旦
		{"2028-01-24", true, ""},         // Monday
		{"2028-01-25", false, "春节"},      // 除夕, Tuesday
		{"2028-01-28", false, "春节"},      // 正月初三, Friday
		{"2028-01-29", false, ""},        // Saturday: no make-up day without a notice
		{"2028-01-31", true, ""},         // Monday
		{"2028-04-04", false, "清明节"},     // Tuesday
		{"2028-05-01", false, "劳动节"},     // Monday
		{"2028-05-02", false, "劳动节"},     // Tuesday
		{"2028-05-03", true, ""},         // Wednesday: no bridging either
		{"2028-05-28", false, "端午节"},     // Sunday
		{"2028-10-03", false, "国庆节、中秋节"}, // 中秋 falls on 国庆
		{"2028-10-04", true, ""},         // Wednesday
	} {
		d := c.Day(at(tc.date))
		if d.Working != tc.working || d.Name != tc.name || !d.Estimated || d.MakeUp {
			t.Errorf("%s: got %+v, want working=%v name=%q estimated", tc.date, d, tc.working, tc.name)
		}
	}

	r := at("2028-01-24 10:00")
	due := c.DueAt(r, 3)
	if want := at("2028-02-02 18:00"); !due.Equal(want) {
		t.Errorf("DueAt = %s, want %s", show(due), show(want))
	}
	if got := c.Unpublished(r, due); fmt.Sprint(got) != "[2028]" {
		t.Errorf("Unpublished = %v, want [2028]", got)
	}
	if c.Published(2028) {
		t.Error("Published(2028)")
	}
}

// A deadline that crosses into an unpublished year is estimated, and says so.
func TestFallbackAcrossNewYear(t *testing.T) {
	c := newCal(t, workday.Options{})
	r := at("2026-12-31 10:00")
	due := c.DueAt(r, 3)
	if want := at("2027-01-06 18:00"); !due.Equal(want) {
		t.Errorf("DueAt = %s, want %s", show(due), show(want))
	}
	if got := c.Unpublished(r, due); fmt.Sprint(got) != "[2027]" {
		t.Errorf("Unpublished = %v, want [2027]", got)
	}
}

func TestUnpublished(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, tc := range []struct {
		from, to string
		want     string
	}{
		{"2026-03-01", "2026-03-31", "[]"},
		{"2020-01-01", "2026-12-31", "[]"},
		{"2026-12-01", "2028-02-01", "[2027 2028]"},
		{"2028-02-01", "2026-12-01", "[2027 2028]"},
		{"2019-06-01", "2020-01-10", "[2019]"},
	} {
		if got := c.Unpublished(at(tc.from), at(tc.to)); fmt.Sprint(got) != tc.want {
			t.Errorf("Unpublished(%s, %s) = %v, want %s", tc.from, tc.to, got, tc.want)
		}
	}
	// The year is read in the calendar's location: 2026-12-31 16:30 UTC is
	// already 2027 in Beijing.
	utc := time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)
	if got := c.Unpublished(utc, utc); fmt.Sprint(got) != "[2027]" {
		t.Errorf("Unpublished(%v) = %v, want [2027]", utc, got)
	}
}

// Beyond the precomputed statutory table only the fixed-date holidays are
// known; the year is still reported as unpublished.
func TestFallbackBeyondStatutoryTable(t *testing.T) {
	c := newCal(t, workday.Options{})
	if d := c.Day(at("2061-10-03")); d.Working || d.Name != "国庆节" || !d.Estimated {
		t.Errorf("2061-10-03 = %+v", d)
	}
	if d := c.Day(at("2061-03-01")); !d.Working || !d.Estimated {
		t.Errorf("2061-03-01 (Tuesday) = %+v", d)
	}
}

func TestMissingNextYear(t *testing.T) {
	c := newCal(t, workday.Options{})
	with2027 := loadOverride(t, override2027)
	for _, tc := range []struct {
		cal     *workday.Calendar
		now     time.Time
		year    int
		missing bool
	}{
		{c, at("2026-11-26 10:00"), 2027, true},
		{c, at("2026-10-31 23:59"), 2027, false},
		{c, at("2026-11-01 00:00"), 2027, true},
		{c, time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), 2027, true}, // 11-01 00:00 in Beijing
		{c, at("2026-12-31 23:59"), 2027, true},
		{c, at("2027-01-05 10:00"), 2028, false},
		{c, at("2025-11-15 10:00"), 2026, false},
		{with2027, at("2026-11-26 10:00"), 2027, false},
	} {
		year, missing := tc.cal.MissingNextYear(tc.now)
		if year != tc.year || missing != tc.missing {
			t.Errorf("MissingNextYear(%s) = %d, %v; want %d, %v", show(tc.now), year, missing, tc.year, tc.missing)
		}
	}
}

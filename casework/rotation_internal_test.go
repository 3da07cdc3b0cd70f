package casework

import (
	"testing"
	"time"

	"bbcs/workday"
)

// TestRotationDay: the kept count is the count walked from 2020-01-01,
// for every day of 2020–2027 at any hour, with the calendar swapped (as
// the console's holiday edits do) between the calls.
func TestRotationDay(t *testing.T) {
	cal, err := workday.New(workday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := workday.New(workday.Options{Override: []byte(
		`{"year": 2024, "source": "test", "days": [{"name": "x", "date": "2024-03-04", "off": true}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{}
	loc := cal.Location()
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, loc)
	for d := epoch; d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		date := d.Format(time.DateOnly)
		want := map[*workday.Calendar]int{cal: cal.WorkdaysBetween(epoch, d), other: other.WorkdaysBetween(epoch, d)}
		for _, c := range []*workday.Calendar{cal, other, cal} {
			for _, at := range []time.Duration{0, 9 * time.Hour, 23*time.Hour + 59*time.Minute} {
				now := d.Add(at)
				if got := s.rotationDay(c, date, now); got != want[c] {
					t.Fatalf("%s: %d, want %d", now, got, want[c])
				}
			}
		}
	}
}

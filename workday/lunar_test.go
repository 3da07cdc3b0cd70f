package workday_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/6tail/lunar-go/calendar"

	"bbcs/workday"
)

// The shipped tables were generated from lunar-go; this catches a hand edit
// or a generator bug, date by date, for every shipped year. lunar-go is read
// only, never Fix-ed: Fix mutates its package state without a lock.
func TestShippedYearsMatchLunarGo(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, y := range c.Years() {
		mismatches := 0
		eachDay(fmt.Sprintf("%d-01-01", y.Year), fmt.Sprintf("%d-12-31", y.Year), func(d time.Time) {
			want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
			if h := HolidayUtil.GetHoliday(d.Format(time.DateOnly)); h != nil {
				want = h.IsWork()
			}
			if got := c.IsWorkday(d); got != want && mismatches < 5 {
				mismatches++
				t.Errorf("%s: IsWorkday = %v, lunar-go says %v", show(d), got, want)
			}
		})
	}
}

// The statutory table (for years without a notice) is checked against
// lunar-go computed another way than the generator's: 清明 from the lunar
// year's solar-term table rather than by scanning April.
func TestStatutoryTableMatchesLunarGo(t *testing.T) {
	c := newCal(t, workday.Options{})
	for y := 2027; y <= 2060; y++ {
		newYear := calendar.NewLunarFromYmd(y, 1, 1).GetSolar()
		want := map[string][]string{
			"春节":  {newYear.NextDay(-1).ToYmd(), newYear.ToYmd(), newYear.NextDay(1).ToYmd(), newYear.NextDay(2).ToYmd()},
			"清明节": {calendar.NewLunarFromYmd(y, 1, 1).GetJieQiTable()["清明"].ToYmd()},
			"端午节": {calendar.NewLunarFromYmd(y, 5, 5).GetSolar().ToYmd()},
			"中秋节": {calendar.NewLunarFromYmd(y, 8, 15).GetSolar().ToYmd()},
			"元旦":  {fmt.Sprintf("%d-01-01", y)},
			"劳动节": {fmt.Sprintf("%d-05-01", y), fmt.Sprintf("%d-05-02", y)},
			"国庆节": {fmt.Sprintf("%d-10-01", y), fmt.Sprintf("%d-10-02", y), fmt.Sprintf("%d-10-03", y)},
		}
		for name, dates := range want {
			for _, s := range dates {
				d := c.Day(at(s))
				if d.Working || !d.Estimated || !strings.Contains(d.Name, name) {
					t.Errorf("%s: got %+v, want the statutory %s", s, d, name)
				}
			}
		}
		// Exactly the 13 statutory days, no more; one date may carry two
		// (中秋 on 国庆 in 2028).
		count := 0
		eachDay(fmt.Sprintf("%d-01-01", y), fmt.Sprintf("%d-12-31", y), func(d time.Time) {
			if n := c.Day(d).Name; n != "" {
				count += len(strings.Split(n, "、"))
			}
		})
		if count != 13 {
			t.Errorf("%d: %d statutory days, want 13", y, count)
		}
	}
}

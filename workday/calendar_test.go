package workday_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"bbcs/workday"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at reads "2026-03-10 10:00" or "2026-03-10" in Beijing time.
func at(s string) time.Time {
	layout := "2006-01-02 15:04"
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.ParseInLocation(layout, s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func newCal(t *testing.T, opts workday.Options) *workday.Calendar {
	t.Helper()
	c, err := workday.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func show(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04 Mon") }

func eachDay(from, to string, f func(time.Time)) {
	for d := at(from); !d.After(at(to)); d = d.AddDate(0, 0, 1) {
		f(d)
	}
}

// The 2026 table of calendar.md, row by row (国务院办公厅关于2026年部分节假日安排的通知).
func Test2026Table(t *testing.T) {
	c := newCal(t, workday.Options{})
	rows := []struct {
		holiday  string
		from, to string
		makeUp   []string
	}{
		{"元旦", "2026-01-01", "2026-01-03", []string{"2026-01-04"}},
		{"春节", "2026-02-15", "2026-02-23", []string{"2026-02-14", "2026-02-28"}},
		{"清明节", "2026-04-04", "2026-04-06", nil},
		{"劳动节", "2026-05-01", "2026-05-05", []string{"2026-05-09"}},
		{"端午节", "2026-06-19", "2026-06-21", nil},
		{"中秋节", "2026-09-25", "2026-09-27", nil},
		{"国庆节", "2026-10-01", "2026-10-07", []string{"2026-09-20", "2026-10-10"}},
	}
	for _, r := range rows {
		t.Run(r.holiday, func(t *testing.T) {
			eachDay(r.from, r.to, func(d time.Time) {
				got := c.Day(d)
				if got.Working || got.Name != r.holiday || got.MakeUp || got.Estimated {
					t.Errorf("%s: got %+v, want a day off for %s", show(d), got, r.holiday)
				}
				if c.IsWorkday(d) {
					t.Errorf("IsWorkday(%s) = true", show(d))
				}
			})
			for _, s := range r.makeUp {
				d := at(s)
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					t.Errorf("%s: make-up day is a %s in the table", s, wd)
				}
				got := c.Day(d)
				if !got.Working || !got.MakeUp || got.Name != r.holiday {
					t.Errorf("%s: got %+v, want a make-up working day for %s", s, got, r.holiday)
				}
				if !c.IsWorkday(d) {
					t.Errorf("IsWorkday(%s) = false", s)
				}
			}
		})
	}
}

func TestOrdinaryDays2026(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, tc := range []struct {
		date    string
		working bool
	}{
		{"2026-03-10", true},  // Tuesday
		{"2026-03-14", false}, // Saturday
		{"2026-03-15", false}, // Sunday
		{"2026-10-08", true},  // first day back after 国庆
		{"2026-10-11", false}, // the Sunday after the make-up Saturday
		{"2026-12-31", true},
	} {
		if got := c.Day(at(tc.date)); got.Working != tc.working || got.Name != "" || got.MakeUp || got.Estimated {
			t.Errorf("%s: got %+v, want working=%v and no holiday", tc.date, got, tc.working)
		}
	}
}

func TestWorkingDaysPerYear(t *testing.T) {
	c := newCal(t, workday.Options{})
	if got := c.WorkdaysBetween(at("2025-12-31"), at("2026-12-31")); got != 248 {
		t.Errorf("2026 has %d working days, want 248", got)
	}
	// Weekdays minus working days is the number of statutory days: 13 since
	// the 2024 revision of 《全国年节及纪念日放假办法》 took effect on
	// 2025-01-01 (除夕 and 5-02 added), 11 under the 2013 text before. 2020
	// is 13, not 11: the Spring Festival was extended to 2 February
	// (国办发明电〔2020〕1号), taking Friday 31 January and the make-up
	// Saturday 1 February.
	want := map[int]int{2020: 13, 2021: 11, 2022: 11, 2023: 11, 2024: 11, 2025: 13, 2026: 13}
	var years []int
	for _, y := range c.Years() {
		years = append(years, y.Year)
	}
	if fmt.Sprint(years) != "[2020 2021 2022 2023 2024 2025 2026]" {
		t.Fatalf("shipped years %v, want 2020 to 2026", years)
	}
	for _, y := range years {
		weekdays, working := 0, 0
		eachDay(fmt.Sprintf("%d-01-01", y), fmt.Sprintf("%d-12-31", y), func(d time.Time) {
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				weekdays++
			}
			if c.IsWorkday(d) {
				working++
			}
		})
		if got := weekdays - working; got != want[y] {
			t.Errorf("%d: weekdays %d - working days %d = %d, want %d", y, weekdays, working, got, want[y])
		}
	}
}

func TestShippedYears(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, y := range c.Years() {
		if !c.Published(y.Year) || y.Override {
			t.Errorf("%d: Published=%v Override=%v", y.Year, c.Published(y.Year), y.Override)
		}
		title := fmt.Sprintf("国务院办公厅关于%d年部分节假日安排的通知", y.Year)
		if !strings.Contains(y.Source, title) || !strings.Contains(y.Source, "https://www.gov.cn/") {
			t.Errorf("%d: source %q does not name the notice and its link", y.Year, y.Source)
		}
	}
	// lunar-go carries a 2027 table, but no notice backs it yet (calendar.md).
	if c.Published(2027) {
		t.Error("2027 is shipped, but its notice is not published")
	}
	if got := c.Years()[6].Source; !strings.Contains(got, "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm") {
		t.Errorf("2026 source %q, want the notice of calendar.md", got)
	}
}

func TestDueAt(t *testing.T) {
	c := newCal(t, workday.Options{})
	tests := []struct {
		name     string
		received string
		n        int
		want     string
	}{
		// Worked examples of calendar.md.
		{"ordinary week", "2026-03-10 10:00", 3, "2026-03-13 18:00"},
		{"ordinary week, 10-day cap", "2026-03-10 10:00", 10, "2026-03-24 18:00"},
		{"eve of 国庆, due on the make-up Saturday", "2026-09-30 10:00", 3, "2026-10-10 18:00"},
		{"eve of 国庆, 10-day cap", "2026-09-30 10:00", 10, "2026-10-20 18:00"},
		{"received on 中秋", "2026-09-25 10:00", 3, "2026-09-30 18:00"},

		{"Thursday before 中秋 and 国庆", "2026-09-24 10:00", 3, "2026-09-30 18:00"},
		{"Thursday before 中秋 and 国庆, cap", "2026-09-24 10:00", 10, "2026-10-15 18:00"},
		{"on a make-up Saturday before 春节", "2026-02-14 10:00", 3, "2026-02-26 18:00"},
		{"on a make-up Saturday before 春节, cap", "2026-02-14 10:00", 10, "2026-03-06 18:00"},
		{"on a make-up Saturday after 国庆", "2026-10-10 10:00", 3, "2026-10-14 18:00"},
		{"on a make-up Sunday", "2026-09-20 10:00", 3, "2026-09-23 18:00"},
		{"on an ordinary Saturday", "2026-03-14 10:00", 3, "2026-03-18 18:00"},
		{"on a 国庆 holiday", "2026-10-03 10:00", 3, "2026-10-10 18:00"},

		// Only the date counts, whatever the hour (legal reading).
		{"at 23:59", "2026-03-10 23:59", 3, "2026-03-13 18:00"},
		{"at 00:00 the next day", "2026-03-11 00:00", 3, "2026-03-16 18:00"},
		{"at 23:59 on the eve of 国庆", "2026-09-30 23:59", 3, "2026-10-10 18:00"},
		{"at 00:00 on 国庆", "2026-10-01 00:00", 3, "2026-10-10 18:00"},
		{"after hours", "2026-03-10 19:30", 3, "2026-03-13 18:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.DueAt(at(tc.received), tc.n); !got.Equal(at(tc.want)) {
				t.Errorf("DueAt(%s, %d) = %s, want %s", tc.received, tc.n, show(got), show(at(tc.want)))
			}
		})
	}
}

func TestDueAtAfterHoursNextDay(t *testing.T) {
	legal := newCal(t, workday.Options{})
	local := newCal(t, workday.Options{AfterHoursNextDay: true})
	tests := []struct {
		name      string
		received  string
		n         int
		wantLocal string
	}{
		{"within hours: as the legal reading", "2026-03-10 10:00", 3, "2026-03-13 18:00"},
		{"at 18:00 exactly: still within the day", "2026-03-10 18:00", 3, "2026-03-13 18:00"},
		{"at 18:01", "2026-03-10 18:01", 3, "2026-03-16 18:00"},
		{"at 23:59", "2026-03-10 23:59", 3, "2026-03-16 18:00"},
		{"at 00:00 the next day", "2026-03-11 00:00", 3, "2026-03-16 18:00"},
		{"on an ordinary Saturday", "2026-03-14 10:00", 3, "2026-03-19 18:00"},
		{"on 中秋", "2026-09-25 10:00", 3, "2026-10-08 18:00"},
		{"on a make-up Saturday, within hours", "2026-10-10 10:00", 3, "2026-10-14 18:00"},
		{"on a make-up Saturday, after hours", "2026-10-10 20:00", 3, "2026-10-15 18:00"},
		{"eve of 国庆, after hours", "2026-09-30 19:00", 3, "2026-10-12 18:00"},
		{"eve of 国庆, after hours, cap", "2026-09-30 19:00", 10, "2026-10-21 18:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := at(tc.received)
			got := local.DueAt(r, tc.n)
			if !got.Equal(at(tc.wantLocal)) {
				t.Errorf("local DueAt(%s, %d) = %s, want %s", tc.received, tc.n, show(got), show(at(tc.wantLocal)))
			}
			// The variant is one working day later or the same, never more.
			l := legal.DueAt(r, tc.n)
			if d := legal.WorkdaysBetween(l, got); d != 0 && d != 1 {
				t.Errorf("local is %d working days after legal %s", d, show(l))
			}
		})
	}
}

func TestAddWorkdays(t *testing.T) {
	c := newCal(t, workday.Options{})
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-09-30 10:00", 1, "2026-10-08"},
		{"2026-09-30 10:00", 3, "2026-10-10"},
		{"2026-10-01 10:00", 1, "2026-10-08"},
		{"2026-03-10 23:59", 0, "2026-03-10"},
		{"2026-10-08 10:00", -1, "2026-09-30"},
		{"2026-10-12 10:00", -1, "2026-10-10"},
		{"2026-02-24 10:00", -1, "2026-02-14"},
	}
	for _, tc := range tests {
		got := c.AddWorkdays(at(tc.from), tc.n)
		if !got.Equal(at(tc.want)) || got.Location().String() != "Asia/Shanghai" {
			t.Errorf("AddWorkdays(%s, %d) = %s in %v, want midnight %s in Asia/Shanghai", tc.from, tc.n, show(got), got.Location(), tc.want)
		}
	}
}

// The date is read in the calendar's location, not in the time's own.
func TestLocation(t *testing.T) {
	c := newCal(t, workday.Options{})
	if c.Location().String() != "Asia/Shanghai" {
		t.Fatalf("default location %v", c.Location())
	}
	// 2026-03-10 16:30 UTC is 2026-03-11 00:30 in Beijing.
	r := time.Date(2026, 3, 10, 16, 30, 0, 0, time.UTC)
	if got := c.DueAt(r, 3); !got.Equal(at("2026-03-16 18:00")) {
		t.Errorf("DueAt(%v) = %s, want 2026-03-16 18:00", r, show(got))
	}
	// 2026-10-09 20:00 in New York is Saturday 10-10 08:00 in Beijing: a
	// make-up working day.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	if !c.IsWorkday(time.Date(2026, 10, 9, 20, 0, 0, 0, ny)) {
		t.Error("IsWorkday read the date in the time's own location")
	}
	other := newCal(t, workday.Options{Location: ny})
	if got := other.EndOf(at("2026-03-10 10:00")); got.Location().String() != ny.String() || got.Hour() != 18 || got.Day() != 9 {
		t.Errorf("EndOf in New York = %v", got)
	}
}

func TestEndOfAndMorning(t *testing.T) {
	def := newCal(t, workday.Options{})
	if got := def.EndOf(at("2026-03-10 03:00")); !got.Equal(at("2026-03-10 18:00")) {
		t.Errorf("EndOf = %s", show(got))
	}
	if got := def.MorningOf(at("2026-03-10 23:00")); !got.Equal(at("2026-03-10 09:00")) {
		t.Errorf("MorningOf = %s", show(got))
	}
	c := newCal(t, workday.Options{EndOfDay: 17*time.Hour + 30*time.Minute, Morning: 8*time.Hour + 30*time.Minute})
	if got := c.DueAt(at("2026-03-10 10:00"), 3); !got.Equal(at("2026-03-13 17:30")) {
		t.Errorf("DueAt with EndOfDay 17:30 = %s", show(got))
	}
	if got := c.MorningOf(c.DueAt(at("2026-03-10 10:00"), 3)); !got.Equal(at("2026-03-13 08:30")) {
		t.Errorf("MorningOf the due day = %s", show(got))
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		opts workday.Options
		want string
	}{
		{workday.Options{EndOfDay: 25 * time.Hour}, "EndOfDay"},
		{workday.Options{EndOfDay: -time.Hour}, "EndOfDay"},
		{workday.Options{Morning: 19 * time.Hour}, "Morning"},
		{workday.Options{Morning: 9 * time.Hour, EndOfDay: 8 * time.Hour}, "Morning"},
	} {
		_, err := workday.New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error about %s", tc.opts, err, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	c := newCal(t, workday.Options{})
	got, err := c.ParseDate("2026-10-08")
	if err != nil || !got.Equal(at("2026-10-08")) || got.Location().String() != "Asia/Shanghai" {
		t.Errorf("ParseDate = %v, %v", got, err)
	}
	for _, s := range []string{"", "2026-02-30", "2026/10/08", "2026-1-5", "08.10.2026", "2026-10-08T00:00:00Z"} {
		_, err := c.ParseDate(s)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("ParseDate(%q) error = %v, want one naming the input and the format", s, err)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := newCal(t, workday.Options{})
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2026-09-30 10:00", "2026-10-10 18:00", 3},
		{"2026-10-10 18:00", "2026-09-30 10:00", -3},
		{"2026-03-10 08:00", "2026-03-10 20:00", 0},
		{"2026-03-10 10:00", "2026-03-24 10:00", 10},
	} {
		if got := c.WorkdaysBetween(at(tc.from), at(tc.to)); got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

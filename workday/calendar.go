package workday

import (
	"fmt"
	"sort"
	"time"
)

// Options configures a Calendar. The zero value is the legal reading in
// Beijing time with deadlines at 18:00.
type Options struct {
	Location *time.Location // default Asia/Shanghai when nil
	EndOfDay time.Duration  // offset from midnight, e.g. 18*time.Hour; default 18h
	Morning  time.Duration  // reminder time on a day, default 9h

	// AfterHoursNextDay is a local variant: an order received after EndOfDay
	// on a working day, or on a day off, counts as received on the next
	// working day, so it is due one working day later than the legal
	// reading. Default false = legal reading (民法典 第二百零一条).
	AfterHoursNextDay bool

	// Override is the administrator's override file (see LoadOverrideFile),
	// nil for none. It has the format of the embedded data/YYYY.json files,
	// either one year object or a JSON array of them:
	//
	//	[{"year": 2027,
	//	  "source": "国务院办公厅关于2027年部分节假日安排的通知 https://www.gov.cn/…",
	//	  "days": [{"name": "元旦", "date": "2027-01-01", "off": true},
	//	           {"name": "春节", "date": "2027-02-14", "off": false}, …]}]
	//
	// "off" is true for a day off and false for a make-up working day; a
	// date not listed follows the week (Monday to Friday working). A listed date
	// replaces the embedded entry for that date, so one entry corrects one
	// day; a listed year counts as published (official) from then on, so a
	// year the package does not ship must be listed in full. A date may fall
	// in the year before or after its year, as notices do (the 2023 notice
	// gives 2022-12-31 off). A file of holiday-cn
	// (github.com/NateScarlet/holiday-cn) can be used as it is: "isOffDay"
	// and "papers" are read as "off" and "source", and its empty placeholder
	// for an unpublished year is refused rather than read as a year without
	// holidays. Empty contents mean no override.
	Override []byte

	// OverrideName names the override in errors and, when its year has no
	// "source", in YearInfo.Source: normally the file's path. Default
	// "override".
	OverrideName string

	// More are further overrides in the same format, applied after
	// Override in order, so a later one wins for the dates it lists: the
	// years an administrator entered in the console, say.
	More []Source
}

// Source is one override and the name it goes by in errors.
type Source struct {
	Name string
	Data []byte
}

// Calendar answers working-day questions. It is immutable after New and
// safe for concurrent use.
type Calendar struct {
	loc               *time.Location
	endOfDay, morning time.Duration
	afterHoursNextDay bool

	days      map[int]entry // official entries by civil day number
	years     map[int]YearInfo
	statutory map[int]statutoryYear // shared with the embedded data, read only
}

type entry struct {
	name string
	off  bool
}

// YearInfo describes a year with official data, for the console and the
// start-up log.
type YearInfo struct {
	Year     int
	Source   string // the notice, or the override's source
	Override bool   // the override file added or corrected the year
}

// Day describes one calendar date.
type Day struct {
	Date      time.Time // midnight in the calendar's location
	Working   bool
	Name      string // the holiday for a day off or a make-up working day, else ""
	MakeUp    bool   // a Saturday or Sunday that is a working day (调休上班)
	Estimated bool   // the year has no official data: statutory holidays only
}

// New builds a Calendar from the embedded years and opts.Override. Errors in
// the override name the file, line and date (see DataError).
func New(opts Options) (*Calendar, error) {
	c := &Calendar{
		loc:               opts.Location,
		endOfDay:          opts.EndOfDay,
		morning:           opts.Morning,
		afterHoursNextDay: opts.AfterHoursNextDay,
	}
	if c.loc == nil {
		c.loc = shanghai()
	}
	if c.endOfDay == 0 {
		c.endOfDay = 18 * time.Hour
	}
	if c.morning == 0 {
		c.morning = 9 * time.Hour
	}
	if c.endOfDay < 0 || c.endOfDay > 24*time.Hour {
		return nil, fmt.Errorf("workday: EndOfDay %v is not within a day", c.endOfDay)
	}
	// A reminder after the deadline would arrive too late to act on.
	if c.morning < 0 || c.morning >= c.endOfDay {
		return nil, fmt.Errorf("workday: Morning %v must fall before EndOfDay %v", c.morning, c.endOfDay)
	}

	emb, err := loadEmbedded()
	if err != nil {
		return nil, fmt.Errorf("workday: load embedded data: %w", err)
	}
	c.statutory = emb.statutory
	c.days = make(map[int]entry, 40*len(emb.years))
	c.years = make(map[int]YearInfo, len(emb.years))
	for _, y := range emb.years {
		c.add(y)
		c.years[y.year] = YearInfo{Year: y.year, Source: y.source}
	}

	name := opts.OverrideName
	if name == "" {
		name = "override"
	}
	for _, src := range append([]Source{{Name: name, Data: opts.Override}}, opts.More...) {
		if err := c.override(src); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Calendar) override(src Source) error {
	over, err := parseFile(src.Name, src.Data)
	if err != nil {
		return fmt.Errorf("workday: load override: %w", err)
	}
	for _, y := range over {
		// A year bbcs does not ship must come whole: half of one would
		// silently turn 除夕 into a working day. A shipped year may be
		// corrected a day at a time.
		if _, shipped := c.years[y.year]; !shipped {
			if err := c.whole(src.Name, y); err != nil {
				return fmt.Errorf("workday: load override: %w", err)
			}
		}
		c.add(y)
		info := c.years[y.year]
		info.Year, info.Override = y.year, true
		switch {
		case y.source != "":
			info.Source = y.source
		case info.Source == "":
			info.Source = src.Name
		}
		c.years[y.year] = info
	}
	return nil
}

func (c *Calendar) add(y yearData) {
	for _, d := range y.days {
		c.days[d.day] = entry{name: d.name, off: d.off}
	}
}

// shanghai falls back to a fixed UTC+8 where the system has no time zone
// database (minimal containers on an intranet): China has kept UTC+8 without
// daylight saving since 1991, so the answers are the same.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// Location is the time zone in which dates are read.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkday reports whether t's calendar date, in c's location, is a
// working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.Day(t).Working
}

// Day describes t's calendar date in c's location.
func (c *Calendar) Day(t time.Time) Day {
	n := c.civil(t)
	d := c.day(n)
	d.Date = c.midnight(n)
	return d
}

// day decides one date: an official entry first, then the year's weekends if
// the year is published, else the statutory fallback.
func (c *Calendar) day(n int) Day {
	weekend := isWeekend(n)
	if e, ok := c.days[n]; ok {
		return Day{Working: !e.off, Name: e.name, MakeUp: weekend && !e.off}
	}
	if _, ok := c.years[yearOf(n)]; ok {
		return Day{Working: !weekend}
	}
	if name := c.statutoryHoliday(n); name != "" {
		return Day{Name: name, Estimated: true}
	}
	return Day{Working: !weekend, Estimated: true}
}

func (c *Calendar) working(n int) bool { return c.day(n).Working }

// AddWorkdays returns midnight (in c's location) of the n-th working day
// strictly after t's date: the day of receipt is not counted (民法典 第二百零一条),
// and from a day off the first working day after it is day 1. n == 0 returns
// midnight of t's date; n < 0 counts back to the |n|-th working day strictly
// before it.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	return c.midnight(c.addWorkdays(c.civil(t), n))
}

func (c *Calendar) addWorkdays(day, n int) int {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		day += step
		if c.working(day) {
			n--
		}
	}
	return day
}

// DueAt is the deadline for an order received at received with n working
// days to answer (第十二条: 3, and 10 at most with an extension): the end
// of the n-th working day after the day of receipt. With AfterHoursNextDay,
// an order received after EndOfDay, or on a day off, counts from the next
// working day, one working day later. An order received at EndOfDay exactly
// is still within the day, as a deadline at EndOfDay is still met.
func (c *Calendar) DueAt(received time.Time, n int) time.Time {
	if c.afterHoursNextDay && n > 0 && c.afterHours(received) {
		n++
	}
	return c.EndOf(c.AddWorkdays(received, n))
}

func (c *Calendar) afterHours(t time.Time) bool {
	return !c.IsWorkday(t) || t.After(c.EndOf(t))
}

// EndOf is EndOfDay on date's calendar date in c's location.
func (c *Calendar) EndOf(date time.Time) time.Time {
	return c.at(date, c.endOfDay)
}

// MorningOf is the reminder time on date's calendar date in c's location.
func (c *Calendar) MorningOf(date time.Time) time.Time {
	return c.at(date, c.morning)
}

// at reads off as wall-clock time, so that 18:00 stays 18:00 on a day with
// a daylight-saving change in a location that has them.
func (c *Calendar) at(date time.Time, off time.Duration) time.Time {
	y, m, d := date.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, int(off), c.loc)
}

// ParseDate reads "YYYY-MM-DD" as midnight in c's location.
func (c *Calendar) ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, c.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("workday: date %q: want YYYY-MM-DD, e.g. 2026-10-08: %w", s, err)
	}
	return t, nil
}

// Published reports whether year has official data, embedded or from the
// override file.
func (c *Calendar) Published(year int) bool {
	_, ok := c.years[year]
	return ok
}

// Unpublished lists, in order, the years touched by [from, to] that have no
// official data: answers in them are estimated from the statutory holidays
// and callers should say so.
func (c *Calendar) Unpublished(from, to time.Time) []int {
	y1, y2 := c.civilYear(from), c.civilYear(to)
	if y1 > y2 {
		y1, y2 = y2, y1
	}
	var out []int
	for y := y1; y <= y2; y++ {
		if !c.Published(y) {
			out = append(out, y)
		}
	}
	return out
}

// Years lists the years with official data, in order.
func (c *Calendar) Years() []YearInfo {
	out := make([]YearInfo, 0, len(c.years))
	for _, y := range c.years {
		out = append(out, y)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// MissingNextYear reports, from 1 November of now's year, whether next
// year's table is missing: the notice usually appears between late October
// and mid-December, and deadlines cross New Year from then on. Before
// November it returns next year and false.
func (c *Calendar) MissingNextYear(now time.Time) (year int, missing bool) {
	t := now.In(c.loc)
	year = t.Year() + 1
	if t.Month() < time.November {
		return year, false
	}
	return year, !c.Published(year)
}

// WorkdaysBetween counts the working days in (from's date, to's date], the
// way deadlines count them; negative when to's date is before from's.
func (c *Calendar) WorkdaysBetween(from, to time.Time) int {
	a, b := c.civil(from), c.civil(to)
	sign := 1
	if b < a {
		a, b, sign = b, a, -1
	}
	count := 0
	for n := a + 1; n <= b; n++ {
		if c.working(n) {
			count++
		}
	}
	return sign * count
}

// civil is t's calendar date in c's location as a civil day number.
func (c *Calendar) civil(t time.Time) int {
	y, m, d := t.In(c.loc).Date()
	return civil(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

func (c *Calendar) civilYear(t time.Time) int { return t.In(c.loc).Year() }

func (c *Calendar) midnight(n int) time.Time {
	y, m, d := dateOf(n)
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// Dates are handled as civil day numbers (days since 1970-01-01) so that
// stepping a day is n+1, free of time zones and daylight saving.
const secondsPerDay = 24 * 60 * 60

// civil is the day number of t's date in t's own location.
func civil(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

func dateOf(n int) (int, time.Month, int) {
	return time.Unix(int64(n)*secondsPerDay, 0).UTC().Date()
}

func yearOf(n int) int {
	y, _, _ := dateOf(n)
	return y
}

func isWeekend(n int) bool {
	wd := time.Weekday(((n+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
	return wd == time.Saturday || wd == time.Sunday
}

package workday

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// statutoryYear holds one year's statutory holidays whose dates move: the
// lunar ones and 清明 (a solar term). They are precomputed by internal/gen
// because the package keeps to the standard library.
type statutoryYear struct {
	chuxi, qingming, duanwu, zhongqiu int // civil day numbers
}

func parseStatutory(name string, data []byte) (map[int]statutoryYear, error) {
	var f struct {
		Law   string `json:"law"`
		Note  string `json:"note"`
		Years []struct {
			Year     int    `json:"year"`
			Chuxi    string `json:"chuxi"`
			Qingming string `json:"qingming"`
			Duanwu   string `json:"duanwu"`
			Zhongqiu string `json:"zhongqiu"`
		} `json:"years"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, &DataError{File: name, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	out := make(map[int]statutoryYear, len(f.Years))
	for _, y := range f.Years {
		var s statutoryYear
		for _, field := range []struct {
			dst  *int
			date string
		}{{&s.chuxi, y.Chuxi}, {&s.qingming, y.Qingming}, {&s.duanwu, y.Duanwu}, {&s.zhongqiu, y.Zhongqiu}} {
			t, err := time.Parse(time.DateOnly, field.date)
			if err != nil {
				return nil, &DataError{File: name, Date: field.date, Err: fmt.Errorf("year %d: %w", y.Year, err)}
			}
			if t.Year() != y.Year {
				return nil, &DataError{File: name, Date: field.date, Err: fmt.Errorf("outside year %d", y.Year)}
			}
			*field.dst = civil(t)
		}
		if _, dup := out[y.Year]; dup {
			return nil, &DataError{File: name, Err: fmt.Errorf("year %d listed twice", y.Year)}
		}
		out[y.Year] = s
	}
	return out, nil
}

// statutoryHoliday names the holiday that 《全国年节及纪念日放假办法》 (2024
// revision, in force from 2025) puts on civil day n, or "" when there is none.
// It stands in for a notice not yet published, so it has no make-up days and
// no bridging: the real arrangement will differ, which is why callers warn.
// Beyond the precomputed table only the fixed-date holidays are known.
func (c *Calendar) statutoryHoliday(n int) string {
	y, m, d := dateOf(n)
	var names []string
	switch {
	case m == time.January && d == 1:
		names = append(names, "元旦")
	case m == time.May && d <= 2:
		names = append(names, "劳动节")
	case m == time.October && d <= 3:
		names = append(names, "国庆节")
	}
	if s, ok := c.statutory[y]; ok {
		switch n {
		case s.chuxi, s.chuxi + 1, s.chuxi + 2, s.chuxi + 3: // 除夕 to 正月初三
			names = append(names, "春节")
		case s.qingming:
			names = append(names, "清明节")
		case s.duanwu:
			names = append(names, "端午节")
		case s.zhongqiu: // may meet 国庆 (2028-10-03)
			names = append(names, "中秋节")
		}
	}
	return strings.Join(names, "、")
}

// statutoryDay is one day 《全国年节及纪念日放假办法》 gives off.
type statutoryDay struct {
	holiday string // 元旦, 春节, …
	day     int    // civil day number
	label   string // e.g. "除夕", "正月初一", "" for a fixed date
}

// Holidays is the list of statutory holidays every year's arrangement has,
// in the order of the law.
var Holidays = []string{"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}

// statutoryDays lists year's statutory days off under the 2024 revision, or
// nil when the lunar dates of year are not in the precomputed table.
func (c *Calendar) statutoryDays(year int) []statutoryDay {
	s, ok := c.statutory[year]
	if !ok {
		return nil
	}
	fixed := func(m time.Month, d int) int { return civil(time.Date(year, m, d, 0, 0, 0, 0, time.UTC)) }
	return []statutoryDay{
		{"元旦", fixed(time.January, 1), ""},
		{"春节", s.chuxi, "除夕"}, {"春节", s.chuxi + 1, "正月初一"}, {"春节", s.chuxi + 2, "正月初二"}, {"春节", s.chuxi + 3, "正月初三"},
		{"清明节", s.qingming, "清明"},
		{"劳动节", fixed(time.May, 1), ""}, {"劳动节", fixed(time.May, 2), ""},
		{"端午节", s.duanwu, "农历五月初五"},
		{"中秋节", s.zhongqiu, "农历八月十五"},
		{"国庆节", fixed(time.October, 1), ""}, {"国庆节", fixed(time.October, 2), ""}, {"国庆节", fixed(time.October, 3), ""},
	}
}

// CheckYear reads one year's arrangement the way the console takes it: a
// single year object for year, in the override format (see
// [Options.Override]), that is whole: every statutory holiday of
// 《全国年节及纪念日放假办法》 (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节,
// 国庆节) is listed, and every day the law gives off is a day off. Half a
// year would silently turn 除夕 into a working day. Errors are *DataError
// in Chinese, naming the line; name is their File.
func (c *Calendar) CheckYear(name string, year int, data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return &DataError{File: name, Err: fmt.Errorf("请填写 %d 年的节假日安排", year)}
	}
	years, err := parseFile(name, data)
	if err != nil {
		var de *DataError
		if errors.As(err, &de) {
			return de
		}
		return &DataError{File: name, Err: err}
	}
	if trimmed[0] == '[' || len(years) != 1 {
		return &DataError{File: name, Line: 1, Err: fmt.Errorf("请只填写 %d 年一个年度的安排（一个 JSON 对象，不要放在 [ ] 中）", year)}
	}
	y := years[0]
	if y.year != year {
		return &DataError{File: name, Line: y.line, Err: fmt.Errorf("\"year\" 为 %d，与所选年份 %d 不一致", y.year, year)}
	}
	return c.whole(name, y)
}

// whole checks that a year's arrangement lists every statutory holiday,
// each day the law gives off as a day off, and names every holiday it
// misses at once, so an administrator mends the file in one go.
func (c *Calendar) whole(name string, y yearData) error {
	year := y.year
	listed := make(map[int]dayData, len(y.days))
	named := map[string]bool{}
	for _, d := range y.days {
		listed[d.day] = d
		if d.off {
			for _, h := range Holidays {
				if strings.Contains(d.name, strings.TrimSuffix(h, "节")) {
					named[h] = true
				}
			}
		}
	}
	law := "《全国年节及纪念日放假办法》"
	var gaps []string
	if days := c.statutoryDays(year); days != nil {
		// The law fixes the days; a notice only adds to them.
		for _, h := range Holidays {
			var missing []string
			for _, s := range days {
				if s.holiday != h {
					continue
				}
				d, ok := listed[s.day]
				if ok && !d.off {
					return &DataError{File: name, Line: d.line, Date: d.date, Err: fmt.Errorf("%s是%s规定的%s假日，不能是调休上班日（\"off\" 应为 true）", dateLabel(s), law, h)}
				}
				if !ok {
					missing = append(missing, dateLabel(s))
				}
			}
			if len(missing) > 0 {
				gaps = append(gaps, fmt.Sprintf("%s（%s）", h, strings.Join(missing, "、")))
			}
		}
		if len(gaps) > 0 {
			return &DataError{File: name, Line: y.line, Err: fmt.Errorf("%d 年的安排不完整：缺少%s。%s规定这些日子放假，安排中没有列为放假日。请按国务院办公厅的通知录入全年安排（%s）", year, strings.Join(gaps, "；"), law, strings.Join(Holidays, "、"))}
		}
		return nil
	}
	// Beyond the precomputed lunar dates only the names can be checked.
	for _, h := range Holidays {
		if !named[h] {
			gaps = append(gaps, "“"+h+"”")
		}
	}
	if len(gaps) > 0 {
		return &DataError{File: name, Line: y.line, Err: fmt.Errorf("%d 年的安排不完整：没有名为%s的放假日。请按国务院办公厅的通知录入全年安排（%s）", year, strings.Join(gaps, "、"), strings.Join(Holidays, "、"))}
	}
	return nil
}

func dateLabel(s statutoryDay) string {
	y, m, d := dateOf(s.day)
	out := fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
	if s.label != "" {
		out += "（" + s.label + "）"
	}
	return out
}

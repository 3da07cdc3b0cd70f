package workday

import (
	"bytes"
	"encoding/json"
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

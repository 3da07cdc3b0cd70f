package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaskMobile hides the middle of a mobile number (138****5678), or the
// local number of a landline but its last four digits (0739-***4567), so a
// group can see whose case it is without learning the number.
func MaskMobile(m string) string {
	if area, local, ok := strings.Cut(m, "-"); ok && len(local) > 4 {
		return area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
	}
	if utf8.RuneCountInString(m) != 11 {
		if len(m) <= 4 {
			return strings.Repeat("*", len(m))
		}
		return m[:len(m)-4] + "****"
	}
	return m[:3] + "****" + m[7:]
}

// ValidMobile reports a mainland mobile number: 11 digits, 1[3-9]…
func ValidMobile(m string) bool {
	if len(m) != 11 || m[0] != '1' || m[1] < '3' || m[1] > '9' {
		return false
	}
	return allDigits(m)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// phoneNoise is what people write around a number's digits.
var phoneNoise = strings.NewReplacer(" ", "", "\u3000", "", "-", "", "－", "", "—", "", "–", "", "(", "", ")", "", "（", "", "）", "", ".", "")

// HalfWidthDigits turns the full-width digits and plus sign a phone's
// keyboard may type (１３８…, ＋８６) into ASCII; the rest stays as it is.
func HalfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '＋':
			return '+'
		}
		return r
	}, s)
}

// NormalisePhone reads a telephone number as people write it: a mobile
// (138 0013 8000, +86 138…, 86-138…, 0086…) or a mainland landline with its
// area code (0739-1234567, 07391234567, (010) 1234 5678, +86 739 1234567),
// full-width digits too. It returns a mobile as its 11 digits and a
// landline as area code, dash, local number (0739-1234567); ok is false
// for anything else.
func NormalisePhone(s string) (string, bool) {
	s = phoneNoise.Replace(HalfWidthDigits(strings.TrimSpace(s)))
	international := false
	for _, cc := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(s, cc); ok {
			s, international = rest, true
			break
		}
	}
	if !allDigits(s) {
		return "", false
	}
	if international && s[0] >= '2' && s[0] <= '9' {
		s = "0" + s // +86 739 1234567: the area code without its trunk 0
	}
	switch s[0] {
	case '1':
		if !ValidMobile(s) {
			return "", false
		}
		return s, true
	case '0':
		// 010 and 02X are three digits long, every other area code four;
		// local numbers have 7 or 8 digits.
		area := 4
		if len(s) > 1 && (s[1] == '1' || s[1] == '2') {
			area = 3
		}
		local := s[min(area, len(s)):]
		if len(s) < 3 || s[1] == '0' || len(local) < 7 || len(local) > 8 || local[0] == '0' {
			return "", false
		}
		return s[:area] + "-" + local, true
	}
	return "", false
}

// JoinCodes and splitCodes store a list of department codes in one column.
func JoinCodes(codes []string) string { return strings.Join(codes, ",") }

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Shanghai is the time zone every time is shown in (black-box contract).
var Shanghai = mustLoadShanghai()

func mustLoadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// No tzdata on the host: China has had no DST since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// FormatDate writes a date as people read it: 2026年3月24日（周二）.
func FormatDate(t time.Time) string {
	t = t.In(Shanghai)
	return fmt.Sprintf("%d年%d月%d日（%s）", t.Year(), t.Month(), t.Day(), weekdays[t.Weekday()])
}

// FormatTime writes a moment as people read it: 2026年3月13日（周五）18:00.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return FormatDate(t) + t.In(Shanghai).Format("15:04")
}

// FormatYears lists years as people write them: 2027、2028.
func FormatYears(years []int) string {
	parts := make([]string, len(years))
	for i, y := range years {
		parts[i] = strconv.Itoa(y)
	}
	return strings.Join(parts, "、")
}

// Shorten cuts a text people read to its first n characters (runes), with
// “……” where it was cut: a matter or an answer quoted in a line.
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "……"
}

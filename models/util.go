package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaskMobile hides the middle of a mobile number (138****5678) so a group
// can see whose case it is without learning the number.
func MaskMobile(m string) string {
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
	for i := 0; i < len(m); i++ {
		if m[i] < '0' || m[i] > '9' {
			return false
		}
	}
	return true
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

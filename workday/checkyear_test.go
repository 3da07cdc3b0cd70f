package workday_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"bbcs/workday"
)

// fixture2027 is the 2027 fixture as one year object, as the console takes it.
func fixture2027(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(override2027)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	return strings.TrimSpace(s[1 : len(s)-1])
}

// A year is taken only whole (《全国年节及纪念日放假办法》): a year with only
// 元旦 would make 除夕 a working day and move legal deadlines.
func TestCheckYearRefusesHalfAYear(t *testing.T) {
	c := newCal(t, workday.Options{})
	if err := c.CheckYear("console", 2027, []byte(fixture2027(t))); err != nil {
		t.Fatalf("the whole 2027 arrangement refused: %v", err)
	}
	tests := []struct {
		name, data string
		line       int
		want       []string
	}{
		{
			name: "only 元旦",
			data: "{\"year\": 2027, \"source\": \"通知\",\n \"days\": [\n  {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"off\": true}\n]}",
			line: 1,
			want: []string{"第 1 行", "不完整", "缺少春节", "2027-02-05（除夕）"},
		},
		{
			name: "除夕 a working day",
			data: strings.Replace(fixture2027(t), `{"name": "春节", "date": "2027-02-05", "off": true}`, `{"name": "春节", "date": "2027-02-05", "off": false}`, 1),
			line: 9,
			want: []string{"第 9 行", "2027-02-05（除夕）", "不能是调休上班日"},
		},
		{
			name: "中秋 missing",
			data: strings.Replace(fixture2027(t), `{"name": "中秋节", "date": "2027-09-15", "off": true},`, ``, 1),
			line: 1,
			want: []string{"缺少中秋节", "2027-09-15"},
		},
		{
			name: "another year",
			data: strings.Replace(fixture2027(t), `"year": 2027`, `"year": 2028`, 1),
			line: 1,
			want: []string{"与所选年份 2027 不一致"},
		},
		{
			name: "bad date",
			data: "{\"year\": 2027,\n \"days\": [\n  {\"name\": \"元旦\", \"date\": \"2027-1-1\", \"off\": true}\n]}",
			line: 3,
			want: []string{"第 3 行（日期 2027-1-1）", "应为 YYYY-MM-DD"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckYear("console", 2027, []byte(tc.data))
			var de *workday.DataError
			if !errors.As(err, &de) {
				t.Fatalf("CheckYear = %v, want a *DataError", err)
			}
			if de.Line != tc.line {
				t.Errorf("line %d, want %d (%s)", de.Line, tc.line, de.Message())
			}
			for _, w := range tc.want {
				if !strings.Contains(de.Message(), w) {
					t.Errorf("message %q does not say %q", de.Message(), w)
				}
			}
		})
	}
}

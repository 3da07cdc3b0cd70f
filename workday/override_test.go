package workday_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"bbcs/workday"
)

const override2027 = "testdata/override-2027.json"

func loadOverride(t *testing.T, path string) *workday.Calendar {
	t.Helper()
	b, err := workday.LoadOverrideFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return newCal(t, workday.Options{Override: b, OverrideName: path})
}

// 2027 published after the release: the administrator adds it without one.
func TestOverrideAddsYear(t *testing.T) {
	before := newCal(t, workday.Options{})
	c := loadOverride(t, override2027)

	if !c.Published(2027) || before.Published(2027) {
		t.Fatalf("Published(2027): %v with the override, %v without", c.Published(2027), before.Published(2027))
	}
	ys := c.Years()
	last := ys[len(ys)-1]
	if last.Year != 2027 || !last.Override || !strings.Contains(last.Source, "2027年部分节假日安排的通知") {
		t.Errorf("Years() ends with %+v, want 2027 from the override with its source", last)
	}
	if got := c.Unpublished(at("2026-12-31"), at("2027-12-31")); len(got) != 0 {
		t.Errorf("Unpublished = %v, want none", got)
	}
	if d := c.Day(at("2027-02-14")); !d.Working || !d.MakeUp || d.Estimated {
		t.Errorf("2027-02-14 (make-up Sunday) = %+v", d)
	}
	if d := c.Day(at("2027-02-12")); d.Working || d.Name != "春节" || d.Estimated {
		t.Errorf("2027-02-12 = %+v, want 春节 off", d)
	}
	// Received the Thursday before 春节: the notice's long break and make-up
	// Sunday move the deadline a week past the statutory estimate.
	r := at("2027-02-04 10:00")
	if got, want := c.DueAt(r, 3), at("2027-02-16 18:00"); !got.Equal(want) {
		t.Errorf("with 2027: DueAt = %s, want %s", show(got), show(want))
	}
	if got, want := before.DueAt(r, 3), at("2027-02-11 18:00"); !got.Equal(want) {
		t.Errorf("estimated: DueAt = %s, want %s", show(got), show(want))
	}

	// The fixture is lunar-go's 2027 table, so the result must agree with it.
	eachDay("2027-01-01", "2027-12-31", func(d time.Time) {
		want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		if h := HolidayUtil.GetHoliday(d.Format(time.DateOnly)); h != nil {
			want = h.IsWork()
		}
		if got := c.IsWorkday(d); got != want {
			t.Errorf("%s: IsWorkday = %v, lunar-go %v", show(d), got, want)
		}
	})
}

func TestOverrideCorrectsDay(t *testing.T) {
	// One object rather than an array; no source, so the notice stays the source.
	c := newCal(t, workday.Options{Override: []byte(`{"year": 2026, "days": [
		{"name": "国庆节", "date": "2026-10-08", "off": true}
	]}`), OverrideName: "/etc/bbcs/holidays.json"})

	if d := c.Day(at("2026-10-08")); d.Working || d.Name != "国庆节" {
		t.Errorf("2026-10-08 = %+v, want off", d)
	}
	if got, want := c.DueAt(at("2026-09-30 10:00"), 3), at("2026-10-12 18:00"); !got.Equal(want) {
		t.Errorf("DueAt = %s, want %s", show(got), show(want))
	}
	// The rest of the year is untouched.
	if got := c.WorkdaysBetween(at("2025-12-31"), at("2026-12-31")); got != 247 {
		t.Errorf("2026 has %d working days, want 248-1", got)
	}
	if !c.IsWorkday(at("2026-10-10")) || c.IsWorkday(at("2026-10-07")) {
		t.Error("neighbouring days changed")
	}
	for _, y := range c.Years() {
		if y.Year == 2026 && (!y.Override || !strings.Contains(y.Source, "content_7047091")) {
			t.Errorf("2026: %+v, want Override with the notice still named", y)
		}
		if y.Year != 2026 && y.Override {
			t.Errorf("%d marked as overridden", y.Year)
		}
	}
}

// A file from NateScarlet/holiday-cn works as it is.
func TestOverrideHolidayCNFormat(t *testing.T) {
	c := newCal(t, workday.Options{Override: []byte(`{
    "$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
    "$id": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/2027.json",
    "year": 2027,
    "papers": ["https://www.gov.cn/zhengce/example-2027.htm"],
    "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "春节", "date": "2027-02-05", "isOffDay": true},
        {"name": "春节", "date": "2027-02-06", "isOffDay": true},
        {"name": "春节", "date": "2027-02-07", "isOffDay": true},
        {"name": "春节", "date": "2027-02-08", "isOffDay": true},
        {"name": "清明节", "date": "2027-04-05", "isOffDay": true},
        {"name": "劳动节", "date": "2027-05-01", "isOffDay": true},
        {"name": "劳动节", "date": "2027-05-02", "isOffDay": true},
        {"name": "端午节", "date": "2027-06-09", "isOffDay": true},
        {"name": "中秋节", "date": "2027-09-15", "isOffDay": true},
        {"name": "国庆节", "date": "2027-10-01", "isOffDay": true},
        {"name": "国庆节", "date": "2027-10-02", "isOffDay": true},
        {"name": "国庆节", "date": "2027-10-03", "isOffDay": true},
        {"name": "春节", "date": "2027-02-14", "isOffDay": false}
    ]
}`)})
	if !c.Published(2027) || !c.IsWorkday(at("2027-02-14")) || c.IsWorkday(at("2027-01-01")) {
		t.Error("holiday-cn file not applied")
	}
	if got := c.Years()[len(c.Years())-1].Source; got != "https://www.gov.cn/zhengce/example-2027.htm" {
		t.Errorf("source %q, want the paper", got)
	}
}

func TestOverrideEmpty(t *testing.T) {
	for _, b := range [][]byte{nil, {}, []byte(" \n\t")} {
		c := newCal(t, workday.Options{Override: b})
		if len(c.Years()) != 7 {
			t.Errorf("override %q changed the years: %v", b, c.Years())
		}
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantDate string
		want     string
	}{
		{
			name:     "bad JSON",
			data:     "[\n  {\"year\": 2027,\n   \"days\": [\n     {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"off\": true},\n   ]}\n]\n",
			wantLine: 5,
			want:     "多余的逗号",
		},
		{
			name:     "unterminated",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027-01-01\", \"off\": true}\n",
			wantLine: 4,
			want:     "没有闭合",
		},
		{
			name:     "bad date",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027-01-01\", \"off\": true},\n  {\"date\": \"2027-02-30\", \"off\": true}\n]}",
			wantLine: 4,
			wantDate: "2027-02-30",
			want:     "应为 YYYY-MM-DD",
		},
		{
			name:     "date not as YYYY-MM-DD",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027/01/01\", \"off\": true}\n]}",
			wantLine: 3,
			wantDate: "2027/01/01",
			want:     "YYYY-MM-DD",
		},
		{
			name:     "duplicate date",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027-10-01\", \"off\": true},\n  {\"date\": \"2027-10-02\", \"off\": true},\n  {\"date\": \"2027-10-01\", \"off\": false}\n]}",
			wantLine: 5,
			wantDate: "2027-10-01",
			want:     "重复出现（第一次在第 3 行）",
		},
		{
			name:     "duplicate date across years",
			data:     "[{\"year\": 2026,\n \"days\": [{\"date\": \"2026-12-31\", \"off\": true}]},\n {\"year\": 2027,\n \"days\": [{\"date\": \"2026-12-31\", \"off\": true}]}]",
			wantLine: 4,
			wantDate: "2026-12-31",
			want:     "重复出现",
		},
		{
			name:     "duplicate year",
			data:     "[{\"year\": 2027, \"days\": [{\"date\": \"2027-01-01\", \"off\": true}]},\n {\"year\": 2027, \"days\": [{\"date\": \"2027-01-02\", \"off\": true}]}]",
			wantLine: 2,
			want:     "2027 年重复出现",
		},
		{
			name:     "off missing",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"name\": \"元旦\", \"date\": \"2027-01-01\"}\n]}",
			wantLine: 3,
			wantDate: "2027-01-01",
			want:     `缺少 "off"`,
		},
		{
			name:     "off not a boolean",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027-01-01\", \"off\": \"yes\"}\n]}",
			wantLine: 3,
			want:     `字段 "off" 应为 true 或 false，实为字符串`,
		},
		{
			name:     "misspelt field",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2027-01-01\", \"of\": true}\n]}",
			wantLine: 3,
			want:     `未知字段 "of"`,
		},
		{
			name:     "unknown year field",
			data:     "{\"year\": 2027,\n \"day\": []}",
			wantLine: 2,
			want:     `未知字段 "day"`,
		},
		{
			name:     "year not a number",
			data:     "{\"year\": \"2027\", \"days\": []}",
			wantLine: 1,
			want:     `字段 "year" 应为数字`,
		},
		{
			name:     "year missing",
			data:     "{\n \"days\": [{\"date\": \"2027-01-01\", \"off\": true}]}",
			wantLine: 1,
			want:     `缺少 "year"`,
		},
		{
			name:     "date far from its year",
			data:     "{\"year\": 2027,\n \"days\": [\n  {\"date\": \"2029-01-01\", \"off\": true}\n]}",
			wantLine: 3,
			wantDate: "2029-01-01",
			want:     "不在 2027 年内",
		},
		{
			name:     "placeholder year without days",
			data:     `{"year": 2027, "papers": [], "days": []}`,
			wantLine: 1,
			want:     "没有列出任何日期",
		},
		{
			name:     "not an object",
			data:     `"2027"`,
			wantLine: 1,
			want:     "应为一个年度对象",
		},
		{
			name:     "trailing data",
			data:     "{\"year\": 2027, \"days\": [{\"date\": \"2027-01-01\", \"off\": true}]}\n{}",
			wantLine: 2,
			want:     "多余内容",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workday.New(workday.Options{Override: []byte(tc.data), OverrideName: "holidays.json"})
			if err == nil {
				t.Fatal("New accepted bad override data")
			}
			var de *workday.DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DataError", err)
			}
			if de.File != "holidays.json" || de.Line != tc.wantLine || de.Date != tc.wantDate {
				t.Errorf("DataError at %s:%d date %q, want holidays.json:%d date %q (%v)", de.File, de.Line, de.Date, tc.wantLine, tc.wantDate, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "workday: load override: holidays.json 第 ") {
				t.Errorf("error %q, want it to name the file and say %q", msg, tc.want)
			}
		})
	}
}

func TestLoadOverrideFile(t *testing.T) {
	if b, err := workday.LoadOverrideFile(""); b != nil || err != nil {
		t.Errorf(`LoadOverrideFile("") = %q, %v; want nil, nil`, b, err)
	}
	missing := filepath.Join(t.TempDir(), "holidays.json")
	_, err := workday.LoadOverrideFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v, want ErrNotExist naming %s", err, missing)
	}
	whole, err := os.ReadFile(override2027)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(missing, whole, 0o600); err != nil {
		t.Fatal(err)
	}
	if c := loadOverride(t, missing); !c.Published(2027) {
		t.Error("override file not applied")
	}
}

// A year bbcs does not ship comes whole in the override file too: with only
// 元旦 listed, 除夕 would silently be a working day and legal deadlines
// would move. A shipped year may still be corrected a day at a time.
func TestOverrideFileRefusesHalfANewYear(t *testing.T) {
	_, err := workday.New(workday.Options{OverrideName: "holidays.json",
		Override: []byte(`{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "off": true}]}`)})
	if err == nil || !strings.Contains(err.Error(), "holidays.json 第 1 行") || !strings.Contains(err.Error(), "缺少春节") || !strings.Contains(err.Error(), "国庆节") {
		t.Fatalf("half of 2027 in the override file: %v; want it refused, naming the line and every missing holiday", err)
	}
	if _, err := workday.New(workday.Options{Override: []byte(`{"year": 2026, "days": [{"name": "调休", "date": "2026-10-10", "off": true}]}`)}); err != nil {
		t.Fatalf("one day of a shipped year corrected: %v", err)
	}
}

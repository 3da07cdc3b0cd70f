package casework_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"bbcs/models"
	"bbcs/workday"
)

// whole2027 is the 2027 fixture as the console takes it, with 4 January
// given off as well, so that an order received on 30 December moves.
func whole2027(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../workday/testdata/override-2027.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	s = strings.TrimSpace(s[1 : len(s)-1])
	return strings.Replace(s, `{"name": "元旦", "date": "2027-01-03", "off": true},`,
		`{"name": "元旦", "date": "2027-01-03", "off": true}, {"name": "元旦", "date": "2027-01-04", "off": true},`, 1)
}

// A year with only 元旦 is refused whole (《全国年节及纪念日放假办法》):
// nothing is saved, the calendar and the open orders stay as they were.
// A whole year is previewed (old due, new due) and then moves the open
// orders' deadlines, on their timeline.
func TestHalfAYearOfHolidaysIsRefused(t *testing.T) {
	h := newHarness(t, "2026-12-30 10:00")
	h.svc.SetCalendarBuilder(func(more []workday.Source) (*workday.Calendar, error) {
		return workday.New(workday.Options{More: more})
	})
	c := h.walkIn()
	if _, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false); err != nil {
		t.Fatal(err)
	}
	o := h.orderOf(c.No, "tax")
	if want := at("2027-01-05 18:00"); !o.DueAt.Equal(want) {
		t.Fatalf("due %v, want %v", o.DueAt, want)
	}
	before := h.snap(c.No)

	half := "{\"year\": 2027, \"source\": \"国务院办公厅关于2027年部分节假日安排的通知\",\n \"days\": [\n  {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"off\": true},\n  {\"name\": \"元旦\", \"date\": \"2027-01-04\", \"off\": true}\n]}"
	_, err := h.svc.PreviewCalendarOverride(h.ctx, h.as("admin"), 2027, half)
	wantErr(t, err, models.ErrInvalid, "2027 年", "第 1 行", "不完整", "缺少春节", "2027-02-05（除夕）")
	_, err = h.svc.SaveCalendarOverride(h.ctx, h.as("admin"), 2027, half)
	wantErr(t, err, models.ErrInvalid, "第 1 行", "缺少春节")
	h.unchanged(c.No, before)
	if list, _ := h.svc.CalendarOverrides(h.ctx); len(list) != 0 {
		t.Errorf("a refused year was saved: %+v", list)
	}
	if cal := h.svc.Calendar(); cal.Published(2027) || !cal.Day(at("2027-02-05 12:00")).Estimated || cal.IsWorkday(at("2027-02-05 12:00")) {
		t.Errorf("a refused year changed the calendar: 除夕 2027 is %+v", cal.Day(at("2027-02-05 12:00")))
	}

	whole := whole2027(t)
	moves, err := h.svc.PreviewCalendarOverride(h.ctx, h.as("admin"), 2027, whole)
	if err != nil {
		t.Fatalf("preview of the whole year: %v", err)
	}
	if len(moves) != 1 || moves[0].OrderNo != o.No || moves[0].CaseNo != c.No || moves[0].Department != "税务窗口" ||
		!moves[0].OldDue.Equal(at("2027-01-05 18:00")) || !moves[0].NewDue.Equal(at("2027-01-06 18:00")) {
		t.Fatalf("preview = %+v, want %s moving from 5 to 6 January", moves, o.No)
	}
	h.unchanged(c.No, before)
	if list, _ := h.svc.CalendarOverrides(h.ctx); len(list) != 0 {
		t.Errorf("the preview saved: %+v", list)
	}

	if _, err := h.svc.SaveCalendarOverride(h.ctx, h.as("admin"), 2027, whole); err != nil {
		t.Fatalf("save: %v", err)
	}
	if o := h.orderOf(c.No, "tax"); !o.DueAt.Equal(at("2027-01-06 18:00")) || !o.CapAt.Equal(at("2027-01-15 18:00")) {
		t.Errorf("after the save the order is due %v, cap %v; want 6 January and 15 January", o.DueAt, o.CapAt)
	}
	tl := h.get(c.No).Timeline
	last := tl[len(tl)-1]
	if last.Action != "deadline_moved" || !strings.Contains(last.Note, "2027年1月6日") || last.OrderNo != o.No {
		t.Errorf("the timeline ends with %+v, want the move of %s", last, o.No)
	}
	if !h.svc.Calendar().Published(2027) {
		t.Error("the saved year is not in force")
	}
	_ = time.Second
}

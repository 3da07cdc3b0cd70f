package reports_test

import (
	"encoding/json"
	"strings"
	"testing"

	"bbcs/models"
)

// No order due yet means no on-time rate: “—” and null, never 100%; an
// empty month says there were no cases (第十四条).
func TestOnTimeRateOnlyWhereSomethingWasDue(t *testing.T) {
	c := newCentre(t)
	no := c.register("2026-03-02 10:00", models.CategorySlow, "营业执照变更慢")
	c.must(c.svc.Dispatch(c.ctx, c.staff["wang"], no, []string{"market"}, "", false)) // due 03-05 18:00
	c.at("2026-03-03 10:00")
	m, err := c.rep.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(m)
	if !strings.Contains(string(raw), `"on_time_rate":null,"ratings"`) || !strings.Contains(string(raw), `"overdue":0,"on_time_rate":null}`) {
		t.Errorf("March with nothing due yet: %s", raw)
	}
	_, lines := m.Card(nil)
	if card := strings.Join(lines, "\n"); !strings.Contains(card, "按时答复率 —") || strings.Contains(card, "100%") {
		t.Errorf("the leaders' card overstates:\n%s", card)
	}

	// Once it is answered on time, the rate is known.
	c.at("2026-03-04 10:00")
	c.must(c.svc.Reply(c.ctx, c.staff["zhao"], c.order(no, 1), "已办"))
	if m, err = c.rep.Monthly(c.ctx, "2026-03"); err != nil || m.OnTimeRate == nil || *m.OnTimeRate != 1 {
		t.Errorf("after an on-time reply: %v %v", m.OnTimeRate, err)
	}

	empty, err := c.rep.Monthly(c.ctx, "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	_, lines = empty.Card(nil)
	// The card is pushed in the following month: it names its month.
	if got := strings.Join(lines, "\n"); empty.OnTimeRate != nil || !strings.Contains(got, "2026年2月没有受理反映事项") || strings.Contains(got, "本月") {
		t.Errorf("an empty month: rate %v, card %q", empty.OnTimeRate, lines)
	}
}

// The centre's own row carries centre.name.
func TestCentreRowCarriesItsName(t *testing.T) {
	c := newCentre(t)
	sc, err := c.rep.Scores(c.ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Units[0].Department != "" || sc.Units[0].Name != "某某县政务服务中心（接诉即办专员）" {
		t.Errorf("the centre's row: %+v", sc.Units[0])
	}
	m, err := c.rep.Monthly(c.ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	if m.DepartmentName("") != "某某县政务服务中心" || m.Centre != "某某县政务服务中心" {
		t.Errorf("the month's centre row: %q", m.DepartmentName(""))
	}
}

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The 好差评 figures of issue 16 on the console's 月报 and 考核, on a PC
// (1280 px, rating.unrated_as_satisfied off) and on a phone (390 px, the
// switch on): a 差评 at the real-estate window and a case closed 未评价;
// the supervision section sees the 差评 per department and per staff
// member without scrolling sideways, and how 未评价 was counted.
func TestGoodBadFiguresInABrowser(t *testing.T) {
	for _, s := range []struct {
		name          string
		width, height int
		mobile, on    bool
	}{{"pc", 1280, 900, false, false}, {"phone", 390, 844, true, true}} {
		t.Run(s.name, func(t *testing.T) { goodBadWalk(t, s.width, s.height, s.mobile, s.on) })
	}
}

func goodBadWalk(t *testing.T, width, height int, mobile, unratedSatisfied bool) {
	path := "../../config.example.yaml"
	if unratedSatisfied {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(t.TempDir(), "bbcs.yaml")
		on := strings.Replace(string(raw), "unrated_as_satisfied: false", "unrated_as_satisfied: true", 1)
		if err := os.WriteFile(path, []byte(on), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ta := startAppWith(t, path, consoleEnv(t, "ma"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	// A real-estate case answered and rated 不满意 by phone.
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": "不动产过户超期未办结",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+c.No, nil, &c)
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+c.WorkOrders[0].No+"/reply", map[string]string{"result": "已办结过户登记"}, nil)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate", map[string]string{"level": "dissatisfied", "via": "phone", "comment": "面积登记有误"}, nil)
	// One solved on the spot that nobody rates: closed 未评价 a week on.
	var spot caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "张先生", "applicant_mobile": "13900139000", "category": "slow_action", "matter": "叫号机坏了",
	}, &spot)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+spot.No+"/resolve", map[string]string{"result": "已协调维修"}, nil)
	ta.setClock("2026-03-20T10:00:00+08:00")
	ta.fireDueTimers("rate:")

	var m struct {
		GoodBad struct {
			UnratedCountedAs string `json:"unrated_counted_as"`
			Centre           struct {
				Bad, Rated int64
				NotRated   int64 `json:"not_rated"`
			} `json:"centre"`
		} `json:"good_bad"`
	}
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/reports/monthly?month=2026-03", nil, &m)
	wantAs, wantRated := "not_rated", int64(1)
	if unratedSatisfied {
		wantAs, wantRated = "satisfied", 2
	}
	if g := m.GoodBad; g.UnratedCountedAs != wantAs || g.Centre.Bad != 1 || g.Centre.NotRated != 1 {
		t.Errorf("the API's good_bad: %+v, want counted as %s, 1 差评, 1 未评价", g, wantAs)
	}
	var sc map[string]json.RawMessage
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/scores?year=2026", nil, &sc)
	if !strings.Contains(string(sc["good_bad"]), `"unrated_counted_as":"`+wantAs+`"`) {
		t.Errorf("the API's scores: good_bad %s", sc["good_bad"])
	}

	b := openConsole(t, ta, width, height, mobile)
	b.prefix = "goodbad-" + b.prefix
	b.signIn("ma")
	keys := []string{"#good-bad-totals", "#unrated-rule", "#good-bad-departments » 部门", "#good-bad-departments » 差评", "#good-bad-departments » 差评率",
		"#good-bad-departments » 整改到期", "#good-bad-staff » 姓名", "#good-bad-staff » 差评", "#good-bad-staff » 差评率"}
	for _, page := range []struct{ name, path string }{{"monthly", "/admin/reports?month=2026-03"}, {"scores", "/admin/scores?year=2026"}} {
		b.open(page.path, `#good-bad-totals`)
		b.do("scroll to the figures", b.shown(`#good-bad-departments`))
		b.eval(`document.querySelector("#good-bad").scrollIntoView()`)
		b.visible(page.name, keys...)
		if s := b.text(`#good-bad-totals`); !strings.Contains(s, "差评 1 次") || !strings.Contains(s, "已评价 "+strconv.FormatInt(wantRated, 10)+" 轮") {
			t.Errorf("%s: the totals %q", page.name, s)
		}
		rule := b.text(`#unrated-rule`)
		if unratedSatisfied != strings.Contains(rule, "未评价计为满意") || !strings.Contains(rule, "未评价 1 轮") {
			t.Errorf("%s: how 未评价 counts: %q", page.name, rule)
		}
		if s := b.text(`#good-bad-departments tbody`); !strings.Contains(s, "不动产登记窗口") {
			t.Errorf("%s: per department %q", page.name, s)
		}
		// The real-estate window's 差评 and 张伟's, as the cells read.
		for table, want := range map[string]string{"#good-bad-departments": "不动产登记窗口|1|100%", "#good-bad-staff": "张伟|1|100%"} {
			rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("`+table+` tbody tr")].map(tr =>
				[tr.children[0], tr.querySelector("td.bad"), tr.querySelector("td.bad-rate")].map(td => td ? td.textContent.trim() : "").join("|"))`))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(rows, want) {
				t.Errorf("%s: %s reads %q, want a row %q", page.name, table, rows, want)
			}
		}
	}
}

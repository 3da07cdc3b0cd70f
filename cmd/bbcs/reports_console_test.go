package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Numbers that do not overstate (第十四条): an on-time rate is shown only
// where some order was due; an empty month says so; the centre's own row
// carries its configured name.
func TestMonthlyAndScoresSayWhatIsKnown(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", append(consoleEnv(t, "ma"), "BBCS_CENTRE_NAME=某某县政务服务中心"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": "完税证明开不出来",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	// Two alike problems the specialist solved on the spot: the centre's own.
	for _, matter := range []string{"大厅叫号机坏了排了一上午", "大厅叫号机坏了排了一下午"} {
		var spot caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "张先生", "applicant_mobile": "13900139000", "category": "slow_action", "matter": matter,
		}, &spot)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+spot.No+"/resolve", map[string]string{"result": "已协调维修"}, nil)
	}
	ta.setClock("2026-03-11T10:00:00+08:00") // the tax order is not due yet

	ma := signIn(t, ta, "ma")
	_, page, _ := ma.do("GET", "/admin/reports?month=2026-03", nil)
	if strings.Contains(page, ">100%</td>") || !strings.Contains(page, "按时答复率 <b>—</b>") || !strings.Contains(page, `<td data-label="部门">税务窗口</td><td data-label="案件" class="count">1</td><td data-label="工单" class="count">1</td><td data-label="按时" class="count">0</td><td data-label="超期" class="count">0</td><td data-label="按时率" class="rate">—</td>`) {
		t.Errorf("March, with one order not yet due, overstates the on-time rate:\n%s", page)
	}
	if !strings.Contains(page, "（某某县政务服务中心，慢作为）") {
		t.Errorf("the centre's own recurring problem does not carry centre.name:\n%s", page)
	}
	_, page, _ = ma.do("GET", "/admin/reports?month=2026-02", nil)
	if strings.Contains(page, "都还在办理中") || !strings.Contains(page, "本月没有受理反映事项") || !strings.Contains(page, "按时答复率 <b>—</b>") {
		t.Errorf("an empty month:\n%s", page)
	}
	_, page, _ = ma.do("GET", "/admin/scores?year=2026", nil)
	if !strings.Contains(page, `<td data-label="单位">某某县政务服务中心（接诉即办专员）</td>`) {
		t.Errorf("the scores' centre row does not carry centre.name:\n%s", page)
	}

	var m map[string]json.RawMessage
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/reports/monthly?month=2026-03", nil, &m)
	if string(m["on_time_rate"]) != "null" || !strings.Contains(string(m["departments"]), `"on_time_rate":null`) {
		t.Errorf("the API's March: on_time_rate %s, departments %s; want null where nothing was due", m["on_time_rate"], m["departments"])
	}
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/reports/monthly?month=2026-02", nil, &m)
	if string(m["on_time_rate"]) != "null" {
		t.Errorf("the API's empty February: on_time_rate %s, want null", m["on_time_rate"])
	}
}

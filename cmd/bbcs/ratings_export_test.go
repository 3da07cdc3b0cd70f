package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"bbcs/models"
	"bbcs/reports"
)

// ratingsMonth is the answer of GET /api/v1/ratings.
type ratingsMonth struct {
	Month            string                `json:"month"`
	Centre           string                `json:"centre"`
	UnratedCountedAs string                `json:"unrated_counted_as"`
	Records          []models.RatingRecord `json:"records"`
}

// register registers a case as 王芳 and returns it.
func (ta *testApp) register(channel, name, kind, company, mobile, category, matter string) caseJSON {
	ta.t.Helper()
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": name, "applicant_kind": kind, "company": company, "applicant_mobile": mobile,
		"category": category, "matter": matter, "channel": channel,
	}, &c)
	return c
}

// replyRound has each department's window reply to its order of the
// case's present round.
func (ta *testApp) replyRound(no string, round int, by map[string]string) caseJSON {
	ta.t.Helper()
	var c caseJSON
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+no, nil, &c)
	for _, o := range c.WorkOrders {
		if o.Round == round && by[o.Department] != "" {
			ta.must(http.StatusOK, by[o.Department], "POST", "/api/v1/work-orders/"+o.No+"/reply", map[string]string{"result": "已办结：" + o.Department}, &c)
		}
	}
	return c
}

func (ta *testApp) ratingsOf(month string) ratingsMonth {
	ta.t.Helper()
	var out ratingsMonth
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/ratings?month="+month, nil, &out)
	return out
}

// ratingsBook downloads the month's workbook and reads its rows.
func (ta *testApp) ratingsBook(month string) [][]string {
	ta.t.Helper()
	resp := ta.request("admin", "GET", "/api/v1/ratings.xlsx?month="+month, nil)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		ta.t.Fatalf("ratings.xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		ta.t.Fatalf("ratings.xlsx is no workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("好差评")
	if err != nil {
		ta.t.Fatalf("ratings.xlsx: %v", err)
	}
	return rows
}

// byRecord indexes records by their id.
func byRecord(t *testing.T, recs []models.RatingRecord) map[string]models.RatingRecord {
	t.Helper()
	m := map[string]models.RatingRecord{}
	for _, r := range recs {
		if _, dup := m[r.RecordID]; dup {
			t.Errorf("record %s twice", r.RecordID)
		}
		m[r.RecordID] = r
	}
	return m
}

func score(n int) *int { return &n }

// The monthly 好差评 export, read back field by field (issue 16, item 4): a
// month with a good rating, a 差评 on a joint round (one record per
// department, with the rectification and the upheld appeal of one), a
// walk-in solved on the spot and rated by phone (the centre's record), and
// a case closed 未评价 (its own outcome, no score). The same month as a
// workbook says the same in Chinese; a rating of the next month is not in it.
func TestRatingsExportOfAMonth(t *testing.T) {
	ta := startAppealApp(t)
	ta.setClock("2026-03-02T09:00:00+08:00")

	// A good rating, given at the window.
	good := ta.register("walk_in", "李小明", "person", "", "13912345678", "not_completed_in_time", "二手房过户超期一个月未办结，请回电 13800138000")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+good.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ta.replyRound(good.No, 1, map[string]string{"realestate": "zhang"})
	ta.setClock("2026-03-03T10:15:00+08:00")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+good.No+"/rate", map[string]string{"level": "very_satisfied", "comment": "办得快", "via": "in_person"}, nil)

	// A company's 差评 on a joint round, given by phone.
	joint := ta.register("phone", "王五", "company", "县宏达建材有限公司", "13700001111", "repeated_visits", "营业执照变更与不动产证更名多次未办成")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+joint.No+"/dispatch", map[string]any{"departments": []string{"realestate", "market"}}, nil)
	ta.replyRound(joint.No, 1, map[string]string{"realestate": "zhang", "market": "zhao"})
	ta.setClock("2026-03-05T16:40:00+08:00")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+joint.No+"/rate", map[string]string{"level": "dissatisfied", "comment": "两个窗口互相推诿", "via": "phone"}, nil)
	// Through the use cases, as the units do it: the market window appeals
	// (非本部门原因) and the supervision section upholds it, which excuses
	// its 差评整改; the real estate window reports its own, on time.
	due := time.Date(2026, 3, 12, 18, 0, 0, 0, models.Shanghai) // five working days after the 差评
	ta.setClock("2026-03-06T09:00:00+08:00")
	var filed struct{ ID uint64 }
	ta.must(http.StatusCreated, "qian", "POST", "/api/v1/appeals", map[string]any{"case_no": joint.No, "round": 1, "department": "market",
		"ground": "unrelated", "reason": "更名由不动产窗口办理"}, &filed)
	ta.setClock("2026-03-09T15:00:00+08:00")
	ta.must(http.StatusOK, "ma", "POST", "/api/v1/appeals/"+itoa(filed.ID)+"/decide", map[string]any{"uphold": true, "reason": "核实属不动产窗口事项，申诉成立"}, nil)
	ta.setClock("2026-03-10T11:00:00+08:00")
	ta.must(http.StatusOK, "liu", "POST", "/api/v1/cases/"+joint.No+"/rectifications",
		map[string]string{"department": "realestate", "verdict": "founded", "measures": "已对窗口人员批评教育，回电 13800138000 致歉"}, nil)

	// A walk-in solved on the spot, rated by phone.
	spot := ta.register("walk_in", "张三", "person", "", "0739-1234567", "poor_attitude", "窗口人员态度生硬")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+spot.No+"/resolve", map[string]string{"result": "已当场协调，窗口负责人致歉"}, nil)
	ta.setClock("2026-03-06T09:30:00+08:00")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+spot.No+"/rate", map[string]string{"level": "basically_satisfied", "via": "phone"}, nil)

	// A case nobody rates: closed 未评价 when the rating clock runs out.
	ta.setClock("2026-03-16T09:00:00+08:00")
	silent := ta.register("walk_in", "赵六", "person", "", "13600002222", "slow_action", "公积金提取材料审核慢")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+silent.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ta.replyRound(silent.No, 1, map[string]string{"realestate": "zhang"})
	ta.setClock("2026-03-24T11:00:00+08:00")
	ta.fireDueTimers("rate:")
	var closed caseJSON
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+silent.No, nil, &closed)
	if c := closed; c.Status != "closed" {
		t.Fatalf("the unrated case is %s, want closed 未评价", c.Status)
	}

	// Next month: the joint case's second round is rated.
	ta.setClock("2026-04-01T10:00:00+08:00")
	ta.replyRound(joint.No, 2, map[string]string{"realestate": "zhang", "market": "zhao"})
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+joint.No+"/rate", map[string]string{"level": "satisfied", "via": "phone"}, nil)

	march := ta.ratingsOf("2026-03")
	if march.Month != "2026-03" || march.Centre != "县政务服务中心" || march.UnratedCountedAs != "not_rated" {
		t.Errorf("month %q centre %q unrated counted as %q", march.Month, march.Centre, march.UnratedCountedAs)
	}
	if len(march.Records) != 5 {
		t.Fatalf("March has %d records, want 5 (good, the joint 差评 twice, on the spot, 未评价): %+v", len(march.Records), march.Records)
	}
	recs := byRecord(t, march.Records)
	at := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", s, models.Shanghai)
		return tm
	}
	check := func(id string, want models.RatingRecord) {
		t.Helper()
		got, ok := recs[id]
		if !ok {
			t.Errorf("no record %s", id)
			return
		}
		// The test clock runs on from where it was set: to the minute.
		if !got.RatedAt.Truncate(time.Minute).Equal(want.RatedAt) {
			t.Errorf("%s rated at %v, want %v", id, got.RatedAt, want.RatedAt)
		}
		got.RatedAt, want.RatedAt = time.Time{}, time.Time{}
		for _, p := range []**time.Time{&got.RectifyDueAt, &want.RectifyDueAt, &got.RectifiedAt, &want.RectifiedAt} {
			if *p != nil {
				u := (*p).UTC().Truncate(time.Minute)
				*p = &u
			}
		}
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Errorf("record %s\n got %s\nwant %s", id, gj, wj)
		}
	}
	utc := func(tm time.Time) *time.Time { u := tm.UTC(); return &u }
	yes := true
	check(good.No+"-1-realestate", models.RatingRecord{RecordID: good.No + "-1-realestate", CaseNo: good.No, Round: 1,
		Category: "not_completed_in_time", CategoryName: "受理后超时未办结", Matter: "二手房过户超期一个月未办结，请回电 138****8000",
		DepartmentCode: "realestate", DepartmentName: "不动产登记窗口", ApplicantName: "李**", ApplicantKind: "person", ApplicantPhone: "139****5678",
		Channel: "窗口", Level: "very_satisfied", LevelName: "非常满意", Score: score(10), Comment: "办得快", RatedAt: at("2026-03-03 10:15")})
	jointBase := models.RatingRecord{CaseNo: joint.No, Round: 1, Category: "repeated_visits", CategoryName: "多次到中心未办成",
		Matter: "营业执照变更与不动产证更名多次未办成", ApplicantName: "县宏达建材有限公司", ApplicantKind: "company", ApplicantPhone: "137****1111",
		Channel: "电话", Level: "dissatisfied", LevelName: "不满意", Score: score(3), Comment: "两个窗口互相推诿", RatedAt: at("2026-03-05 16:40")}
	re := jointBase
	re.RecordID, re.DepartmentCode, re.DepartmentName = joint.No+"-1-realestate", "realestate", "不动产登记窗口"
	re.RectifyDueAt, re.RectifyVerdict, re.RectifyMeasures, re.RectifiedAt, re.RectifiedOnTime =
		utc(due), "founded", "已对窗口人员批评教育，回电 138****8000 致歉", utc(at("2026-03-10 11:00")), &yes
	check(re.RecordID, re)
	// The appeal closed the market window's rectification, excused: not
	// reported on time or late (it is in no rectification figure either).
	mk := jointBase
	mk.RecordID, mk.DepartmentCode, mk.DepartmentName = joint.No+"-1-market", "market", "市场监管窗口"
	mk.RectifyDueAt, mk.RectifyVerdict, mk.RectifyMeasures, mk.RectifiedAt = utc(due), "unfounded", "申诉成立，免于整改：核实属不动产窗口事项，申诉成立", utc(at("2026-03-09 15:00"))
	mk.AppealStatus, mk.AppealGround, mk.AppealDecision, mk.Excluded = "upheld", "unrelated", "核实属不动产窗口事项，申诉成立", true
	check(mk.RecordID, mk)
	check(spot.No+"-1-centre", models.RatingRecord{RecordID: spot.No + "-1-centre", CaseNo: spot.No, Round: 1,
		Category: "poor_attitude", CategoryName: "服务态度差", Matter: "窗口人员态度生硬", DepartmentCode: "", DepartmentName: "县政务服务中心",
		ApplicantName: "张*", ApplicantKind: "person", ApplicantPhone: "0739-***4567",
		Channel: "电话", Level: "basically_satisfied", LevelName: "基本满意", Score: score(6), RatedAt: at("2026-03-06 09:30")})
	check(silent.No+"-1-realestate", models.RatingRecord{RecordID: silent.No + "-1-realestate", CaseNo: silent.No, Round: 1,
		Category: "slow_action", CategoryName: "慢作为", Matter: "公积金提取材料审核慢", DepartmentCode: "realestate", DepartmentName: "不动产登记窗口",
		ApplicantName: "赵*", ApplicantKind: "person", ApplicantPhone: "136****2222",
		Channel: "未评价", Level: "not_rated", LevelName: "未评价", Score: nil, RatedAt: at("2026-03-24 11:00")})
	// Nothing of the applicants' numbers or names goes out whole.
	raw, _ := json.Marshal(march)
	for _, s := range []string{"13912345678", "13800138000", "李小明", "13700001111", "1234567", "赵六"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the export holds %q", s)
		}
	}
	if !strings.Contains(string(raw), `"score":null`) {
		t.Errorf("未评价 has a score: %s", raw)
	}

	// April has the second round only, for both departments.
	april := byRecord(t, ta.ratingsOf("2026-04").Records)
	if len(april) != 2 || april[joint.No+"-2-realestate"].Level != "satisfied" || april[joint.No+"-2-market"].Round != 2 || april[joint.No+"-2-market"].Excluded {
		t.Errorf("April: %+v, want the joint case's second round for both windows, not excluded", april)
	}

	// The workbook: a Chinese header, one row per record, the same fields.
	rows := ta.ratingsBook("2026-03")
	if !reflect.DeepEqual(rows[0], reports.RatingColumns) {
		t.Errorf("header %v", rows[0])
	}
	if len(rows) != 6 {
		t.Fatalf("workbook has %d rows, want header and 5", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	row := map[string][]string{}
	for _, r := range rows[1:] {
		for len(r) < len(rows[0]) {
			r = append(r, "")
		}
		row[r[0]] = r
	}
	cell := func(id, h string) string { return row[id][col[h]] }
	for id, want := range map[string]map[string]string{
		good.No + "-1-realestate": {"案件编号": good.No, "办理轮次": "1", "事项类别": "受理后超时未办结", "部门名称": "不动产登记窗口", "反映人": "李**",
			"反映人类型": "群众", "联系电话": "139****5678", "评价渠道": "窗口", "评价等级": "非常满意", "分值": "10", "评价时间": "2026-03-03 10:15", "不计入考核": ""},
		joint.No + "-1-market": {"部门编码": "market", "反映人": "县宏达建材有限公司", "反映人类型": "企业", "评价渠道": "电话", "评价等级": "不满意", "分值": "3",
			"评价意见": "两个窗口互相推诿", "整改期限": "2026-03-12 18:00", "核实结论": "不属实", "整改反馈时间": "2026-03-09 15:00", "按时整改": "",
			"申诉状态": "申诉成立", "申诉理由": "非本部门原因", "申诉裁定": "核实属不动产窗口事项，申诉成立", "不计入考核": "是"},
		joint.No + "-1-realestate": {"部门名称": "不动产登记窗口", "分值": "3", "核实结论": "属实", "整改措施": "已对窗口人员批评教育，回电 138****8000 致歉",
			"整改反馈时间": "2026-03-10 11:00", "按时整改": "是", "申诉状态": "", "不计入考核": ""},
		spot.No + "-1-centre":       {"部门编码": "", "部门名称": "县政务服务中心", "联系电话": "0739-***4567", "评价渠道": "电话", "评价等级": "基本满意", "分值": "6"},
		silent.No + "-1-realestate": {"评价渠道": "未评价", "评价等级": "未评价", "分值": "—", "评价时间": "2026-03-24 11:00", "未评价默认满意": ""},
	} {
		if row[id] == nil {
			t.Errorf("workbook has no row %s", id)
			continue
		}
		for h, v := range want {
			if got := cell(id, h); got != v {
				t.Errorf("workbook %s %s = %q, want %q", id, h, got, v)
			}
		}
	}

	// A month missing or malformed is refused, in Chinese, before any work.
	ta.refused(http.StatusBadRequest, "invalid", "admin", "GET", "/api/v1/ratings", nil, "月份")
	ta.refused(http.StatusBadRequest, "invalid", "admin", "GET", "/api/v1/ratings?month=2026-13", nil, "月份", "YYYY-MM")
	ta.refused(http.StatusBadRequest, "invalid", "admin", "GET", "/api/v1/ratings.xlsx?month=三月", nil, "月份")
	ta.refused(http.StatusUnauthorized, "unauthorized", "", "GET", "/api/v1/ratings?month=2026-03", nil)
}

// A centre whose local rule counts 未评价 as 满意 (rating.unrated_as_satisfied)
// gets 满意 and 8 points for the round, marked defaulted in the JSON and the
// workbook, and the month says how it counted. The console's 月报 page
// links the same workbook.
func TestRatingsExportUnratedAsSatisfiedWhenConfigured(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", append(consoleEnv(t, "ma"), "BBCS_RATING_UNRATED_AS_SATISFIED=true"))
	ta.setClock("2026-05-11T09:00:00+08:00")
	silent := ta.register("walk_in", "赵六", "person", "", "13600002222", "slow_action", "公积金提取材料审核慢")
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+silent.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ta.replyRound(silent.No, 1, map[string]string{"realestate": "zhang"})
	ta.setClock("2026-05-19T09:30:00+08:00")
	ta.fireDueTimers("rate:")

	may := ta.ratingsOf("2026-05")
	if may.UnratedCountedAs != "satisfied" || len(may.Records) != 1 {
		t.Fatalf("unrated counted as %q, %d records", may.UnratedCountedAs, len(may.Records))
	}
	r := may.Records[0]
	if r.Level != "satisfied" || r.LevelName != "满意" || r.Score == nil || *r.Score != 8 || !r.Defaulted || r.Channel != "未评价" {
		t.Errorf("defaulted record: level %q %q score %v defaulted %v channel %q", r.Level, r.LevelName, r.Score, r.Defaulted, r.Channel)
	}
	rows := ta.ratingsBook("2026-05")
	if len(rows) != 2 {
		t.Fatalf("workbook has %d rows", len(rows))
	}
	for i, h := range rows[0] {
		want := map[string]string{"评价等级": "满意", "分值": "8", "未评价默认满意": "是", "评价渠道": "未评价"}[h]
		if want != "" && (i >= len(rows[1]) || rows[1][i] != want) {
			t.Errorf("workbook %s = %v, want %q", h, rows[1], want)
		}
	}

	ma := signIn(t, ta, "ma")
	if _, page, _ := ma.do("GET", "/admin/reports?month=2026-05", nil); !strings.Contains(page, `href="/admin/ratings.xlsx?month=2026-05"`) {
		t.Errorf("the 月报 page does not link the month's 好差评 records:\n%s", page)
	}
	status, body, _ := ma.do("GET", "/admin/ratings.xlsx?month=2026-05", nil)
	f, err := excelize.OpenReader(strings.NewReader(body))
	if status != http.StatusOK || err != nil {
		t.Fatalf("the console's workbook: %d %v", status, err)
	}
	defer f.Close()
	if got, _ := f.GetRows("好差评"); len(got) != 2 || !reflect.DeepEqual(got[1], rows[1]) {
		t.Errorf("the console's workbook %v, want the API's %v", got, rows)
	}
	if status, page, _ := ma.do("GET", "/admin/ratings.xlsx?month=5月", nil); status != http.StatusBadRequest || !strings.Contains(page, "YYYY-MM") {
		t.Errorf("a bad month in the console: %d\n%s", status, page)
	}
}

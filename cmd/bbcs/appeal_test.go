package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"bbcs/internal/testenv"
)

// The demo centre with API tokens for the window heads of the 不动产登记窗口
// (刘强) and the 市场监管窗口 (钱进), and the supervision section (马科长),
// who appeal, report and decide.
func init() {
	tokens["liu"] = "test-token-liuqiang-0005"
	tokens["ma"] = "test-token-makezhang-006"
	tokens["qian"] = "test-token-qianjin-00007"
}

func startAppealApp(t *testing.T, env ...string) *testApp {
	t.Helper()
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const last = "    - {token: demo-token-admin-000004, staff: admin}\n"
	if !strings.Contains(string(raw), last) {
		t.Fatal("config.example.yaml's tokens changed: update startAppealApp")
	}
	cfg := strings.Replace(string(raw), last, last+
		"    - {token: "+tokens["liu"]+", staff: liu}\n    - {token: "+tokens["ma"]+", staff: ma}\n    - {token: "+tokens["qian"]+", staff: qian}\n", 1)
	path := writeFile(t, "config.yaml", cfg)
	return startAppWith(t, path, append([]string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(), "BBCS_CLOCK_FAKE=true",
	}, env...))
}

type appealJSON struct {
	ID          uint64   `json:"id"`
	CaseNo      string   `json:"case_no"`
	Department  string   `json:"department"`
	Ground      string   `json:"ground"`
	Reason      string   `json:"reason"`
	Status      string   `json:"status"`
	Decision    string   `json:"decision"`
	Rating      string   `json:"rating"`
	Comment     string   `json:"comment"`
	Attachments []string `json:"attachments"`
}

type unitScores struct {
	Units []struct {
		Department         string
		Deducted, Proposed int
	}
	Deductions []struct {
		ID                 uint64
		Department, Status string
		CaseNo             string `json:"case_no"`
		Note               string
	}
}

func (s unitScores) unit(code string) (deducted, proposed int) {
	for _, u := range s.Units {
		if u.Department == code {
			return u.Deducted, u.Proposed
		}
	}
	return -1, -1
}

// A department appeals through the API: a 差评 it calls malicious (upheld),
// one it calls not its doing (rejected), and a deduction (upheld). The
// scores before and after show the deduction waived; the ledger keeps the
// upheld 差评, marked; the case's timeline has each step with its reason.
func TestAppealsThroughTheAPI(t *testing.T) {
	ta := startAppealApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")
	register := func(matter string) caseJSON {
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "李女士", "applicant_mobile": "13800138000", "applicant_kind": "person",
			"category": "not_completed_in_time", "channel": "walk_in", "matter": matter}, &c)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
		return c
	}
	rated := func(matter, level, comment string) caseJSON {
		c := register(matter)
		no, _, _, _, _ := c.order("realestate")
		ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+no+"/reply", map[string]string{"result": "已一次性告知所缺材料"}, nil)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate", map[string]string{"level": level, "comment": comment, "via": "phone"}, &c)
		return c
	}
	malicious := rated("过户材料被退回三次，要求当天办好。", "very_dissatisfied", "窗口故意刁难")
	unrelated := rated("抵押登记等了两周还没办好。", "dissatisfied", "银行放款太慢")
	late := register("查封解除迟迟不办。")

	file := map[string]any{"case_no": malicious.No, "round": 1, "department": "不动产登记窗口", "ground": "malicious",
		"reason":      "反映人要求违规当天办结未果，录像显示窗口依规告知",
		"attachments": []map[string]string{{"name": "录像截图.png", "content_type": "image/png", "data": base64.StdEncoding.EncodeToString([]byte("\x89PNG fake"))}}}
	ta.refused(http.StatusForbidden, "forbidden", "zhang", "POST", "/api/v1/appeals", file, "首席审批员")
	huge := map[string]any{"case_no": malicious.No, "round": 1, "department": "realestate", "ground": "malicious", "reason": "恶意差评，附录像",
		"attachments": []map[string]string{{"name": "录像.mp4", "data": base64.StdEncoding.EncodeToString(make([]byte, 3<<20))}}}
	ta.refused(http.StatusRequestEntityTooLarge, "too_large", "liu", "POST", "/api/v1/appeals", huge, "录像.mp4", "2 MB")
	var a1 appealJSON
	ta.must(http.StatusCreated, "liu", "POST", "/api/v1/appeals", file, &a1)
	if a1.Status != "pending" || a1.CaseNo != malicious.No || a1.Rating != "very_dissatisfied" || a1.Comment != "窗口故意刁难" || len(a1.Attachments) != 1 || a1.Attachments[0] != "录像截图.png" {
		t.Fatalf("filed appeal = %+v", a1)
	}
	ta.refused(http.StatusConflict, "conflict", "liu", "POST", "/api/v1/appeals", file, "不能重复申诉")
	// The supervision section reads the file itself before it decides:
	// as sent, as a download; a file that is not there is a 404.
	resp := ta.request("ma", "GET", "/api/v1/appeals/"+itoa(a1.ID)+"/files/1", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "\x89PNG fake" || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("录像截图.png")) {
		t.Errorf("the appeal's file: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	ta.refused(http.StatusNotFound, "not_found", "ma", "GET", "/api/v1/appeals/"+itoa(a1.ID)+"/files/2", nil, "没有第 2 个附件")
	var a2 appealJSON
	ta.must(http.StatusCreated, "liu", "POST", "/api/v1/appeals", map[string]any{"case_no": unrelated.No, "round": 1, "department": "realestate",
		"ground": "unrelated", "reason": "放款属银行业务，非本窗口原因"}, &a2)

	ta.setClock("2026-03-16T10:00:00+08:00") // the third order was due 03-13 18:00
	ta.fireDueTimers("wo:")
	var before unitScores
	ta.must(http.StatusOK, "ma", "GET", "/api/v1/scores?year=2026", nil, &before)
	var dedID uint64
	for _, d := range before.Deductions {
		if d.CaseNo == late.No && d.Department == "realestate" && d.Status == "proposed" {
			dedID = d.ID
		}
	}
	if dedID == 0 {
		t.Fatalf("no deduction proposed for the late order of %s: %+v", late.No, before.Deductions)
	}
	_, proposedBefore := before.unit("realestate")
	var a3 appealJSON
	ta.must(http.StatusCreated, "liu", "POST", "/api/v1/appeals", map[string]any{"deduction_id": dedID, "department": "realestate",
		"ground": "deduction", "reason": "全省不动产系统停机三天，无法出具"}, &a3)

	var pending struct{ Appeals []appealJSON }
	ta.must(http.StatusOK, "ma", "GET", "/api/v1/appeals?status=pending&month=2026-03&department=realestate", nil, &pending)
	if len(pending.Appeals) != 3 {
		t.Fatalf("pending appeals = %+v", pending.Appeals)
	}
	// The month's 好差评 figures (the 月报's), the centre's and the
	// department's: bad, rated, excluded by appeals.
	type figures struct {
		Rated, Bad, ExcludedByAppeals, AppealsFiled, AppealsUpheld, AppealsRejected int64
	}
	goodBad := func() (centre, dept figures) {
		var m struct {
			GoodBad struct {
				Centre struct {
					Rated             int64 `json:"rated"`
					Bad               int64 `json:"bad"`
					ExcludedByAppeals int64 `json:"excluded_by_appeals"`
				} `json:"centre"`
				Departments []struct {
					Department        string `json:"department"`
					Rated             int64  `json:"rated"`
					Bad               int64  `json:"bad"`
					ExcludedByAppeals int64  `json:"excluded_by_appeals"`
					AppealsFiled      int64  `json:"appeals_filed"`
					AppealsUpheld     int64  `json:"appeals_upheld"`
					AppealsRejected   int64  `json:"appeals_rejected"`
				} `json:"departments"`
			} `json:"good_bad"`
		}
		ta.must(http.StatusOK, "ma", "GET", "/api/v1/reports/monthly?month=2026-03", nil, &m)
		c := m.GoodBad.Centre
		centre = figures{Rated: c.Rated, Bad: c.Bad, ExcludedByAppeals: c.ExcludedByAppeals}
		for _, d := range m.GoodBad.Departments {
			if d.Department == "realestate" {
				dept = figures{d.Rated, d.Bad, d.ExcludedByAppeals, d.AppealsFiled, d.AppealsUpheld, d.AppealsRejected}
			}
		}
		return centre, dept
	}
	// Before the decisions both 差评 count against the window and the
	// centre; three appeals wait.
	if c, d := goodBad(); c != (figures{Rated: 2, Bad: 2}) || d != (figures{Rated: 2, Bad: 2, AppealsFiled: 3}) {
		t.Errorf("好差评 figures before the decisions: centre %+v, realestate %+v; want 2 rated, 2 差评, 3 appeals filed", c, d)
	}
	ta.refused(http.StatusForbidden, "forbidden", "liu", "POST", "/api/v1/appeals/"+itoa(a1.ID)+"/decide", map[string]any{"uphold": true, "reason": "自己裁定"}, "监督考核科")
	ta.refused(http.StatusBadRequest, "invalid", "ma", "POST", "/api/v1/appeals/"+itoa(a1.ID)+"/decide", map[string]any{"uphold": true}, "裁定理由")
	var d appealJSON
	ta.must(http.StatusOK, "ma", "POST", "/api/v1/appeals/"+itoa(a1.ID)+"/decide", map[string]any{"uphold": true, "reason": "调取录像，窗口依规告知，属恶意差评"}, &d)
	if d.Status != "upheld" || d.Decision != "调取录像，窗口依规告知，属恶意差评" {
		t.Errorf("decided = %+v", d)
	}
	ta.refused(http.StatusConflict, "conflict", "ma", "POST", "/api/v1/appeals/"+itoa(a1.ID)+"/decide", map[string]any{"uphold": false, "reason": "改判"}, "不能重复裁定")
	ta.must(http.StatusOK, "ma", "POST", "/api/v1/appeals/"+itoa(a2.ID)+"/decide", map[string]any{"uphold": false, "reason": "放款前的材料审核在窗口，延误属实"}, &d)
	ta.must(http.StatusOK, "ma", "POST", "/api/v1/appeals/"+itoa(a3.ID)+"/decide", map[string]any{"uphold": true, "reason": "省系统停机有通报为证"}, &d)

	// After: the 恶意差评 upheld leaves the window's and the centre's
	// figures (the ledger keeps it, marked); the rejected one still counts.
	if c, d := goodBad(); c != (figures{Rated: 1, Bad: 1, ExcludedByAppeals: 1}) || d != (figures{Rated: 1, Bad: 1, ExcludedByAppeals: 1, AppealsFiled: 3, AppealsUpheld: 2, AppealsRejected: 1}) {
		t.Errorf("好差评 figures after the decisions: centre %+v, realestate %+v; want 1 rated, 1 差评, 1 excluded, appeals 3 filed, 2 upheld, 1 rejected", c, d)
	}
	var after unitScores
	ta.must(http.StatusOK, "ma", "GET", "/api/v1/scores?year=2026", nil, &after)
	if _, p := after.unit("realestate"); p != proposedBefore-1 {
		t.Errorf("realestate's proposed points: %d before, %d after the upheld deduction appeal", proposedBefore, p)
	}
	for _, dd := range after.Deductions {
		if dd.ID == dedID && (dd.Status != "waived" || !strings.Contains(dd.Note, "省系统停机有通报为证")) {
			t.Errorf("the appealed deduction after: %+v", dd)
		}
	}

	timeline := func(no string) string {
		var c caseJSON
		ta.must(http.StatusOK, "ma", "GET", "/api/v1/cases/"+no, nil, &c)
		var lines []string
		for _, e := range c.Timeline {
			lines = append(lines, e.Actor+"｜"+e.Note)
		}
		return strings.Join(lines, "\n")
	}
	for no, want := range map[string][]string{
		malicious.No: {"不动产登记窗口对第 1 轮差评（非常不满意）提出申诉（恶意差评）：理由：反映人要求违规当天办结未果", "申诉成立：调取录像", "不计入不动产登记窗口的考核和中心的统计"},
		unrelated.No: {"提出申诉（非本部门原因）：理由：放款属银行业务", "申诉驳回：放款前的材料审核在窗口"},
		late.No:      {"对扣分（", "全省不动产系统停机三天", "申诉成立：省系统停机有通报为证；该扣分免除"},
	} {
		tl := timeline(no)
		for _, w := range want {
			if !strings.Contains(tl, w) {
				t.Errorf("the timeline of %s lacks %q:\n%s", no, w, tl)
			}
		}
	}

	resp = ta.request("admin", "GET", "/api/v1/ledger.xlsx?month=2026-03", nil)
	defer resp.Body.Close()
	book, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("ledger: %d %v", resp.StatusCode, err)
	}
	rows, err := book.GetRows("台账")
	if err != nil {
		t.Fatal(err)
	}
	cell := func(no string) string {
		for _, r := range rows {
			if len(r) > 16 && r[1] == no {
				return r[16]
			}
		}
		t.Fatalf("no ledger row for %s", no)
		return ""
	}
	if got := cell(malicious.No); !strings.Contains(got, "非常不满意") || !strings.Contains(got, "申诉成立（恶意差评），不计入不动产登记窗口及中心考核") {
		t.Errorf("the ledger's rating of the upheld 差评: %q", got)
	}
	if got := cell(unrelated.No); !strings.Contains(got, "不满意") || !strings.Contains(got, "第1轮差评 不动产登记窗口申诉（非本部门原因）被驳回，照常计入") || strings.Contains(got, "申诉成立") {
		t.Errorf("the ledger's rating of the rejected appeal's 差评: %q", got)
	}
	// The deduction's appeal is in the ledger too (every step of it is),
	// beside the overdue order it was about: 时限执行.
	for _, r := range rows {
		if len(r) > 13 && r[1] == late.No {
			if got := r[13]; !strings.Contains(got, "超期 1 单") || !strings.Contains(got, "不动产登记窗口对扣分“") || !strings.Contains(got, "”申诉成立，免于扣分：省系统停机有通报为证") {
				t.Errorf("the ledger's 时限执行 of %s, whose deduction was waived on appeal: %q", late.No, got)
			}
		}
	}
}

func itoa(id uint64) string { return strconv.FormatUint(id, 10) }

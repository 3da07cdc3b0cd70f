package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"bbcs/internal/testenv"
)

type browser struct {
	t *testing.T
	c *http.Client
	u string
}

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if method == "POST" {
		resp, err = b.c.PostForm(b.u+path, form)
	} else {
		resp, err = b.c.Get(b.u + path)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// The console: sign-in with a hashed password, the ledger with filters,
// a case with its timeline, the monthly summary, and a deduction confirmed.
func TestAdminConsole(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "ma", "zhang"))
	c := overdueCase(ta, "过户超期未办结")

	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, u: ta.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status, _, loc := b.do("GET", "/admin/cases", nil); status != http.StatusFound || !strings.HasPrefix(loc, "/admin/login") {
		t.Fatalf("signed out: %d → %s", status, loc)
	}
	if status, body, _ := b.do("POST", "/admin/login", url.Values{"staff": {"ma"}, "password": {"wrong"}}); status != http.StatusUnauthorized || !strings.Contains(body, "不正确") {
		t.Errorf("a wrong password: %d", status)
	}
	if status, _, _ := b.do("POST", "/admin/login", url.Values{"staff": {"zhang"}, "password": {"correct horse"}}); status != http.StatusUnauthorized {
		t.Errorf("window staff signing in to the console: %d", status)
	}
	if status, _, loc := b.do("POST", "/admin/login", url.Values{"staff": {"ma"}, "password": {"correct horse"}, "next": {"/admin/cases?month=2026-03"}}); status != http.StatusFound || loc != "/admin/cases?month=2026-03" {
		t.Fatalf("sign-in: %d → %s", status, loc)
	}
	status, body, _ := b.do("GET", "/admin/cases?month=2026-03&department=tax", nil)
	if status != http.StatusOK || !strings.Contains(body, c.No) || !strings.Contains(body, "13800138000") || !strings.Contains(body, "/admin/ledger.xlsx?") {
		t.Fatalf("the ledger page: %d", status)
	}
	// The late case stands out in the list, without opening it.
	if !strings.Contains(body, `<span class="late">已超期 5 个工作日</span>`) {
		t.Errorf("the ledger does not mark the overdue case")
	}
	if _, body, _ := b.do("GET", "/admin/cases?month=2026-04", nil); strings.Contains(body, c.No) {
		t.Errorf("April's ledger lists a March case")
	}
	if status, body, _ := b.do("GET", "/admin/cases/"+c.No, nil); status != http.StatusOK || !strings.Contains(body, "派发工单至税务窗口") {
		t.Errorf("the case page: %d", status)
	}
	if status, body, _ := b.do("GET", "/admin/reports?month=2026-03", nil); status != http.StatusOK || !strings.Contains(body, "受理 <b>1</b> 件") ||
		!strings.Contains(body, "<h2>按处理方式</h2><table class=\"bars\"><tbody>\n<tr><td class=\"muted\">本月受理的事项都还在办理中</td>") ||
		!strings.Contains(body, `<a href="/admin/scores?year=2026">扣分建议 1 项待监督考核科确认</a>`) {
		t.Errorf("the monthly page: %d\n%s", status, body)
	}
	status, body, _ = b.do("GET", "/admin/scores?year=2026", nil)
	if status != http.StatusOK || !strings.Contains(body, "未在时限内答复") {
		t.Fatalf("the scores page: %d", status)
	}
	m := regexp.MustCompile(`action="/admin/deductions/(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no deduction to decide")
	}
	if status, _, _ := b.do("POST", "/admin/deductions/"+m[1], url.Values{"decision": {"confirm"}, "csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("a forged form: %d", status)
	}
	csrf := consoleCSRF.FindStringSubmatch(body)[1]
	if status, _, loc := b.do("POST", "/admin/deductions/"+m[1], url.Values{"decision": {"confirm"}, "csrf": {csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "/admin/scores?year=2026") {
		t.Fatalf("confirming: %d → %s", status, loc)
	}
	var sc struct {
		Deductions []struct{ Status string } `json:"deductions"`
	}
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/scores?year=2026", nil, &sc)
	if len(sc.Deductions) != 1 || sc.Deductions[0].Status != "confirmed" {
		t.Errorf("deductions after the console: %+v", sc.Deductions)
	}
}

// signIn returns a console session for one person of config.example.yaml.
func signIn(t *testing.T, ta *testApp, id string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, u: ta.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status, body, _ := b.do("POST", "/admin/login", url.Values{"staff": {id}, "password": {"correct horse"}}); status != http.StatusFound {
		t.Fatalf("%s signing in: %d\n%s", id, status, body)
	}
	return b
}

// csrfOf reads the form token of a page the session opens.
func (b *browser) csrfOf(path string) string {
	b.t.Helper()
	_, body, _ := b.do("GET", path, nil)
	m := consoleCSRF.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("%s has no form token", path)
	}
	return m[1]
}

// consoleHash is the hash of "correct horse", the password of every
// console test.
var consoleHash = func() string {
	h, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	return string(h)
}()

func consoleEnv(t *testing.T, ids ...string) []string {
	env := []string{"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(), "BBCS_CLOCK_FAKE=true"}
	for _, id := range ids {
		env = append(env, "BBCS_STAFF_"+strings.ToUpper(id)+"_PASSWORD_HASH="+consoleHash)
	}
	return env
}

// overdueCase is a walk-in registered on 10 March and dispatched to the
// tax window, with the clock moved on to 20 March and its order's timers
// due by then fired: it is overdue, and a deduction is proposed.
func overdueCase(ta *testApp, matter string) caseJSON {
	ta.t.Helper()
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": matter,
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	ta.setClock("2026-03-20T10:00:00+08:00")
	ta.fireDueTimers("wo:")
	return c
}

// A walk-in registered and answered from the console, a refusal that
// changes nothing, and the supervision section recording a fault: the
// same use cases as the API, with the same rules.
func TestConsoleCaseActions(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang", "li", "ma"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	wang := signIn(t, ta, "wang")
	csrf := wang.csrfOf("/admin/cases/new")
	status, body, loc := wang.do("POST", "/admin/cases", url.Values{"csrf": {csrf}, "name": {"李女士"}, "mobile": {"1380013800"},
		"kind": {"person"}, "channel": {"walk_in"}, "category": {"not_completed_in_time"}, "matter": {"过户超期未办结"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "手机号") || !strings.Contains(body, "过户超期未办结") {
		t.Fatalf("a mistyped mobile: %d, the form should come back with the error and what was typed", status)
	}
	status, _, loc = wang.do("POST", "/admin/cases", url.Values{"csrf": {csrf}, "name": {"李女士"}, "mobile": {"13800138000"},
		"kind": {"person"}, "channel": {"walk_in"}, "category": {"not_completed_in_time"}, "matter": {"过户超期未办结"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/cases/BB20260310-") {
		t.Fatalf("registering: %d → %s", status, loc)
	}
	no := strings.TrimPrefix(loc[:strings.Index(loc, "?")], "/admin/cases/")
	_, page, _ := wang.do("GET", loc, nil)
	for _, want := range []string{"已登记，编号 " + no, "当场答复", "派发工单", "受理登记", "王芳"} {
		if !strings.Contains(page, want) {
			t.Errorf("the new case's page lacks %q", want)
		}
	}
	// Another specialist is not the owner: no forms, and a forged post is refused.
	li := signIn(t, ta, "li")
	if _, page, _ := li.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, `id="actions"`) {
		t.Errorf("a specialist who is not the owner is offered the owner's actions")
	}
	status, page, _ = li.do("POST", "/admin/cases/"+no+"/resolve", url.Values{"csrf": {li.csrfOf("/admin/cases")}, "result": {"已办好"}})
	if status != http.StatusForbidden || !strings.Contains(page, "首接负责人是王芳") {
		t.Errorf("the other specialist answering: %d", status)
	}
	// An empty answer is refused and the case stays as it was.
	status, page, _ = wang.do("POST", "/admin/cases/"+no+"/resolve", url.Values{"csrf": {csrf}, "result": {"  "}})
	if status != http.StatusBadRequest || !strings.Contains(page, "请填写") {
		t.Errorf("an empty answer: %d", status)
	}
	var c caseJSON
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Status != "registered" {
		t.Fatalf("after two refusals the case is %s", c.Status)
	}
	status, _, loc = wang.do("POST", "/admin/cases/"+no+"/resolve", url.Values{"csrf": {csrf}, "result": {"已协调不动产登记窗口当场办结过户。"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "done=") {
		t.Fatalf("answering on the spot: %d → %s", status, loc)
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Status != "answered" || c.Result != "已协调不动产登记窗口当场办结过户。" {
		t.Errorf("after the console's answer: %s %q", c.Status, c.Result)
	}
	// An answered case waits for the applicant's rating (第十三条): no
	// 办结 button that can only fail, but a form to record a rating given
	// in person or by phone; the API's close says how the case will close.
	if _, page, _ := wang.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, "/admin/cases/"+no+"/close") ||
		!strings.Contains(page, "/admin/cases/"+no+"/rate") || !strings.Contains(page, "当面") {
		t.Errorf("the answered case's page should offer recording a rating, not closing")
	} else if !strings.Contains(page, `<option value="" disabled selected>请选择评价</option>`) {
		// A hurried specialist must choose: a default level would be recorded unheard.
		t.Errorf("the rating form should start on 请选择评价, not on a level")
	}
	ta.refused(http.StatusConflict, "conflict", "wang", "POST", "/api/v1/cases/"+no+"/close", map[string]string{"note": "已知晓"}, "评价", "当面", "电话", "未评价")
	// The supervision section records a verified fault (after a bad
	// rating here); the specialist may not.
	ma := signIn(t, ta, "ma")
	status, _, _ = wang.do("POST", "/admin/cases/"+no+"/rate", url.Values{"csrf": {csrf}, "level": {"dissatisfied"}, "via": {"phone"}, "comment": {"态度不好"}})
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if status != http.StatusSeeOther || c.Rating == nil || c.Rating.Level != "dissatisfied" || c.Rating.Via != "phone" || c.Rounds != 2 {
		t.Fatalf("the rating given by phone, recorded on the console: %d %+v", status, c.Rating)
	}
	if _, page, _ := wang.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, "/fault") {
		t.Errorf("a specialist is offered the supervision section's fault form")
	}
	status, _, _ = ma.do("POST", "/admin/cases/"+no+"/fault", url.Values{"csrf": {ma.csrfOf("/admin/cases")}, "staff": {"zhang"},
		"kind": {"poor_attitude"}, "note": {"经调取录像核实，态度生硬。"}})
	if status != http.StatusSeeOther {
		t.Fatalf("recording a fault: %d", status)
	}
	if _, page, _ := ma.do("GET", "/admin/cases/"+no, nil); !strings.Contains(page, "经核实属工作人员过错：张伟（服务态度差）") {
		t.Errorf("the fault is not on the case's timeline")
	}
}

// A related unit that shirked a case (第十七条): the supervision section
// records it from the case page, confirms the point it costs, and reports
// it to the window's own department with a letter to print.
func TestConsoleUnitFailureReportedToItsDepartment(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "ma"))
	c := overdueCase(ta, "开具完税证明一直说系统不通")
	ma := signIn(t, ta, "ma")
	if _, page, _ := ma.do("GET", "/admin/cases/"+c.No, nil); !strings.Contains(page, "认定相关联单位责任") ||
		!strings.Contains(page, `name="departments" value="tax"`) || strings.Contains(page, `name="departments" value="market"`) {
		t.Fatalf("the case page should offer the tax window, and only it, as a related unit")
	}
	csrf := ma.csrfOf("/admin/cases")
	status, page, _ := ma.do("POST", "/admin/cases/"+c.No+"/unit-failure", url.Values{"csrf": {csrf}, "departments": {"market"}, "kind": {"shirked"}, "note": {"推诿"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "没有交办给市场监管窗口") {
		t.Errorf("blaming a unit the case never reached: %d", status)
	}
	status, _, _ = ma.do("POST", "/admin/cases/"+c.No+"/unit-failure", url.Values{"csrf": {csrf}, "departments": {"tax"}, "kind": {"shirked"},
		"note": {"以系统问题为由拒不出具，经核实系统正常"}})
	if status != http.StatusSeeOther {
		t.Fatalf("recording the unit's failure: %d", status)
	}
	if _, page, _ := ma.do("GET", "/admin/cases/"+c.No, nil); !strings.Contains(page, "经核实，相关联单位税务窗口推脱责任，未按要求顺利办结") {
		t.Errorf("the failure is not on the case's timeline")
	}
	var sc struct {
		Deductions []struct {
			ID                             uint64
			Rule, Department, Unit, Reason string
			CaseNo                         string  `json:"case_no"`
			ReportedAt                     *string `json:"reported_at"`
		}
	}
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/scores?year=2026", nil, &sc)
	// The order ran late and the unit shirked it: one failure to get the
	// case finished (第十七条, 各1分), one deduction giving both reasons.
	var id string
	for _, d := range sc.Deductions {
		if d.Department == "tax" && d.CaseNo == c.No {
			if id != "" {
				t.Errorf("a second deduction of the tax window for %s: %+v", c.No, d)
			}
			id = strconv.FormatUint(d.ID, 10)
			if !strings.Contains(d.Reason, "未在时限内答复") || !strings.Contains(d.Reason, "推脱责任：以系统问题为由拒不出具") {
				t.Errorf("the deduction's reason: %q", d.Reason)
			}
		}
	}
	if id == "" {
		t.Fatalf("no deduction proposed for the tax window: %+v", sc.Deductions)
	}
	status, page, _ = ma.do("POST", "/admin/cases/"+c.No+"/unit-failure", url.Values{"csrf": {csrf}, "departments": {"tax"}, "kind": {"neglected"}, "note": {"再次认定"}})
	if status != http.StatusConflict || !strings.Contains(page, "不能重复认定") {
		t.Errorf("recording the unit's failure twice: %d", status)
	}
	if status, page, _ := ma.do("POST", "/admin/deductions/"+id+"/report", url.Values{"csrf": {csrf}}); status != http.StatusConflict || !strings.Contains(page, "尚未确认") {
		t.Errorf("reporting before confirming: %d", status)
	}
	if status, _, _ := ma.do("POST", "/admin/deductions/"+id, url.Values{"csrf": {csrf}, "decision": {"confirm"}}); status != http.StatusSeeOther {
		t.Fatalf("confirming: %d", status)
	}
	if _, page, _ := ma.do("GET", "/admin/scores?year=2026", nil); !strings.Contains(page, `action="/admin/deductions/`+id+`/report"`) {
		t.Errorf("the scores page does not offer to report the confirmed deduction")
	}
	status, _, loc := ma.do("POST", "/admin/deductions/"+id+"/report", url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || loc != "/admin/deductions/"+id+"/report" {
		t.Fatalf("reporting: %d → %s", status, loc)
	}
	_, letter, _ := ma.do("GET", loc, nil)
	for _, want := range []string{"关于税务窗口“办不成事”反映事项办理情况的通报", "县税务局：", "编号 " + c.No, "推脱责任", "扣除该窗口单位 1 分", "2026年3月20日", "已于 2026年3月20日"} {
		if !strings.Contains(letter, want) {
			t.Errorf("the letter lacks %q", want)
		}
	}
	if _, page, _ := ma.do("GET", "/admin/scores?year=2026", nil); !strings.Contains(page, "已通报原单位") {
		t.Errorf("the scores page does not show the deduction as reported")
	}
}

// 红旗窗口 from the scores page: three alike matters handed to the tax
// window are proposed as one recurring problem; the supervision section
// finds they are not, with its reason, and the window is eligible again.
func TestConsoleRecurringProblemReviewed(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "ma"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	for range 3 {
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": "完税证明开具系统故障无法打印",
		}, &c)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	}
	ma := signIn(t, ta, "ma")
	_, page, _ := ma.do("GET", "/admin/scores?year=2026", nil)
	if !strings.Contains(page, "待监督考核科核实") || !strings.Contains(page, `action="/admin/recurrences"`) {
		t.Fatalf("the scores page should propose the recurring problem for review")
	}
	cases := regexp.MustCompile(`name="cases" value="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(cases) != 3 {
		t.Fatalf("the review form carries %d cases, want 3", len(cases))
	}
	form := url.Values{"csrf": {ma.csrfOf("/admin/scores")}, "year": {"2026"}, "department": {"tax"}, "decision": {"dismiss"}}
	for _, m := range cases {
		form.Add("cases", m[1])
	}
	if status, page, _ := ma.do("POST", "/admin/recurrences", form); status != http.StatusBadRequest || !strings.Contains(page, "不属同类问题的理由") {
		t.Errorf("dismissing without a reason: %d", status)
	}
	form.Set("note", "系统故障已由省局修复，非窗口原因")
	if status, _, loc := ma.do("POST", "/admin/recurrences", form); status != http.StatusSeeOther || !strings.Contains(loc, "year=2026") {
		t.Fatalf("dismissing: %d → %s", status, loc)
	}
	_, page, _ = ma.do("GET", "/admin/scores?year=2026", nil)
	if !strings.Contains(page, "已认定不属同类问题</b>：系统故障已由省局修复") || strings.Contains(page, "待监督考核科核实") {
		t.Errorf("the scores page after the dismissal does not show it")
	}
	type unit struct {
		Department      string
		RedFlagEligible bool `json:"red_flag_eligible"`
	}
	var sc struct{ Units []unit }
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/scores?year=2026", nil, &sc)
	i := slices.IndexFunc(sc.Units, func(u unit) bool { return u.Department == "tax" })
	if i < 0 || !sc.Units[i].RedFlagEligible {
		t.Errorf("the tax window should be eligible after the dismissal: %+v", sc.Units)
	}
}

// Every console page with every role that may sign in: the pages a role
// may not open answer 403, the others 200, and window staff cannot sign
// in at all.
func TestConsoleRolesOnEveryRoute(t *testing.T) {
	ids := []string{"wang", "ma", "chen", "zhou", "admin", "zhang"}
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, ids...))
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "other", "matter": "咨询",
	}, &c)
	all := []string{"wang", "ma", "chen", "zhou", "admin"}
	routes := []struct {
		method, path string
		allowed      []string
	}{
		{"GET", "/admin/cases", all},
		{"GET", "/admin/cases/new", []string{"wang", "admin"}},
		{"POST", "/admin/cases", []string{"wang", "admin"}},
		{"GET", "/admin/cases/" + c.No, all},
		{"POST", "/admin/cases/" + c.No + "/close", all}, // the use case decides
		{"GET", "/admin/ledger.xlsx?month=2026-03", all},
		{"GET", "/admin/reports?month=2026-03", all},
		{"GET", "/admin/scores?year=2026", all},
		{"POST", "/admin/deductions/1", []string{"ma", "admin"}},
		{"POST", "/admin/deductions/1/report", []string{"ma", "admin"}},
		{"POST", "/admin/recurrences", []string{"ma", "admin"}},
		{"GET", "/admin/deductions/1/report", []string{"ma", "admin"}},
		{"GET", "/admin/notices", []string{"ma", "admin"}},
		{"POST", "/admin/notices/1/retry", []string{"ma", "admin"}},
		{"GET", "/admin/departments", []string{"admin"}},
		{"POST", "/admin/departments", []string{"admin"}},
		{"GET", "/admin/staff", []string{"admin"}},
		{"POST", "/admin/staff", []string{"admin"}},
		{"GET", "/admin/roster", all}, // read only but for the administrator (issue 14)
		{"POST", "/admin/check-in", []string{"wang"}},
		{"POST", "/admin/roster", []string{"admin"}},
		{"POST", "/admin/roster/rotation", []string{"admin"}},
		{"GET", "/admin/settings", []string{"admin"}},
		{"POST", "/admin/settings/wecom", []string{"admin"}},
		{"GET", "/admin/holidays", []string{"admin"}},
		{"POST", "/admin/holidays", []string{"admin"}},
	}
	jar, _ := cookiejar.New(nil)
	anon := &browser{t: t, u: ta.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status, _, _ := anon.do("POST", "/admin/login", url.Values{"staff": {"zhang"}, "password": {"correct horse"}}); status != http.StatusUnauthorized {
		t.Errorf("window staff signing in: %d", status)
	}
	for _, id := range all {
		b := signIn(t, ta, id)
		csrf := b.csrfOf("/admin/cases")
		for _, rt := range routes {
			var form url.Values
			if rt.method == "POST" {
				form = url.Values{"csrf": {csrf}}
			}
			status, _, _ := b.do(rt.method, rt.path, form)
			allowed := false
			for _, a := range rt.allowed {
				allowed = allowed || a == id
			}
			if allowed && status == http.StatusForbidden && !strings.HasSuffix(rt.path, "/close") {
				t.Errorf("%s %s as %s: %d, want it open", rt.method, rt.path, id, status)
			}
			if status >= 500 {
				t.Errorf("%s %s as %s: %d, a server error", rt.method, rt.path, id, status)
			}
			if !allowed && status != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d, want 403", rt.method, rt.path, id, status)
			}
		}
	}
	for _, rt := range routes {
		status, _, loc := anon.do(rt.method, rt.path, url.Values{})
		if status != http.StatusFound || !strings.HasPrefix(loc, "/admin/login") {
			t.Errorf("%s %s signed out: %d → %s", rt.method, rt.path, status, loc)
		}
	}
}

// The administrator's pages: a department renamed, a new specialist who
// signs in with the password set for them, a duty day, and next year's
// holidays entered, which move the deadline of the next work order.
func TestConsoleDirectory(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "admin"))
	ta.setClock("2026-12-30T10:00:00+08:00") // a Wednesday; 2027 is not yet published
	admin := signIn(t, ta, "admin")
	csrf := admin.csrfOf("/admin/departments")

	status, _, _ := admin.do("POST", "/admin/departments", url.Values{"csrf": {csrf}, "code": {"tax"}, "name": {"税务综合窗口"},
		"platform": {"wecom"}, "chat_id": {"wrtax"}, "leader": {"chen"}, "active": {"1"}})
	if status != http.StatusSeeOther {
		t.Fatalf("renaming a department: %d", status)
	}
	if _, page, _ := admin.do("GET", "/admin/departments", nil); !strings.Contains(page, "税务综合窗口") {
		t.Errorf("the departments page does not show the new name")
	}
	if status, page, _ := admin.do("POST", "/admin/departments", url.Values{"csrf": {csrf}, "code": {"Tax Office"}, "name": {"x"}}); status != http.StatusBadRequest || !strings.Contains(page, "部门代码") {
		t.Errorf("a bad department code: %d", status)
	}

	status, page, _ := admin.do("POST", "/admin/staff", url.Values{"csrf": {csrf}, "new": {"1"}, "id": {"xu"}, "name": {"徐静"},
		"role": {"specialist"}, "password": {"short"}, "active": {"1"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "密码至少 8 位") || !strings.Contains(page, "徐静") {
		t.Errorf("a short password: %d", status)
	}
	if status, _, _ := admin.do("POST", "/admin/staff", url.Values{"csrf": {csrf}, "new": {"1"}, "id": {"xu"}, "name": {"徐静"},
		"role": {"specialist"}, "password": {"correct horse"}, "active": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("adding a specialist: %d", status)
	}
	signIn(t, ta, "xu") // with the password the console set
	if status, page, _ := admin.do("POST", "/admin/staff", url.Values{"csrf": {csrf}, "id": {"admin"}, "name": {"管理员"}, "role": {"admin"}}); status != http.StatusBadRequest || !strings.Contains(page, "不能停用自己") {
		t.Errorf("the administrator disabling themselves: %d", status)
	}
	if status, page, _ := admin.do("POST", "/admin/staff", url.Values{"csrf": {csrf}, "id": {"admin"}, "name": {"管理员"}, "role": {"admin"},
		"password": {"another horse"}, "active": {"1"}}); status != http.StatusConflict || !strings.Contains(page, "由配置文件管理") {
		t.Errorf("a password config manages, set in the console: %d", status)
	}
	signIn(t, ta, "admin") // still the configured one

	if status, _, _ := admin.do("POST", "/admin/roster", url.Values{"csrf": {csrf}, "date": {"2026-12-31"}, "specialist": {"xu"}, "leader": {"chen"}}); status != http.StatusSeeOther {
		t.Fatalf("setting a duty day: %d", status)
	}
	if _, page, _ := admin.do("GET", "/admin/roster", nil); !strings.Contains(page, `<option value="xu" selected>`) {
		t.Errorf("the roster does not show 徐静 on duty")
	}
	if status, page, _ := admin.do("POST", "/admin/roster", url.Values{"csrf": {csrf}, "date": {"2027-01-02"}, "specialist": {"xu"}}); status != http.StatusBadRequest || !strings.Contains(page, "不是工作日") {
		t.Errorf("a duty day on a Saturday: %d", status)
	}
	// The rotation: 徐静 first, then 王芳; 李明 leaves it.
	if status, page, _ := admin.do("POST", "/admin/roster/rotation", url.Values{"csrf": {csrf}, "turn:xu": {"1"}, "turn:wang": {"两"}}); status != http.StatusBadRequest || !strings.Contains(page, "从 1 开始的数字") {
		t.Errorf("a turn that is not a number: %d", status)
	}
	if status, _, _ := admin.do("POST", "/admin/roster/rotation", url.Values{"csrf": {csrf}, "turn:xu": {"1"}, "turn:wang": {"2"}, "turn:li": {""}}); status != http.StatusSeeOther {
		t.Fatalf("setting the rotation: %d", status)
	}
	if _, page, _ := admin.do("GET", "/admin/roster", nil); !strings.Contains(page, `name="turn:xu" inputmode="numeric" pattern="[0-9]*" maxlength="3" value="1"`) ||
		!strings.Contains(page, `name="turn:wang" inputmode="numeric" pattern="[0-9]*" maxlength="3" value="2"`) || !strings.Contains(page, `name="turn:li" inputmode="numeric" pattern="[0-9]*" maxlength="3" value=""`) {
		t.Errorf("the roster page does not show the rotation 徐静, 王芳")
	}

	// Before: 2027 follows the statutory estimate (元旦 1 January off).
	dispatch := func() string {
		var c caseJSON
		ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "other", "matter": "咨询",
		}, &c)
		ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, &c)
		return c.WorkOrders[0].DueAt
	}
	if due := dispatch(); !strings.HasPrefix(due, "2027-01-05T18:00") {
		t.Fatalf("before the override the order is due %s, want 5 January (31 Dec, 4 Jan, 5 Jan)", due)
	}
	if status, page, _ := admin.do("POST", "/admin/holidays", url.Values{"csrf": {csrf}, "year": {"2027"}, "data": {`{"year": 2027, "days": [{"date": "2027-01-01"}]`}}); status != http.StatusBadRequest || !strings.Contains(page, "JSON") {
		t.Errorf("broken JSON: %d", status)
	}
	// Half a year (only 元旦) is refused, in Chinese, naming the line, and
	// changes nothing: 除夕 stays a day off (《全国年节及纪念日放假办法》).
	half := "{\"year\": 2027, \"source\": \"国务院办公厅关于2027年部分节假日安排的通知\",\n \"days\": [{\"name\": \"元旦\", \"date\": \"2027-01-01\", \"off\": true}, {\"name\": \"元旦\", \"date\": \"2027-01-04\", \"off\": true}]}"
	for _, confirm := range []string{"", "1"} {
		status, page, _ := admin.do("POST", "/admin/holidays", url.Values{"csrf": {csrf}, "year": {"2027"}, "data": {half}, "confirm": {confirm}})
		if status != http.StatusBadRequest || !strings.Contains(page, "第 1 行") || !strings.Contains(page, "不完整") || !strings.Contains(page, "缺少春节") || !strings.Contains(page, "除夕") {
			t.Errorf("half a year (confirm=%q): %d, want 400 saying 第 1 行 … 缺少春节", confirm, status)
		}
	}
	if _, page, _ := admin.do("GET", "/admin/holidays", nil); strings.Contains(page, "国务院办公厅关于2027年部分节假日安排的通知</td>") {
		t.Errorf("a refused year is listed on the holidays page")
	}
	if due := dispatch(); !strings.HasPrefix(due, "2027-01-05T18:00") {
		t.Fatalf("after a refused year the order is due %s, want 5 January still", due)
	}
	// The whole year: the preview names the open orders whose deadlines
	// move, old and new; only 确认保存 saves it.
	fixture, err := os.ReadFile("../../workday/testdata/override-2027.json")
	if err != nil {
		t.Fatal(err)
	}
	override := strings.TrimSpace(string(fixture))
	override = strings.Replace(strings.TrimSpace(override[1:len(override)-1]), `{"name": "元旦", "date": "2027-01-03", "off": true},`,
		`{"name": "元旦", "date": "2027-01-03", "off": true}, {"name": "元旦", "date": "2027-01-04", "off": true},`, 1)
	status, page, _ = admin.do("POST", "/admin/holidays", url.Values{"csrf": {csrf}, "year": {"2027"}, "data": {override}})
	if status != http.StatusOK || !strings.Contains(page, "确认保存") || strings.Count(page, "2027年1月5日（周二）18:00") != 2 || strings.Count(page, "2027年1月6日（周三）18:00") != 2 {
		t.Fatalf("the preview of 2027: %d, want both open orders moving from 5 to 6 January:\n%s", status, page)
	}
	if due := dispatch(); !strings.HasPrefix(due, "2027-01-05T18:00") {
		t.Fatalf("the preview saved the year: the order is due %s", due)
	}
	if status, _, _ := admin.do("POST", "/admin/holidays", url.Values{"csrf": {csrf}, "year": {"2027"}, "data": {override}, "confirm": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("entering 2027: %d", status)
	}
	if due := dispatch(); !strings.HasPrefix(due, "2027-01-06T18:00") {
		t.Errorf("after the override the order is due %s, want 6 January (4 January is now off)", due)
	}
	if _, page, _ := admin.do("GET", "/admin/holidays", nil); !strings.Contains(page, "国务院办公厅关于2027年部分节假日安排的通知") {
		t.Errorf("the holidays page does not list 2027's source")
	}
}

package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
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
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	env := []string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(), "BBCS_CLOCK_FAKE=true",
		"BBCS_STAFF_MA_PASSWORD_HASH=" + string(hash), "BBCS_STAFF_ZHANG_PASSWORD_HASH=" + string(hash),
	}
	ta := startAppWith(t, "../../config.example.yaml", env)
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time", "matter": "过户超期未办结",
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	ta.setClock("2026-03-20T10:00:00+08:00") // the order is overdue: a deduction is proposed

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
	if status != http.StatusOK || !strings.Contains(body, c.No) || !strings.Contains(body, "13800138000") || !strings.Contains(body, "/api/v1/ledger.xlsx?") {
		t.Fatalf("the ledger page: %d", status)
	}
	if _, body, _ := b.do("GET", "/admin/cases?month=2026-04", nil); strings.Contains(body, c.No) {
		t.Errorf("April's ledger lists a March case")
	}
	if status, body, _ := b.do("GET", "/admin/cases/"+c.No, nil); status != http.StatusOK || !strings.Contains(body, "派发工单至税务窗口") {
		t.Errorf("the case page: %d", status)
	}
	if status, body, _ := b.do("GET", "/admin/reports?month=2026-03", nil); status != http.StatusOK || !strings.Contains(body, "受理 <b>1</b> 件") {
		t.Errorf("the monthly page: %d", status)
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

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// raw sends body as it is, as staff member who, and reads a JSON error.
func (ta *testApp) raw(who, method, path string, body []byte) (int, http.Header, apiError, string) {
	ta.t.Helper()
	resp := ta.request(who, method, path, bytes.NewReader(body))
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Message == "" {
		ta.t.Errorf("%s %s: %d %q is not the JSON error {code, message}", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, e, string(b)
}

// goSpeak lists what a message in Go's words gives away.
func goSpeak(t *testing.T, what, msg string) {
	t.Helper()
	for _, w := range []string{"string", "[]", "int", "bool", "1048576", "Level", "Departments", "[20", "page not found", "Method Not Allowed", "感谢您的关注"} {
		if strings.Contains(msg, w) {
			t.Errorf("%s: %q says %q", what, msg, w)
		}
	}
}

// Every API error is the JSON {code, message} in Chinese, naming fields
// as the forms do; byte limits in human units; no Go slices; no citizen
// pleasantries to staff.
func TestAPIErrorsSpeakChinese(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-12-30T10:00:00+08:00")

	// Unknown routes and wrong methods under /api/v1/.
	status, _, e, _ := ta.raw("wang", "GET", "/api/v1/nothing-here", nil)
	if status != http.StatusNotFound || e.Code != "not_found" || !strings.Contains(e.Message, "/api/v1/nothing-here") {
		t.Errorf("unknown route: %d %+v", status, e)
	}
	goSpeak(t, "unknown route", e.Message)
	status, hdr, e, _ := ta.raw("wang", "DELETE", "/api/v1/cases", nil)
	if status != http.StatusMethodNotAllowed || e.Code != "method_not_allowed" || !strings.Contains(e.Message, "DELETE") ||
		!strings.Contains(hdr.Get("Allow"), "GET") || !strings.Contains(hdr.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d %+v, Allow %q", status, e, hdr.Get("Allow"))
	}
	goSpeak(t, "wrong method", e.Message)
	status, _, e, _ = ta.raw("wang", "GET", "/api/v1/cases/BB1/dispatch", nil)
	if status != http.StatusMethodNotAllowed || !strings.Contains(e.Message, "POST") {
		t.Errorf("GET on a POST route: %d %+v", status, e)
	}

	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "other", "matter": "咨询",
	}, &c)

	// A field of the wrong type is named as the form names it.
	status, _, e, _ = ta.raw("wang", "POST", "/api/v1/cases/"+c.No+"/rate", []byte(`{"level": 5}`))
	if status != http.StatusBadRequest || e.Code != "invalid" || !strings.Contains(e.Message, "评价等级") {
		t.Errorf("level as a number: %d %+v", status, e)
	}
	goSpeak(t, "level as a number", e.Message)
	status, _, e, _ = ta.raw("wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", []byte(`{"departments": "tax"}`))
	if status != http.StatusBadRequest || !strings.Contains(e.Message, "派发部门") {
		t.Errorf("departments as a string: %d %+v", status, e)
	}
	goSpeak(t, "departments as a string", e.Message)

	// A body too large is said in megabytes.
	big := []byte(`{"result": "` + strings.Repeat("好", 1<<19) + `"}`)
	status, _, e, _ = ta.raw("wang", "POST", "/api/v1/cases/"+c.No+"/resolve", big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(e.Message, "1 MB") {
		t.Errorf("a body too large: %d %+v", status, e)
	}
	goSpeak(t, "a body too large", e.Message)

	// Departments by name: dispatch, and the list's filter.
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"税务窗口"}}, &c)
	if len(c.WorkOrders) != 1 || c.WorkOrders[0].Department != "tax" {
		t.Fatalf("dispatch to 税务窗口: %+v", c.WorkOrders)
	}
	// 2027 has no notice yet: the timeline says so without Go's brackets.
	for _, ev := range c.Timeline {
		goSpeak(t, "the dispatch line", ev.Note)
	}
	var list struct {
		Cases []struct {
			No    string `json:"no"`
			Owner struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"owner"`
		} `json:"cases"`
		Total int `json:"total"`
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases?department="+"%E7%A8%8E%E5%8A%A1%E7%AA%97%E5%8F%A3", nil, &list) // 税务窗口
	if list.Total != 1 || list.Cases[0].No != c.No {
		t.Errorf("the list filtered by 税务窗口: %+v", list)
	}

	// Summon and arrive by name.
	var c2 caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "张先生", "applicant_mobile": "13900139000", "category": "other", "matter": "咨询",
	}, &c2)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c2.No+"/summon", map[string]string{"department": "不动产登记窗口"}, nil)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c2.No+"/arrive", map[string]string{"department": "不动产登记窗口"}, nil)

	// A closed case rated again by staff: a plain refusal.
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c2.No+"/resolve", map[string]string{"result": "已当场办好"}, nil)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c2.No+"/rate", map[string]string{"level": "satisfied", "via": "phone"}, &c2)
	if c2.Status != "closed" {
		t.Fatalf("rated satisfied, the case is %s", c2.Status)
	}
	ta.refused(http.StatusConflict, "conflict", "wang", "POST", "/api/v1/cases/"+c2.No+"/rate", map[string]string{"level": "satisfied"}, "已办结")
	var again apiError
	ta.call("wang", "POST", "/api/v1/cases/"+c2.No+"/rate", map[string]string{"level": "satisfied"}, &again)
	goSpeak(t, "a closed case rated again", again.Message)
}

// The list names each case's owner (首接负责人), as the case does.
func TestAPIListNamesTheOwner(t *testing.T) {
	ta := startApp(t)
	ta.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "other", "matter": "咨询",
	}, &c)
	if c.Owner.Name == "" {
		t.Fatalf("the case itself has no owner name: %+v", c.Owner)
	}
	var list struct {
		Cases []struct {
			No    string `json:"no"`
			Owner struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"owner"`
		} `json:"cases"`
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases", nil, &list)
	if len(list.Cases) != 1 || list.Cases[0].Owner.ID != c.Owner.ID || list.Cases[0].Owner.Name != c.Owner.Name {
		t.Errorf("GET /api/v1/cases owner = %+v, want %+v", list.Cases, c.Owner)
	}
}

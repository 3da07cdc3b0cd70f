package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bbcs/models"
)

// 第十三条's loop, through the webhooks and the test clock: a 差评 of the
// 不动产 window's answer opens a 差评整改 — its card in the window group, a
// reminder there on the due day, the 分管领导 and the supervision section
// told after the deadline — the window head reports in the group, the
// applicant (a walk-in: the owner gets the SMS text with a fresh rating
// link) hears the outcome and is asked again, and rates; the case shows
// the rectification, reported late.
func TestABadRatingIsRectifiedReportedAndRatedAgain(t *testing.T) {
	g := startGroupsApp(t)
	c := g.badlyRated("dissatisfied", "让我跑了三趟，回电13800138000") // rated Wed 2026-03-11
	group := func(want ...string) bool { return g.robotCard(keyRealty, c.No, want...) != "" }
	private := func(user string, want ...string) bool {
		for _, m := range g.wecom.AppMessagesTo(user) {
			ok := strings.Contains(m.Content, c.No)
			for _, w := range want {
				ok = ok && strings.Contains(m.Content, w)
			}
			if ok {
				return true
			}
		}
		return false
	}
	// Due Wed 03-18 18:00: Thu 12, Fri 13, Mon 16, Tue 17, Wed 18.
	g.wecom.WaitFor(t, func() bool {
		return group("差评整改通知", "不满意", "138****8000", "2026年3月18日", "整改 "+c.No) && private("liuqiang", "差评整改通知")
	}, 5*time.Second)

	// The re-handled round is answered before the deadline.
	g.setClock("2026-03-12T10:00:00+08:00")
	second := g.get(c.No).WorkOrders[1]
	g.wecomSays("zhangwei", "回复 "+second.No+" 已上门收取完税证明并办结过户")

	g.at("2026-03-17T09:30:00+08:00")
	if group("差评整改今天到期") {
		t.Fatal("reminded the day before the due day")
	}
	g.setClock("2026-03-18T09:00:01+08:00")
	g.wecom.WaitFor(t, func() bool {
		return group("差评整改今天到期") && private("liuqiang", "差评整改今天到期")
	}, 5*time.Second)
	g.setClock("2026-03-18T18:00:01+08:00")
	g.wecom.WaitFor(t, func() bool {
		super := g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No)
		return private("chenfz", "差评整改逾期未报告") && len(super) > 0 && strings.Contains(super[len(super)-1].Markdown, "差评整改逾期未报告")
	}, 5*time.Second)

	g.setClock("2026-03-19T10:00:00+08:00")
	// Through the API: a verdict is required in its own words, and only
	// the unit's window head (or the owner) may report.
	var apiErr struct{ Error, Message string }
	g.must(http.StatusBadRequest, "wang", "POST", "/api/v1/cases/"+c.No+"/rectifications",
		map[string]string{"department": "realestate", "verdict": "maybe", "measures": "已整改"}, &apiErr)
	if !strings.Contains(apiErr.Message, "founded") || !strings.Contains(apiErr.Message, "属实") {
		t.Errorf("a bad verdict: %+v", apiErr)
	}
	g.must(http.StatusForbidden, "wang", "POST", "/api/v1/cases/"+c.No+"/rectifications",
		map[string]string{"department": "realestate", "verdict": "founded", "measures": "已整改"}, nil)
	if r := g.wecomSays("zhangwei", "整改 "+c.No+" 属实 已批评教育"); !strings.Contains(r, "窗口负责人") {
		t.Errorf("window staff reporting: %q", r)
	}
	if r := g.wecomSays("liuqiang", "整改 "+c.No+" 也许 已批评教育"); !strings.Contains(r, "属实") {
		t.Errorf("a verdict neither 属实 nor 不属实: %q", r)
	}
	if r := g.wecomSays("liuqiang", "整改 "+c.No+" 属实 已对窗口人员批评教育并补正材料清单"); !strings.Contains(r, "已报告") {
		t.Fatalf("the window head's report: %q", r)
	}
	if r := g.wecomSays("liuqiang", "整改 "+c.No+" 属实 再报一次"); !strings.Contains(r, "不能重复报告") {
		t.Errorf("a second report: %q", r)
	}
	g.noticesSent(c.No)
	super := g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No)
	if !strings.Contains(super[len(super)-1].Markdown, "差评整改报告") || !strings.Contains(super[len(super)-1].Markdown, "补正材料清单") {
		t.Errorf("the supervision section read %s", super[len(super)-1].Markdown)
	}
	// The owner passes the outcome on, with a link to rate the new result.
	var link string
	for _, n := range g.notices(c.No) {
		if n.Kind == models.NoticeRectified && n.Audience == models.AudienceStaff && n.Target == "wang" {
			d, _ := n.Data()
			if strings.Contains(d.Note, "补正材料清单") && strings.Contains(d.Note, "再次评价") {
				u, _ := url.Parse(d.Link)
				link = u.Path
			}
		}
	}
	if link == "" || !private("wangfang", "请告知反映人整改情况", "补正材料清单") {
		t.Fatalf("the owner was not given the outcome with a rating link")
	}
	resp, err := g.srv.Client().PostForm(g.srv.URL+link, url.Values{"level": {"satisfied"}, "last4": {"8000"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "满意") {
		t.Fatalf("rating again: %d %s", resp.StatusCode, body)
	}

	var got struct {
		caseJSON
		Rectifications []struct {
			Department, Owner, Verdict, Measures string
			DueAt                                string  `json:"due_at"`
			ReportedAt                           *string `json:"reported_at"`
			OnTime                               bool    `json:"on_time"`
		} `json:"rectifications"`
	}
	g.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if len(got.Rectifications) != 1 {
		t.Fatalf("rectifications %+v", got.Rectifications)
	}
	rc := got.Rectifications[0]
	if rc.Department != "realestate" || rc.Owner != "liu" || rc.Verdict != "founded" || rc.DueAt != "2026-03-18T18:00:00+08:00" ||
		rc.ReportedAt == nil || *rc.ReportedAt != "2026-03-19T10:00:00+08:00" || rc.OnTime {
		t.Errorf("rectification %+v", rc)
	}
	if got.Rating == nil || got.Rating.Level != "satisfied" || got.Rounds != 2 {
		t.Errorf("rated again: %+v round %d", got.Rating, got.Rounds)
	}
	// The ledger's 整改情况 says who reported what, and that it was late.
	rows := (&citizenApp{testApp: g.testApp}).ledgerRows("admin", "?month=2026-03")
	var line string
	for _, r := range rows[1:] {
		for i, h := range rows[0] {
			if h == "整改情况" && i < len(r) && len(r) > 1 && r[1] == c.No {
				line = r[i]
			}
		}
	}
	for _, want := range []string{"第1轮差评 不动产登记窗口", "期限 2026-03-18 18:00", "属实", "补正材料清单", "2026-03-19 10:00 报告（逾期）"} {
		if !strings.Contains(line, want) {
			t.Errorf("the ledger's 整改情况 %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "不属实") {
		t.Errorf("the ledger's 整改情况 %q says 不属实 for a report of 属实", line)
	}
	acts := g.actions(c.No)
	for _, a := range []string{"rectify_opened", "rectify_reminded", "rectify_overdue", "rectified"} {
		if acts[a] != 1 {
			t.Errorf("timeline has %d %s, want 1 (%v)", acts[a], a, acts)
		}
	}
}

// A 分管领导 who answers for two departments' 差评整改 on one case (neither
// has a window head) reports each from the group by naming its department
// after the case number; without one he is told how, not sent to an API
// he has no token for.
func TestALeaderReportsEachDepartmentsRectificationByName(t *testing.T) {
	g := startGroupsAppWith(t, nil, func(cfg string) string {
		cfg = strings.Replace(cfg, "{code: tax, name: 税务窗口, group:", "{code: tax, name: 税务窗口, leader: chen, group:", 1)
		cfg = strings.Replace(cfg, "    - {token: demo-token-admin-000004, staff: admin}\n",
			"    - {token: demo-token-admin-000004, staff: admin}\n    - {token: "+tokens["chen"]+", staff: chen}\n", 1)
		return strings.Replace(cfg, "  - {id: liu,   name: 刘强,     role: window_head,  department: realestate, wecom_user_id: liuqiang}\n", "", 1)
	})
	c := g.newCase("realestate", "tax")
	g.wecomSays("zhangwei", "回复 "+orderFor(c, "realestate")+" 已告知补交完税证明")
	g.wecomSays("sunli", "回复 "+orderFor(c, "tax")+" 已核实完税情况")
	g.setClock("2026-03-11T10:00:00+08:00")
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate",
		map[string]string{"level": "very_dissatisfied", "comment": "两个窗口互相推诿", "via": "phone"}, nil)

	if r := g.wecomSays("chenfz", "整改 "+c.No+" 属实 已约谈两个窗口"); !strings.Contains(r, "不动产登记窗口") || !strings.Contains(r, "税务窗口") ||
		!strings.Contains(r, "整改 "+c.No+" 税务窗口 属实") || strings.Contains(r, "department") {
		t.Errorf("reporting without naming the department: %q", r)
	}
	var apiErr struct{ Error, Message string } // the API names its field
	g.must(http.StatusBadRequest, "chen", "POST", "/api/v1/cases/"+c.No+"/rectifications",
		map[string]string{"verdict": "founded", "measures": "已约谈"}, &apiErr)
	if !strings.Contains(apiErr.Message, "税务窗口") || !strings.Contains(apiErr.Message, "（department）") {
		t.Errorf("the API's refusal: %+v", apiErr)
	}
	if r := g.wecomSays("chenfz", "整改 "+c.No+" 国土窗口 属实 已约谈"); !strings.Contains(r, "国土窗口") {
		t.Errorf("an unknown department: %q", r)
	}
	if r := g.wecomSays("chenfz", "整改 "+c.No+" 税务窗口 不属实 经核实已按规定一次告知"); !strings.Contains(r, "已报告") || !strings.Contains(r, "税务窗口") {
		t.Fatalf("the tax window's report: %q", r)
	}
	if r := g.wecomSays("chenfz", "整改 "+c.No+" 属实 已对不动产窗口人员批评教育"); !strings.Contains(r, "已报告") {
		t.Fatalf("the one left, unnamed: %q", r)
	}
	var read struct {
		Rectifications []struct{ Department, Owner, Verdict, Measures string } `json:"rectifications"`
	}
	g.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &read)
	got := map[string]string{}
	for _, rc := range read.Rectifications {
		got[rc.Department] = rc.Owner + " " + rc.Verdict + " " + rc.Measures
	}
	if got["tax"] != "chen unfounded 经核实已按规定一次告知" || got["realestate"] != "chen founded 已对不动产窗口人员批评教育" {
		t.Errorf("the case's rectifications: %v", got)
	}
}

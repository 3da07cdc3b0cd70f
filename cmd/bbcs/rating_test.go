package main

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"bbcs/bot/wechat/wechattest"
	"bbcs/models"
)

// answered takes a citizen's report to an answer: registered on the
// service account, dispatched to the real-estate window, replied by 张伟.
func (ca *citizenApp) answered(openid, result string) caseJSON {
	ca.t.Helper()
	ca.report(openid, "李女士", "13800138000")
	ca.say(openid, "确认")
	var list struct{ Cases []caseJSON }
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases?status=registered", nil, &list)
	c := list.Cases[0]
	ca.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+c.WorkOrders[len(c.WorkOrders)-1].No+"/reply", map[string]string{"result": result}, &c)
	return c
}

// ratingMenus are the rating menus a citizen has received for a case.
func (ca *citizenApp) ratingMenus(openid, no string) []*wechattest.Menu {
	var out []*wechattest.Menu
	for _, m := range ca.fake.CustomsTo(openid) {
		if m.Menu != nil && strings.Contains(m.Menu.Head, no) && len(m.Menu.Items) == 5 && strings.Contains(m.Menu.Items[4].Content, "非常不满意") {
			out = append(out, m.Menu)
		}
	}
	return out
}

// ratingMenu waits for the n-th rating menu of a case and returns it.
func (ca *citizenApp) ratingMenu(openid, no string, n int) *wechattest.Menu {
	ca.t.Helper()
	ca.fake.WaitFor(ca.t, func() bool { return len(ca.ratingMenus(openid, no)) >= n }, 5*time.Second)
	return ca.ratingMenus(openid, no)[n-1]
}

// clickLevel clicks level (1 非常满意 … 5 非常不满意) on a rating menu, as
// WeChat reports it: the item's label and its numeric id.
func (ca *citizenApp) clickLevel(openid string, m *wechattest.Menu, level int) string {
	ca.t.Helper()
	it := m.Items[level-1]
	id, err := strconv.ParseInt(it.ID, 10, 64)
	if err != nil {
		ca.t.Fatalf("menu item id %q is not the number WeChat sends back", it.ID)
	}
	return ca.click(openid, it.Content, id)
}

func (ca *citizenApp) caseNo(no string) caseJSON {
	ca.t.Helper()
	var c caseJSON
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+no, nil, &c)
	return c
}

// A click on 满意 closes the case with the rating and completion time,
// and the comment that follows is kept.
func TestCitizenRatesSatisfiedByMenu(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oRaterGood"
	c := ca.answered(openid, "已补交完税证明并办结过户")
	if c.Status != "answered" {
		t.Fatalf("status %s", c.Status)
	}
	menu := ca.ratingMenu(openid, c.No, 1)
	got := ca.clickLevel(openid, menu, 2)
	wantContains(t, got, "满意", c.No, "意见")
	// A repeated click records one rating.
	wantContains(t, ca.clickLevel(openid, menu, 2), "已经评价过")
	wantContains(t, ca.say(openid, "窗口态度很好，办得很快"), "意见已记录")
	got2 := ca.caseNo(c.No)
	if got2.Status != "closed" || got2.ClosedAt == nil || got2.Rating == nil || got2.Rating.Level != "satisfied" || got2.Rating.Comment != "窗口态度很好，办得很快" {
		t.Fatalf("after rating: %+v", got2)
	}
	var rounds struct {
		Ratings []struct {
			Round      int
			Level, Via string
		} `json:"ratings"`
	}
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &rounds)
	if len(rounds.Ratings) != 1 || rounds.Ratings[0].Via != "service_account" {
		t.Errorf("ratings = %+v", rounds.Ratings)
	}
}

// 非常不满意 reopens the case: a second round goes out with new deadlines;
// after the second result a follow-up visit is planned (第十三条 跟踪回访),
// the owner is reminded of it, and the case closes with the 基本满意 of
// the second round once the visit is recorded.
func TestBadRatingReopensForASecondRound(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oRaterBad"
	c := ca.answered(openid, "已办结")
	ca.setClock("2026-03-11T10:00:00+08:00")
	wantContains(t, ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 1), 5), "退回重新办理", "回访")

	type followUps struct {
		caseJSON
		FollowUps []struct {
			Round  int
			DueAt  string  `json:"due_at"`
			DoneAt *string `json:"done_at"`
			Note   string
		} `json:"follow_ups"`
	}
	var got followUps
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if got.Status != "dispatched" || got.Rounds != 2 || len(got.WorkOrders) != 2 {
		t.Fatalf("after 非常不满意: %s, %d rounds, %d orders", got.Status, got.Rounds, len(got.WorkOrders))
	}
	second := got.WorkOrders[1]
	if second.Round != 2 || second.ReceivedAt != "2026-03-11T10:00:00+08:00" || second.DueAt != "2026-03-16T18:00:00+08:00" {
		t.Errorf("second round: %+v", second)
	}
	if len(got.FollowUps) != 0 {
		t.Fatalf("a visit planned before the new result: %+v", got.FollowUps)
	}

	ca.setClock("2026-03-12T10:00:00+08:00")
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+second.No+"/reply", map[string]string{"result": "已更正证书信息并重新发证"}, nil)
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if len(got.FollowUps) != 1 || got.FollowUps[0].Round != 2 || got.FollowUps[0].DueAt != "2026-03-13T09:00:00+08:00" || got.FollowUps[0].DoneAt != nil {
		t.Fatalf("follow-ups after the new result: %+v", got.FollowUps)
	}
	wantContains(t, ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 2), 3), "基本满意")
	if rated := ca.caseNo(c.No); rated.Status != "answered" || rated.Rating == nil || rated.Rating.Level != "basically_satisfied" {
		t.Fatalf("rated before the visit: %+v", rated)
	}

	// The owner is reminded of the visit, and records it: that closes the case.
	ca.setClock("2026-03-13T09:00:01+08:00")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(timelineActions(ca.caseNo(c.No)), "follow_up_due") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(timelineActions(ca.caseNo(c.No)), "follow_up_due") {
		t.Fatal("the owner was not reminded of the follow-up visit")
	}
	ca.must(http.StatusOK, got.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/follow-up", map[string]string{"note": "已电话回访，申请人认可重新办理结果"}, nil)
	final := ca.caseNo(c.No)
	if final.Status != "closed" || final.Rounds != 2 || final.Rating == nil || final.Rating.Level != "basically_satisfied" {
		t.Fatalf("final: %+v", final)
	}
	if n := strings.Count(timelineActions(final), "rated"); n != 2 {
		t.Errorf("%d rated lines, want one per round", n)
	}
}

func timelineActions(c caseJSON) string {
	var a []string
	for _, e := range c.Timeline {
		a = append(a, e.Action)
	}
	return strings.Join(a, ",")
}

// ratingLink is the link in the rating request of a case.
func (ca *citizenApp) ratingLink(no string) string {
	ca.t.Helper()
	for _, n := range ca.notices(no) {
		if n.Kind == models.NoticeRatingRequest || n.Kind == models.NoticeRatingReminder {
			d, _ := n.Data()
			if d.Link != "" {
				u, _ := url.Parse(d.Link)
				return u.Path
			}
		}
	}
	ca.t.Fatalf("no rating link for %s", no)
	return ""
}

func (ca *citizenApp) page(method, path string, form url.Values) (int, string) {
	ca.t.Helper()
	var resp *http.Response
	var err error
	if method == "POST" {
		resp, err = ca.srv.Client().PostForm(ca.srv.URL+path, form)
	} else {
		resp, err = ca.srv.Client().Get(ca.srv.URL + path)
	}
	if err != nil {
		ca.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A walk-in applicant rates through the link the owner sends by SMS: it
// works once, only with the mobile's last four digits, and not after it
// expires.
func TestRatingLinkIsBoundUsedOnceAndExpires(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	walkIn := func(matter string) string {
		var c caseJSON
		ca.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "王先生", "applicant_mobile": "13912345678", "category": "other", "matter": matter,
		}, &c)
		ca.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/resolve", map[string]string{"result": "当场协调解决"}, nil)
		return c.No
	}
	no := walkIn("当场解决的事项")
	link := ca.ratingLink(no)
	for _, n := range ca.notices(no) {
		if n.Kind == models.NoticeRatingRequest && (n.Audience != models.AudienceStaff || n.Target != "wang") {
			t.Errorf("a walk-in's rating request should go to the owner: %+v", n)
		}
	}
	status, body := ca.page("GET", link, nil)
	if status != http.StatusOK || !strings.Contains(body, no) || !strings.Contains(body, "后四位") {
		t.Fatalf("the rating page: %d", status)
	}
	// Someone else, who does not know the mobile, is refused.
	if status, body := ca.page("POST", link, url.Values{"level": {"very_dissatisfied"}, "last4": {"0000"}}); status != http.StatusForbidden || !strings.Contains(body, "本人") {
		t.Errorf("a stranger's rating: %d", status)
	}
	if c := ca.caseNo(no); c.Status != "answered" {
		t.Fatalf("a refused rating changed the case: %s", c.Status)
	}
	if status, body := ca.page("POST", link, url.Values{"level": {"very_satisfied"}, "last4": {"5678"}, "comment": {"谢谢"}}); status != http.StatusOK || !strings.Contains(body, "非常满意") {
		t.Fatalf("the applicant's rating: %d\n%s", status, body)
	}
	if c := ca.caseNo(no); c.Status != "closed" || c.Rating == nil || c.Rating.Level != "very_satisfied" || c.Rating.Comment != "谢谢" {
		t.Fatalf("after the link: %+v", c)
	}
	if status, body := ca.page("POST", link, url.Values{"level": {"very_dissatisfied"}, "last4": {"5678"}}); status != http.StatusConflict || !strings.Contains(body, "已使用") {
		t.Errorf("the link used twice: %d", status)
	}

	other := walkIn("另一件事")
	otherLink := ca.ratingLink(other)
	ca.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "169h"}, nil)
	if status, body := ca.page("GET", otherLink, nil); status != http.StatusConflict || !strings.Contains(body, "过期") {
		t.Errorf("an expired link: %d", status)
	}
	if status, _ := ca.page("GET", "/rate/not-a-token", nil); status != http.StatusNotFound {
		t.Errorf("a made-up link: %d", status)
	}
}

// No rating in time: one reminder, then the case closes as 未评价.
func TestNoRatingRemindsThenClosesAsNotRated(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oRaterSilent"
	c := ca.answered(openid, "已办结")
	ca.ratingMenu(openid, c.No, 1)

	ca.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "49h"}, nil)
	// Outside WeChat's 48 hours: a template message linking to the rating page.
	ca.fake.WaitFor(t, func() bool {
		for _, tpl := range ca.fake.Templates() {
			if tpl.ToUser == openid && strings.Contains(tpl.URL, "/rate/") && tpl.Data["keyword1"] == c.No {
				return true
			}
		}
		return false
	}, 5*time.Second)
	ca.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "120h"}, nil)
	deadline := time.Now().Add(5 * time.Second)
	var got struct {
		caseJSON
		NotRated bool `json:"not_rated"`
	}
	for {
		ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
		if got.Status == "closed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.Status != "closed" || !got.NotRated || got.Rating != nil {
		t.Fatalf("not rated in time: %s not_rated=%v rating=%+v", got.Status, got.NotRated, got.Rating)
	}
	if n := strings.Count(timelineActions(got.caseJSON), "rating_reminded"); n != 1 {
		t.Errorf("%d rating reminders, want 1", n)
	}
	// A rating on a closed case is refused politely.
	wantContains(t, ca.click(openid, "1 非常满意", 501), "已经评价过或已办结")
}

// ledgerRows downloads the ledger as who and reads it back.
func (ca *citizenApp) ledgerRows(who, query string) [][]string {
	ca.t.Helper()
	req, _ := http.NewRequest("GET", ca.srv.URL+"/api/v1/ledger.xlsx"+query, nil)
	req.Header.Set("Authorization", "Bearer "+tokens[who])
	resp, err := ca.srv.Client().Do(req)
	if err != nil {
		ca.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		b, _ := io.ReadAll(resp.Body)
		ca.t.Fatalf("ledger: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		ca.t.Fatalf("the ledger does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("台账")
	if err != nil {
		ca.t.Fatal(err)
	}
	return rows
}

// The ledger shows each case's rating, comment, rounds and follow-up
// visits, in the layout of the registration form.
func TestLedgerShowsRatingsRoundsAndFollowUps(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oLedger"
	c := ca.answered(openid, "已办结")
	ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 1), 4)
	again := ca.caseNo(c.No)
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+again.WorkOrders[1].No+"/reply", map[string]string{"result": "已重新办结"}, nil)
	ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 2), 1)
	ca.say(openid, "第二次办得很好")
	// The visit after the new result closes the re-handled case.
	ca.must(http.StatusOK, again.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/follow-up", map[string]string{"note": "已电话回访"}, nil)

	rows := ca.ledgerRows("admin", "?month=2026-03")
	if len(rows) != 2 {
		t.Fatalf("ledger has %d rows, want the header and one case", len(rows))
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		if i < len(rows[1]) {
			col[h] = rows[1][i]
		}
	}
	for h, want := range map[string]string{
		"编号": c.No, "反映人": "李女士", "联系电话": "13800138000", "事项类别": "受理后超时未办结",
		"评价": "第1轮 不满意\n第2轮 非常满意", "评价意见": "第2轮 第二次办得很好", "办理轮次": "2", "状态": "已办结", "首接负责人": "",
	} {
		if h == "首接负责人" {
			if col[h] != "王芳" && col[h] != "李明" {
				t.Errorf("owner column %q", col[h])
			}
			continue
		}
		if col[h] != want {
			t.Errorf("ledger %s = %q, want %q", h, col[h], want)
		}
	}
	if !strings.Contains(col["跟踪回访"], "已电话回访") || !strings.Contains(col["工单（部门｜时限｜答复时间｜结果）"], "第2轮 不动产登记窗口") {
		t.Errorf("follow-ups %q, orders %q", col["跟踪回访"], col["工单（部门｜时限｜答复时间｜结果）"])
	}
	if col["办结时间"] == "" || col["受理时间"] != "2026-03-10 10:00" {
		t.Errorf("times: accepted %q closed %q", col["受理时间"], col["办结时间"])
	}
	// Window staff get the ledger with masked mobiles; an empty month has only the header.
	if col["时限执行"] != "按时" {
		t.Errorf("timeliness %q", col["时限执行"])
	}
	if masked := ca.ledgerRows("zhang", ""); masked[1][7] != "138****8000" {
		t.Errorf("window staff see %q", masked[1][7])
	}
	if empty := ca.ledgerRows("admin", "?month=2026-04"); len(empty) != 1 {
		t.Errorf("April has %d rows", len(empty))
	}
	ca.refused(http.StatusBadRequest, "invalid", "admin", "GET", "/api/v1/ledger.xlsx?month=March", nil, "月份")
}

// A citizen with two answered cases rates each on its own menu, in either
// order: a click rates the case and round its menu named, never another.
func TestEachRatingMenuRatesTheCaseItNames(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	for _, olderFirst := range []bool{true, false} {
		openid := "oTwoCases"
		if !olderFirst {
			openid = "oTwoCasesNewerFirst"
		}
		older := ca.answered(openid, "已补交完税证明并办结过户")
		ca.ratingMenu(openid, older.No, 1) // its messages are out before the next report starts
		newer := ca.answered(openid, "已重新核发营业执照")
		first, second := older, newer
		if !olderFirst {
			first, second = newer, older
		}
		wantContains(t, ca.clickLevel(openid, ca.ratingMenu(openid, first.No, 1), 2), first.No, "满意")
		if c := ca.caseNo(first.No); c.Status != "closed" || c.Rating == nil || c.Rating.Level != "satisfied" {
			t.Fatalf("the case whose menu was clicked: %s %+v", c.Status, c.Rating)
		}
		if c := ca.caseNo(second.No); c.Status != "answered" || c.Rating != nil {
			t.Fatalf("the other case was rated: %s %+v", c.Status, c.Rating)
		}
		wantContains(t, ca.clickLevel(openid, ca.ratingMenu(openid, second.No, 1), 1), second.No, "非常满意")
		if c := ca.caseNo(second.No); c.Status != "closed" || c.Rating == nil || c.Rating.Level != "very_satisfied" {
			t.Fatalf("the second case: %s %+v", c.Status, c.Rating)
		}
		if c := ca.caseNo(first.No); c.Rating == nil || c.Rating.Level != "satisfied" {
			t.Fatalf("the first case's rating changed: %+v", c.Rating)
		}
	}
}

// With two cases awaiting a rating, a typed digit or a menu sent before
// the menus named their case does not guess: the citizen is asked which
// case, and nothing is rated until they say.
func TestAnAmbiguousRatingAsksWhichCase(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oAmbiguous"
	older := ca.answered(openid, "已补交完税证明并办结过户")
	ca.ratingMenu(openid, older.No, 1) // its messages are out before the next report starts
	newer := ca.answered(openid, "已重新核发营业执照")
	ca.ratingMenu(openid, newer.No, 1)
	for _, got := range []string{
		ca.say(openid, "2"),
		ca.say(openid, "满意"),
		ca.click(openid, "2 满意", 502), // a menu of before this change: it names no case
	} {
		wantContains(t, got, older.No, newer.No)
	}
	for _, no := range []string{older.No, newer.No} {
		if c := ca.caseNo(no); c.Status != "answered" || c.Rating != nil {
			t.Fatalf("%s rated on a guess: %s %+v", no, c.Status, c.Rating)
		}
	}
	// Naming the case settles it.
	wantContains(t, ca.say(openid, older.No+" 2"), older.No, "满意")
	if c := ca.caseNo(older.No); c.Status != "closed" || c.Rating == nil || c.Rating.Level != "satisfied" {
		t.Fatalf("the named case: %s %+v", c.Status, c.Rating)
	}
	// One case left awaiting: a menu of before still rates nothing — it
	// names no case nor round, and the case may be in a later round than
	// the menu was for — it asks for the latest message or “编号 数字”.
	wantContains(t, ca.click(openid, "1 非常满意", 501), "较早的评价消息", "还没有记录", newer.No, "最新", newer.No+" 2")
	if c := ca.caseNo(newer.No); c.Status != "answered" || c.Rating != nil {
		t.Fatalf("an old menu rated the last case awaiting: %s %+v", c.Status, c.Rating)
	}
	// A digit is clear again.
	wantContains(t, ca.say(openid, "1"), newer.No, "非常满意")
	if c := ca.caseNo(newer.No); c.Status != "closed" || c.Rating == nil || c.Rating.Level != "very_satisfied" {
		t.Fatalf("the last case awaiting: %s %+v", c.Status, c.Rating)
	}
}

// A menu of before (501…505) names no case nor round: clicked after a
// 差评 sent the only case awaiting into round 2, it must not rate round 2.
func TestAnOldMenuNeverRatesARehandledRound(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oLegacyRound"
	c := ca.answered(openid, "已办结")
	first := ca.ratingMenu(openid, c.No, 1)
	wantContains(t, ca.clickLevel(openid, first, 4), "不满意", "退回重新办理")
	again := ca.caseNo(c.No)
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+again.WorkOrders[1].No+"/reply", map[string]string{"result": "已更正证书信息并重新发证"}, nil)
	ca.ratingMenu(openid, c.No, 2)

	wantContains(t, ca.click(openid, "1 非常满意", 501), "较早的评价消息", "还没有记录", c.No)
	var got struct {
		caseJSON
		Ratings []struct {
			Round int
			Level string
		} `json:"ratings"`
	}
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if got.Status != "answered" || len(got.Ratings) != 1 || got.Ratings[0].Round != 1 {
		t.Fatalf("a menu of before rated round 2: %s %+v", got.Status, got.Ratings)
	}
}

// A menu of an earlier round, clicked after the re-handled answer, rates
// nothing: the new result waits for its own rating.
func TestAnOldRoundsMenuDoesNotRateTheNewRound(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oOldRound"
	c := ca.answered(openid, "已办结")
	first := ca.ratingMenu(openid, c.No, 1)
	wantContains(t, ca.clickLevel(openid, first, 4), "不满意", "退回重新办理")
	again := ca.caseNo(c.No)
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+again.WorkOrders[1].No+"/reply", map[string]string{"result": "已更正证书信息并重新发证"}, nil)
	second := ca.ratingMenu(openid, c.No, 2)

	wantContains(t, ca.clickLevel(openid, first, 1), "之前", "最新")
	var got struct {
		caseJSON
		Ratings []struct {
			Round int
			Level string
		} `json:"ratings"`
	}
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if got.Status != "answered" || len(got.Ratings) != 1 || got.Ratings[0].Round != 1 {
		t.Fatalf("the old round's menu rated: %s %+v", got.Status, got.Ratings)
	}
	wantContains(t, ca.clickLevel(openid, second, 2), c.No, "满意")
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &got)
	if len(got.Ratings) != 2 || got.Ratings[1].Round != 2 || got.Ratings[1].Level != "satisfied" {
		t.Fatalf("round 2's rating: %+v", got.Ratings)
	}
}

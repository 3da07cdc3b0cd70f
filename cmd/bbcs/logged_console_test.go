package main

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"

	"bbcs/bot/wechat"
	"bbcs/bot/wechat/wechattest"
)

// Demo mode: with no platform credentials nothing is sent, only logged.
// The supervision section and the administrator see on the console what
// would have gone out: the citizen's messages and menus, the window
// groups' cards with their links, the mobile masked everywhere.
func TestDemoShowsTheNoticesItOnlyLogged(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml",
		append(consoleEnv(t, "ma", "admin", "wang"), "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn", "BBCS_REDIS_KEY_PREFIX="+redisPrefix(t)))
	ta.setClock("2026-03-10T10:00:00+08:00")

	// A citizen reports on the service account (plain mode, the
	// development token: the demo has no credentials).
	const openid = "oDemoCitizen01"
	wx := &wechattest.Client{URL: ta.srv.URL + "/wechat/oa", Token: wechat.DevToken}
	reply := func(r *wechattest.Response) string {
		t.Helper()
		if r.Err != nil || r.Status != http.StatusOK {
			t.Fatalf("webhook answered %d %q: %v", r.Status, r.Body, r.Err)
		}
		if r.Reply == nil {
			return ""
		}
		return r.Reply.Content
	}
	reply(wx.Text(openid, "反映问题", nextID()))
	wantContains(t, reply(wx.MenuClick(openid, "受理后超时未办结", 102, nextID())), "请简要描述")
	reply(wx.Text(openid, "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。", nextID()))
	wantContains(t, reply(wx.MenuClick(openid, "个人", 201, nextID())), "怎么称呼")
	wantContains(t, reply(wx.Text(openid, "李女士", nextID())), "手机号")
	wantContains(t, reply(wx.Text(openid, "13800138000", nextID())), "请核对")
	reply(wx.Text(openid, "确认", nextID()))
	var list struct {
		Cases []caseJSON `json:"cases"`
	}
	ta.must(http.StatusOK, "admin", "GET", "/api/v1/cases", nil, &list)
	if len(list.Cases) != 1 {
		t.Fatalf("the citizen's report made %d cases", len(list.Cases))
	}
	no := list.Cases[0].No
	var c caseJSON
	ta.must(http.StatusOK, "admin", "POST", "/api/v1/cases/"+no+"/dispatch", map[string]any{"departments": []string{"realestate", "market"}, "joint": true}, &c)
	if _, err := ta.app.outbox.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, n := range ta.notices(no) {
		if n.Status != "sent" || n.Receipt != "logged" {
			t.Fatalf("with no credentials every notice is only logged: %+v", n)
		}
	}
	re, mk := c.WorkOrders[0].No, c.WorkOrders[1].No

	ma := signIn(t, ta, "ma")
	_, backlog, _ := ma.do("GET", "/admin/notices", nil)
	if !strings.Contains(backlog, `href="/admin/notices?tab=logged"`) || !strings.Contains(backlog, "演示模式") {
		t.Errorf("the notices page does not point to what was only logged:\n%s", backlog)
	}
	status, page, _ := ma.do("GET", "/admin/notices?tab=logged", nil)
	if status != http.StatusOK {
		t.Fatalf("the logged notices' page: %d", status)
	}
	text := html.UnescapeString(page)
	for _, want := range []string{
		// The citizen's dialog: the category menu, the receipt, where it went.
		"反映人（服务号）", "可点击的菜单消息", "受理后超时未办结",
		"已受理，编号 " + no, "已转交不动产登记窗口、市场监管窗口办理",
		// The window groups' cards, with the action pages' links.
		"部门窗口群 不动产登记窗口", "企业微信卡片（Markdown）", "**【联合办理｜工单 " + re + "｜不动产登记窗口】**",
		"部门窗口群 市场监管窗口", "钉钉卡片（Markdown）", "**【联合办理｜工单 " + mk + "｜市场监管窗口】**",
		"> 反映人：李女士 138****8000", "`签收 " + re + "`",
		"https://bbcs.example.gov.cn/act/" + re + "?platform=wecom", "https://bbcs.example.gov.cn/act/" + mk + "?platform=dingtalk",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the logged notices' page lacks %q", want)
		}
	}
	if strings.Contains(text, "13800138000") {
		t.Errorf("a rendered notice shows the mobile in full")
	}
	if strings.Contains(text, openid) {
		t.Errorf("the page shows the citizen's openid")
	}
	// One case's notices.
	if _, page, _ := ma.do("GET", "/admin/notices?tab=logged&case=BB19990101-001", nil); strings.Contains(page, no) && strings.Contains(page, "已受理，编号") {
		t.Errorf("the case filter shows another case's notices")
	}
	if _, page, _ := ma.do("GET", "/admin/notices?tab=logged&case="+no, nil); !strings.Contains(html.UnescapeString(page), "已受理，编号 "+no) {
		t.Errorf("the case filter hides the case's own notices")
	}
	// The administrator too; a specialist not.
	if status, page, _ := signIn(t, ta, "admin").do("GET", "/admin/notices?tab=logged", nil); status != http.StatusOK || !strings.Contains(page, re) {
		t.Errorf("the administrator's view: %d", status)
	}
	if status, _, _ := signIn(t, ta, "wang").do("GET", "/admin/notices?tab=logged", nil); status != http.StatusForbidden {
		t.Errorf("a specialist opened the logged notices: %d", status)
	}
}

package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"bbcs/bot/wechat/wechattest"
	"bbcs/bot/wecom/wecomtest"
	"bbcs/models"
)

// R10: the administrator moves the supervision section to a new group and
// rotates the WeCom robot's callback credentials in the console, with no
// restart. The next notice reaches the new group; a group command signed
// with the old token is refused and one signed with the new is worked; the
// app's secret, left blank, still sends private messages. No secret is
// ever shown back.
func TestCentreSettingsChangedInTheConsoleApplyAtOnce(t *testing.T) {
	g := startGroupsApp(t)
	const (
		keySuper2  = "key-supervision-2"
		botToken2  = "wecom-bot-token-2"
		botAESKey2 = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
	)
	g.wecom.AddRobot(keySuper2)
	admin := signIn(t, g.testApp, "admin")
	csrf := admin.csrfOf("/admin/settings")

	// A key of the wrong length is refused, with nothing changed.
	status, page, _ := admin.do("POST", "/admin/settings/wecom", url.Values{"csrf": {csrf}, "corp_id": {corpID}, "agent_id": {agentID},
		"bot_token": {botToken2}, "bot_encoding_aes_key": {"too-short"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "43 个字符") {
		t.Fatalf("a short EncodingAESKey: %d", status)
	}
	if r := g.wxBot.GroupText(wxGroupChat, "zhangwei", "@办事不成bot 帮助", g.id()); r.Err != nil || r.Status != http.StatusOK {
		t.Fatalf("after a refused change the old token should still work: %d %v", r.Status, r.Err)
	}

	for path, form := range map[string]url.Values{
		"/admin/settings/supervision.group": {"platform": {"wecom"}, "robot_key": {keySuper2}},
		"/admin/settings/wecom": {"corp_id": {corpID}, "agent_id": {agentID}, "bot_token": {botToken2},
			"bot_encoding_aes_key": {botAESKey2}},
	} {
		form.Set("csrf", csrf)
		if status, page, loc := admin.do("POST", path, form); status != http.StatusSeeOther || !strings.Contains(loc, "done=") {
			t.Fatalf("POST %s: %d\n%s", path, status, page)
		}
	}
	_, page, _ = admin.do("GET", "/admin/settings", nil)
	for _, secret := range []string{keySuper2, keySuper, botToken2, botAESKey2, corpSecret, dingSecret} {
		if strings.Contains(page, secret) {
			t.Errorf("the settings page shows a secret: %q", secret)
		}
	}
	if !strings.Contains(page, corpID) || !strings.Contains(page, "已设置，留空则不变") {
		t.Errorf("the settings page should show the corp id and which secrets are set")
	}

	c := g.newCase("realestate")
	no := orderFor(c, "realestate")
	g.noticesSent(c.No)
	if r := g.wxBot.GroupText(wxGroupChat, "zhangwei", "@办事不成bot 签收 "+no, g.id()); r.Status != http.StatusForbidden {
		t.Fatalf("a command signed with the old token: %d %+v, want 403", r.Status, r.Reply)
	}
	bot2 := &wecomtest.BotClient{URL: g.wxBot.URL, Token: botToken2, EncodingAESKey: botAESKey2, BotID: g.wxBot.BotID, Now: g.wxBot.Now}
	for _, cmd := range []string{"签收 " + no, "回复 " + no + " 已补办过户登记"} {
		r := bot2.GroupText(wxGroupChat, "zhangwei", "@办事不成bot "+cmd, g.id())
		if r.Err != nil || r.Reply == nil || !strings.Contains(r.Reply.Content, no) {
			t.Fatalf("%s signed with the new token: %d %+v %v", cmd, r.Status, r.Reply, r.Err)
		}
	}
	g.noticesSent(c.No)
	if got := g.aboutCase(g.wecom.RobotMessagesTo(keySuper2), c.No); len(got) != 1 || !strings.Contains(got[0].Markdown, "已补办过户登记") {
		t.Errorf("the new supervision group got %+v", got)
	}
	if got := g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No); len(got) != 0 {
		t.Errorf("the old supervision group still got %d messages", len(got))
	}
	var toOwner []string
	for _, m := range g.wecom.AppMessagesTo("wangfang") {
		toOwner = append(toOwner, m.Content)
	}
	if all := strings.Join(toOwner, "\n"); !strings.Contains(all, "已补办过户登记") {
		t.Errorf("with the app secret kept, the owner should hear of the reply privately; got:\n%s", all)
	}
}

// The service account's URL token and EncodingAESKey reset on WeChat's side
// and entered in the console: from the next message on, one signed and
// encrypted with the old ones is refused and one with the new is answered;
// the AppSecret, left blank for the same AppID, still sends the citizen's
// customer-service messages.
func TestServiceAccountCredentialsChangedInTheConsole(t *testing.T) {
	ca := startCitizenApp(t, "BBCS_STAFF_ADMIN_PASSWORD_HASH="+consoleHash)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const (
		token2  = "bbcs-url-token-2"
		aesKey2 = "GFEDCBA9876543210zyxwvutsrqponmlkjihgfedcba"
		openid  = "oCitizenZhao01"
	)
	admin := signIn(t, ca.testApp, "admin")
	csrf := admin.csrfOf("/admin/settings")
	if status, page, _ := admin.do("POST", "/admin/settings/wechat", url.Values{"csrf": {csrf}, "app_id": {"wx0000000000000002"}}); status != http.StatusBadRequest ||
		!strings.Contains(page, "请同时填写 AppSecret") {
		t.Fatalf("another AppID without its secret: %d", status)
	}
	if status, page, _ := admin.do("POST", "/admin/settings/wechat", url.Values{"csrf": {csrf}, "app_id": {wxAppID}, "token": {token2},
		"encoding_aes_key": {aesKey2}}); status != http.StatusSeeOther {
		t.Fatalf("saving the new token: %d\n%s", status, page)
	}
	if _, page, _ := admin.do("GET", "/admin/settings", nil); strings.Contains(page, token2) || strings.Contains(page, aesKey2) || strings.Contains(page, wxSecret) {
		t.Errorf("the settings page shows a service-account secret")
	}
	if r := ca.wx.Text(openid, "你好", nextID()); r.Status != http.StatusForbidden {
		t.Errorf("a message signed with the old token: %d %q, want 403", r.Status, r.Body)
	}
	ca.wx = &wechattest.Client{URL: ca.wx.URL, Token: token2, EncodingAESKey: aesKey2, AppID: wxAppID, Now: ca.wx.Now}
	wantContains(t, ca.reply(ca.wx.Event(openid, "subscribe", "")), "欢迎关注")
	ca.report(openid, "赵先生", "13912345678")
}

// What the administrator set in the console survives a restart with the
// config file unchanged (the file's entries apply only when it changed
// them), on the replica that starts next to it too.
func TestConsoleSettingsSurviveARestart(t *testing.T) {
	env := consoleEnv(t, "admin")
	ta := startAppWith(t, "../../config.example.yaml", env)
	admin := signIn(t, ta, "admin")
	csrf := admin.csrfOf("/admin/settings")
	for path, form := range map[string]url.Values{
		"/admin/settings/leaders.group": {"platform": {"dingtalk"}, "robot_key": {"tok-leaders"}, "robot_secret": {"SECleaders"}},
		"/admin/roster/rotation":        {"turn:li": {"1"}},
	} {
		form.Set("csrf", csrf)
		if status, page, _ := admin.do("POST", path, form); status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%s", path, status, page)
		}
	}
	again := startAppWith(t, "../../config.example.yaml", env)
	s, err := again.app.cases.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Leaders != (models.CentreGroup{Platform: "dingtalk", Key: "tok-leaders", Secret: "SECleaders"}) || !slices.Equal(s.Rotation, []string{"li"}) {
		t.Errorf("after a restart: leaders %+v, rotation %v", s.Leaders, s.Rotation)
	}
}

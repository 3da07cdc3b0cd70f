package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"bbcs/bot/dingtalk/dingtalktest"
	"bbcs/bot/wechat/wechattest"
	"bbcs/bot/wecom/wecomtest"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// rehearsal is a centre rehearsing a whole case on its real groups with
// the test clock moved (REQUIREMENTS.md, black-box contract, "Test
// clock"): bbcs's business time is months away from the wall clock, while
// the platforms — WeChat, WeCom and DingTalk, here their fakes — live in
// real time. Nothing pins the fakes or the clients that play the platforms
// to bbcs's clock: DingTalk refuses a robot call whose sign timestamp is
// more than an hour from its own clock (310000), and bbcs must refuse a
// callback signed more than a few minutes from the wall clock, not from
// the business one.
type rehearsal struct {
	*groupsApp
	citizen *citizenApp
}

func startRehearsal(t *testing.T) *rehearsal {
	t.Helper()
	wf, df := groupsFakes(t)
	xf := wechattest.NewFake(t, wxAppID, wxSecret)
	cfg := writeFile(t, "bbcs.yaml", groupsConfig(wf.URL(), df.URL())+`
wechat:
  api_base: `+xf.URL()+`
  app_id: `+wxAppID+`
  templates: {default: TPL-PROGRESS}
`)
	env := []string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t),
		"BBCS_WECOM_SECRET=" + corpSecret, "BBCS_DINGTALK_APP_SECRET=" + dingSecret,
		"BBCS_WECHAT_APP_SECRET=" + wxSecret, "BBCS_WECHAT_TOKEN=" + wxToken, "BBCS_WECHAT_ENCODING_AES_KEY=" + wxAESKey,
		"BBCS_STAFF_MA_PASSWORD_HASH=" + consoleHash, "BBCS_STAFF_ADMIN_PASSWORD_HASH=" + consoleHash,
	}
	ta := startAppWith(t, cfg, env)
	ta.runLoops()
	// The fakes' clocks and the clients' signatures: the wall clock (their
	// defaults), never ta.app.fake.
	g := &groupsApp{
		testApp: ta, wecom: wf, ding: df,
		wxBot:   &wecomtest.BotClient{URL: ta.srv.URL + "/wecom/callback", Token: botToken, EncodingAESKey: botAESKey, BotID: "aibot1"},
		wxApp:   &wecomtest.AppClient{URL: ta.srv.URL + "/wecom/app", Token: appToken, EncodingAESKey: appAESKey, CorpID: corpID, AgentID: agentID},
		dingBot: &dingtalktest.Client{URL: ta.srv.URL + "/dingtalk/callback", AppSecret: dingSecret, RobotCode: dingRobot, CorpID: "dingcorp", Fake: df},
	}
	ca := &citizenApp{testApp: ta, fake: xf, ctx: context.Background(),
		wx: &wechattest.Client{URL: ta.srv.URL + "/wechat/oa", Token: wxToken, EncodingAESKey: wxAESKey, AppID: wxAppID}}
	return &rehearsal{groupsApp: g, citizen: ca}
}

// waitRobot waits for a group robot message containing every want.
func waitRobot(t *testing.T, what string, msgs func() []string, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range msgs() {
			ok := true
			for _, w := range wants {
				ok = ok && strings.Contains(m, w)
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no message with %q; got:\n%s", what, wants, strings.Join(msgs(), "\n---\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The acceptance point "Rehearsal" of issue 13: the clock is moved by days
// through a whole case — registered on the service account, dispatched to
// a DingTalk and a WeCom window group, reminded, overdue, answered, rated —
// while the platforms check real time. Every card and reminder arrives,
// and every callback the platforms sign with real time is accepted.
func TestRehearsalWithTheClockMovedOnRealGroups(t *testing.T) {
	r := startRehearsal(t)
	ca := r.citizen
	const openid = "oRehearsal0001"

	// Tuesday 10 March 2026, months from the wall clock.
	r.setClock("2026-03-10T10:00:00+08:00")
	if skew := time.Since(r.app.fake.Now()); skew < 2*time.Hour && skew > -2*time.Hour {
		t.Fatalf("the test clock (%s) must be far from the wall clock for this test to mean anything", r.app.fake.Now())
	}

	// Registered by WeChat (messages signed with real time).
	wantContains(t, ca.reply(ca.wx.Event(openid, "subscribe", "")), "欢迎关注")
	ca.report(openid, "李女士", "13800138000")
	ca.say(openid, "确认")
	var list struct{ Cases []caseJSON }
	r.must(http.StatusOK, "admin", "GET", "/api/v1/cases?status=registered", nil, &list)
	if len(list.Cases) != 1 {
		t.Fatalf("%d registered cases, want 1", len(list.Cases))
	}
	c := list.Cases[0]
	ca.fake.WaitFor(t, func() bool {
		for _, m := range ca.fake.CustomsTo(openid) {
			if strings.Contains(m.Text, c.No) && strings.Contains(m.Text, "已受理") {
				return true
			}
		}
		return false
	}, 10*time.Second)

	// Dispatched to a WeCom and a DingTalk window group: both cards arrive,
	// the DingTalk one signed (加签) with real time.
	r.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch",
		map[string]any{"departments": []string{"realestate", "market"}}, &c)
	re, mk := orderFor(c, "realestate"), orderFor(c, "market")
	wecomGroup := func() []string {
		var out []string
		for _, m := range r.wecom.RobotMessagesTo(keyRealty) {
			out = append(out, m.Markdown)
		}
		return out
	}
	dingGroup := func() []string {
		var out []string
		for _, m := range r.ding.RobotMessagesTo(tokMarket) {
			out = append(out, m.Title+"\n"+m.Text)
		}
		return out
	}
	waitRobot(t, "WeCom work-order card", wecomGroup, "工单 "+re)
	waitRobot(t, "DingTalk work-order card", dingGroup, mk)

	// Both groups sign for their orders through the robots' callbacks.
	wantContains(t, r.wecomSays("zhangwei", "签收 "+re), "已签收")
	wantContains(t, r.dingSays("zhaomin", "赵敏", "签收 "+mk), "已签收")

	// Friday 13 March, the last day: both groups are reminded in the morning.
	r.at("2026-03-13T09:00:01+08:00")
	waitRobot(t, "WeCom reminder", wecomGroup, "提醒", re)
	waitRobot(t, "DingTalk reminder", dingGroup, "提醒", mk)

	// The market window answers in the afternoon; the real-estate window
	// lets the deadline pass and is escalated.
	r.at("2026-03-13T15:00:00+08:00")
	wantContains(t, r.dingSays("zhaomin", "赵敏", "回复 "+mk+" 已核实，档案已更正"), "已答复")
	r.at("2026-03-13T18:00:01+08:00")
	waitRobot(t, "WeCom overdue notice", wecomGroup, "超期", re)
	r.wecom.WaitFor(t, func() bool {
		for _, m := range r.wecom.AppMessagesTo("chenfz") {
			if strings.Contains(m.Content, re) && strings.Contains(m.Content, "超期") {
				return true
			}
		}
		return false
	}, 10*time.Second)

	// Monday 16 March: the real-estate window answers, days later.
	r.at("2026-03-16T10:00:00+08:00")
	wantContains(t, r.wecomSays("zhangwei", "回复 "+re+" 已补齐材料，过户已办结"), "已答复")
	if got := r.get(c.No); got.Status != "answered" {
		t.Fatalf("after both answers the case is %s", got.Status)
	}
	// The citizen's 48-hour window is business time: six days after their
	// last message, the answer comes as a template message.
	ca.fake.WaitFor(t, func() bool {
		for _, m := range ca.fake.Templates() {
			if m.ToUser == openid && strings.Contains(fmt.Sprint(m.Data), c.No) {
				return true
			}
		}
		return false
	}, 10*time.Second)

	// The citizen rates, on the service account, with real time.
	r.at("2026-03-16T11:00:00+08:00")
	wantContains(t, ca.say(openid, "满意"), "满意", c.No)
	if got := r.get(c.No); got.Status != "closed" || got.Rating == nil || got.Rating.Level != "satisfied" {
		t.Fatalf("after the rating: %s %+v", got.Status, got.Rating)
	}

	// Every notice of the case went out; none was given up.
	r.noticesSent(c.No)
	var failed []models.Notice
	r.app.db.Where("status = ?", models.NoticeFailed).Find(&failed)
	for _, n := range failed {
		t.Errorf("notice %d %s→%s:%s given up: %s", n.ID, n.Kind, n.Audience, n.Target, n.LastError)
	}
	k := r.kinds(c.No)
	for _, want := range []string{"work_order→department:realestate", "work_order→department:market",
		"reminder→department:realestate", "reminder→department:market", "overdue→department:realestate", "overdue→staff:chen"} {
		if k[want] != 1 {
			t.Errorf("%d × %s, want 1 (all: %v)", k[want], want, k)
		}
	}
}

// A sign or token error from a platform is retried with a fresh sign or
// token, and is never the end of a notice: DingTalk refusing a card's sign
// once (310000) still lets the card through on the same try, and refusing
// it three times in a row only delays it.
func TestDingTalkSignRefusedStillDeliversTheCard(t *testing.T) {
	g := startGroupsApp(t)
	g.ding.FailNext(1, http.StatusOK, dingtalktest.ErrSecurity)
	c := g.newCase("market")
	g.ding.WaitFor(t, func() bool { return len(g.ding.RobotMessagesTo(tokMarket)) == 1 }, 5*time.Second)
	g.noticesSent(c.No)
	for _, n := range g.notices(c.No) {
		if n.Kind == models.NoticeWorkOrder && n.Attempts != 1 {
			t.Errorf("the card took %d tries, want 1 (signed again at once): %s", n.Attempts, n.LastError)
		}
	}

	g.ding.FailNext(3, http.StatusOK, dingtalktest.ErrSecurity)
	var c2 caseJSON
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "赵先生", "applicant_mobile": "13900139000", "category": "other", "matter": "第二件事",
	}, &c2)
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c2.No+"/dispatch", map[string]any{"departments": []string{"market"}}, &c2)
	g.noticesSent(c2.No) // after the outbox's backoff
	if n := len(g.ding.RobotMessagesTo(tokMarket)); n != 2 {
		t.Errorf("the market group got %d cards, want 2", n)
	}
	if metrics := g.scrape(); !strings.Contains(metrics, "bbcs_outbox_failed 0\n") {
		t.Errorf("a notice was given up after sign errors")
	}
}

// WeChat saying the cached access token is stale (40001, 42001) makes the
// sender fetch a new one and send again at once; twice in a row only
// delays the message. It is never given up.
func TestWeChatTokenErrorsStillDeliver(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oTokenStale"
	ca.report(openid, "钱先生", "13500135000")
	ca.fake.FailNext(1, http.StatusOK, 40001)
	ca.say(openid, "确认")
	if n := ca.receipts(openid, 10*time.Second); n != 1 {
		t.Fatalf("%d receipts", n)
	}
	var receipt []models.Notice
	deadline := time.Now().Add(5 * time.Second)
	for {
		ca.app.db.Where("kind = ?", models.NoticeCaseReceived).Find(&receipt)
		if (len(receipt) == 1 && receipt[0].Status == models.NoticeSent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(receipt) != 1 || receipt[0].Status != models.NoticeSent || receipt[0].Attempts != 1 {
		t.Fatalf("receipt notice %+v, want sent on the first try with a fresh token", receipt)
	}

	// Twice stale: the next try, a little later, goes through.
	ca.fake.FailNext(2, http.StatusOK, 42001)
	var c caseJSON
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+receipt[0].CaseNo, nil, &c)
	ca.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ca.fake.WaitFor(t, func() bool {
		for _, m := range ca.fake.CustomsTo(openid) {
			if strings.Contains(m.Text, c.No) && strings.Contains(m.Text, "不动产") {
				return true
			}
		}
		return false
	}, 15*time.Second)
	var failed int64
	ca.app.db.Model(&models.Notice{}).Where("status = ?", models.NoticeFailed).Count(&failed)
	if failed != 0 {
		t.Errorf("%d notices given up after token errors", failed)
	}
}

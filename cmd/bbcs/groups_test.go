package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bbcs/bot/dingtalk/dingtalktest"
	"bbcs/bot/wecom/wecomtest"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
)

const (
	corpID       = "wwbbcs0001"
	corpSecret   = "wecom-app-secret-0001"
	agentID      = "1000002"
	botToken     = "wecom-bot-token"
	botAESKey    = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	appToken     = "wecom-app-token"
	appAESKey    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"
	dingKey      = "dingbbcsappkey"
	dingSecret   = "ding-app-secret-0001"
	dingRobot    = "dingbbcsrobot"
	keyRealty    = "key-realestate"
	keyTax       = "key-tax"
	keySuper     = "key-supervision"
	tokMarket    = "tok-market"
	secMarket    = "SECmarket0001"
	wxGroupChat  = "wrRealEstateChat"
	dingGroupCID = "cidMarketGroup=="
)

// groupsConfig is a centre with window groups on both platforms and a
// member of each department on each platform it uses.
func groupsConfig(wecomURL, dingURL string) string {
	return fmt.Sprintf(`
http: {public_url: "https://bbcs.example.gov.cn"}
clock: {fake: true}
api:
  tokens:
    - {token: demo-token-wangfang-0001, staff: wang}
    - {token: demo-token-admin-000004, staff: admin}
wecom:
  api_base: %[1]s
  corp_id: %[3]s
  agent_id: "%[4]s"
  token: %[5]s
  encoding_aes_key: %[6]s
  bot_token: %[7]s
  bot_encoding_aes_key: %[8]s
dingtalk:
  oapi_base: %[2]s
  api_base: %[2]s
  app_key: %[9]s
  robot_code: %[10]s
  corp_id: dingcorp0001
departments:
  - {code: realestate, name: 不动产登记窗口, leader: chen, group: {platform: wecom, webhook_key: %[11]s, chat_id: %[15]s}}
  - {code: market, name: 市场监管窗口, leader: wu, group: {platform: dingtalk, access_token: %[13]s, secret: %[14]s, chat_id: "%[16]s"}}
  - {code: tax, name: 税务窗口, group: {platform: wecom, webhook_key: %[12]s}}
staff:
  - {id: wang,  name: 王芳,     role: specialist, wecom_user_id: wangfang}
  - {id: zhang, name: 张伟,     role: window_staff, department: realestate, wecom_user_id: zhangwei}
  - {id: liu,   name: 刘强,     role: window_head,  department: realestate, wecom_user_id: liuqiang}
  - {id: zhao,  name: 赵敏,     role: window_staff, department: market, dingtalk_user_id: zhaomin}
  - {id: qian,  name: 钱进,     role: window_head,  department: market, dingtalk_user_id: qianjin}
  - {id: sun,   name: 孙丽,     role: window_staff, department: tax, wecom_user_id: sunli, dingtalk_user_id: sunli_dt}
  - {id: chen,  name: 陈副主任, role: leader, wecom_user_id: chenfz}
  - {id: wu,    name: 吴副主任, role: leader, dingtalk_user_id: wufz}
  - {id: zhou,  name: 周主任,   role: principal_leader, wecom_user_id: zhouzr}
  - {id: ma,    name: 马科长,   role: supervisor, wecom_user_id: makz}
  - {id: admin, name: 管理员,   role: admin}
leaders: {principal: zhou, group: {platform: wecom, webhook_key: key-leaders}}
supervision: {group: {platform: wecom, webhook_key: %[17]s}}
duty: {rotation: [wang]}
`, wecomURL, dingURL, corpID, agentID, appToken, appAESKey, botToken, botAESKey, dingKey, dingRobot,
		keyRealty, keyTax, tokMarket, secMarket, wxGroupChat, dingGroupCID, keySuper)
}

// groupsFakes are WeCom and DingTalk as groupsConfig's centre uses them:
// its group robots and the platform ids of its staff.
func groupsFakes(t *testing.T) (*wecomtest.Fake, *dingtalktest.Fake) {
	t.Helper()
	wf := wecomtest.NewFake(t, corpID, corpSecret, agentID)
	df := dingtalktest.NewFake(t, dingKey, dingSecret, dingRobot)
	for _, k := range []string{keyRealty, keyTax, keySuper, "key-leaders"} {
		wf.AddRobot(k)
	}
	for _, u := range []string{"wangfang", "zhangwei", "liuqiang", "sunli", "chenfz", "zhouzr", "makz"} {
		wf.AddUser(u)
	}
	df.AddRobot(tokMarket, secMarket)
	for _, u := range []string{"zhaomin", "qianjin", "wufz", "sunli_dt"} {
		df.AddUser(u)
	}
	return wf, df
}

type groupsApp struct {
	*testApp
	wecom   *wecomtest.Fake
	ding    *dingtalktest.Fake
	wxBot   *wecomtest.BotClient
	wxApp   *wecomtest.AppClient
	dingBot *dingtalktest.Client
	msg     int
}

func startGroupsApp(t *testing.T) *groupsApp {
	t.Helper()
	return startGroupsAppWall(t, nil)
}

// startGroupsAppWall is startGroupsApp in a world whose real time is wall
// (nil: the wall clock): bbcs's wall clock, the fakes' and the clients'
// signatures all read it, so a test can let a platform's minute pass.
func startGroupsAppWall(t *testing.T, wall *clock.Fake) *groupsApp {
	t.Helper()
	return startGroupsAppWith(t, wall, nil)
}

// startGroupsAppWith is startGroupsAppWall on groupsConfig as edit changes
// it (nil: as it is): a centre organised otherwise.
func startGroupsAppWith(t *testing.T, wall *clock.Fake, edit func(config string) string) *groupsApp {
	t.Helper()
	wf, df := groupsFakes(t)
	config := groupsConfig(wf.URL(), df.URL())
	if edit != nil {
		config = edit(config)
	}
	cfg := writeFile(t, "bbcs.yaml", config)
	env := []string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t),
		"BBCS_WECOM_SECRET=" + corpSecret, "BBCS_DINGTALK_APP_SECRET=" + dingSecret,
		"BBCS_STAFF_MA_PASSWORD_HASH=" + consoleHash, "BBCS_STAFF_ADMIN_PASSWORD_HASH=" + consoleHash,
	}
	var bbcsWall clock.Wall = clock.Real{}
	var now func() time.Time // the clients' default: the wall clock
	if wall != nil {
		bbcsWall, now = clock.WallFunc(wall.Now), wall.Now
		wf.SetNow(now)
		df.SetNow(now)
	}
	ta := startAppWall(t, cfg, env, bbcsWall)
	ta.runLoops()
	t.Cleanup(func() { // decision 7: no group or person ever sees a full mobile
		var all []string
		for _, m := range wf.RobotMessages() {
			all = append(all, string(m.Raw))
		}
		for _, m := range wf.AppMessages() {
			all = append(all, string(m.Raw))
		}
		for _, m := range df.RobotMessages() {
			all = append(all, string(m.Raw))
		}
		for _, m := range df.PrivateMessages() {
			all = append(all, string(m.Raw))
		}
		for _, m := range all {
			if full := mobileRE.FindString(m); full != "" {
				t.Errorf("a platform received a full mobile %s: %.200s", full, m)
			}
		}
	})
	// The platforms live in real time, whatever bbcs's test clock says: the
	// fakes and the clients playing the platforms keep the wall clock (their
	// default), as the real ones do (REQUIREMENTS.md, "Test clock").
	return &groupsApp{
		testApp: ta, wecom: wf, ding: df,
		wxBot:   &wecomtest.BotClient{URL: ta.srv.URL + "/wecom/callback", Token: botToken, EncodingAESKey: botAESKey, BotID: "aibot1", Now: now},
		wxApp:   &wecomtest.AppClient{URL: ta.srv.URL + "/wecom/app", Token: appToken, EncodingAESKey: appAESKey, CorpID: corpID, AgentID: agentID, Now: now},
		dingBot: &dingtalktest.Client{URL: ta.srv.URL + "/dingtalk/callback", AppSecret: dingSecret, RobotCode: dingRobot, CorpID: "dingcorp", Fake: df, Now: now},
	}
}

func (g *groupsApp) id() string { g.msg++; return fmt.Sprintf("msg-%s-%d", g.t.Name(), g.msg) }

// wecomSays is a WeCom member @-mentioning the robot in the realestate group.
func (g *groupsApp) wecomSays(userID, text string) string {
	g.t.Helper()
	r := g.wxBot.GroupText(wxGroupChat, userID, "@办事不成bot "+text, g.id())
	if r.Err != nil || r.Status != http.StatusOK || r.Reply == nil || r.Reply.Rejected != "" {
		g.t.Fatalf("wecom callback: %d %q %v %+v", r.Status, r.Body, r.Err, r.Reply)
	}
	return r.Reply.Content
}

// dingSays is a DingTalk member @-mentioning the robot in the market group.
func (g *groupsApp) dingSays(staffID, nick, text string) string {
	g.t.Helper()
	r := g.dingBot.GroupText(dingGroupCID, "市场监管窗口工作群", staffID, nick, text, g.id())
	if r.Err != nil || r.Status != http.StatusOK || r.Reply == nil {
		g.t.Fatalf("dingtalk callback: %d %q %v", r.Status, r.Body, r.Err)
	}
	return r.Reply.Text
}

// newCase registers a walk-in case and dispatches it to departments.
func (g *groupsApp) newCase(depts ...string) caseJSON {
	g.t.Helper()
	g.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "not_completed_in_time",
		"matter": "3月2日提交过户材料，承诺5个工作日，至今未办结",
	}, &c)
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": depts}, &c)
	return c
}

// badlyRated is a case of the 不动产登记窗口, answered in its group on
// Tuesday 2026-03-10 and rated level with comment by phone on Wednesday:
// a 差评 opens its 差评整改.
func (g *groupsApp) badlyRated(level, comment string) caseJSON {
	g.t.Helper()
	c := g.newCase("realestate")
	g.wecomSays("zhangwei", "回复 "+orderFor(c, "realestate")+" 已告知补交完税证明")
	g.setClock("2026-03-11T10:00:00+08:00")
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/rate", map[string]string{"level": level, "comment": comment, "via": "phone"}, nil)
	return c
}

// robotCard is the first markdown the WeCom robot key received about case
// no that holds every one of want, "" if none did.
func (g *groupsApp) robotCard(key, no string, want ...string) string {
	for _, m := range g.aboutCase(g.wecom.RobotMessagesTo(key), no) {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(m.Markdown, w)
		}
		if ok {
			return m.Markdown
		}
	}
	return ""
}

// aboutCase keeps the group messages about one case (the supervision
// group also hears of duty check-ins, say).
func (g *groupsApp) aboutCase(msgs []wecomtest.RobotMessage, no string) []wecomtest.RobotMessage {
	var out []wecomtest.RobotMessage
	for _, m := range msgs {
		if strings.Contains(m.Markdown, no) {
			out = append(out, m)
		}
	}
	return out
}

func orderFor(c caseJSON, dept string) string {
	no, _, _, _, _ := c.order(dept)
	return no
}

func (g *groupsApp) get(no string) caseJSON {
	g.t.Helper()
	var c caseJSON
	g.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+no, nil, &c)
	return c
}

func (g *groupsApp) noticesSent(no string) {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending := 0
		for _, n := range g.notices(no) {
			if n.Status != models.NoticeSent {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			var all []models.Notice // of every case: one may hold up a group
			g.app.db.Order("id").Find(&all)
			for _, n := range all {
				g.t.Logf("notice %d %s %s→%s:%s %s attempts %d next %s: %s", n.ID, n.CaseNo, n.Kind, n.Audience, n.Target,
					n.Status, n.Attempts, n.NextAttemptAt.Format(time.RFC3339), n.LastError)
			}
			g.t.Fatalf("%d notices of %s not delivered", pending, no)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWeComWindowGroupSignsAndReplies(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	no := orderFor(c, "realestate")

	g.wecom.WaitFor(t, func() bool { return len(g.wecom.RobotMessagesTo(keyRealty)) == 1 }, 5*time.Second)
	card := g.wecom.RobotMessagesTo(keyRealty)[0]
	if card.MsgType != "markdown" {
		t.Fatalf("card type %s", card.MsgType)
	}
	for _, want := range []string{"工单 " + no, "不动产登记窗口", "受理后超时未办结", "李女士 138****8000", "王芳", "2026年3月13日（周五）18:00", "签收 " + no,
		"https://bbcs.example.gov.cn/act/" + no + "?platform=wecom"} {
		if !strings.Contains(card.Markdown, want) {
			t.Errorf("card lacks %q:\n%s", want, card.Markdown)
		}
	}
	if strings.Contains(card.Markdown, "13800138000") {
		t.Errorf("the card shows the full mobile")
	}

	// Someone of another department is refused, and nothing changes.
	refusal := g.wecomSays("sunli", "签收 "+no)
	if !strings.Contains(refusal, "不动产登记窗口") || !strings.Contains(refusal, "不能操作") {
		t.Errorf("refusal = %q", refusal)
	}
	if s := g.get(c.No).WorkOrders[0].Status; s != "pending" {
		t.Errorf("after a refused sign the order is %s", s)
	}

	// Sign, delivered twice (a retry): one sign, the same answer twice.
	id := g.id()
	r1 := g.wxBot.GroupText(wxGroupChat, "zhangwei", "@办事不成bot 签收 "+no, id)
	r2 := g.wxBot.GroupText(wxGroupChat, "zhangwei", "@办事不成bot 签收 "+no, id)
	if r1.Reply == nil || r2.Reply == nil || r1.Reply.Content != r2.Reply.Content || !strings.Contains(r1.Reply.Content, "张伟 已签收 "+no) {
		t.Fatalf("sign answers: %+v / %+v", r1.Reply, r2.Reply)
	}
	signed := 0
	for _, e := range g.get(c.No).Timeline {
		if e.Action == "signed" {
			signed++
		}
	}
	if signed != 1 {
		t.Errorf("a duplicated callback signed %d times", signed)
	}

	g.setClock("2026-03-12T15:00:00+08:00")
	reply := g.wecomSays("zhangwei", "回复 "+no+" 材料缺少完税证明，已电话告知补交渠道")
	if !strings.Contains(reply, "已答复") {
		t.Errorf("reply answer = %q", reply)
	}
	got := g.get(c.No)
	if got.Status != "answered" || !strings.Contains(got.Result, "材料缺少完税证明") {
		t.Fatalf("case after the reply: %s %q", got.Status, got.Result)
	}
	// Nobody closes the answered case by a chat command: it waits for the
	// applicant's rating (第十三条).
	if r := g.wecomSays("zhangwei", "办结 "+c.No); !strings.Contains(r, "首接负责人") || g.get(c.No).Status != "answered" {
		t.Errorf("办结 by chat: %q, case %s", r, g.get(c.No).Status)
	}
	if r := g.wecomSays("zhangwei", "办结"); !strings.Contains(r, "评价") || !strings.Contains(r, "未评价") {
		t.Errorf("办结 without a case: %q", r)
	}
	g.noticesSent(c.No)
	// The owner hears privately, the supervision section in its group.
	var toOwner []string
	for _, m := range g.wecom.AppMessagesTo("wangfang") {
		toOwner = append(toOwner, m.Content)
	}
	if all := strings.Join(toOwner, "\n"); !strings.Contains(all, "【答复｜"+no) || !strings.Contains(all, "材料缺少完税证明") || !strings.Contains(all, "请反映人评价") {
		t.Errorf("owner's private messages:\n%s", all)
	}
	super := g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No)
	if len(super) != 1 || !strings.Contains(super[0].Markdown, "材料缺少完税证明") || strings.Contains(super[0].Markdown, "13800138000") {
		t.Errorf("supervision group got %+v", super)
	}
	// The walk-in applicant's copy is an SMS-ready text for the owner (logged).
	for _, n := range g.notices(c.No) {
		if n.Audience == models.AudienceApplicant && n.Kind == models.NoticeCaseAnswered && n.Status != models.NoticeSent {
			t.Errorf("the applicant's answer was not delivered: %+v", n)
		}
	}
}

// The callbacks check what the platforms sign, and refuse the rest.
func TestGroupCallbacksVerifyTheirSenders(t *testing.T) {
	g := startGroupsApp(t)
	if status, body := g.wxBot.Verify("echo-robot"); status != http.StatusOK || body != "echo-robot" {
		t.Errorf("smart robot URL check: %d %q", status, body)
	}
	if status, body := g.wxApp.Verify("echo-app"); status != http.StatusOK || body != "echo-app" {
		t.Errorf("app URL check: %d %q", status, body)
	}
	forged := *g.wxBot
	forged.Token = "not-the-token"
	if r := forged.GroupText(wxGroupChat, "zhangwei", "@bot 帮助", g.id()); r.Status != http.StatusForbidden {
		t.Errorf("a forged robot callback: %d, want 403", r.Status)
	}
	wrongKey := *g.dingBot
	wrongKey.AppSecret = "not-the-secret"
	if r := wrongKey.GroupText(dingGroupCID, "群", "zhaomin", "赵敏", "帮助", g.id()); r.Status != http.StatusForbidden {
		t.Errorf("a DingTalk callback with a wrong sign: %d, want 403", r.Status)
	}
	stale := *g.dingBot
	stale.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } // by the wall clock
	if r := stale.GroupText(dingGroupCID, "群", "zhaomin", "赵敏", "帮助", g.id()); r.Status != http.StatusForbidden {
		t.Errorf("a DingTalk callback two hours old: %d, want 403", r.Status)
	}
	staleBot, staleApp := *g.wxBot, *g.wxApp
	staleBot.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	staleApp.Now = staleBot.Now
	if r := staleBot.GroupText(wxGroupChat, "zhangwei", "@bot 帮助", g.id()); r.Status != http.StatusForbidden {
		t.Errorf("a WeCom robot callback ten minutes old: %d, want 403", r.Status)
	}
	if r := staleApp.Text("zhangwei", "帮助", 9001); r.Status != http.StatusForbidden {
		t.Errorf("a WeCom app callback ten minutes old: %d, want 403", r.Status)
	}
	if got := g.dingSays("zhaomin", "赵敏", "帮助"); !strings.Contains(got, "签收 工单号") {
		t.Errorf("help = %q", got)
	}
	if got := g.wecomSays("makz", "签收 GD20990101-001-1"); !strings.Contains(got, "不存在") {
		t.Errorf("an unknown order = %q", got)
	}
	r := g.wxBot.GroupText(wxGroupChat, "stranger", "@bot 签收 GD20990101-001-1", g.id())
	if r.Reply == nil || !strings.Contains(r.Reply.Content, "不在本中心的工作人员名单") {
		t.Errorf("a stranger: %+v", r.Reply)
	}
}

func TestDingTalkWindowGroupSignsAndReplies(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("market")
	no := orderFor(c, "market")

	g.ding.WaitFor(t, func() bool { return len(g.ding.RobotMessagesTo(tokMarket)) == 1 }, 5*time.Second)
	card := g.ding.RobotMessagesTo(tokMarket)[0]
	if card.MsgType != "actionCard" || len(card.Buttons) != 1 || !strings.Contains(card.Buttons[0].URL, url.QueryEscape("/act/"+no+"?platform=dingtalk")) {
		t.Errorf("the card should open the action page inside DingTalk: %s %+v", card.MsgType, card.Buttons)
	}
	for _, want := range []string{"工单 " + no, "市场监管窗口", "李女士 138****8000", "王芳", "签收 " + no} {
		if !strings.Contains(card.Markdown, want) {
			t.Errorf("card lacks %q:\n%s", want, card.Markdown)
		}
	}
	if strings.Contains(card.Markdown, "13800138000") {
		t.Errorf("the card shows the full mobile")
	}

	refusal := g.dingSays("sunli_dt", "孙丽", "回复 "+no+" 已办结")
	if !strings.Contains(refusal, "市场监管窗口") {
		t.Errorf("refusal = %q", refusal)
	}
	id := g.id()
	r1 := g.dingBot.GroupText(dingGroupCID, "市场监管窗口工作群", "zhaomin", "赵敏", "签收 "+no, id)
	r2 := g.dingBot.GroupText(dingGroupCID, "市场监管窗口工作群", "zhaomin", "赵敏", "签收 "+no, id)
	if r1.Reply == nil || r2.Reply == nil || r1.Reply.Text != r2.Reply.Text || !strings.Contains(r1.Reply.Text, "赵敏 已签收") {
		t.Fatalf("sign answers: %+v / %+v", r1.Reply, r2.Reply)
	}
	if !strings.Contains(g.dingSays("zhaomin", "赵敏", "延期 "+no+" 2 需调取档案"), "2026年3月17日（周二）18:00") {
		t.Errorf("extension by 2 working days past 03-13 should end on 03-17")
	}
	g.dingSays("zhaomin", "赵敏", "回复 "+no+" 营业执照变更已办结")
	if got := g.get(c.No); got.Status != "answered" {
		t.Fatalf("case %s after the reply", got.Status)
	}
	g.noticesSent(c.No)
	if super := g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No); len(super) != 2 { // the extension and the reply
		t.Errorf("supervision group got %d messages, want 2", len(super))
	}
}

// One order in a WeCom group, one in a DingTalk group, both answered.
func TestMixedCaseOnBothPlatforms(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate", "market")
	g.wecomSays("zhangwei", "回复 "+orderFor(c, "realestate")+" 不动产部分已办结")
	g.dingSays("zhaomin", "赵敏", "回复 "+orderFor(c, "market")+" 市场监管部分已办结")
	got := g.get(c.No)
	if got.Status != "answered" || !strings.Contains(got.Result, "不动产部分已办结") || !strings.Contains(got.Result, "市场监管部分已办结") {
		t.Fatalf("mixed case: %s %q", got.Status, got.Result)
	}
	g.noticesSent(c.No)
}

// “上报” reaches the 分管领导 and the window head privately; a case of
// several departments reaches the 主要负责领导, whose answer dispatches joint
// orders.
func TestEscalationReachesLeadersAndJointOrdersFollow(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	no := orderFor(c, "realestate")
	if got := g.wecomSays("zhangwei", "上报 "+no+" 涉及税务，超出本窗口权限"); !strings.Contains(got, "已上报") {
		t.Fatalf("escalation answer %q", got)
	}
	g.noticesSent(c.No)
	for _, who := range []string{"chenfz", "liuqiang"} {
		msgs := g.wecom.AppMessagesTo(who)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "请您协调") || !strings.Contains(msgs[0].Content, "超出本窗口权限") {
			t.Errorf("%s's private messages: %+v", who, msgs)
		}
	}

	multi := g.newCase("realestate", "market")
	if got := g.dingSays("zhaomin", "赵敏", "上报 "+orderFor(multi, "market")+" 需不动产、税务联合办理"); !strings.Contains(got, "已上报") {
		t.Fatalf("multi-department escalation answer %q", got)
	}
	g.noticesSent(multi.No)
	boss := g.wecom.AppMessagesTo("zhouzr")
	if len(boss) != 1 || !strings.Contains(boss[0].Content, "联办 "+multi.No) {
		t.Fatalf("the principal's private messages: %+v", boss)
	}
	// The principal answers privately to the app: joint orders go out.
	r := g.wxApp.Text("zhouzr", "联办 "+multi.No+" 税务窗口 请税务窗口联合核实完税情况", 4242)
	if r.Err != nil || r.Reply == nil || !strings.Contains(r.Reply.Content, "税务窗口联合办理") {
		t.Fatalf("the principal's command: %d %+v %v", r.Status, r.Reply, r.Err)
	}
	joint := g.get(multi.No)
	tax := ""
	for _, o := range joint.WorkOrders {
		if o.Department == "tax" {
			tax = o.No
		}
	}
	if tax == "" {
		t.Fatalf("no joint order to tax: %+v", joint.WorkOrders)
	}
	g.wecom.WaitFor(t, func() bool {
		m := g.wecom.RobotMessagesTo(keyTax)
		return len(m) == 1 && strings.Contains(m[0].Markdown, "联合办理") && strings.Contains(m[0].Markdown, tax)
	}, 5*time.Second)
}

// Platforms failing and rate-limiting for a while delay notices; each still
// arrives once, after recovery. A platform's rate limit runs in real time:
// moving the test clock does not lift it, a minute of the wall clock does.
func TestNoticesSurvivePlatformErrorsAndRateLimits(t *testing.T) {
	wall := clock.NewFake(time.Now())
	g := startGroupsAppWall(t, wall)
	g.wecom.FailNext(2, http.StatusServiceUnavailable, 0)
	g.ding.FailNext(1, http.StatusOK, 410100) // DingTalk's “send too fast”
	c := g.newCase("realestate", "market")
	time.Sleep(300 * time.Millisecond)
	// The supervision section sees what waits, and why.
	ma := signIn(t, g.testApp, "ma")
	if _, page, _ := ma.do("GET", "/admin/notices", nil); !strings.Contains(page, "部门窗口群 realestate") || !strings.Contains(page, c.No) {
		t.Errorf("the notices page does not show the realestate card waiting:\n%s", page)
	}
	// Move past the backoff and DingTalk's 10-minute block.
	g.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "11m"}, nil)
	g.noticesSent(c.No)
	if n := len(g.wecom.RobotMessagesTo(keyRealty)); n != 1 {
		t.Errorf("realestate group got the card %d times", n)
	}
	if n := len(g.ding.RobotMessagesTo(tokMarket)); n != 1 {
		t.Errorf("market group got the card %d times", n)
	}
	// The case's notices leave the backlog (other notices, of the duty
	// check say, keep their own pace).
	var page string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, page, _ = ma.do("GET", "/admin/notices", nil); !strings.Contains(pendingTable(t, page), c.No) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after recovery the notices page still shows the case's notices waiting:\n%s", pendingTable(t, page))
		}
	}
	metrics := g.scrape()
	for _, want := range []string{
		`bbcs_platform_sends_total{platform="wecom",result="error"} 2`,
		`bbcs_platform_sends_total{platform="dingtalk",result="deferred"} 1`,
		`bbcs_outbox_failed 0`, `bbcs_timers_overdue 0`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// More than 20 messages a minute to one group robot wait their turn.
	for i := 0; i < 22; i++ {
		var cs caseJSON
		g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": fmt.Sprintf("申请人%d", i), "applicant_mobile": "13800138000", "category": "other", "matter": "批量",
		}, &cs)
		g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+cs.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	}
	g.wecom.WaitFor(t, func() bool { return len(g.wecom.RobotMessagesTo(keyTax)) == 20 }, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := len(g.wecom.RobotMessagesTo(keyTax)); n != 20 {
		t.Fatalf("the tax robot took %d messages within a minute, want 20", n)
	}
	// The test clock moving on is not the platform's minute passing.
	g.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "61s"}, nil)
	time.Sleep(300 * time.Millisecond)
	if n := len(g.wecom.RobotMessagesTo(keyTax)); n != 20 {
		t.Fatalf("moving the test clock let the tax robot take %d messages within a real minute, want 20", n)
	}
	// A real minute later (and as long of business time) the rest go.
	wall.Advance(61 * time.Second)
	g.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "61s"}, nil)
	g.wecom.WaitFor(t, func() bool { return len(g.wecom.RobotMessagesTo(keyTax)) == 22 }, 5*time.Second)
	var failed int64
	g.app.db.Model(&models.Notice{}).Where("status = ?", models.NoticeFailed).Count(&failed)
	if failed != 0 {
		t.Errorf("%d notices given up", failed)
	}
}

// pendingTable is the notices page's table of what waits. A page without
// it fails the test: "" would pass every "does not show" check.
func pendingTable(t *testing.T, page string) string {
	t.Helper()
	start := strings.Index(page, `id="pending"`)
	end := strings.Index(page, `id="failed"`)
	if start < 0 || end < start {
		t.Fatalf("the notices page has no pending table:\n%s", page)
	}
	return page[start:end]
}

// R10: the administrator adds a department with its group robot and a
// member of its window in the console, and moves a specialist to
// DingTalk; no restart. The new group gets its work order card, its member
// works the order from the group, and the specialist hears of the reply on
// DingTalk. The robot's key is never shown back.
func TestADepartmentAddedInTheConsoleReachesItsGroup(t *testing.T) {
	g := startGroupsApp(t)
	g.wecom.AddRobot("key-pension")
	g.wecom.AddUser("hejun")
	g.ding.AddUser("wang_dt")
	admin := signIn(t, g.testApp, "admin")
	csrf := admin.csrfOf("/admin/departments")
	for _, form := range []url.Values{
		{"code": {"pension"}, "name": {"社保窗口"}, "platform": {"wecom"}, "chat_id": {"wrpension"}, "robot_key": {"key-pension"}, "active": {"1"}},
		{"new": {"1"}, "id": {"he"}, "name": {"何军"}, "role": {"window_staff"}, "department": {"pension"}, "wecom_user_id": {"hejun"}, "active": {"1"}},
		{"id": {"wang"}, "name": {"王芳"}, "role": {"specialist"}, "dingtalk_user_id": {"wang_dt"}, "active": {"1"}},
	} {
		form.Set("csrf", csrf)
		path := "/admin/departments"
		if form.Has("id") {
			path = "/admin/staff"
		}
		if status, page, _ := admin.do("POST", path, form); status != http.StatusSeeOther {
			t.Fatalf("POST %s %v: %d\n%s", path, form, status, page)
		}
	}
	if _, page, _ := admin.do("GET", "/admin/departments?edit=pension", nil); strings.Contains(page, "key-pension") || !strings.Contains(page, "已设置，留空则不变") {
		t.Errorf("the departments page shows the robot's key, or not that it is set")
	}
	// Saved again without the key (the form never holds it): the robot stays.
	if status, _, _ := admin.do("POST", "/admin/departments", url.Values{"csrf": {csrf}, "code": {"pension"}, "name": {"社会保险窗口"},
		"platform": {"wecom"}, "chat_id": {"wrpension"}, "active": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("renaming the department: %d", status)
	}

	c := g.newCase("pension")
	no := orderFor(c, "pension")
	g.wecom.WaitFor(t, func() bool { return len(g.wecom.RobotMessagesTo("key-pension")) == 1 }, 5*time.Second)
	if card := g.wecom.RobotMessagesTo("key-pension")[0].Markdown; !strings.Contains(card, "工单 "+no) || !strings.Contains(card, "社会保险窗口") {
		t.Errorf("the new group's card:\n%s", card)
	}
	for _, cmd := range []string{"签收 " + no, "回复 " + no + " 已为您办理社保转移，请留意短信"} {
		r := g.wxBot.GroupText("wrpension", "hejun", "@办事不成bot "+cmd, g.id())
		if r.Err != nil || r.Reply == nil || !strings.Contains(r.Reply.Content, "何军") {
			t.Fatalf("%s from the new group: %d %+v %v", cmd, r.Status, r.Reply, r.Err)
		}
	}
	g.ding.WaitFor(t, func() bool { return len(g.ding.PrivateMessagesTo("wang_dt")) > 0 }, 5*time.Second)
	if got := g.ding.PrivateMessagesTo("wang_dt")[0].Text; !strings.Contains(got, no) {
		t.Errorf("王芳 heard on DingTalk: %q", got)
	}
	if got := g.wecom.AppMessagesTo("wangfang"); len(got) != 0 {
		t.Errorf("王芳's old WeCom id still got %d messages", len(got))
	}
}

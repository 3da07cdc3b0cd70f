package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/bot/wechat/wechattest"
	"bbcs/internal/testenv"
	"bbcs/models"
)

const (
	wxAppID  = "wx5f3c2a1b0d9e8f7a"
	wxSecret = "0123456789abcdef0123456789abcdef"
	wxToken  = "bbcs-url-token"
	wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// citizenApp is bbcs with a service account in safe mode, talking to a fake
// of WeChat's API, and a client delivering messages the way WeChat does.
type citizenApp struct {
	*testApp
	fake *wechattest.Fake
	wx   *wechattest.Client
	ctx  context.Context
}

// extra environment entries override the defaults (a later entry wins).
func startCitizenApp(t *testing.T, extra ...string) *citizenApp {
	t.Helper()
	fake := wechattest.NewFake(t, wxAppID, wxSecret)
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "bbcs.yaml", string(example)+`
wechat:
  api_base: `+fake.URL()+`
  app_id: `+wxAppID+`
  templates: {default: TPL-PROGRESS}
`)
	env := []string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t), "BBCS_CLOCK_FAKE=true",
		"BBCS_WECHAT_APP_SECRET=" + wxSecret, "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn", "BBCS_WECHAT_TOKEN=" + wxToken, "BBCS_WECHAT_ENCODING_AES_KEY=" + wxAESKey,
	}
	ta := startAppWith(t, cfg, append(env, extra...))
	ta.runLoops()
	ca := &citizenApp{testApp: ta, fake: fake, ctx: context.Background()}
	// WeChat signs with its real time (the client's default), whatever
	// bbcs's test clock says.
	ca.wx = &wechattest.Client{URL: ta.srv.URL + "/wechat/oa", Token: wxToken, EncodingAESKey: wxAESKey, AppID: wxAppID}
	return ca
}

// receipts waits for the citizen's receipt (已受理) and counts how many
// came.
func (ca *citizenApp) receipts(openid string, within time.Duration) int {
	ca.t.Helper()
	count := func() int {
		n := 0
		for _, m := range ca.fake.CustomsTo(openid) {
			if strings.Contains(m.Text, "已受理") {
				n++
			}
		}
		return n
	}
	ca.fake.WaitFor(ca.t, func() bool { return count() > 0 }, within)
	time.Sleep(300 * time.Millisecond) // a second copy would have come by now
	return count()
}

// redisPrefix keeps each test's keys apart on the shared Redis.
func redisPrefix(t *testing.T) string {
	_, prefix := testenv.Redis(t)
	return prefix
}

var msgID int64 = 9_000_000

func nextID() int64 { msgID++; return msgID }

// say sends a text and returns the passive reply's text ("" for none).
func (ca *citizenApp) say(openid, text string) string {
	ca.t.Helper()
	r := ca.wx.Text(openid, text, nextID())
	return ca.reply(r)
}

func (ca *citizenApp) click(openid, label string, menuID int64) string {
	ca.t.Helper()
	return ca.reply(ca.wx.MenuClick(openid, label, menuID, nextID()))
}

func (ca *citizenApp) reply(r *wechattest.Response) string {
	ca.t.Helper()
	if r.Err != nil || r.Status != http.StatusOK {
		ca.t.Fatalf("webhook answered %d %q: %v", r.Status, r.Body, r.Err)
	}
	if r.Reply == nil {
		return ""
	}
	return r.Reply.Content
}

// menuTo waits for the n-th customer-service message to openid and wants
// it to be a menu.
func (ca *citizenApp) customs(openid string, n int) []wechattest.Custom {
	ca.t.Helper()
	ca.fake.WaitFor(ca.t, func() bool { return len(ca.fake.CustomsTo(openid)) >= n }, 5*time.Second)
	return ca.fake.CustomsTo(openid)
}

func wantContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q does not say %q", got, w)
		}
	}
}

// report walks a citizen through the whole report up to the confirmation.
func (ca *citizenApp) report(openid, name, mobile string) {
	ca.t.Helper()
	before := len(ca.fake.CustomsTo(openid))
	if got := ca.say(openid, "反映问题"); got != "" {
		ca.t.Fatalf("the category menu should come as a menu message, got the passive reply %q", got)
	}
	menu := ca.customs(openid, before+1)[before]
	if menu.MsgType != "msgmenu" || menu.Menu == nil || len(menu.Menu.Items) != 7 || menu.Menu.Items[1].ID != "102" {
		ca.t.Fatalf("category menu = %+v", menu)
	}
	wantContains(ca.t, ca.click(openid, menu.Menu.Items[1].Content, 102), "请简要描述")
	if got := ca.say(openid, "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。"); got != "" {
		ca.t.Fatalf("the kind menu should come as a menu message, got %q", got)
	}
	kind := ca.customs(openid, before+2)[before+1]
	if kind.Menu == nil || len(kind.Menu.Items) != 2 {
		ca.t.Fatalf("kind menu = %+v", kind)
	}
	wantContains(ca.t, ca.click(openid, kind.Menu.Items[0].Content, 201), "怎么称呼")
	wantContains(ca.t, ca.say(openid, name), "手机号")
	wantContains(ca.t, ca.say(openid, mobile), "请核对", "受理后超时未办结", name, models.MaskMobile(mobile), "确认")
}

// The acceptance scenario: subscribe → report through the menu → the case
// is registered with the on-duty specialist as owner → the applicant gets
// the receipt; the same message delivered four times creates one case and
// one reply.
func TestCitizenReportsOnTheServiceAccountInSafeMode(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenLi0001"

	wantContains(t, ca.reply(ca.wx.Event(openid, "subscribe", "")), "欢迎关注", "反映问题", "查询")
	ca.report(openid, "李女士", "13800138000")

	// WeChat delivers “确认” four times (its retries): one case, one receipt.
	confirm := nextID()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ca.wx.Text(openid, "确认", confirm)
			if r.Status != http.StatusOK || r.Err != nil {
				t.Errorf("delivery of 确认: %d %v", r.Status, r.Err)
			}
		}()
	}
	wg.Wait()
	var list struct {
		Cases []caseJSON `json:"cases"`
		Total int        `json:"total"`
	}
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases", nil, &list)
	if list.Total != 1 {
		t.Fatalf("four deliveries made %d cases, want 1", list.Total)
	}
	c := list.Cases[0]
	if c.Status != "registered" || c.Applicant.Name != "李女士" || c.Applicant.Mobile != "13800138000" || c.Category != "not_completed_in_time" {
		t.Errorf("registered case = %+v", c)
	}
	if c.Owner.ID != "wang" && c.Owner.ID != "li" {
		t.Errorf("owner %s is not a specialist on duty", c.Owner.ID)
	}
	var owner caseJSON
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases/"+c.No, nil, &owner)
	ca.fake.WaitFor(t, func() bool {
		for _, m := range ca.fake.CustomsTo(openid) {
			if strings.Contains(m.Text, c.No) {
				return true
			}
		}
		return false
	}, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // a second receipt would have gone by now
	var receipts []string
	for _, m := range ca.fake.CustomsTo(openid) {
		if strings.Contains(m.Text, "已受理") {
			receipts = append(receipts, m.Text)
		}
	}
	if len(receipts) != 1 {
		t.Fatalf("the citizen got %d receipts, want 1: %q", len(receipts), receipts)
	}
	wantContains(t, receipts[0], c.No, owner.Owner.Name, "3个工作日", "查询")

	// Progress: the citizen sees the case; another citizen does not.
	wantContains(t, ca.say(openid, "查询"), "1 件", c.No, "已受理")
	wantContains(t, ca.say(openid, c.No), "编号 "+c.No, "状态：已受理")
	wantContains(t, ca.say("oSomeoneElse", c.No), "没有找到")
	wantContains(t, ca.say("oSomeoneElse", "查询"), "没有正在办理")

	// Dispatch: the citizen hears where it went, without staff names.
	ca.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	ca.fake.WaitFor(t, func() bool {
		msgs := ca.fake.CustomsTo(openid)
		return strings.Contains(msgs[len(msgs)-1].Text, "不动产登记窗口")
	}, 5*time.Second)
	msgs := ca.fake.CustomsTo(openid)
	dispatched := msgs[len(msgs)-1].Text
	wantContains(t, dispatched, c.No, "已转交不动产登记窗口办理", "2026年3月13日（周五）18:00")
	for _, internal := range []string{"张伟", "GD2026"} {
		if strings.Contains(dispatched, internal) {
			t.Errorf("the citizen was told an internal name %q: %s", internal, dispatched)
		}
	}
	wantContains(t, ca.say(openid, c.No), "部门办理中", "不动产登记窗口", "3月13日")
}

func TestDialogCorrectionsCancelAndExpiry(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenZhang"

	// Typed numbers work as well as clicks; 上一步 goes back one step.
	ca.say(openid, "反映问题")
	wantContains(t, ca.say(openid, "9"), "1–7")
	wantContains(t, ca.say(openid, "4"), "请简要描述")
	wantContains(t, ca.say(openid, "上一步"), "") // back to the category menu
	menus := ca.customs(openid, 2)
	if menus[1].Menu == nil || len(menus[1].Menu.Items) != 7 {
		t.Fatalf("上一步 from the description should show the categories again: %+v", menus[1])
	}
	// A click on another question's menu is no answer to this one: the
	// person/company item "1 个人（群众）" would read as category 1.
	wantContains(t, ca.click(openid, "1 个人（群众）", 201), "之前的选项")
	if menus = ca.customs(openid, 3); menus[2].Menu == nil || len(menus[2].Menu.Items) != 7 {
		t.Fatalf("after a stale click the categories should come again: %+v", menus[2])
	}
	wantContains(t, ca.say(openid, "5"), "请简要描述")
	wantContains(t, ca.say(openid, "太慢"), "多写几句")
	ca.say(openid, "营业执照变更提交一个月了还没有消息，窗口说在等审批。")
	wantContains(t, ca.say(openid, "2"), "企业名称")
	wantContains(t, ca.say(openid, "隆回某某商贸有限公司"), "怎么称呼")
	wantContains(t, ca.say(openid, "张先生"), "手机号")
	wantContains(t, ca.say(openid, "12345"), "少了一位")
	wantContains(t, ca.say(openid, "138001380001"), "多了一位")
	wantContains(t, ca.say(openid, "电话"), "11 位")
	wantContains(t, ca.say(openid, "139 1234 5678"), "请核对", "慢作为", "隆回某某商贸有限公司", "139****5678")
	wantContains(t, ca.say(openid, "上一步"), "手机号")
	wantContains(t, ca.say(openid, "13912345678"), "请核对")
	wantContains(t, ca.say(openid, "取消"), "已取消")
	wantContains(t, ca.say(openid, "确认"), "回复“反映问题”") // no dialog: help
	var list struct{ Total int }
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases", nil, &list)
	if list.Total != 0 {
		t.Fatalf("a cancelled report stored %d cases", list.Total)
	}

	// A dialog left alone ends politely, and nothing is stored.
	ca.say(openid, "反映问题")
	ca.say(openid, "1")
	var out struct{ Now string }
	ca.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "31m"}, &out)
	// Its timer ends it and tells the citizen, without waiting for them.
	ca.fake.WaitFor(t, func() bool {
		msgs := ca.fake.CustomsTo(openid)
		return strings.Contains(msgs[len(msgs)-1].Text, "自动结束")
	}, 5*time.Second)
	wantContains(t, ca.say(openid, "材料交了很久没人受理"), "我可以帮您") // the dialog is gone
	var cases int64
	ca.app.db.Model(&models.Case{}).Count(&cases)
	if cases != 0 {
		t.Errorf("an expired dialog stored %d cases", cases)
	}

	// Unknown input gets help, not silence; so does a voice message.
	wantContains(t, ca.say(openid, "你好"), "反映问题", "查询")
	r := ca.wx.Deliver(`<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[` + openid + `]]></FromUserName><CreateTime>1773100000</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[v1]]></MediaId><MsgId>77</MsgId></xml>`)
	wantContains(t, ca.reply(r), "反映问题")
}

func TestPhotosAreFetchedIntoTheCase(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenPhoto"
	jpeg := []byte("\xff\xd8\xff\xe0fake-jpeg-bytes")
	ca.fake.AddMedia("MEDIA_1", "image/jpeg", jpeg)

	ca.say(openid, "反映问题")
	ca.say(openid, "3")
	wantContains(t, ca.reply(ca.wx.Image(openid, "MEDIA_1", "http://mmbiz.example/1.jpg", nextID())), "已收到照片", "1 张", "文字")
	ca.say(openid, "跑了三趟社保窗口都没办成，每次都说缺材料。")
	ca.say(openid, "1")
	ca.say(openid, "王先生")
	wantContains(t, ca.say(openid, "13700137000"), "照片：1 张")
	ca.say(openid, "确认")

	ca.app.jobs.FetchPhotos(ca.ctx)
	var att []models.Attachment
	if err := ca.app.db.Find(&att).Error; err != nil {
		t.Fatal(err)
	}
	if len(att) != 1 || att[0].Status != models.AttachmentFetched || !bytes.Equal(att[0].Data, jpeg) || att[0].ContentType != "image/jpeg" {
		t.Fatalf("attachments = %+v", att)
	}
}

// Outside WeChat's 48-hour window a template message carries the news.
func TestTemplateMessageOutsideThe48HourWindow(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenLate"
	ca.report(openid, "赵女士", "13600136000")
	ca.say(openid, "确认")
	ca.fake.WaitFor(t, func() bool { // the receipt, inside the window
		msgs := ca.fake.CustomsTo(openid)
		return len(msgs) > 0 && strings.Contains(msgs[len(msgs)-1].Text, "已受理")
	}, 5*time.Second)
	var list struct{ Cases []caseJSON }
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases", nil, &list)
	c := list.Cases[0]

	ca.must(http.StatusOK, "", "POST", "/debug/clock", map[string]string{"advance": "49h"}, nil)
	ca.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"tax"}}, nil)
	ca.fake.WaitFor(t, func() bool { return len(ca.fake.Templates()) == 1 }, 5*time.Second)
	tpl := ca.fake.Templates()[0]
	if tpl.ToUser != openid || tpl.TemplateID != "TPL-PROGRESS" || tpl.Data["keyword1"] != c.No || !strings.Contains(tpl.Data["keyword2"], "税务窗口") {
		t.Errorf("template = %+v", tpl)
	}
	for _, m := range ca.fake.CustomsTo(openid) {
		if strings.Contains(m.Text, "税务窗口") {
			t.Errorf("a customer-service message went outside the window: %s", m.Text)
		}
	}
}

// Requests WeChat did not sign, or that are not messages, are refused and
// change nothing.
func TestWebhookRefusesBadRequests(t *testing.T) {
	ca := startCitizenApp(t)
	const openid = "oIntruder"

	if status, body := ca.wx.Verify("echo-123"); status != http.StatusOK || body != "echo-123" {
		t.Errorf("URL verification: %d %q", status, body)
	}
	bad := *ca.wx
	bad.Token = "not-the-token"
	if r := bad.Text(openid, "反映问题", nextID()); r.Status != http.StatusForbidden {
		t.Errorf("bad signature: %d, want 403", r.Status)
	}
	if status, _ := bad.Verify("x"); status != http.StatusForbidden {
		t.Errorf("bad signature on verification: %d", status)
	}
	// Signed correctly, but ten minutes old by the wall clock: a replay of
	// a captured request.
	stale := *ca.wx
	stale.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	if r := stale.Text(openid, "反映问题", nextID()); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "stale") {
		t.Errorf("stale timestamp: %d %q, want 403", r.Status, r.Body)
	}
	// Signed correctly, but the body is not a message.
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "n0nce"
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {ca.wx.Sign(ts, nonce)},
		"encrypt_type": {"aes"}, "msg_signature": {ca.wx.Sign(ts, nonce, "garbage")}}
	if r := ca.wx.PostRaw(q, []byte("<xml><Encrypt>garbage")); r.Status != http.StatusBadRequest {
		t.Errorf("malformed body: %d, want 400", r.Status)
	}
	if r := ca.wx.PostRaw(q, bytes.Repeat([]byte("x"), 100<<10)); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", r.Status)
	}
	n, _ := ca.app.redis.Keys(ca.ctx, "*wechat:dialog:"+openid).Result()
	var cases int64
	ca.app.db.Model(&models.Case{}).Count(&cases)
	if len(n) != 0 || cases != 0 || len(ca.fake.Customs()) != 0 {
		t.Errorf("refused requests left dialog keys %v, %d cases, %d messages", n, cases, len(ca.fake.Customs()))
	}
}

// WeChat refusing for a while (an expired token, a 503) delays the
// citizen's message; it still arrives, once.
func TestCitizenNoticesSurviveWeChatFailures(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenRetry"
	ca.report(openid, "钱先生", "13500135000")
	ca.fake.ExpireTokens()      // the cached token goes stale
	ca.fake.FailNext(1, 503, 0) // and then WeChat has a bad moment
	ca.say(openid, "确认")
	n := ca.receipts(openid, 15*time.Second)
	var notices []models.Notice
	deadline := time.Now().Add(5 * time.Second)
	for { // the fake has it; the outbox records the outcome right after
		ca.app.db.Where("kind = ?", models.NoticeCaseReceived).Find(&notices)
		if len(notices) != 1 || notices[0].Status == models.NoticeSent || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 1 || len(notices) != 1 || notices[0].Status != models.NoticeSent || notices[0].Attempts < 2 {
		t.Fatalf("receipts delivered %d, notices %+v", n, notices)
	}
}

package wecomtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	offmessage "github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	workConfig "github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"
	"github.com/silenceper/wechat/v2/work/robot"

	"bbcs/bot/internal/faketest"
	"bbcs/clock"
)

// The SDK tests use util.SetURIModifier, a global: no t.Parallel here.

const (
	corpID  = "ww0123456789abcdef"
	secret  = "app-secret-xyz"
	agentID = "1000002"
	encKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	cbToken = "callbacktoken"
)

// mapCache is a small thread-safe cache.Cache (silenceper's cache.Memory
// races under -race). It ignores TTLs: the fake decides when tokens end.
type mapCache struct {
	mu sync.Mutex
	m  map[string]any
}

func newMapCache() *mapCache { return &mapCache{m: map[string]any{}} }

func (c *mapCache) Get(k string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *mapCache) Set(k string, v any, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}

func (c *mapCache) IsExist(k string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	return ok
}

func (c *mapCache) Delete(k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

func newFake(t *testing.T) *Fake {
	f := NewFake(t, corpID, secret, agentID)
	f.AddRobot("robot-key-1")
	f.AddUser("ZhangSan")
	f.AddUser("lisi")
	return f
}

// sdk points silenceper at the fake and builds a WeCom client the way bbcs
// may (never the root wechat package: it sets logrus to Debug).
func sdk(t *testing.T, f *Fake) *work.Work {
	util.SetURIModifier(func(u string) string {
		return strings.Replace(u, "https://"+PublicHost, f.URL(), 1)
	})
	t.Cleanup(func() { util.SetURIModifier(nil) })
	return work.NewWork(&workConfig.Config{CorpID: corpID, CorpSecret: secret, AgentID: agentID, Cache: newMapCache()})
}

func newClock() *clock.Fake { return clock.NewFrozen(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) }

func call(t *testing.T, method, u string, body any) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		default:
			raw, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			r = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %s", method, u, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %s is not JSON", method, u, raw)
	}
	return out
}

func errcode(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

func getToken(t *testing.T, f *Fake) string {
	t.Helper()
	m := call(t, "GET", f.URL()+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+secret, nil)
	if errcode(m) != 0 || m["access_token"] == "" || m["expires_in"] != float64(7200) || m["errmsg"] != "ok" {
		t.Fatalf("gettoken: %v", m)
	}
	return m["access_token"].(string)
}

// ---- crypto (faketest's, cross-checked with silenceper there) ----

// silenceper's DecryptMsg (and AESDecryptMsg) refuse a message whose
// receive id is "" ("msg length too large"): it cannot read the smart
// robot's callbacks. A handler using util.DecryptMsg("", ...) never works.
func TestSilenceperDecryptMsgRefusesEmptyReceiveID(t *testing.T) {
	enc, err := faketest.Encrypt(encKey, "", []byte(`{"msgid":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := util.DecryptMsg("", enc, encKey); err == nil {
		t.Fatal("silenceper v2.1.10 now decrypts receive id \"\": drop this test and the workaround")
	}
}

// ---- group robot ----

func TestRobotThroughSilenceper(t *testing.T) {
	f := newFake(t)
	clk := newClock()
	f.SetNow(clk.Now)
	rb := sdk(t, f).GetRobot()

	var text robot.WebhookSendTextOption
	text.MsgType = "text"
	text.Text.Content = "新工单 GD001"
	text.Text.MentionedList = []string{"zhangsan", "@all"}
	text.Text.MentionedMobileList = []string{"13800000000"}
	if info, err := rb.RobotBroadcast("robot-key-1", text); err != nil || info.ErrCode != 0 {
		t.Fatalf("text: %+v %v", info, err)
	}
	got := f.RobotMessagesTo("robot-key-1")
	if len(got) != 1 || got[0].MsgType != "text" || got[0].Text != "新工单 GD001" ||
		strings.Join(got[0].MentionedList, ",") != "zhangsan,@all" || got[0].MentionedMobileList[0] != "13800000000" ||
		!got[0].At.Equal(clk.Now()) {
		t.Fatalf("recorded %+v", got)
	}

	// The SDK's trap: a refusal comes back with err == nil.
	info, err := rb.RobotBroadcast("no-such-key", text)
	if err != nil || info.ErrCode != 93000 || !strings.HasPrefix(info.ErrMsg, "invalid webhook url, hint: [") {
		t.Fatalf("unknown key: %+v %v", info, err)
	}

	var md robot.WebhookSendMarkdownOption
	md.MsgType = "markdown"
	md.Markdown.Content = strings.Repeat("字", 1366) // 4098 bytes
	if info, _ := rb.RobotBroadcast("robot-key-1", md); info.ErrCode != 40058 ||
		!strings.HasPrefix(info.ErrMsg, "markdown.content exceed max length 4096") {
		t.Fatalf("long markdown: %+v", info)
	}
	md.Markdown.Content = "**<@zhangsan>** 请签收"
	if info, _ := rb.RobotBroadcast("robot-key-1", md); info.ErrCode != 0 {
		t.Fatalf("markdown: %+v", info)
	}

	card := robot.WebHookSendTempNoticeOption{MsgType: "template_card", TemplateCard: robot.TemplateCard{
		CardType: "text_notice", MainTitle: robot.CardTitle{Title: "新工单", Desc: "GD001"},
		CardAction: robot.CardAction{Type: 1, URL: "https://bbcs.example/t/GD001"},
	}}
	if info, _ := rb.RobotBroadcast("robot-key-1", card); info.ErrCode != 0 {
		t.Fatalf("text_notice: %+v", info)
	}
	card.TemplateCard.CardType = "button_interaction"
	if info, _ := rb.RobotBroadcast("robot-key-1", card); info.ErrCode != 40008 {
		t.Fatalf("button_interaction through a group robot: %+v", info)
	}
	msgs := f.RobotMessages()
	if len(msgs) != 3 || msgs[1].Markdown != "**<@zhangsan>** 请签收" || msgs[2].CardType != "text_notice" ||
		!strings.Contains(string(msgs[2].Card), `"title":"新工单"`) {
		t.Fatalf("recorded %+v", msgs)
	}

	// 20 a minute: 3 sent at clk; 17 more fill the window.
	for i := 0; i < 17; i++ {
		clk.Advance(time.Second)
		if info, _ := rb.RobotBroadcast("robot-key-1", text); info.ErrCode != 0 {
			t.Fatalf("message %d: %+v", i+4, info)
		}
	}
	if info, _ := rb.RobotBroadcast("robot-key-1", text); info.ErrCode != 45009 ||
		!strings.HasPrefix(info.ErrMsg, "api freq out of limit") {
		t.Fatalf("21st message in a minute: %+v", info)
	}
	clk.Advance(43 * time.Second) // the first three are now 60 s old
	for i := 0; i < 3; i++ {
		if info, _ := rb.RobotBroadcast("robot-key-1", text); info.ErrCode != 0 {
			t.Fatalf("after the window moved, message %d: %+v", i, info)
		}
	}
	if info, _ := rb.RobotBroadcast("robot-key-1", text); info.ErrCode != 45009 {
		t.Fatalf("window full again: %+v", info)
	}
	if n := len(f.RobotMessagesTo("robot-key-1")); n != 23 {
		t.Fatalf("%d recorded, want 23", n)
	}
}

func TestRobotPlain(t *testing.T) {
	f := newFake(t)
	u := f.URL() + "/cgi-bin/webhook/send?key=robot-key-1"
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"msgtype":"text","text":{"content":""}}`, 44004},
		{`{"msgtype":"text","text":{"content":"` + strings.Repeat("a", 2049) + `"}}`, 40058},
		{`{"msgtype":"voice_call"}`, 40008},
		{`{"msgtype":`, 40058},
		{`{"msgtype":"news","news":{"articles":[{"title":"t","url":"https://x"}]}}`, 0},
		{`{"msgtype":"news","news":{"articles":[]}}`, 40058},
		{`{"msgtype":"image","image":{"base64":"aGk=","md5":"49f68a5c8493ec2c0bf489821c21fc3b"}}`, 0},
		{`{"msgtype":"template_card","template_card":{"card_type":"news_notice","main_title":{"title":"t"}}}`, 0},
		{`{"msgtype":"template_card","template_card":{"card_type":"vote_interaction","main_title":{"title":"t"}}}`, 40008},
	} {
		if m := call(t, "POST", u, c.body); errcode(m) != c.code {
			t.Errorf("%.60s: %v, want %d", c.body, m, c.code)
		}
	}
}

// ---- tokens and app messages ----

func TestGetToken(t *testing.T) {
	f := newFake(t)
	for q, code := range map[string]int{
		"corpsecret=" + secret:                       41002,
		"corpid=wrong&corpsecret=" + secret:          40013,
		"corpid=" + corpID:                           41004,
		"corpid=" + corpID + "&corpsecret=wrong":     40001,
		"corpid=" + corpID + "&corpsecret=" + secret: 0,
	} {
		if m := call(t, "GET", f.URL()+"/cgi-bin/gettoken?"+q, nil); errcode(m) != code {
			t.Errorf("%s: %v, want %d", q, m, code)
		}
	}
	a, b := getToken(t, f), getToken(t, f)
	if a != b {
		t.Fatal("a valid token was not handed out again")
	}
	f.ExpireTokens()
	if c := getToken(t, f); c == a {
		t.Fatal("ExpireTokens did not end the token")
	}
	if n := f.TokenRequests(); n != 8 {
		t.Fatalf("TokenRequests %d, want 8", n)
	}
}

func TestAppMessagesThroughSilenceper(t *testing.T) {
	f := newFake(t)
	msg := sdk(t, f).GetMessage()

	resp, err := msg.SendText(message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: "zhangsan|NoBody", AgentID: agentID},
		Text:              message.TextField{Content: "你有一张新工单"},
	})
	if err != nil || resp.InvalidUser != "nobody" || resp.MsgID == "" || resp.ResponseCode != "" {
		t.Fatalf("SendText: %+v %v", resp, err)
	}
	got := f.AppMessagesTo("ZHANGSAN")
	if len(got) != 1 || got[0].Content != "你有一张新工单" || got[0].ToUser[0] != "ZhangSan" ||
		got[0].InvalidUser[0] != "nobody" || got[0].MsgID != resp.MsgID {
		t.Fatalf("recorded %+v", got)
	}
	if len(f.AppMessagesTo("lisi")) != 0 {
		t.Fatal("lisi got a message")
	}

	_, err = msg.SendText(message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: "ghost", AgentID: agentID},
		Text:              message.TextField{Content: "x"},
	})
	if ce, ok := err.(*util.CommonError); !ok || ce.ErrCode != 81013 {
		t.Fatalf("nobody valid: %v", err)
	}

	type cardRequest struct {
		*message.SendRequestCommon
		TemplateCard map[string]any `json:"template_card"`
	}
	card := func(task string, buttons int) cardRequest {
		var list []map[string]any
		for i := 0; i < buttons; i++ {
			list = append(list, map[string]any{"text": "受理" + strconv.Itoa(i), "style": 1, "key": "accept-" + strconv.Itoa(i)})
		}
		return cardRequest{
			SendRequestCommon: &message.SendRequestCommon{ToUser: "lisi", MsgType: "template_card", AgentID: agentID},
			TemplateCard: map[string]any{
				"card_type": "button_interaction", "task_id": task,
				"main_title":     map[string]string{"title": "工单 GD001", "desc": "请处理"},
				"sub_title_text": "市民反映路灯不亮", "button_list": list,
			},
		}
	}
	resp, err = msg.Send("MessageSendTemplateCard", card("GD001-1", 2))
	if err != nil || resp.ResponseCode == "" {
		t.Fatalf("template_card: %+v %v", resp, err)
	}
	gotCard := f.AppMessagesTo("lisi")
	if len(gotCard) != 1 || gotCard[0].CardType != "button_interaction" || gotCard[0].TaskID != "GD001-1" ||
		len(gotCard[0].Buttons) != 2 || gotCard[0].Buttons[1] != (Button{Text: "受理1", Key: "accept-1", Style: 1}) ||
		gotCard[0].ResponseCode != resp.ResponseCode || gotCard[0].Title != "工单 GD001" {
		t.Fatalf("recorded %+v", gotCard)
	}
	for name, c := range map[string]cardRequest{
		"repeated task_id": card("GD001-1", 2),
		"empty task_id":    card("", 2),
		"bad task_id":      card("GD 001", 2),
		"long task_id":     card(strings.Repeat("t", 129), 2),
	} {
		if _, err := msg.Send("x", c); err == nil || err.(*util.CommonError).ErrCode != 42014 {
			t.Errorf("%s: %v, want 42014", name, err)
		}
	}
	if _, err := msg.Send("x", card("GD001-2", 7)); err == nil || err.(*util.CommonError).ErrCode != 40058 {
		t.Errorf("7 buttons: %v", err)
	}
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("the SDK fetched %d tokens, want 1 (it caches)", n)
	}

	// The SDK does not refetch a token WeCom ended: bbcs must.
	f.ExpireTokens()
	_, err = msg.SendText(message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: "lisi", AgentID: agentID},
		Text:              message.TextField{Content: "x"},
	})
	if ce, ok := err.(*util.CommonError); !ok || ce.ErrCode != 42001 {
		t.Fatalf("expired token: %v", err)
	}
}

func TestMessageSendPlain(t *testing.T) {
	f := newFake(t)
	send := func(q string, body any) map[string]any {
		return call(t, "POST", f.URL()+"/cgi-bin/message/send"+q, body)
	}
	text := map[string]any{"touser": "lisi", "msgtype": "text", "agentid": 1000002, "text": map[string]string{"content": "hi"}}
	if m := send("", text); errcode(m) != 41001 {
		t.Fatalf("no token: %v", m)
	}
	if m := send("?access_token=forged", text); errcode(m) != 40014 {
		t.Fatalf("forged token: %v", m)
	}
	q := "?access_token=" + getToken(t, f)
	if m := send(q, text); errcode(m) != 0 || m["invaliduser"] != "" {
		t.Fatalf("agentid as a number: %v", m)
	}
	text["agentid"] = "1000002"
	if m := send(q, text); errcode(m) != 0 {
		t.Fatalf("agentid as a string: %v", m)
	}
	text["agentid"] = 1000003
	if m := send(q, text); errcode(m) != 40056 {
		t.Fatalf("wrong agentid: %v", m)
	}
	text["agentid"] = agentID
	text["touser"] = "@all"
	if m := send(q, text); errcode(m) != 0 || len(f.AppMessages()[2].ToUser) != 2 {
		t.Fatalf("@all: %v %+v", m, f.AppMessages())
	}
	text["touser"], text["toparty"] = "", "2|3"
	if m := send(q, text); errcode(m) != 81013 || m["invalidparty"] != "2|3" {
		t.Fatalf("only unknown parties: %v", m)
	}
	delete(text, "toparty")
	if m := send(q, text); errcode(m) != 82001 {
		t.Fatalf("nobody named: %v", m)
	}
	long := map[string]any{"touser": "lisi", "msgtype": "text", "agentid": agentID, "text": map[string]string{"content": strings.Repeat("长", 700)}}
	if m := send(q, long); errcode(m) != 0 {
		t.Fatalf("long text: %v", m)
	}
	if c := f.AppMessages()[3].Content; len(c) != 2046 || !strings.HasPrefix(c, "长") {
		t.Fatalf("long text recorded as %d bytes, want it cut to 2046 (682 characters)", len(c))
	}
	for _, c := range []struct {
		card map[string]string
		code int
	}{
		{map[string]string{"description": "d", "url": "https://x"}, 41016},
		{map[string]string{"title": "t", "url": "https://x"}, 41033},
		{map[string]string{"title": "t", "description": "d"}, 41010},
		{map[string]string{"title": "t", "description": "d", "url": "https://x", "btntxt": "详情"}, 0},
	} {
		body := map[string]any{"touser": "lisi", "msgtype": "textcard", "agentid": agentID, "textcard": c.card}
		if m := send(q, body); errcode(m) != c.code {
			t.Errorf("textcard %v: %v, want %d", c.card, m, c.code)
		}
	}
	if m := send(q, map[string]any{"touser": "lisi", "msgtype": "sticker", "agentid": agentID}); errcode(m) != 40008 {
		t.Fatalf("unknown msgtype: %v", m)
	}
	if m := send(q, map[string]any{"touser": "lisi", "msgtype": "markdown", "agentid": agentID,
		"markdown": map[string]string{"content": "**加急** 工单"}}); errcode(m) != 0 {
		t.Fatalf("markdown: %v", m)
	}
	if got := f.AppMessages(); got[len(got)-1].Content != "**加急** 工单" {
		t.Fatalf("markdown recorded as %+v", got[len(got)-1])
	}
}

func TestUpdateTemplateCard(t *testing.T) {
	f := newFake(t)
	clk := newClock()
	f.SetNow(clk.Now)
	q := "?access_token=" + getToken(t, f)
	m := call(t, "POST", f.URL()+"/cgi-bin/message/send"+q, map[string]any{
		"touser": "zhangsan", "msgtype": "template_card", "agentid": 1000002,
		"template_card": map[string]any{
			"card_type": "button_interaction", "task_id": "T1", "main_title": map[string]string{"title": "GD001"},
			"button_list": []map[string]any{{"text": "受理", "key": "accept"}, {"text": "退回", "key": "reject", "style": 2}},
		},
	})
	rc, _ := m["response_code"].(string)
	if errcode(m) != 0 || rc == "" {
		t.Fatalf("send card: %v", m)
	}
	upd := func(body map[string]any) map[string]any {
		return call(t, "POST", f.URL()+"/cgi-bin/message/update_template_card"+q, body)
	}
	body := map[string]any{"userids": []string{"zhangsan", "ghost"}, "agentid": 1000002, "response_code": rc,
		"button": map[string]string{"replace_name": "已受理"}}
	if m := upd(map[string]any{"userids": "zhangsan", "agentid": 1000002, "response_code": rc,
		"button": map[string]string{"replace_name": "已受理"}}); errcode(m) != 40035 {
		t.Fatalf("userids as a string: %v", m)
	}
	body["agentid"] = 1
	if m := upd(body); errcode(m) != 40056 {
		t.Fatalf("wrong agentid: %v", m)
	}
	body["agentid"] = 1000002
	m = upd(body)
	if inv, _ := m["invaliduser"].([]any); errcode(m) != 0 || len(inv) != 1 || inv[0] != "ghost" {
		t.Fatalf("update: %v", m)
	}
	if m := upd(body); errcode(m) != 40058 {
		t.Fatalf("response_code used twice: %v", m)
	}
	u := f.CardUpdates()
	if len(u) != 1 || u[0].ReplaceName != "已受理" || u[0].UserIDs[0] != "ZhangSan" || u[0].ResponseCode != rc || u[0].TaskID != "T1" {
		t.Fatalf("recorded %+v", u)
	}

	click := f.IssueResponseCode("T1")
	if m := upd(map[string]any{"userids": []string{"zhangsan"}, "agentid": agentID, "response_code": click}); errcode(m) != 40058 {
		t.Fatalf("neither button nor card: %v", m)
	}
	newCard := map[string]any{"card_type": "text_notice", "main_title": map[string]string{"title": "GD001 已受理"}}
	if m := upd(map[string]any{"userids": []string{"zhangsan"}, "agentid": agentID, "response_code": click, "template_card": newCard}); errcode(m) != 0 {
		t.Fatalf("update with a click's code: %v", m)
	}
	if u := f.CardUpdates(); len(u) != 2 || !strings.Contains(string(u[1].Card), "已受理") {
		t.Fatalf("recorded %+v", u)
	}

	old := f.IssueResponseCode("T1")
	clk.Advance(72 * time.Hour)
	q = "?access_token=" + getToken(t, f) // the old token ended with the clock
	if m := call(t, "POST", f.URL()+"/cgi-bin/message/update_template_card"+q, map[string]any{
		"userids": []string{"zhangsan"}, "agentid": agentID, "response_code": old, "button": map[string]string{"replace_name": "x"},
	}); errcode(m) != 40058 {
		t.Fatalf("72 h old response_code: %v", m)
	}
}

func TestOAuthCodes(t *testing.T) {
	f := newFake(t)
	clk := newClock()
	f.SetNow(clk.Now)
	f.AddCode("code-1", "ZhangSan")
	f.AddCode("code-2", "lisi")
	f.AddCode("code-3", "lisi")
	oauth := sdk(t, f).GetOauth()

	info, err := oauth.GetUserInfo("code-1")
	if err != nil || info.UserID != "ZhangSan" || info.UserTicket == "" {
		t.Fatalf("GetUserInfo: %+v %v", info, err)
	}
	if _, err := oauth.GetUserInfo("code-1"); err == nil || err.(*util.CommonError).ErrCode != 40029 {
		t.Fatalf("code used twice: %v", err)
	}
	if _, err := oauth.GetUserInfo("never-issued"); err == nil || err.(*util.CommonError).ErrCode != 40029 {
		t.Fatalf("unknown code: %v", err)
	}
	old, err := oauth.UserFromCode("code-2") // the older user/getuserinfo
	if err != nil || old.UserID != "lisi" {
		t.Fatalf("UserFromCode: %+v %v", old, err)
	}
	clk.Advance(5 * time.Minute)
	q := "?access_token=" + getToken(t, f)
	if m := call(t, "GET", f.URL()+"/cgi-bin/auth/getuserinfo"+q+"&code=code-3", nil); errcode(m) != 40029 {
		t.Fatalf("expired code: %v", m)
	}
	if m := call(t, "GET", f.URL()+"/cgi-bin/auth/getuserinfo"+q, nil); errcode(m) != 41008 {
		t.Fatalf("no code: %v", m)
	}
}

func TestFailNextDownReset(t *testing.T) {
	f := newFake(t)
	u := f.URL() + "/cgi-bin/webhook/send?key=robot-key-1"
	ok := `{"msgtype":"text","text":{"content":"hi"}}`

	f.FailNext(2, http.StatusBadGateway, 0)
	for i := 0; i < 2; i++ {
		resp, err := http.Post(u, "application/json", strings.NewReader(ok))
		if err != nil || resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("injected 502: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	getToken(t, f) // gettoken is never failed
	f.FailNext(1, 200, -1)
	if m := call(t, "POST", u, ok); errcode(m) != -1 || !strings.HasPrefix(m["errmsg"].(string), "system busy") {
		t.Fatalf("injected -1: %v", m)
	}
	if m := call(t, "POST", u, ok); errcode(m) != 0 {
		t.Fatalf("after the failures: %v", m)
	}

	f.Down(true)
	if _, err := http.Post(u, "application/json", strings.NewReader(ok)); err == nil {
		t.Fatal("a call reached a fake that is down")
	}
	if _, err := http.Get(f.URL() + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + secret); err == nil {
		t.Fatal("gettoken reached a fake that is down")
	}
	f.Reset()
	if len(f.RobotMessages()) != 0 {
		t.Fatal("Reset kept the messages")
	}
	if m := call(t, "POST", u, ok); errcode(m) != 0 {
		t.Fatalf("after Reset: %v", m)
	}
	resp, err := http.Get(u)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET webhook/send: %v %v", resp, err)
	}
	resp.Body.Close()
}

type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (tb *fatalTB) Helper() {}

func (tb *fatalTB) Fatalf(format string, args ...any) {
	tb.mu.Lock()
	tb.msg = fmt.Sprintf(format, args...)
	tb.mu.Unlock()
	runtime.Goexit()
}

func TestWaitFor(t *testing.T) {
	f := newFake(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		resp, err := http.Post(f.URL()+"/cgi-bin/webhook/send?key=robot-key-1", "application/json",
			strings.NewReader(`{"msgtype":"markdown","markdown":{"content":"late"}}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	f.WaitFor(t, func() bool { return len(f.RobotMessages()) == 1 }, 5*time.Second)

	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.WaitFor(tb, func() bool { return false }, 20*time.Millisecond)
	}()
	<-done
	if !strings.Contains(tb.msg, "robot messages (1)") || !strings.Contains(tb.msg, "late") {
		t.Fatalf("timeout message: %s", tb.msg)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFake(t)
	for i := 0; i < 5; i++ {
		f.AddRobot("k" + strconv.Itoa(i))
	}
	tok := getToken(t, f)
	post := func(u, body string) error {
		resp, err := http.Post(u, "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || errcode(m) != 0 {
			return fmt.Errorf("%s: %v %v", u, m, err)
		}
		return nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if err := post(f.URL()+"/cgi-bin/webhook/send?key=k"+strconv.Itoa(i), `{"msgtype":"text","text":{"content":"x"}}`); err != nil {
					t.Error(err)
				}
				f.RobotMessagesTo("k0")
			}
		}(i)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if err := post(f.URL()+"/cgi-bin/message/send?access_token="+tok,
					`{"touser":"lisi","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`); err != nil {
					t.Error(err)
				}
				f.AppMessagesTo("lisi")
				f.TokenRequests()
			}
		}()
	}
	wg.Wait()
	if len(f.RobotMessages()) != 50 || len(f.AppMessages()) != 50 {
		t.Fatalf("%d robot, %d app messages", len(f.RobotMessages()), len(f.AppMessages()))
	}
}

// ---- the app's callback, against a handler built on silenceper ----

type appIn struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        int64  `xml:"MsgId"`
	AgentID      string `xml:"AgentID"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	TaskID       string `xml:"TaskId"`
	CardType     string `xml:"CardType"`
	ResponseCode string `xml:"ResponseCode"`
}

// silenceperApp is the app callback as WeCom's docs describe it, built on
// silenceper's util only: it proves AppClient speaks what WeCom speaks.
func silenceperApp(t *testing.T, in chan<- appIn, reply func(appIn) string, badSignature bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
		if r.Method == http.MethodGet {
			echo := q.Get("echostr")
			if util.Signature(cbToken, ts, nonce, echo) != sig {
				http.Error(w, "bad signature", http.StatusForbidden)
				return
			}
			_, plain, err := util.DecryptMsg(corpID, echo, encKey)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Write(plain)
			return
		}
		var env struct {
			ToUserName string `xml:"ToUserName"`
			AgentID    string `xml:"AgentID"`
			Encrypt    string `xml:"Encrypt"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := xml.Unmarshal(body, &env); err != nil || env.ToUserName != corpID || env.AgentID != agentID {
			http.Error(w, "bad envelope", http.StatusBadRequest)
			return
		}
		if util.Signature(cbToken, ts, nonce, env.Encrypt) != sig {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		_, plain, err := util.DecryptMsg(corpID, env.Encrypt, encKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var m appIn
		if err := xml.Unmarshal(plain, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in <- m
		out := reply(m)
		if out == "" || out == "success" {
			io.WriteString(w, out)
			return
		}
		enc, err := util.EncryptMsg([]byte("fedcba9876543210"), []byte(out), corpID, encKey)
		if err != nil {
			t.Error(err)
			return
		}
		now := time.Now().Unix()
		resp := offmessage.ResponseEncryptedXMLMsg{EncryptedMsg: string(enc), Timestamp: now, Nonce: "77777",
			MsgSignature: util.Signature(cbToken, strconv.FormatInt(now, 10), "77777", string(enc))}
		if badSignature {
			resp.MsgSignature = "0000"
		}
		b, _ := xml.Marshal(resp)
		w.Write(b)
	})
}

func TestAppClientAgainstSilenceper(t *testing.T) {
	in := make(chan appIn, 10)
	replyWith := ""
	var mu sync.Mutex
	srv := httptest.NewServer(silenceperApp(t, in, func(m appIn) string {
		mu.Lock()
		defer mu.Unlock()
		return replyWith
	}, false))
	defer srv.Close()
	setReply := func(s string) { mu.Lock(); replyWith = s; mu.Unlock() }
	clk := newClock()
	c := &AppClient{URL: srv.URL + "/wecom/app?x=1", Token: cbToken, EncodingAESKey: encKey, CorpID: corpID, AgentID: agentID, Now: clk.Now}

	if status, body := c.Verify("echo-1234567890"); status != 200 || body != "echo-1234567890" {
		t.Fatalf("Verify: %d %q", status, body)
	}

	setReply(`<xml><ToUserName><![CDATA[lisi]]></ToUserName><FromUserName><![CDATA[` + corpID +
		`]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[已收到]]></Content></xml>`)
	resp := c.Text("lisi", "签收 GD001 ]]> <b>", 987654321)
	m := <-in
	if m.MsgType != "text" || m.Content != "签收 GD001 ]]> <b>" || m.FromUserName != "lisi" || m.ToUserName != corpID ||
		m.MsgID != 987654321 || m.AgentID != agentID || m.CreateTime != clk.Now().Unix() {
		t.Fatalf("handler got %+v", m)
	}
	if resp.Err != nil || resp.Status != 200 || resp.Reply == nil || resp.Reply.MsgType != "text" ||
		resp.Reply.Content != "已收到" || resp.Reply.Rejected != "" {
		t.Fatalf("Text: %+v %+v", resp, resp.Reply)
	}

	setReply(`<xml><ToUserName><![CDATA[lisi]]></ToUserName><FromUserName><![CDATA[` + corpID +
		`]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已受理]]></ReplaceName></Button></xml>`)
	resp = c.CardEvent("lisi", "accept", "T1", "RC1")
	m = <-in
	if m.MsgType != "event" || m.Event != "template_card_event" || m.EventKey != "accept" || m.TaskID != "T1" ||
		m.CardType != "button_interaction" || m.ResponseCode != "RC1" {
		t.Fatalf("handler got %+v", m)
	}
	if resp.Err != nil || resp.Reply == nil || resp.Reply.MsgType != "update_button" || resp.Reply.ReplaceName != "已受理" || resp.Reply.Rejected != "" {
		t.Fatalf("CardEvent: %+v %+v", resp, resp.Reply)
	}
	resp = c.Text("lisi", "x", 1)
	<-in
	if resp.Reply == nil || !strings.Contains(resp.Reply.Rejected, "template_card_event") {
		t.Fatalf("update_button answering a text: %+v", resp.Reply)
	}

	for _, s := range []string{"", "success"} {
		setReply(s)
		if resp := c.Text("lisi", "x", 2); resp.Err != nil || resp.Reply != nil || resp.Status != 200 {
			t.Fatalf("reply %q: %+v", s, resp)
		}
		<-in
	}

	if resp := c.PostRaw(url.Values{"msg_signature": {"forged"}, "timestamp": {"1"}, "nonce": {"2"}},
		[]byte(`<xml><ToUserName><![CDATA[`+corpID+`]]></ToUserName><AgentID><![CDATA[`+agentID+`]]></AgentID><Encrypt><![CDATA[abc]]></Encrypt></xml>`)); resp.Status != http.StatusForbidden {
		t.Fatalf("forged signature: %+v", resp)
	}

	bad := httptest.NewServer(silenceperApp(t, in, func(appIn) string { return "<xml><MsgType>text</MsgType><Content>x</Content></xml>" }, true))
	defer bad.Close()
	c.URL = bad.URL
	if resp := c.Text("lisi", "x", 3); resp.Err == nil || !strings.Contains(resp.Err.Error(), "MsgSignature") {
		t.Fatalf("badly signed reply: %+v", resp)
	}
	<-in
}

// ---- the smart robot's callback ----

// refDecrypt is an independent reading of doc 101033 for receive id "",
// which silenceper's DecryptMsg cannot do.
func refDecrypt(t *testing.T, b64 string) []byte {
	key, _ := base64.StdEncoding.DecodeString(encKey + "=")
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(out, data)
	out = out[:len(out)-int(out[len(out)-1])]
	n := binary.BigEndian.Uint32(out[16:20])
	if rest := out[20+n:]; len(rest) != 0 {
		t.Fatalf("receive id %q, want \"\"", rest)
	}
	return out[20 : 20+n]
}

type botIn struct {
	MsgID       string `json:"msgid"`
	CreateTime  int64  `json:"create_time"`
	AIBotID     string `json:"aibotid"`
	ChatID      string `json:"chatid"`
	ChatType    string `json:"chattype"`
	ResponseURL string `json:"response_url"`
	From        struct {
		UserID string `json:"userid"`
	} `json:"from"`
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	Event struct {
		EventType         string `json:"eventtype"`
		TemplateCardEvent struct {
			CardType string `json:"card_type"`
			EventKey string `json:"event_key"`
			TaskID   string `json:"task_id"`
		} `json:"template_card_event"`
	} `json:"event"`
}

func botHandler(t *testing.T, in chan<- botIn, reply func(botIn) string, sameNonce bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
		if r.Method == http.MethodGet {
			if util.Signature(cbToken, ts, nonce, q.Get("echostr")) != sig {
				http.Error(w, "bad signature", http.StatusForbidden)
				return
			}
			w.Write(refDecrypt(t, q.Get("echostr")))
			return
		}
		var env struct {
			Encrypt string `json:"encrypt"`
		}
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil || util.Signature(cbToken, ts, nonce, env.Encrypt) != sig {
			http.Error(w, "bad callback", http.StatusForbidden)
			return
		}
		var m botIn
		if err := json.Unmarshal(refDecrypt(t, env.Encrypt), &m); err != nil {
			t.Error(err)
		}
		in <- m
		out := reply(m)
		if out == "" {
			return
		}
		enc, _ := util.EncryptMsg([]byte("fedcba9876543210"), []byte(out), "", encKey)
		now := time.Now().Unix()
		n := nonce
		if !sameNonce {
			n = "other"
		}
		json.NewEncoder(w).Encode(map[string]any{"encrypt": string(enc), "timestamp": now, "nonce": n,
			"msgsignature": util.Signature(cbToken, strconv.FormatInt(now, 10), n, string(enc))})
	})
}

func TestBotClient(t *testing.T) {
	in := make(chan botIn, 10)
	var mu sync.Mutex
	replyWith := ""
	srv := httptest.NewServer(botHandler(t, in, func(botIn) string { mu.Lock(); defer mu.Unlock(); return replyWith }, true))
	defer srv.Close()
	setReply := func(s string) { mu.Lock(); replyWith = s; mu.Unlock() }
	f := newFake(t)
	c := &BotClient{URL: srv.URL, Token: cbToken, EncodingAESKey: encKey, BotID: "aib-1", Fake: f}

	if status, body := c.Verify("echo-abc"); status != 200 || body != "echo-abc" {
		t.Fatalf("Verify: %d %q", status, body)
	}

	setReply(`{"msgtype":"stream","stream":{"id":"s1","finish":true,"content":"已签收 GD001"}}`)
	resp := c.GroupText("chat-1", "zhangsan", "@办事不成bot 签收 GD001", "msg-1")
	m := <-in
	if m.MsgID != "msg-1" || m.AIBotID != "aib-1" || m.ChatID != "chat-1" || m.ChatType != "group" || m.From.UserID != "zhangsan" ||
		m.MsgType != "text" || m.Text.Content != "@办事不成bot 签收 GD001" ||
		!strings.HasPrefix(m.ResponseURL, "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=") {
		t.Fatalf("handler got %+v", m)
	}
	if resp.Err != nil || resp.Reply == nil || resp.Reply.MsgType != "stream" || resp.Reply.Content != "已签收 GD001" ||
		resp.Reply.StreamID != "s1" || !resp.Reply.Finish || resp.Reply.Rejected != "" {
		t.Fatalf("GroupText: %+v %+v", resp, resp.Reply)
	}

	setReply(`{"msgtype":"text","text":{"content":"已签收"}}`)
	resp = c.SingleText("lisi", "进度 GD001", "msg-2")
	m = <-in
	if m.ChatType != "single" || m.ChatID != "" || m.From.UserID != "lisi" {
		t.Fatalf("handler got %+v", m)
	}
	if resp.Reply == nil || resp.Reply.Content != "已签收" || !strings.Contains(resp.Reply.Rejected, "enter_chat") {
		t.Fatalf("a text reply to a message: %+v", resp.Reply)
	}

	// The response_url works once against the fake.
	u := strings.Replace(m.ResponseURL, "https://"+PublicHost, f.URL(), 1)
	if r := call(t, "POST", u, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": "**已签收**"}}); errcode(r) != 0 {
		t.Fatalf("response_url: %v", r)
	}
	if r := call(t, "POST", u, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": "again"}}); errcode(r) != 40058 {
		t.Fatalf("response_url twice: %v", r)
	}
	if got := f.BotResponses(); len(got) != 1 || got[0].Content != "**已签收**" || got[0].ChatType != "single" || got[0].UserID != "lisi" {
		t.Fatalf("bot responses %+v", got)
	}

	setReply(`{"response_type":"update_template_card","userids":["zhangsan"],"template_card":{"card_type":"text_notice","main_title":{"title":"已受理"},"task_id":"T9"}}`)
	resp = c.CardEvent("chat-1", "zhangsan", "accept", "T9", "msg-3")
	m = <-in
	if m.MsgType != "event" || m.Event.EventType != "template_card_event" || m.Event.TemplateCardEvent.EventKey != "accept" ||
		m.Event.TemplateCardEvent.TaskID != "T9" || m.Event.TemplateCardEvent.CardType != "button_interaction" ||
		m.ChatID != "chat-1" || m.CreateTime == 0 {
		t.Fatalf("handler got %+v", m)
	}
	if resp.Err != nil || resp.Reply == nil || resp.Reply.MsgType != "update_template_card" || resp.Reply.Rejected != "" {
		t.Fatalf("CardEvent: %+v %+v", resp, resp.Reply)
	}
	resp = c.CardEvent("chat-1", "zhangsan", "accept", "T10", "msg-4")
	<-in
	if resp.Reply == nil || !strings.Contains(resp.Reply.Rejected, "task_id") {
		t.Fatalf("an update for another task: %+v", resp.Reply)
	}

	setReply("")
	if resp := c.GroupText("chat-1", "zhangsan", "@bot hi", "msg-5"); resp.Err != nil || resp.Reply != nil || resp.Status != 200 {
		t.Fatalf("empty answer: %+v", resp)
	}
	<-in

	other := httptest.NewServer(botHandler(t, in, func(botIn) string {
		return `{"msgtype":"template_card","template_card":{"card_type":"button_interaction","task_id":"T11","main_title":{"title":"t"},"button_list":[{"text":"ok","key":"ok"}]}}`
	}, false))
	defer other.Close()
	c.URL = other.URL
	resp = c.SingleText("lisi", "x", "msg-6")
	<-in
	if resp.Err == nil || !strings.Contains(resp.Err.Error(), "nonce") || resp.Reply == nil || resp.Reply.Rejected != "" {
		t.Fatalf("a reply with its own nonce: %+v %+v", resp, resp.Reply)
	}
	if resp := c.PostRaw(url.Values{"msg_signature": {"x"}, "timestamp": {"1"}, "nonce": {"2"}}, []byte(`{"encrypt":"abc"}`)); resp.Status != http.StatusForbidden {
		t.Fatalf("forged signature: %+v", resp)
	}
}

func TestBotResponseURLTemplateCardOnlyInSingleChats(t *testing.T) {
	f := newFake(t)
	card := map[string]any{"msgtype": "template_card", "template_card": map[string]any{"card_type": "text_notice", "main_title": map[string]string{"title": "t"}}}
	group := strings.Replace(f.BotResponseURL("chat-1", "zhangsan"), "https://"+PublicHost, f.URL(), 1)
	if r := call(t, "POST", group, card); errcode(r) != 40008 {
		t.Fatalf("template_card in a group: %v", r)
	}
	single := strings.Replace(f.BotResponseURL("", "zhangsan"), "https://"+PublicHost, f.URL(), 1)
	if r := call(t, "POST", single, card); errcode(r) != 0 {
		t.Fatalf("template_card in a single chat: %v", r)
	}
	if got := f.BotResponses(); len(got) != 1 || got[0].CardType != "text_notice" {
		t.Fatalf("%+v", got)
	}
}

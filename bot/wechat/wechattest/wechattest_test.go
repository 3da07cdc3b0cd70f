package wechattest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"bbcs/bot/internal/faketest"
)

const (
	appID     = "wx1234567890abcdef"
	appSecret = "0123456789abcdef0123456789abcdef"
	urlToken  = "bbcs-test-token"
	aesKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 chars
)

func TestMain(m *testing.M) {
	// The SDK logs message bodies at Debug; keep it quiet.
	logrus.SetLevel(logrus.WarnLevel)
	os.Exit(m.Run())
}

// memCache is a race-free cache.Cache (the SDK's cache.Memory races).
type memCache struct {
	mu sync.Mutex
	m  map[string]memItem
}

type memItem struct {
	v   any
	exp time.Time
}

var _ cache.Cache = (*memCache)(nil)

func (c *memCache) Get(k string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.m[k]
	if !ok || (!it.exp.IsZero() && time.Now().After(it.exp)) {
		return nil
	}
	return it.v
}

func (c *memCache) Set(k string, v any, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]memItem{}
	}
	it := memItem{v: v}
	if ttl > 0 {
		it.exp = time.Now().Add(ttl)
	}
	c.m[k] = it
	return nil
}

func (c *memCache) IsExist(k string) bool { return c.Get(k) != nil }

func (c *memCache) Delete(k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

func (c *memCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// sdkAgainst builds the SDK's official account, pointed at fake.
func sdkAgainst(t *testing.T, fake *Fake, secret string, stable bool) (*officialaccount.OfficialAccount, *memCache) {
	t.Helper()
	util.SetURIModifier(func(u string) string {
		return strings.Replace(u, "https://api.weixin.qq.com", fake.URL(), 1)
	})
	t.Cleanup(func() { util.SetURIModifier(nil) })
	c := &memCache{}
	oa := officialaccount.NewOfficialAccount(&offConfig.Config{
		AppID: appID, AppSecret: secret, Token: urlToken, EncodingAESKey: aesKey, Cache: c, UseStableAK: stable,
	})
	return oa, c
}

func getJSON(t *testing.T, u string) (http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return resp.Header, m
}

// --- signatures, cross-checked with the SDK (the crypto is faketest's) ---

func TestSignMatchesSDK(t *testing.T) {
	c := &Client{Token: urlToken}
	if got, want := c.Sign("1700000000", "123456"), util.Signature(urlToken, "1700000000", "123456"); got != want {
		t.Fatalf("Sign = %s, SDK %s", got, want)
	}
	if got, want := c.Sign("1700000000", "123456", "ENC+/="), util.Signature(urlToken, "1700000000", "123456", "ENC+/="); got != want {
		t.Fatalf("Sign with Encrypt = %s, SDK %s", got, want)
	}
}

// --- the Fake, driven by the SDK ----------------------------------------

func TestFakeWithSDK(t *testing.T) {
	for _, stable := range []bool{false, true} {
		t.Run("stable="+strconv.FormatBool(stable), func(t *testing.T) {
			fake := NewFake(t, appID, appSecret)
			oa, _ := sdkAgainst(t, fake, appSecret, stable)

			if err := oa.GetCustomerMessageManager().Send(message.NewCustomerTextMessage("o-alice", "您的诉求已受理")); err != nil {
				t.Fatal(err)
			}
			menu := &message.CustomerMessage{
				ToUser: "o-alice", Msgtype: message.MsgType("msgmenu"),
				Msgmenu: &message.MediaMsgmenu{
					HeadContent: "满意吗",
					List:        []message.MsgmenuItem{{ID: "101", Content: "满意"}, {ID: "102", Content: "不满意"}},
					TailContent: "谢谢",
				},
			}
			if err := oa.GetCustomerMessageManager().Send(menu); err != nil {
				t.Fatal(err)
			}
			if err := oa.GetCustomerMessageManager().Send(message.NewCustomerImgMessage("o-bob", "MEDIA1")); err != nil {
				t.Fatal(err)
			}
			msgID, err := oa.GetTemplate().Send(&message.TemplateMessage{
				ToUser: "o-bob", TemplateID: "TPL1", URL: "https://bbcs.example/c/1",
				Data:        map[string]*message.TemplateDataItem{"first": {Value: "进度"}, "keyword1": {Value: "A-1", Color: "#173177"}},
				ClientMsgID: "bbcs-notice-1",
			})
			if err != nil || msgID == 0 {
				t.Fatalf("template: %d, %v", msgID, err)
			}
			if n := fake.TokenRequests(); n != 1 {
				t.Fatalf("token requests = %d, want 1 (the SDK caches it)", n)
			}

			cs := fake.Customs()
			if len(cs) != 3 {
				t.Fatalf("customs = %+v", cs)
			}
			if c := cs[0]; c.ToUser != "o-alice" || c.MsgType != "text" || c.Text != "您的诉求已受理" {
				t.Fatalf("text = %+v", c)
			}
			c := cs[1]
			if c.MsgType != "msgmenu" || c.Menu == nil || c.Menu.Head != "满意吗" || c.Menu.Tail != "谢谢" ||
				len(c.Menu.Items) != 2 || c.Menu.Items[0] != (MenuItem{"101", "满意"}) || c.Menu.Items[1] != (MenuItem{"102", "不满意"}) {
				t.Fatalf("menu = %+v %+v", c, c.Menu)
			}
			wantRaw := `{"touser":"o-alice","msgtype":"msgmenu","msgmenu":{"head_content":"满意吗","list":[{"id":"101","content":"满意"},{"id":"102","content":"不满意"}],"tail_content":"谢谢"}}`
			if string(c.Raw) != wantRaw {
				t.Fatalf("msgmenu wire JSON:\n%s\nwant\n%s", c.Raw, wantRaw)
			}
			if c := cs[2]; c.MsgType != "image" || c.MediaID != "MEDIA1" {
				t.Fatalf("image = %+v", c)
			}
			if got := fake.CustomsTo("o-bob"); len(got) != 1 || got[0].MediaID != "MEDIA1" {
				t.Fatalf("CustomsTo = %+v", got)
			}

			ts := fake.Templates()
			if len(ts) != 1 {
				t.Fatalf("templates = %+v", ts)
			}
			tm := ts[0]
			if tm.ToUser != "o-bob" || tm.TemplateID != "TPL1" || tm.URL != "https://bbcs.example/c/1" || tm.ClientMsgID != "bbcs-notice-1" ||
				tm.Data["first"] != "进度" || tm.Data["keyword1"] != "A-1" {
				t.Fatalf("template = %+v", tm)
			}
			// The SDK always sends an empty miniprogram object.
			if !strings.Contains(string(tm.Raw), `"miniprogram":{"appid":"","pagepath":""}`) {
				t.Fatalf("template wire JSON: %s", tm.Raw)
			}

			fake.Reset()
			if len(fake.Customs()) != 0 || len(fake.Templates()) != 0 {
				t.Fatal("Reset kept messages")
			}
		})
	}
}

func TestFakeTokenErrors(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, _ := sdkAgainst(t, fake, "wrong-secret", false)
	if _, err := oa.GetAccessToken(); err == nil || !strings.Contains(err.Error(), "errcode=40125") {
		t.Fatalf("wrong secret: %v", err)
	}
	oa, _ = sdkAgainst(t, fake, "wrong-secret", true)
	if _, err := oa.GetAccessToken(); err == nil || !strings.Contains(err.Error(), "errcode=40125") {
		t.Fatalf("wrong secret (stable): %v", err)
	}
	_, m := getJSON(t, fake.URL()+"/cgi-bin/token?grant_type=client_credential&appid=wxnope&secret="+appSecret)
	if m["errcode"] != 40013.0 || m["errmsg"] != "invalid appid" {
		t.Fatalf("wrong appid: %v", m)
	}
	_, m = getJSON(t, fake.URL()+"/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret)
	if m["access_token"] == "" || m["expires_in"] != 7200.0 || m["errcode"] != nil {
		t.Fatalf("token: %v", m)
	}
	if n := fake.TokenRequests(); n != 4 {
		t.Fatalf("token requests = %d, want 4", n)
	}
}

func TestFakeStableTokenIsStable(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	post := func(force bool) map[string]any {
		body := `{"grant_type":"client_credential","appid":"` + appID + `","secret":"` + appSecret + `","force_refresh":` + strconv.FormatBool(force) + `}`
		resp, err := http.Post(fake.URL()+"/cgi-bin/stable_token", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	a, b := post(false), post(false)
	if a["access_token"] == nil || a["access_token"] != b["access_token"] {
		t.Fatalf("stable tokens differ: %v %v", a, b)
	}
	c := post(true)
	if c["access_token"] == a["access_token"] {
		t.Fatal("force_refresh kept the token")
	}
	fake.ExpireTokens()
	if d := post(false); d["access_token"] == c["access_token"] {
		t.Fatal("an expired stable token came back")
	}
}

func TestFakeWindowAndTokens(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, cache := sdkAgainst(t, fake, appSecret, true)
	mgr := oa.GetCustomerMessageManager()

	fake.CloseWindow("o-carol")
	err := mgr.Send(message.NewCustomerTextMessage("o-carol", "hi"))
	if err == nil || !strings.Contains(err.Error(), "errcode=45015") {
		t.Fatalf("outside the window: %v", err)
	}
	// Templates ignore the window.
	if _, err := oa.GetTemplate().Send(&message.TemplateMessage{ToUser: "o-carol", TemplateID: "T", Data: map[string]*message.TemplateDataItem{}}); err != nil {
		t.Fatal(err)
	}
	fake.OpenWindow("o-carol")
	if err := mgr.Send(message.NewCustomerTextMessage("o-carol", "hi")); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.CustomsTo("o-carol")); n != 1 {
		t.Fatalf("recorded %d customs, want 1 (the refused one is not recorded)", n)
	}

	// The SDK keeps using its cached token after it expired: no refresh.
	fake.ExpireTokens()
	err = mgr.Send(message.NewCustomerTextMessage("o-carol", "again"))
	if err == nil || !strings.Contains(err.Error(), "errcode=42001") {
		t.Fatalf("expired token: %v", err)
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d: the SDK refreshed by itself?", n)
	}
	cache.clear()
	if err := mgr.Send(message.NewCustomerTextMessage("o-carol", "again")); err != nil {
		t.Fatal(err)
	}

	// A token WeChat never issued.
	resp, err := http.Post(fake.URL()+"/cgi-bin/message/custom/send?access_token=bogus", "application/json",
		strings.NewReader(`{"touser":"o-carol","msgtype":"text","text":{"content":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["errcode"] != 40001.0 || m["errmsg"] != "invalid credential, access_token is invalid or not latest" {
		t.Fatalf("bogus token: %v", m)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

func TestFakeFaults(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, _ := sdkAgainst(t, fake, appSecret, false)
	mgr := oa.GetCustomerMessageManager()
	send := func() error { return mgr.Send(message.NewCustomerTextMessage("o-dan", "x")) }

	fake.FailNext(2, http.StatusServiceUnavailable, 0)
	for range 2 {
		if err := send(); err == nil || !strings.Contains(err.Error(), "statusCode=503") {
			t.Fatalf("503: %v", err)
		}
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Fatalf("token calls are not failed by FailNext; requests = %d", n)
	}
	fake.FailNext(1, http.StatusOK, 45009)
	if err := send(); err == nil || !strings.Contains(err.Error(), "errcode=45009") {
		t.Fatalf("45009: %v", err)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Customs()); n != 1 {
		t.Fatalf("recorded %d, want 1", n)
	}

	fake.Down(true)
	if err := send(); err == nil || !strings.Contains(err.Error(), "statusCode=502") {
		t.Fatalf("down: %v", err)
	}
	resp, err := http.Get(fake.URL() + "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("token while down: %d", resp.StatusCode)
	}
	fake.Down(false)
	if err := send(); err != nil {
		t.Fatal(err)
	}
}

func TestFakeTemplates(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, _ := sdkAgainst(t, fake, appSecret, false)
	tpl := oa.GetTemplate()
	fake.AllowTemplate("TPL-OK")
	data := map[string]*message.TemplateDataItem{"keyword1": {Value: "v"}}

	if _, err := tpl.Send(&message.TemplateMessage{ToUser: "o-erin", TemplateID: "TPL-NO", Data: data}); err == nil || !strings.Contains(err.Error(), "errcode=40037") {
		t.Fatalf("unknown template: %v", err)
	}
	if _, err := tpl.Send(&message.TemplateMessage{TemplateID: "TPL-OK", Data: data}); err == nil || !strings.Contains(err.Error(), "errcode=40003") {
		t.Fatalf("no touser: %v", err)
	}
	first, err := tpl.Send(&message.TemplateMessage{ToUser: "o-erin", TemplateID: "TPL-OK", Data: data, ClientMsgID: "n-7"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := tpl.Send(&message.TemplateMessage{ToUser: "o-erin", TemplateID: "TPL-OK", Data: data, ClientMsgID: "n-7"})
	if err != nil || again != first {
		t.Fatalf("repeat: %d, %v; want %d", again, err, first)
	}
	other, err := tpl.Send(&message.TemplateMessage{ToUser: "o-erin", TemplateID: "TPL-OK", Data: data})
	if err != nil || other == first {
		t.Fatalf("no client_msg_id: %d, %v", other, err)
	}
	if n := len(fake.Templates()); n != 2 {
		t.Fatalf("recorded %d templates, want 2 (a repeated client_msg_id once)", n)
	}
}

func TestFakeMedia(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, _ := sdkAgainst(t, fake, appSecret, false)
	jpeg := []byte("\xff\xd8\xff\xe0fake-jpeg")
	fake.AddMedia("MEDIA_ID_1", "image/jpeg", jpeg)

	u, err := oa.GetMaterial().GetMediaURL("MEDIA_ID_1")
	if err != nil {
		t.Fatal(err)
	}
	// GetMediaURL does not go through the URI modifier.
	u = strings.Replace(u, "https://api.weixin.qq.com", fake.URL(), 1)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != string(jpeg) || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="MEDIA_ID_1.jpg"` {
		t.Fatalf("media: %q %v", body, resp.Header)
	}

	h, m := getJSON(t, fake.URL()+"/cgi-bin/media/get?access_token="+fake.AccessToken()+"&media_id=NOPE")
	if m["errcode"] != 40007.0 || m["errmsg"] != "invalid media_id" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("unknown media: %v %v", m, h)
	}
	_, m = getJSON(t, fake.URL()+"/cgi-bin/media/get?access_token=bogus&media_id=MEDIA_ID_1")
	if m["errcode"] != 40001.0 {
		t.Fatalf("bogus token: %v", m)
	}
}

func TestFakeConcurrent(t *testing.T) {
	fake := NewFake(t, appID, appSecret)
	oa, _ := sdkAgainst(t, fake, appSecret, false)
	if _, err := oa.GetAccessToken(); err != nil { // warm the cache first
		t.Fatal(err)
	}
	// The SDK's getters build their manager lazily without a lock (a data
	// race when called concurrently): take it once.
	mgr := oa.GetCustomerMessageManager()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			openid := "o-" + strconv.Itoa(i%4)
			if err := mgr.Send(message.NewCustomerTextMessage(openid, strconv.Itoa(i))); err != nil {
				t.Error(err)
			}
		})
	}
	fake.WaitFor(t, func() bool { return len(fake.Customs()) == 20 }, 5*time.Second)
	wg.Wait()
	if n := len(fake.CustomsTo("o-1")); n != 5 {
		t.Fatalf("o-1 got %d", n)
	}
}

// --- the Client, against the SDK's server --------------------------------

type seen struct {
	mu   sync.Mutex
	msgs []*message.MixMessage
}

func (s *seen) add(m *message.MixMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
}

func (s *seen) last(t *testing.T) *message.MixMessage {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		t.Fatal("the handler saw no message")
	}
	return s.msgs[len(s.msgs)-1]
}

// sdkWebhook is a webhook on the SDK's server: it echoes text messages,
// answers nothing to "quiet", and refuses requests that fail validation.
func sdkWebhook(oa *officialaccount.OfficialAccount, s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := oa.GetServer(r, w)
		srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			s.add(m)
			if m.Content == "quiet" {
				return nil
			}
			text := "收到: " + m.Content
			if m.MsgType == message.MsgTypeEvent {
				text = "event " + string(m.Event)
			}
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
		})
		if err := srv.Serve(); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		_ = srv.Send()
	})
}

func TestClientAgainstSDKServer(t *testing.T) {
	for _, mode := range []string{"plain", "safe"} {
		t.Run(mode, func(t *testing.T) {
			oa := officialaccount.NewOfficialAccount(&offConfig.Config{
				AppID: appID, AppSecret: appSecret, Token: urlToken, EncodingAESKey: aesKey, Cache: &memCache{},
			})
			s := &seen{}
			hs := httptest.NewServer(sdkWebhook(oa, s))
			t.Cleanup(hs.Close)
			now := time.Unix(1_700_000_000, 0)
			c := &Client{URL: hs.URL + "/wechat/oa", Token: urlToken, AppID: appID, Now: func() time.Time { return now }}
			if mode == "safe" {
				c.EncodingAESKey = aesKey
			}

			if st, body := c.Verify("echo-4711"); st != 200 || body != "echo-4711" {
				t.Fatalf("verify: %d %q", st, body)
			}

			r := c.Text("o-alice", "路灯坏了 ]]> <b>", 7001)
			if r.Err != nil || r.Status != 200 || r.Reply == nil {
				t.Fatalf("text: %+v", r)
			}
			if rp := r.Reply; rp.MsgType != "text" || rp.Content != "收到: 路灯坏了 ]]> <b>" || rp.ToUserName != "o-alice" || rp.FromUserName != DefaultOriginalID || rp.CreateTime == 0 {
				t.Fatalf("reply: %+v", rp)
			}
			m := s.last(t)
			if m.MsgType != message.MsgTypeText || string(m.FromUserName) != "o-alice" || string(m.ToUserName) != DefaultOriginalID ||
				m.MsgID != 7001 || m.CreateTime != now.Unix() || m.Content != "路灯坏了 ]]> <b>" {
				t.Fatalf("SDK parsed: %+v", m)
			}

			r = c.MenuClick("o-alice", "满意", 101, 7002)
			if r.Err != nil || r.Reply == nil || r.Reply.Content != "收到: 满意" {
				t.Fatalf("menu click: %+v", r)
			}
			if m := s.last(t); m.BizMsgMenuID != 101 || m.Content != "满意" || m.MsgID != 7002 || m.MsgType != message.MsgTypeText {
				t.Fatalf("SDK parsed click: %+v", m)
			}

			r = c.Image("o-bob", "MEDIA_9", "http://mmbiz.qpic.cn/x.jpg", 7003)
			if r.Err != nil || r.Reply == nil {
				t.Fatalf("image: %+v", r)
			}
			if m := s.last(t); m.MsgType != message.MsgTypeImage || m.MediaID != "MEDIA_9" || m.PicURL != "http://mmbiz.qpic.cn/x.jpg" || m.MsgID != 7003 {
				t.Fatalf("SDK parsed image: %+v", m)
			}

			r = c.Event("o-bob", "CLICK", "MENU_REPORT")
			if r.Err != nil || r.Reply == nil || r.Reply.Content != "event CLICK" {
				t.Fatalf("event: %+v", r)
			}
			if m := s.last(t); m.MsgType != message.MsgTypeEvent || m.Event != message.EventClick || m.EventKey != "MENU_REPORT" || m.CreateTime != now.Unix() {
				t.Fatalf("SDK parsed event: %+v", m)
			}

			// No reply: plain mode answers "success"; in safe mode the SDK's
			// Send writes an encrypted empty message, which WeChat rejects.
			r = c.Text("o-alice", "quiet", 7004)
			if mode == "plain" {
				if r.Err != nil || r.Reply != nil || r.Body != "success" {
					t.Fatalf("quiet: %+v", r)
				}
			} else if r.Err == nil || !strings.Contains(r.Err.Error(), "encrypted empty reply") {
				t.Fatalf("quiet in safe mode: %+v", r)
			}

			// Bad signature, unsigned body.
			r = c.PostRaw(url.Values{"signature": {"nope"}, "timestamp": {"1"}, "nonce": {"2"}}, []byte("<xml/>"))
			if r.Status != http.StatusForbidden || r.Reply != nil {
				t.Fatalf("bad signature: %+v", r)
			}
			if mode == "safe" {
				// Right signature, wrong msg_signature.
				ts, n := "1700000000", "99"
				enc, _ := faketest.Encrypt(aesKey, appID, []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName></xml>"))
				q := url.Values{"signature": {c.Sign(ts, n)}, "timestamp": {ts}, "nonce": {n}, "encrypt_type": {"aes"}, "msg_signature": {"bad"}}
				r = c.PostRaw(q, []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
				if r.Status != http.StatusForbidden {
					t.Fatalf("bad msg_signature: %+v", r)
				}
				// Encrypted for another app.
				bad := *c
				bad.AppID = "wxother"
				if r := bad.Text("o-alice", "x", 7005); r.Status != http.StatusForbidden {
					t.Fatalf("other app id: %+v", r)
				}
				// A key the account does not have.
				bad = *c
				bad.EncodingAESKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
				if r := bad.Text("o-alice", "x", 7006); r.Status != http.StatusForbidden {
					t.Fatalf("wrong key: %+v", r)
				}
			}
		})
	}
}

// The client refuses replies WeChat would refuse.
func TestClientChecksReplies(t *testing.T) {
	var mu sync.Mutex
	answer := func(w http.ResponseWriter, r *http.Request) {}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := answer
		mu.Unlock()
		a(w, r)
	}))
	t.Cleanup(hs.Close)
	set := func(f func(w http.ResponseWriter, r *http.Request)) {
		mu.Lock()
		defer mu.Unlock()
		answer = f
	}
	c := &Client{URL: hs.URL, Token: urlToken, AppID: appID, EncodingAESKey: aesKey}
	inner := "<xml><ToUserName><![CDATA[o-x]]></ToUserName><FromUserName><![CDATA[" + DefaultOriginalID +
		"]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>"
	envelope := func(plain, sig string) string {
		enc, _ := faketest.Encrypt(aesKey, appID, []byte(plain))
		if sig == "" {
			sig = c.Sign("5", "6", enc)
		}
		return "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt><MsgSignature><![CDATA[" + sig + "]]></MsgSignature><TimeStamp>5</TimeStamp><Nonce><![CDATA[6]]></Nonce></xml>"
	}

	set(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, envelope(inner, "")) })
	if r := c.Text("o-x", "q", 1); r.Err != nil || r.Reply == nil || r.Reply.Content != "hi" {
		t.Fatalf("good reply: %+v", r)
	}
	set(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, envelope(inner, "forged")) })
	if r := c.Text("o-x", "q", 1); r.Err == nil {
		t.Fatal("forged MsgSignature accepted")
	}
	set(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, inner) })
	if r := c.Text("o-x", "q", 1); r.Err == nil {
		t.Fatal("plaintext reply accepted in safe mode")
	}
	set(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, envelope(inner, "")) })
	if r := c.Text("o-y", "q", 1); r.Err == nil || !strings.Contains(r.Err.Error(), "ToUserName") {
		t.Fatalf("reply to someone else: %+v", r)
	}
	set(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "success") })
	if r := c.Text("o-x", "q", 1); r.Err != nil || r.Reply != nil {
		t.Fatalf("success: %+v", r)
	}
	set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	if r := c.Text("o-x", "q", 1); r.Status != 500 || r.Reply != nil || r.Err != nil {
		t.Fatalf("500: %+v", r)
	}
	// Plain mode reads the XML directly.
	plain := *c
	plain.EncodingAESKey = ""
	set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("encrypt_type") || r.URL.Query().Get("signature") != plain.Sign(r.URL.Query().Get("timestamp"), r.URL.Query().Get("nonce")) ||
			r.URL.Query().Get("openid") != "o-x" {
			http.Error(w, "bad query", 400)
			return
		}
		io.WriteString(w, inner)
	})
	if r := plain.Text("o-x", "q", 1); r.Err != nil || r.Reply == nil || r.Reply.Content != "hi" || r.Reply.CreateTime != 1 {
		t.Fatalf("plain: %+v", r)
	}
}

package dingtalktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/clock"
)

const (
	appKey    = "dingabcdefghijklmnop"
	appSecret = "GT-lsu-taDAxxxsTsxxxx0123456789abcdefghijklmnopqrstuvwxyz"
	robotCode = "dingabcdefghijklmnop"
	robotTok  = "c370586f0e1e4d65d506a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6"
	robotSec  = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
)

func newFake(t *testing.T) (*Fake, *clock.Fake) {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)))
	f := NewFake(t, appKey, appSecret, robotCode)
	f.SetNow(clk.Now)
	f.AddRobot(robotTok, robotSec)
	return f, clk
}

// bbcsSign signs a custom robot webhook the way a client must:
// urlEncode(base64(HMAC-SHA256(secret, ms+"\n"+secret))), computed here
// independently of Sign.
func bbcsSign(secret string, at time.Time) (ts, escaped string) {
	ts = strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	return ts, url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func signedURL(f *Fake, token, secret string, at time.Time) string {
	ts, sign := bbcsSign(secret, at)
	return f.WebhookURL(token) + "&timestamp=" + ts + "&sign=" + sign
}

type result struct {
	status int
	header http.Header
	body   []byte
	m      map[string]any
}

func do(t *testing.T, method, u string, header http.Header, body string) result {
	t.Helper()
	// t.Error, not t.Fatal: goroutines use it too.
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return result{}
	}
	if body != "" && header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return result{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, body: b}
	_ = json.Unmarshal(b, &r.m)
	return r
}

func post(t *testing.T, u, body string) result { return do(t, http.MethodPost, u, nil, body) }

func (r result) errcode() int {
	if v, ok := r.m["errcode"].(float64); ok {
		return int(v)
	}
	return -999
}

func wantErrcode(t *testing.T, r result, code int) {
	t.Helper()
	if r.status != http.StatusOK || r.errcode() != code {
		t.Fatalf("got HTTP %d %s, want 200 errcode %d", r.status, r.body, code)
	}
}

// ---- signing ----

func TestSignVectors(t *testing.T) {
	// The docs give the algorithm and sample code but no fixed output; these
	// vectors were computed with Python's hmac/hashlib/base64/urllib.parse
	// (hmac.new(secret, f"{ts}\n{secret}", sha256), b64encode, quote_plus).
	cases := []struct{ secret, ts, sign, escaped string }{
		{"SECthisisatestsecret0123456789abcdef", "1700000000000",
			"hulRlIi1HPtH6/4C75JF4Vju7IgVfqa4DneF7Pe1RrE=", "hulRlIi1HPtH6%2F4C75JF4Vju7IgVfqa4DneF7Pe1RrE%3D"},
		{"this is secret", "1577262236757", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", ""},
	}
	for _, c := range cases {
		if got := Sign(c.secret, c.ts); got != c.sign {
			t.Errorf("Sign(%q, %q) = %q, want %q", c.secret, c.ts, got, c.sign)
		}
		if c.escaped != "" && url.QueryEscape(Sign(c.secret, c.ts)) != c.escaped {
			t.Errorf("escaped sign = %q, want %q", url.QueryEscape(Sign(c.secret, c.ts)), c.escaped)
		}
	}
	// Against an independent computation, over many timestamps.
	at := time.UnixMilli(1700000000000)
	for i := range 50 {
		ts, esc := bbcsSign(robotSec, at.Add(time.Duration(i)*time.Second))
		if url.QueryEscape(Sign(robotSec, ts)) != esc {
			t.Fatalf("Sign disagrees with the independent computation at %s", ts)
		}
	}
	c := &Client{AppSecret: "appsecret"}
	if c.Sign("1700000000000") != Sign("appsecret", "1700000000000") {
		t.Fatal("Client.Sign must be Sign with the AppSecret")
	}
}

// ---- custom robot ----

func TestRobotSendText(t *testing.T) {
	f, clk := newFake(t)
	r := post(t, signedURL(f, robotTok, robotSec, clk.Now()),
		`{"msgtype":"text","text":{"content":"新投诉 @user123 @13800000000"},"at":{"atMobiles":["13800000000"],"atUserIds":["user123"],"isAtAll":false}}`)
	wantErrcode(t, r, 0)
	if r.m["errmsg"] != "ok" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("answer %s (%s)", r.body, r.header.Get("Content-Type"))
	}
	ms := f.RobotMessagesTo(robotTok)
	if len(ms) != 1 {
		t.Fatalf("recorded %d", len(ms))
	}
	m := ms[0]
	if m.MsgType != "text" || m.Text != "新投诉 @user123 @13800000000" || m.AccessToken != robotTok ||
		len(m.AtUserIDs) != 1 || m.AtUserIDs[0] != "user123" || len(m.AtMobiles) != 1 || m.IsAtAll {
		t.Fatalf("recorded %+v", m)
	}
	if len(f.RobotMessagesTo("other")) != 0 || len(f.RobotMessages()) != 1 {
		t.Fatal("RobotMessagesTo filters by token")
	}
}

func TestRobotSendTypes(t *testing.T) {
	f, clk := newFake(t)
	u := func() string { return signedURL(f, robotTok, robotSec, clk.Now()) }
	wantErrcode(t, post(t, u(), `{"msgtype":"markdown","markdown":{"title":"工单","text":"### 工单 1\n> 内容"},"at":{"isAtAll":"true"}}`), 0)
	wantErrcode(t, post(t, u(), `{"msgtype":"actionCard","actionCard":{"title":"T","text":"body","singleTitle":"查看","singleURL":"https://bbcs.example/c/1"}}`), 0)
	wantErrcode(t, post(t, u(), `{"msgtype":"actionCard","actionCard":{"title":"T2","text":"b2","btnOrientation":"1","btns":[{"title":"受理","actionURL":"https://x/a"},{"title":"转办","actionURL":"https://x/b"}]}}`), 0)
	wantErrcode(t, post(t, u(), `{"msgtype":"link","link":{"title":"L","text":"lt","messageUrl":"https://x/l","picUrl":""}}`), 0)
	wantErrcode(t, post(t, u(), `{"msgtype":"feedCard","feedCard":{"links":[{"title":"F1","messageURL":"https://x/1","picURL":"https://x/p"}]}}`), 0)
	ms := f.RobotMessages()
	if len(ms) != 5 {
		t.Fatalf("recorded %d", len(ms))
	}
	if m := ms[0]; m.Title != "工单" || m.Markdown != "### 工单 1\n> 内容" || !m.IsAtAll {
		t.Errorf("markdown %+v", m)
	}
	if m := ms[1]; m.Title != "T" || m.Markdown != "body" || len(m.Buttons) != 1 || m.Buttons[0] != (Button{"查看", "https://bbcs.example/c/1"}) {
		t.Errorf("single actionCard %+v", m)
	}
	if m := ms[2]; len(m.Buttons) != 2 || m.Buttons[1] != (Button{"转办", "https://x/b"}) {
		t.Errorf("btns actionCard %+v", m)
	}
	if m := ms[3]; m.Title != "L" || m.Text != "lt" || m.Buttons[0].URL != "https://x/l" {
		t.Errorf("link %+v", m)
	}
	if m := ms[4]; len(m.Buttons) != 1 || m.Buttons[0] != (Button{"F1", "https://x/1"}) {
		t.Errorf("feedCard %+v", m)
	}
}

func TestRobotSendErrors(t *testing.T) {
	f, clk := newFake(t)
	now := clk.Now()
	// Unknown token.
	r := post(t, signedURL(f, "nosuchtoken", robotSec, now), `{"msgtype":"text","text":{"content":"x"}}`)
	wantErrcode(t, r, ErrTokenNotExist)
	if r.m["errmsg"] != "token is not exist" {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	// No token at all.
	r = post(t, f.URL()+"/robot/send", `{"msgtype":"text","text":{"content":"x"}}`)
	wantErrcode(t, r, ErrMissingParam)
	if r.m["errmsg"] != "缺少参数 access_token" {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	// GET.
	wantErrcode(t, do(t, http.MethodGet, signedURL(f, robotTok, robotSec, now), nil, ""), ErrPostRequired)
	// Bad sign: wrong secret.
	r = post(t, signedURL(f, robotTok, "SECwrong", now), `{"msgtype":"text","text":{"content":"x"}}`)
	wantErrcode(t, r, ErrSecurity)
	if !strings.Contains(r.m["errmsg"].(string), "签名不匹配") {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	// No timestamp/sign.
	wantErrcode(t, post(t, f.WebhookURL(robotTok), `{"msgtype":"text","text":{"content":"x"}}`), ErrSecurity)
	// Sign not URL-escaped: find a timestamp whose sign has a '+', which the
	// server decodes to a space.
	at := now
	for !strings.Contains(Sign(robotSec, strconv.FormatInt(at.UnixMilli(), 10)), "+") {
		at = at.Add(time.Millisecond)
	}
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	raw := f.WebhookURL(robotTok) + "&timestamp=" + ts + "&sign=" + Sign(robotSec, ts)
	wantErrcode(t, post(t, raw, `{"msgtype":"text","text":{"content":"x"}}`), ErrSecurity)
	// Stale timestamp: 61 minutes old; and 61 minutes ahead.
	r = post(t, signedURL(f, robotTok, robotSec, now.Add(-61*time.Minute)), `{"msgtype":"text","text":{"content":"x"}}`)
	wantErrcode(t, r, ErrSecurity)
	if !strings.Contains(r.m["errmsg"].(string), "签名过期") {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, now.Add(61*time.Minute)), `{"msgtype":"text","text":{"content":"x"}}`), ErrSecurity)
	// 59 minutes old is fine.
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, now.Add(-59*time.Minute)), `{"msgtype":"text","text":{"content":"ok"}}`), 0)
	// Bodies.
	u := signedURL(f, robotTok, robotSec, now)
	r = post(t, u, `{"msgtype":"text","text":{"content":"unterminated}`)
	wantErrcode(t, r, ErrMissingParam)
	if r.m["errmsg"] != "缺少参数 json" {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	wantErrcode(t, post(t, u, `{"msgtype":"image","image":{"picURL":"x"}}`), ErrUnsupportedMsgType)
	wantErrcode(t, post(t, u, `{"msgtype":"markdown","markdown":{"text":"no title"}}`), ErrMarkdownTitle)
	wantErrcode(t, post(t, u, `{"msgtype":"markdown","markdown":{"title":"no text"}}`), ErrMarkdownText)
	wantErrcode(t, post(t, u, `{"msgtype":"text","text":{}}`), ErrMissingParam)
	wantErrcode(t, post(t, u, `{"msgtype":"actionCard","actionCard":{"title":"t","text":"x"}}`), ErrMissingParam)
	wantErrcode(t, post(t, u, `{"msgtype":"text","text":{"content":"`+strings.Repeat("长", 7000)+`"}}`), ErrMessageTooLong)
	if n := len(f.RobotMessages()); n != 1 {
		t.Fatalf("refused messages must not be recorded; recorded %d", n)
	}
}

func TestRobotUnsigned(t *testing.T) {
	f, _ := newFake(t)
	f.AddRobot("kwtoken", "") // keyword/IP-secured robot: no 加签
	wantErrcode(t, post(t, f.WebhookURL("kwtoken"), `{"msgtype":"text","text":{"content":"hi"}}`), 0)
}

func TestRobotRateLimit(t *testing.T) {
	f, clk := newFake(t)
	send := func() result {
		return post(t, signedURL(f, robotTok, robotSec, clk.Now()), `{"msgtype":"text","text":{"content":"x"}}`)
	}
	for i := range RobotRateLimit {
		wantErrcode(t, send(), 0)
		clk.Advance(2 * time.Second) // 20 messages within 40 s
		_ = i
	}
	r := send()
	wantErrcode(t, r, ErrSendTooFast)
	if r.m["errmsg"] != "sending too many messages per minute" {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	// Throttled for 10 minutes even once the minute has passed.
	clk.Advance(61 * time.Second)
	wantErrcode(t, send(), ErrSendTooFast)
	clk.Advance(RobotThrottle)
	wantErrcode(t, send(), 0)
	if n := len(f.RobotMessages()); n != RobotRateLimit+1 {
		t.Fatalf("recorded %d", n)
	}
	// Spread out, 20 a minute is fine forever.
	f2, clk2 := newFake(t)
	for range 60 {
		wantErrcode(t, post(t, signedURL(f2, robotTok, robotSec, clk2.Now()), `{"msgtype":"text","text":{"content":"x"}}`), 0)
		clk2.Advance(3 * time.Second)
	}
}

func TestRobotMsgUUID(t *testing.T) {
	f, clk := newFake(t)
	body := `{"msgtype":"text","msgUuid":"case-7-escalated","text":{"content":"x"}}`
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, clk.Now()), body), 0)
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, clk.Now()), body), 0)
	if ms := f.RobotMessages(); len(ms) != 1 || ms[0].MsgUUID != "case-7-escalated" {
		t.Fatalf("a repeated msgUuid is sent once; recorded %+v", ms)
	}
}

// ---- tokens ----

func TestAccessTokenNewAPI(t *testing.T) {
	f, clk := newFake(t)
	r := post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`)
	if r.status != 200 || r.m["expireIn"] != float64(7200) || r.m["accessToken"] == "" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	tok := r.m["accessToken"].(string)
	// Within validity: the same token.
	clk.Advance(time.Hour)
	if r2 := post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`); r2.m["accessToken"] != tok {
		t.Fatalf("within validity the same token comes back; got %s", r2.body)
	}
	r = post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"wrong"}`)
	if r.status != 400 || r.m["code"] != "invalidClientIdOrSecret" || r.m["requestid"] == "" || r.m["message"] == "" {
		t.Fatalf("wrong secret: %d %s", r.status, r.body)
	}
	if f.TokenRequests() != 3 {
		t.Fatalf("TokenRequests = %d", f.TokenRequests())
	}
	// The token works on the new API and the old one.
	f.AddUser("u1")
	wantBatchOK(t, f, tok)
	wantAsyncOK(t, f, tok)
	// ExpireTokens: refused on both, a new token after.
	f.ExpireTokens()
	r = batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`)
	if r.status != 400 || r.m["code"] != "InvalidAuthentication" {
		t.Fatalf("expired token on api: %d %s", r.status, r.body)
	}
	r = post(t, f.URL()+"/topapi/message/corpconversation/asyncsend_v2?access_token="+tok, `{"agent_id":1,"userid_list":"u1","msg":{"msgtype":"text","text":{"content":"y"}}}`)
	if r.errcode() != ErrAuth || r.m["sub_code"] != "40014" {
		t.Fatalf("expired token on oapi: %s", r.body)
	}
	r = post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`)
	if r.m["accessToken"] == tok || r.m["accessToken"] == "" {
		t.Fatalf("after ExpireTokens a new token; got %s", r.body)
	}
	// Lifetime follows the fake clock.
	tok2 := r.m["accessToken"].(string)
	clk.Advance(TokenTTL)
	if r := batch(t, f, tok2, `{"robotCode":"`+robotCode+`","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"z\"}"}`); r.status != 400 {
		t.Fatalf("token past its TTL: %d %s", r.status, r.body)
	}
}

func TestGetTokenOldAPI(t *testing.T) {
	f, _ := newFake(t)
	r := do(t, http.MethodGet, f.URL()+"/gettoken?appkey="+appKey+"&appsecret="+url.QueryEscape(appSecret), nil, "")
	wantErrcode(t, r, 0)
	if r.m["errmsg"] != "ok" || r.m["expires_in"] != float64(7200) || r.m["access_token"] == "" {
		t.Fatalf("got %s", r.body)
	}
	tok := r.m["access_token"].(string)
	// Shared with the new API: the same app token.
	if r2 := post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`); r2.m["accessToken"] != tok {
		t.Fatalf("old and new API share the app token; got %s", r2.body)
	}
	wantErrcode(t, do(t, http.MethodGet, f.URL()+"/gettoken?appkey="+appKey+"&appsecret=wrong", nil, ""), ErrInvalidAppKey)
	wantErrcode(t, do(t, http.MethodGet, f.URL()+"/gettoken", nil, ""), ErrMissingParam)
	if f.TokenRequests() != 4 {
		t.Fatalf("TokenRequests = %d", f.TokenRequests())
	}
}

// ---- robot one-to-one (batchSend) ----

func batch(t *testing.T, f *Fake, tok, body string) result {
	t.Helper()
	h := http.Header{}
	if tok != "" {
		h.Set("x-acs-dingtalk-access-token", tok)
	}
	return do(t, http.MethodPost, f.URL()+"/v1.0/robot/oToMessages/batchSend", h, body)
}

func wantBatchOK(t *testing.T, f *Fake, tok string) {
	t.Helper()
	r := batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"hello\"}"}`)
	if r.status != 200 || r.m["processQueryKey"] == "" {
		t.Fatalf("batchSend: %d %s", r.status, r.body)
	}
}

func TestBatchSend(t *testing.T) {
	f, _ := newFake(t)
	f.AddUser("manager1234")
	f.AddUser("staff9")
	tok := f.AccessToken()
	r := batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["manager1234","ghost"],"msgKey":"sampleMarkdown","msgParam":"{\"text\": \"hello text\",\"title\": \"hello title\"}"}`)
	if r.status != 200 || r.m["processQueryKey"] == "" || fmt.Sprint(r.m["invalidStaffIdList"]) != "[ghost]" || fmt.Sprint(r.m["flowControlledStaffIdList"]) != "[]" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["staff9"],"msgKey":"sampleActionCard","msgParam":"{\"title\":\"投诉 #7\",\"text\":\"请处理\",\"singleTitle\":\"打开\",\"singleURL\":\"https://bbcs.example/c/7\"}"}`)
	batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["staff9"],"msgKey":"sampleActionCard6","msgParam":"{\"title\":\"t\",\"text\":\"x\",\"buttonTitle1\":\"受理\",\"buttonUrl1\":\"https://x/1\",\"buttonTitle2\":\"退回\",\"buttonUrl2\":\"https://x/2\"}"}`)
	batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":["staff9"],"msgKey":"sampleActionCard2","msgParam":"{\"title\":\"t\",\"text\":\"x\",\"actionTitle1\":\"A\",\"actionURL1\":\"https://x/a\",\"actionTitle2\":\"B\",\"actionURL2\":\"https://x/b\"}"}`)
	ms := f.PrivateMessages()
	if len(ms) != 4 {
		t.Fatalf("recorded %+v", ms)
	}
	if m := ms[0]; m.Via != "robot" || fmt.Sprint(m.UserIDs) != "[manager1234]" || m.MsgKey != "sampleMarkdown" || m.Title != "hello title" || m.Text != "hello text" {
		t.Errorf("markdown %+v", m)
	}
	if m := ms[1]; m.Title != "投诉 #7" || m.Text != "请处理" || len(m.Buttons) != 1 || m.Buttons[0] != (Button{"打开", "https://bbcs.example/c/7"}) {
		t.Errorf("actionCard %+v", m)
	}
	if m := ms[2]; len(m.Buttons) != 2 || m.Buttons[1] != (Button{"退回", "https://x/2"}) {
		t.Errorf("actionCard6 %+v", m)
	}
	if m := ms[3]; len(m.Buttons) != 2 || m.Buttons[0] != (Button{"A", "https://x/a"}) {
		t.Errorf("actionCard2 %+v", m)
	}
	if n := len(f.PrivateMessagesTo("staff9")); n != 3 {
		t.Errorf("PrivateMessagesTo(staff9) = %d", n)
	}
}

func TestBatchSendErrors(t *testing.T) {
	f, _ := newFake(t)
	f.AddUser("u1")
	tok := f.AccessToken()
	cases := []struct {
		tok, body, code string
	}{
		{"", `{}`, "AuthenticationFailed.MissingParameter"},
		{"bogus", `{}`, "InvalidAuthentication"},
		{tok, `not json`, "invalidParameter.msgBody.invalid"},
		{tok, `{"userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`, "invalidParameter.robotCode.empty"},
		{tok, `{"robotCode":"dingother","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`, "invalidParameter.robotCode.notExsit"},
		{tok, `{"robotCode":"` + robotCode + `","userIds":[],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`, "invalidParameter.userIds.empty"},
		{tok, `{"robotCode":"` + robotCode + `","userIds":["u1"],"msgKey":"text","msgParam":"{\"content\":\"x\"}"}`, "invalidParameter.msgKey.invalid"},
		{tok, `{"robotCode":"` + robotCode + `","userIds":["u1"],"msgKey":"sampleText","msgParam":{"content":"object, not a string"}}`, "invalidParameter.msgParam.invalid"},
		{tok, `{"robotCode":"` + robotCode + `","userIds":["u1"],"msgKey":"sampleText","msgParam":"{not json"}`, "invalidParameter.msgParam.invalid"},
		{tok, `{"robotCode":"` + robotCode + `","userIds":["u1"],"msgKey":"sampleMarkdown","msgParam":"{\"text\":\"x\"}"}`, "miss.param.markdownTotitle"},
	}
	for _, c := range cases {
		r := batch(t, f, c.tok, c.body)
		if r.status != 400 || r.m["code"] != c.code || r.m["requestid"] == "" {
			t.Errorf("%s: got %d %s, want 400 %s", c.body, r.status, r.body, c.code)
		}
	}
	many := `["u1"` + strings.Repeat(`,"u1"`, MaxBatchUsers) + `]`
	if r := batch(t, f, tok, `{"robotCode":"`+robotCode+`","userIds":`+many+`,"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`); r.m["code"] != "invalidParameter.userIds.overMax" {
		t.Errorf("over 20 users: %s", r.body)
	}
	if n := len(f.PrivateMessages()); n != 0 {
		t.Fatalf("recorded %d", n)
	}
}

func TestGroupMessagesSend(t *testing.T) {
	f, _ := newFake(t)
	h := http.Header{"X-Acs-Dingtalk-Access-Token": {f.AccessToken()}}
	r := do(t, http.MethodPost, f.URL()+"/v1.0/robot/groupMessages/send", h,
		`{"robotCode":"`+robotCode+`","openConversationId":"cid6KeBBLoveMJOGXoYKF5x7EeiodoA==","msgKey":"sampleText","msgParam":"{\"content\":\"钉钉，让进步发生\"}"}`)
	if r.status != 200 || r.m["processQueryKey"] == "" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	if ms := f.GroupMessages(); len(ms) != 1 || ms[0].ConversationID != "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==" || ms[0].Text != "钉钉，让进步发生" {
		t.Fatalf("recorded %+v", ms)
	}
}

// ---- work notices ----

func wantAsyncOK(t *testing.T, f *Fake, tok string) {
	t.Helper()
	r := post(t, f.URL()+"/topapi/message/corpconversation/asyncsend_v2?access_token="+tok,
		`{"agent_id":123,"userid_list":"u1","msg":{"msgtype":"text","text":{"content":"ping `+tok[:6]+`"}}}`)
	wantErrcode(t, r, 0)
}

func TestAsyncSendV2(t *testing.T) {
	f, clk := newFake(t)
	f.AddUser("u1")
	f.AddUser("u2")
	tok := f.AccessToken()
	u := f.URL() + "/topapi/message/corpconversation/asyncsend_v2?access_token=" + tok
	r := post(t, u, `{"agent_id":"2980912345","userid_list":"u1,u2,ghost","msg":{"msgtype":"action_card","action_card":{"title":"待办","markdown":"### 投诉 #9 待受理","btn_orientation":"1","btn_json_list":[{"title":"受理","action_url":"https://x/a"},{"title":"退回","action_url":"https://x/r"}]}}}`)
	wantErrcode(t, r, 0)
	if r.m["task_id"] == nil || r.m["request_id"] == "" || r.header.Get("Content-Type") != ctTOP {
		t.Fatalf("got %s (%s)", r.body, r.header.Get("Content-Type"))
	}
	ms := f.PrivateMessages()
	if len(ms) != 1 {
		t.Fatalf("recorded %+v", ms)
	}
	if m := ms[0]; m.Via != "work_notice" || m.AgentID != "2980912345" || fmt.Sprint(m.UserIDs) != "[u1 u2]" || m.MsgKey != "action_card" ||
		m.Title != "待办" || m.Text != "### 投诉 #9 待受理" || len(m.Buttons) != 2 || m.Buttons[1] != (Button{"退回", "https://x/r"}) {
		t.Fatalf("recorded %+v", m)
	}
	// The same content reaches a user once a day: success, nothing delivered.
	r = post(t, u, `{"agent_id":"2980912345","userid_list":"u1","msg":{"msgtype":"action_card","action_card":{"markdown":"### 投诉 #9 待受理","title":"待办","btn_orientation":"1","btn_json_list":[{"title":"受理","action_url":"https://x/a"},{"title":"退回","action_url":"https://x/r"}]}}}`)
	wantErrcode(t, r, 0)
	if n := len(f.PrivateMessages()); n != 1 {
		t.Fatalf("a repeat within a day is not delivered; recorded %d", n)
	}
	// Form-encoded, as the docs' curl sends it, with markdown.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=utf-8"}}
	form := url.Values{"access_token": {tok}, "agent_id": {"2980912345"}, "userid_list": {"u2"},
		"msg": {`{"msgtype":"markdown","markdown":{"title":"提醒","text":"**超时**"}}`}}.Encode()
	wantErrcode(t, do(t, http.MethodPost, f.URL()+"/topapi/message/corpconversation/asyncsend_v2", h, form), 0)
	if ms := f.PrivateMessagesTo("u2"); len(ms) != 2 || ms[1].Title != "提醒" || ms[1].Text != "**超时**" {
		t.Fatalf("form body: %+v", ms)
	}
	// A day later the same content is delivered again.
	clk.Advance(24 * time.Hour)
	wantErrcode(t, post(t, f.URL()+"/topapi/message/corpconversation/asyncsend_v2?access_token="+f.AccessToken(),
		`{"agent_id":"2980912345","userid_list":"u1","msg":{"msgtype":"action_card","action_card":{"title":"待办","markdown":"### 投诉 #9 待受理","btn_orientation":"1","btn_json_list":[{"title":"受理","action_url":"https://x/a"},{"title":"退回","action_url":"https://x/r"}]}}}`), 0)
	if n := len(f.PrivateMessagesTo("u1")); n != 2 {
		t.Fatalf("next day: %d", n)
	}
	// Errors.
	tok = f.AccessToken()
	u = f.URL() + "/topapi/message/corpconversation/asyncsend_v2?access_token=" + tok
	wantErrcode(t, post(t, u, `{"userid_list":"u1","msg":{"msgtype":"text","text":{"content":"x"}}}`), ErrMissingParam)
	wantErrcode(t, post(t, u, `{"agent_id":1,"userid_list":"u1"}`), ErrMissingParam)
	wantErrcode(t, post(t, u, `{"agent_id":1,"userid_list":"u1","msg":{"msgtype":"sampleText"}}`), ErrInvalidMsgType)
	r = post(t, f.URL()+"/topapi/message/corpconversation/asyncsend_v2", `{"agent_id":1,"userid_list":"u1","msg":{"msgtype":"text","text":{"content":"x"}}}`)
	if r.errcode() != ErrAuth || r.m["sub_code"] != "40000" {
		t.Fatalf("no token: %s", r.body)
	}
}

// ---- free-login codes ----

func TestGetUserInfo(t *testing.T) {
	f, clk := newFake(t)
	f.AddCode("bab02f63c1e030fbb0001", "user456")
	f.AddCode("bab02f63c1e030fbb0002", "user789")
	u := f.URL() + "/topapi/v2/user/getuserinfo?access_token=" + f.AccessToken()
	r := post(t, u, `{"code":"bab02f63c1e030fbb0001"}`)
	wantErrcode(t, r, 0)
	res, _ := r.m["result"].(map[string]any)
	if res["userid"] != "user456" || r.m["errmsg"] != "ok" || r.m["request_id"] == "" {
		t.Fatalf("got %s", r.body)
	}
	// Single use.
	wantErrcode(t, post(t, u, `{"code":"bab02f63c1e030fbb0001"}`), ErrInvalidAuthCode)
	// The docs' curl form: access_token and code in a form body.
	f.AddCode("formcode", "user000")
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=utf-8"}}
	r = do(t, http.MethodPost, f.URL()+"/topapi/v2/user/getuserinfo", h, url.Values{"access_token": {f.AccessToken()}, "code": {"formcode"}}.Encode())
	if res, _ := r.m["result"].(map[string]any); r.errcode() != 0 || res["userid"] != "user000" {
		t.Fatalf("form body: %s", r.body)
	}
	// Unknown.
	wantErrcode(t, post(t, u, `{"code":"nope"}`), ErrInvalidAuthCode)
	// Five minutes.
	clk.Advance(CodeTTL)
	wantErrcode(t, post(t, u, `{"code":"bab02f63c1e030fbb0002"}`), ErrInvalidAuthCode)
	// Invalid token.
	r = post(t, f.URL()+"/topapi/v2/user/getuserinfo?access_token=bogus", `{"code":"x"}`)
	if r.errcode() != ErrAuth || r.m["sub_code"] != "40014" || r.m["sub_msg"] != "不合法的access_token" {
		t.Fatalf("bad token: %s", r.body)
	}
}

// ---- sessionWebhook ----

func TestSessionWebhook(t *testing.T) {
	f, clk := newFake(t)
	hook := f.SessionWebhook("cidGroup==")
	if !strings.HasPrefix(hook, f.URL()+"/robot/sendBySession?session=") {
		t.Fatalf("hook %q", hook)
	}
	wantErrcode(t, post(t, hook, `{"msgtype":"markdown","markdown":{"title":"已受理","text":"工单 #3 已受理"},"at":{"atUserIds":["u1"]}}`), 0)
	rs := f.SessionReplies()
	if len(rs) != 1 || rs[0].ConversationID != "cidGroup==" || rs[0].Title != "已受理" || rs[0].AccessToken != "" || rs[0].AtUserIDs[0] != "u1" {
		t.Fatalf("recorded %+v", rs)
	}
	wantErrcode(t, post(t, hook, `{"msgtype":"bogus"}`), ErrUnsupportedMsgType)
	clk.Advance(SessionTTL)
	r := post(t, hook, `{"msgtype":"text","text":{"content":"late"}}`)
	wantErrcode(t, r, ErrSessionNotExist)
	if r.m["errmsg"] != "session 不存在" {
		t.Fatalf("errmsg %q", r.m["errmsg"])
	}
	wantErrcode(t, post(t, f.URL()+"/robot/sendBySession?session=nope", `{"msgtype":"text","text":{"content":"x"}}`), ErrSessionNotExist)
	if len(f.SessionReplies()) != 1 || len(f.RobotMessages()) != 0 {
		t.Fatal("session replies are recorded apart from robot messages")
	}
}

// ---- faults ----

func TestFailNextAndDown(t *testing.T) {
	f, clk := newFake(t)
	f.AddUser("u1")
	f.FailNext(2, http.StatusServiceUnavailable, 0)
	// Token calls are not affected.
	if r := post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`); r.status != 200 {
		t.Fatalf("token call under FailNext: %d", r.status)
	}
	body := `{"msgtype":"text","text":{"content":"x"}}`
	if r := post(t, signedURL(f, robotTok, robotSec, clk.Now()), body); r.status != 503 {
		t.Fatalf("fault 1: %d", r.status)
	}
	if r := batch(t, f, f.AccessToken(), `{}`); r.status != 503 || r.m["code"] != "systemError" {
		t.Fatalf("fault 2: %d %s", r.status, r.body)
	}
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, clk.Now()), body), 0)

	f.FailNext(1, 200, ErrSendTooFastDocumented)
	r := post(t, signedURL(f, robotTok, robotSec, clk.Now()), body)
	wantErrcode(t, r, ErrSendTooFastDocumented)
	if r.m["errmsg"] != "发送速度太快而限流" {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	f.FailNext(1, 200, 0)
	r = batch(t, f, f.AccessToken(), `{"robotCode":"`+robotCode+`","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`)
	if r.status != 200 || fmt.Sprint(r.m["flowControlledStaffIdList"]) != "[u1]" {
		t.Fatalf("200 fault on batchSend: %d %s", r.status, r.body)
	}
	if n := len(f.RobotMessages()); n != 1 || len(f.PrivateMessages()) != 0 {
		t.Fatalf("failed calls are not recorded: %d robot, %d private", n, len(f.PrivateMessages()))
	}

	f.Down(true)
	if r := post(t, f.URL()+"/v1.0/oauth2/accessToken", `{"appKey":"`+appKey+`","appSecret":"`+appSecret+`"}`); r.status != 502 {
		t.Fatalf("down: %d", r.status)
	}
	if r := post(t, signedURL(f, robotTok, robotSec, clk.Now()), body); r.status != 502 {
		t.Fatalf("down: %d", r.status)
	}
	f.Down(false)
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, clk.Now()), body), 0)
	if f.TokenRequests() != 1 {
		t.Fatalf("TokenRequests = %d (calls refused by Down do not count)", f.TokenRequests())
	}
}

func TestUnknownPath(t *testing.T) {
	f, _ := newFake(t)
	wantErrcode(t, post(t, f.URL()+"/topapi/nothing", `{}`), 404)
}

func TestResetAndWaitFor(t *testing.T) {
	f, clk := newFake(t)
	go func() {
		time.Sleep(30 * time.Millisecond)
		post(t, signedURL(f, robotTok, robotSec, clk.Now()), `{"msgtype":"text","text":{"content":"async"}}`)
	}()
	f.WaitFor(t, func() bool { return len(f.RobotMessages()) == 1 }, 5*time.Second)
	f.Reset()
	if len(f.RobotMessages()) != 0 {
		t.Fatal("Reset forgets recorded messages")
	}
}

// ---- concurrency ----

func TestConcurrent(t *testing.T) {
	f, clk := newFake(t)
	for i := range 8 {
		f.AddRobot("tok"+strconv.Itoa(i), "SECsecret"+strconv.Itoa(i))
		f.AddUser("u" + strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, sec := "tok"+strconv.Itoa(i), "SECsecret"+strconv.Itoa(i)
			for j := range 10 {
				r := post(t, signedURL(f, tok, sec, clk.Now()), fmt.Sprintf(`{"msgtype":"text","text":{"content":"%d-%d"}}`, i, j))
				if r.errcode() != 0 {
					t.Errorf("robot %d: %s", i, r.body)
				}
				at := f.AccessToken()
				r = batch(t, f, at, `{"robotCode":"`+robotCode+`","userIds":["u`+strconv.Itoa(i)+`"],"msgKey":"sampleText","msgParam":"{\"content\":\"c\"}"}`)
				if r.status != 200 {
					t.Errorf("batch %d: %s", i, r.body)
				}
				f.SessionWebhook("cid")
				_ = f.RobotMessagesTo(tok)
				_ = f.PrivateMessagesTo("u1")
			}
			clk.Advance(time.Millisecond)
		}()
	}
	wg.Wait()
	if n := len(f.RobotMessages()); n != 80 {
		t.Fatalf("robot messages %d", n)
	}
	if n := len(f.PrivateMessages()); n != 80 {
		t.Fatalf("private messages %d", n)
	}
}

// ---- Client (HTTP-mode callbacks) ----

// robotHandler verifies a callback the documented way (timestamp within 1
// hour of its clock, sign = base64(HmacSHA256(appSecret, ts+"\n"+appSecret)),
// computed independently here) and answers with a text reply.
func robotHandler(t *testing.T, secret string, now func() time.Time, got chan<- map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, sign := r.Header.Get("timestamp"), r.Header.Get("sign")
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			http.Error(w, "no timestamp", http.StatusForbidden)
			return
		}
		if d := now().Sub(time.UnixMilli(ms)); d > time.Hour || d < -time.Hour {
			http.Error(w, "stale", http.StatusForbidden)
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "\n" + secret))
		if sign != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad sign", http.StatusForbidden)
			return
		}
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		got <- m
		text, _ := m["text"].(map[string]any)
		content := strings.TrimSpace(fmt.Sprint(text["content"]))
		switch content {
		case "silent":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"msgtype":"empty"}`)
		case "nothing":
		case "broken":
			_, _ = io.WriteString(w, `{"msgtype":"markdown","markdown":{"text":"no title"}}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"msgtype":"text","text":{"content":"收到：`+content+`"},"at":{"atUserIds":["`+fmt.Sprint(m["senderStaffId"])+`"]}}`)
		}
	})
}

func TestClientGroupText(t *testing.T) {
	f, clk := newFake(t)
	got := make(chan map[string]any, 10)
	srv := httptest.NewServer(robotHandler(t, appSecret, clk.Now, got))
	defer srv.Close()
	c := &Client{URL: srv.URL, AppSecret: appSecret, RobotCode: robotCode, CorpID: "ding9f50b15bccd16741", Fake: f}

	r := c.GroupText("cidjMOsz5AhS4Jg==", "统一应用模型-测试群", "452523285939877041", "小钉", "你好", "msg2abcp+w==")
	if r.Err != nil || r.Status != 200 || r.Reply == nil || r.Reply.MsgType != "text" || r.Reply.Text != "收到：你好" || r.Reply.AtUserIDs[0] != "452523285939877041" {
		t.Fatalf("response %+v (reply %+v)", r, r.Reply)
	}
	m := <-got
	want := map[string]any{
		"conversationId": "cidjMOsz5AhS4Jg==", "conversationTitle": "统一应用模型-测试群", "conversationType": "2",
		"senderStaffId": "452523285939877041", "senderNick": "小钉", "msgId": "msg2abcp+w==", "msgtype": "text",
		"isInAtList": true, "robotCode": robotCode, "senderCorpId": "ding9f50b15bccd16741", "chatbotCorpId": "ding9f50b15bccd16741",
		"isAdmin": false,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if text := m["text"].(map[string]any); text["content"] != " 你好" {
		t.Errorf("text.content = %q, want the mention cut, the space kept", text["content"])
	}
	if m["createAt"] != float64(clk.Now().UnixMilli()) || m["sessionWebhookExpiredTime"] != float64(clk.Now().Add(SessionTTL).UnixMilli()) {
		t.Errorf("createAt %v sessionWebhookExpiredTime %v", m["createAt"], m["sessionWebhookExpiredTime"])
	}
	for _, k := range []string{"senderId", "chatbotUserId"} {
		if s, _ := m[k].(string); !strings.HasPrefix(s, "$:LWCP_v1:$") {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	if at, _ := m["atUsers"].([]any); len(at) != 1 || at[0].(map[string]any)["dingtalkId"] != m["chatbotUserId"] {
		t.Errorf("atUsers = %v", m["atUsers"])
	}
	// The sessionWebhook is on the fake and records the reply.
	hook, _ := m["sessionWebhook"].(string)
	wantErrcode(t, post(t, hook, `{"msgtype":"text","text":{"content":"稍后回复"}}`), 0)
	if rs := f.SessionReplies(); len(rs) != 1 || rs[0].ConversationID != "cidjMOsz5AhS4Jg==" {
		t.Fatalf("session replies %+v", rs)
	}

	// Empty answers.
	if r := c.GroupText("cid1", "群", "u1", "n", "silent", ""); r.Err != nil || r.Reply != nil {
		t.Errorf("msgtype empty: %+v", r)
	}
	<-got
	if r := c.GroupText("cid1", "群", "u1", "n", "nothing", ""); r.Err != nil || r.Reply != nil || r.Status != 200 {
		t.Errorf("empty body: %+v", r)
	}
	<-got
	if r := c.GroupText("cid1", "群", "u1", "n", "broken", ""); r.Err == nil || !strings.Contains(r.Err.Error(), "400402") {
		t.Errorf("a reply DingTalk refuses: %+v", r)
	}
	if m := <-got; m["msgId"] == "" {
		t.Error("a msgId is generated when none is given")
	}
}

func TestClientSingleText(t *testing.T) {
	got := make(chan map[string]any, 1)
	now := time.UnixMilli(1683261948877)
	srv := httptest.NewServer(robotHandler(t, appSecret, func() time.Time { return now }, got))
	defer srv.Close()
	c := &Client{URL: srv.URL, AppSecret: appSecret, RobotCode: robotCode, Now: func() time.Time { return now }}
	r := c.SingleText("2246663532780303", "头皮发麻", "你是什么", "msgAMVBzPulTJGBbGXvR5v4sQ==")
	if r.Err != nil || r.Reply == nil || r.Reply.Text != "收到：你是什么" {
		t.Fatalf("%+v", r)
	}
	m := <-got
	if m["conversationType"] != "1" || m["text"].(map[string]any)["content"] != "你是什么" || m["senderCorpId"] != DefaultCorpID {
		t.Errorf("body %v", m)
	}
	for _, k := range []string{"isInAtList", "atUsers", "conversationTitle"} {
		if _, ok := m[k]; ok {
			t.Errorf("a single chat callback has no %s", k)
		}
	}
	if hook, _ := m["sessionWebhook"].(string); !strings.HasPrefix(hook, "https://oapi.dingtalk.com/robot/sendBySession?session=") {
		t.Errorf("sessionWebhook without a Fake: %q", hook)
	}
	if m["createAt"] != float64(1683261948877) {
		t.Errorf("createAt %v", m["createAt"])
	}
	// The same sender, the same conversation.
	c.SingleText("2246663532780303", "头皮发麻", "again", "")
	if m2 := <-got; m2["conversationId"] != m["conversationId"] {
		t.Error("a sender's single chat keeps its conversationId")
	}
}

func TestClientPostBadHeaders(t *testing.T) {
	got := make(chan map[string]any, 4)
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	srv := httptest.NewServer(robotHandler(t, appSecret, func() time.Time { return now }, got))
	defer srv.Close()
	c := &Client{URL: srv.URL, AppSecret: appSecret, RobotCode: robotCode, Now: func() time.Time { return now }}
	body := c.GroupTextBody("cid1", "群", "u1", "n", "hi", "")

	if r := c.Post(c.Headers(now), body); r.Status != 200 || r.Reply == nil {
		t.Fatalf("good headers: %+v", r)
	}
	<-got
	stale := c.Headers(now.Add(-61 * time.Minute))
	if r := c.Post(stale, body); r.Status != http.StatusForbidden || r.Reply != nil {
		t.Errorf("stale timestamp: %+v", r)
	}
	bad := c.Headers(now)
	bad.Set("sign", Sign("other secret", bad.Get("timestamp")))
	if r := c.Post(bad, body); r.Status != http.StatusForbidden {
		t.Errorf("bad sign: %+v", r)
	}
	if r := c.Post(nil, body); r.Status != http.StatusForbidden {
		t.Errorf("no headers: %+v", r)
	}
	if r := c.Post(c.Headers(now), []byte(`{"msgtype":`)); r.Status != http.StatusBadRequest {
		t.Errorf("malformed body: %+v", r)
	}
	if r := (&Client{URL: "http://127.0.0.1:1"}).Post(nil, body); r.Err == nil {
		t.Error("a transport error is reported")
	}
}

// Left alone, the fake is DingTalk in real time: a custom robot call
// signed with a timestamp days away from the wall clock — what a sender
// reading a moved test clock would send — is refused with 310000
// (签名过期), as DingTalk refuses it; one signed now is taken.
func TestRobotSignIsCheckedAgainstTheWallClock(t *testing.T) {
	f := NewFake(t, appKey, appSecret, robotCode)
	f.AddRobot(robotTok, robotSec)
	moved := time.Now().AddDate(0, 0, 3)
	r := post(t, signedURL(f, robotTok, robotSec, moved), `{"msgtype":"text","text":{"content":"x"}}`)
	wantErrcode(t, r, ErrSecurity)
	if !strings.Contains(r.m["errmsg"].(string), "签名过期") {
		t.Errorf("errmsg %q", r.m["errmsg"])
	}
	wantErrcode(t, post(t, signedURL(f, robotTok, robotSec, time.Now()), `{"msgtype":"text","text":{"content":"ok"}}`), 0)
	if n := len(f.RobotMessagesTo(robotTok)); n != 1 {
		t.Errorf("%d messages taken, want 1", n)
	}
}

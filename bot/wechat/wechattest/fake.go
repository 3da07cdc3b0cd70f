// Package wechattest holds test doubles that speak the real WeChat
// service-account (公众号/服务号) wire formats:
//
//   - Fake is an httptest server standing in for https://api.weixin.qq.com
//     (access tokens, customer-service and template messages, media/get),
//     answering with WeChat's own errcodes, with fault injection.
//   - Client plays WeChat's server delivering messages and events to a
//     webhook, signed and (in safe mode) encrypted, and checks and decrypts
//     the passive reply the way WeChat would.
//
// The crypto (bot/internal/faketest, shared with wecomtest: WeCom uses the
// same scheme) is written from the published scheme, not taken from
// silenceper/wechat, and the package's tests cross-check it against the
// SDK bbcs uses.
package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/bot/internal/faketest"
)

// TokenTTL is the lifetime WeChat gives an access token (expires_in).
const TokenTTL = 7200 * time.Second

// clientMsgIDWindow is how long WeChat remembers a template message's
// client_msg_id (防重入: "10 分钟内有效").
const clientMsgIDWindow = 10 * time.Minute

// Custom is one recorded customer-service (客服) message.
type Custom struct {
	ToUser  string
	MsgType string
	Text    string // text.content
	Menu    *Menu  // msgmenu
	MediaID string // image/voice/video/mpnews media_id
	Raw     json.RawMessage
}

// Menu is a msgmenu (菜单消息).
type Menu struct {
	Head  string
	Items []MenuItem
	Tail  string
}

// MenuItem is one line of a msgmenu; ID comes back as <bizmsgmenuid>.
type MenuItem struct{ ID, Content string }

// Template is one recorded template message (模板消息).
type Template struct {
	ToUser, TemplateID, URL, ClientMsgID string
	Data                                 map[string]string // key → value
	Raw                                  json.RawMessage
}

type token struct {
	issued  time.Time
	expired bool
}

type media struct {
	contentType string
	data        []byte
}

type sent struct {
	msgID int64
	at    time.Time
}

// Fake is an httptest.Server answering like https://api.weixin.qq.com for
// one service account. It is safe for concurrent use.
//
// Endpoints: GET /cgi-bin/token, POST /cgi-bin/stable_token,
// POST /cgi-bin/message/custom/send, POST /cgi-bin/message/template/send,
// GET /cgi-bin/media/get. Anything else answers 404 and is logged to t.
type Fake struct {
	t                testing.TB
	srv              *httptest.Server
	appID, appSecret string

	mu            sync.Mutex
	tokens        map[string]*token
	stable        string // current stable_token
	tokenRequests atomic.Int64
	closed        map[string]bool // openids outside the customer-service window
	allowed       map[string]bool // registered template ids
	customs       faketest.Log[Custom]
	templates     faketest.Log[Template]
	clientMsgIDs  map[string]sent // touser + "\x00" + client_msg_id
	nextMsgID     int64
	media         map[string]media
	faults        faketest.Faults
}

// NewFake starts a fake WeChat API for the account appID/appSecret; the
// server is closed by t.Cleanup.
func NewFake(t testing.TB, appID, appSecret string) *Fake {
	f := &Fake{
		t: t, appID: appID, appSecret: appSecret,
		tokens:       map[string]*token{},
		closed:       map[string]bool{},
		allowed:      map[string]bool{},
		clientMsgIDs: map[string]sent{},
		media:        map[string]media{},
		nextMsgID:    2_000_000_000,
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL, the stand-in for "https://api.weixin.qq.com".
func (f *Fake) URL() string { return f.srv.URL }

// TokenRequests counts the calls that reached /cgi-bin/token and
// /cgi-bin/stable_token (successful or not; not those refused by Down).
func (f *Fake) TokenRequests() int { return int(f.tokenRequests.Load()) }

// AccessToken issues a valid access token without counting a token
// request, for tests that call the fake by hand.
func (f *Fake) AccessToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issueLocked()
}

// ExpireTokens expires every access token issued so far (normal and
// stable): calls with them answer 42001 "access_token expired" until the
// caller fetches a new one.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tk := range f.tokens {
		tk.expired = true
	}
	f.stable = ""
}

// CloseWindow puts openid outside the customer-service window: customer
// messages to it answer 45015. Template messages are unaffected.
func (f *Fake) CloseWindow(openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed[openid] = true
}

// OpenWindow puts openid back inside the window (the default).
func (f *Fake) OpenWindow(openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.closed, openid)
}

// AllowTemplate registers a valid template id. Once any is registered,
// other ids answer 40037; with none registered any non-empty id is valid.
func (f *Fake) AllowTemplate(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed[id] = true
}

// AddMedia makes media/get serve data for mediaID (as WeChat keeps the
// media a citizen sends for 3 days).
func (f *Fake) AddMedia(mediaID, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[mediaID] = media{contentType: contentType, data: bytes.Clone(data)}
}

// FailNext makes the next n API calls (not token calls) fail: with HTTP
// status when status is not 200 (e.g. 503), otherwise with a 200 answer
// carrying errcode (e.g. 45009) and WeChat's errmsg for it. Failed calls
// are not recorded.
func (f *Fake) FailNext(n int, status int, errcode int) { f.faults.FailNext(n, status, errcode) }

// Down makes every request, token calls included, answer 502 while true.
func (f *Fake) Down(down bool) { f.faults.SetDown(down) }

// Customs returns the customer-service messages accepted so far.
func (f *Fake) Customs() []Custom { return f.customs.All() }

// CustomsTo returns the customer-service messages accepted for openid.
func (f *Fake) CustomsTo(openid string) []Custom {
	return f.customs.Where(func(c Custom) bool { return c.ToUser == openid })
}

// Templates returns the template messages accepted so far (a repeated
// client_msg_id is recorded once).
func (f *Fake) Templates() []Template { return f.templates.All() }

// Reset forgets the recorded messages. Server state stays: tokens,
// windows, templates, media, pending faults and the client_msg_ids
// WeChat remembers (a repeat within 10 minutes is still not sent again).
func (f *Fake) Reset() {
	f.customs.Reset()
	f.templates.Reset()
}

// WaitFor polls cond (outbox delivery is asynchronous) until it holds, or
// fails the test after timeout with what the fake has recorded.
func (f *Fake) WaitFor(t testing.TB, cond func() bool, timeout time.Duration) {
	t.Helper()
	faketest.WaitFor(t, "wechattest", cond, timeout, func() string {
		var b strings.Builder
		for _, c := range f.Customs() {
			fmt.Fprintf(&b, "\n  custom   %s", c.Raw)
		}
		for _, m := range f.Templates() {
			fmt.Fprintf(&b, "\n  template %s", m.Raw)
		}
		return b.String()
	})
}

// ServeHTTP answers like api.weixin.qq.com.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.faults.IsDown() {
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/token":
		f.tokenRequests.Add(1)
		f.token(w, r)
	case "/cgi-bin/stable_token":
		f.tokenRequests.Add(1)
		f.stableToken(w, r)
	case "/cgi-bin/message/custom/send":
		f.api(w, r, http.MethodPost, f.customSend)
	case "/cgi-bin/message/template/send":
		f.api(w, r, http.MethodPost, f.templateSend)
	case "/cgi-bin/media/get":
		f.api(w, r, "", f.mediaGet)
	default:
		f.t.Logf("wechattest: fake WeChat API has no %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

// errmsgs are WeChat's messages for the errcodes the fake answers.
var errmsgs = map[int]string{
	0:     "ok",
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40037: "invalid template_id",
	40125: "invalid appsecret",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	41006: "media_id missing",
	42001: "access_token expired",
	43002: "require POST method",
	43004: "require subscribe",
	44002: "empty post data",
	44003: "empty news data",
	44004: "empty content",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit  mustslower  retry next minute",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47001: "data format error",
	48001: "api unauthorized",
}

// ErrMsg is the errmsg the fake gives with errcode.
func ErrMsg(errcode int) string {
	if m, ok := errmsgs[errcode]; ok {
		return m
	}
	return "system error"
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	// WeChat's own (non-standard) content type for JSON answers.
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	_, _ = w.Write(b)
}

type errAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func writeErr(w http.ResponseWriter, code int) {
	writeJSON(w, errAnswer{code, ErrMsg(code)})
}

func (f *Fake) issueLocked() string {
	b := make([]byte, 96)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	f.tokens[tok] = &token{issued: time.Now()}
	return tok
}

func (f *Fake) checkCredentials(appid, secret string) int {
	switch {
	case appid == "":
		return 41002
	case appid != f.appID:
		return 40013
	case secret == "":
		return 41004
	case secret != f.appSecret:
		return 40125
	}
	return 0
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token: GET /cgi-bin/token?grant_type=client_credential&appid=&secret=.
// Every call issues a new token; older ones keep working (WeChat keeps the
// previous one for 5 minutes, longer than a test).
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("grant_type") != "client_credential" {
		writeErr(w, 40002)
		return
	}
	if code := f.checkCredentials(q.Get("appid"), q.Get("secret")); code != 0 {
		writeErr(w, code)
		return
	}
	writeJSON(w, tokenAnswer{f.issueLocked(), int64(TokenTTL / time.Second)})
}

// stableToken: POST /cgi-bin/stable_token {grant_type, appid, secret,
// force_refresh}. Without force_refresh the current stable token comes
// back with its remaining lifetime.
func (f *Fake) stableToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		writeErr(w, 43002)
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	body, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(body)) == 0 {
		writeErr(w, 44002)
		return
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, 47001)
		return
	}
	if req.GrantType != "client_credential" {
		writeErr(w, 40002)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if code := f.checkCredentials(req.AppID, req.Secret); code != 0 {
		writeErr(w, code)
		return
	}
	if f.stable != "" && !req.ForceRefresh && f.validLocked(f.stable) == 0 {
		left := TokenTTL - time.Since(f.tokens[f.stable].issued)
		writeJSON(w, tokenAnswer{f.stable, int64(left / time.Second)})
		return
	}
	f.stable = f.issueLocked()
	writeJSON(w, tokenAnswer{f.stable, int64(TokenTTL / time.Second)})
}

// validLocked returns 0 for a usable token, else WeChat's errcode.
func (f *Fake) validLocked(tok string) int {
	if tok == "" {
		return 41001
	}
	tk, ok := f.tokens[tok]
	switch {
	case !ok:
		return 40001
	case tk.expired || time.Since(tk.issued) >= TokenTTL:
		return 42001
	}
	return 0
}

// api runs the checks every API call goes through: injected faults, the
// HTTP method, the access token, and a POST's body (44002 when empty).
func (f *Fake) api(w http.ResponseWriter, r *http.Request, method string, h func(http.ResponseWriter, *http.Request, []byte)) {
	if status, code, ok := f.faults.Take(); ok {
		if status != http.StatusOK && status != 0 {
			http.Error(w, fmt.Sprintf("%d %s", status, http.StatusText(status)), status)
		} else {
			writeErr(w, code)
		}
		return
	}
	f.mu.Lock()
	code := f.validLocked(r.URL.Query().Get("access_token"))
	f.mu.Unlock()
	if method != "" && r.Method != method {
		writeErr(w, 43002)
		return
	}
	if code != 0 {
		writeErr(w, code)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeErr(w, -1)
		return
	}
	body = bytes.TrimSpace(body)
	if method == http.MethodPost && len(body) == 0 {
		writeErr(w, 44002)
		return
	}
	h(w, r, body)
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

// customSend: POST /cgi-bin/message/custom/send.
func (f *Fake) customSend(w http.ResponseWriter, _ *http.Request, body []byte) {
	var m struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		Image  *mediaRef `json:"image"`
		Voice  *mediaRef `json:"voice"`
		Video  *mediaRef `json:"video"`
		Mpnews *mediaRef `json:"mpnews"`
		News   *struct {
			Articles []json.RawMessage `json:"articles"`
		} `json:"news"`
		Msgmenu *struct {
			HeadContent string `json:"head_content"`
			List        []struct {
				ID      faketest.FlexString `json:"id"`
				Content string              `json:"content"`
			} `json:"list"`
			TailContent string `json:"tail_content"`
		} `json:"msgmenu"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeErr(w, 47001)
		return
	}
	if m.ToUser == "" {
		writeErr(w, 40003)
		return
	}
	c := Custom{ToUser: m.ToUser, MsgType: m.MsgType, Raw: json.RawMessage(bytes.Clone(body))}
	mediaOf := func(ref *mediaRef) int {
		if ref == nil || ref.MediaID == "" {
			return 40007
		}
		c.MediaID = ref.MediaID
		return 0
	}
	code := 0
	switch m.MsgType {
	case "text":
		if m.Text == nil || m.Text.Content == "" {
			code = 44004
		} else {
			c.Text = m.Text.Content
		}
	case "image":
		code = mediaOf(m.Image)
	case "voice":
		code = mediaOf(m.Voice)
	case "video":
		code = mediaOf(m.Video)
	case "mpnews":
		code = mediaOf(m.Mpnews)
	case "news":
		if m.News == nil || len(m.News.Articles) == 0 {
			code = 44003
		}
	case "msgmenu":
		if m.Msgmenu == nil || len(m.Msgmenu.List) == 0 {
			code = 47001
			break
		}
		menu := &Menu{Head: m.Msgmenu.HeadContent, Tail: m.Msgmenu.TailContent}
		for _, it := range m.Msgmenu.List {
			menu.Items = append(menu.Items, MenuItem{ID: string(it.ID), Content: it.Content})
		}
		c.Menu = menu
	case "music", "wxcard", "miniprogrampage", "mpnewsarticle":
	default:
		code = 40008
	}
	if code != 0 {
		writeErr(w, code)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed[m.ToUser] {
		writeErr(w, 45015)
		return
	}
	f.customs.Add(c)
	writeErr(w, 0)
}

type templateAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid"`
}

// templateSend: POST /cgi-bin/message/template/send. A non-empty
// client_msg_id repeated for the same touser within 10 minutes (WeChat's
// 防重入) is answered ok with the first send's msgid and not recorded again.
func (f *Fake) templateSend(w http.ResponseWriter, _ *http.Request, body []byte) {
	var m struct {
		ToUser      string `json:"touser"`
		TemplateID  string `json:"template_id"`
		URL         string `json:"url"`
		ClientMsgID string `json:"client_msg_id"`
		Data        map[string]struct {
			Value string `json:"value"`
			Color string `json:"color"`
		} `json:"data"`
		MiniProgram *struct {
			AppID    string `json:"appid"`
			PagePath string `json:"pagepath"`
		} `json:"miniprogram"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeErr(w, 47001)
		return
	}
	if m.ToUser == "" {
		writeErr(w, 40003)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.TemplateID == "" || (len(f.allowed) > 0 && !f.allowed[m.TemplateID]) {
		writeErr(w, 40037)
		return
	}
	key := m.ToUser + "\x00" + m.ClientMsgID
	if m.ClientMsgID != "" {
		if s, ok := f.clientMsgIDs[key]; ok && time.Since(s.at) < clientMsgIDWindow {
			writeJSON(w, templateAnswer{0, "ok", s.msgID})
			return
		}
	}
	f.nextMsgID++
	id := f.nextMsgID
	if m.ClientMsgID != "" {
		f.clientMsgIDs[key] = sent{id, time.Now()}
	}
	tm := Template{
		ToUser: m.ToUser, TemplateID: m.TemplateID, URL: m.URL, ClientMsgID: m.ClientMsgID,
		Data: map[string]string{}, Raw: json.RawMessage(bytes.Clone(body)),
	}
	for k, v := range m.Data {
		tm.Data[k] = v.Value
	}
	f.templates.Add(tm)
	writeJSON(w, templateAnswer{0, "ok", id})
}

var mediaExt = map[string]string{
	"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/bmp": "bmp",
	"audio/amr": "amr", "voice/speex": "speex", "audio/mpeg": "mp3", "video/mp4": "mp4",
}

// mediaGet: GET /cgi-bin/media/get?access_token=&media_id=. The file
// comes as-is with its Content-Type and a Content-disposition; an error
// comes as a JSON body (status 200), as WeChat does.
func (f *Fake) mediaGet(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.URL.Query().Get("media_id")
	if id == "" {
		writeErr(w, 41006)
		return
	}
	f.mu.Lock()
	m, ok := f.media[id]
	f.mu.Unlock()
	if !ok {
		writeErr(w, 40007)
		return
	}
	ext := mediaExt[strings.ToLower(strings.TrimSpace(strings.Split(m.contentType, ";")[0]))]
	if ext == "" {
		ext = "jpg"
	}
	h := w.Header()
	h.Set("Content-Type", m.contentType)
	h.Set("Content-disposition", fmt.Sprintf("attachment; filename=%q", id+"."+ext))
	h.Set("Cache-Control", "no-cache, must-revalidate")
	h.Set("Content-Length", fmt.Sprint(len(m.data)))
	_, _ = w.Write(m.data)
}

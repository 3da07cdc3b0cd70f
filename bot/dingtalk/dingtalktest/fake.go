// Package dingtalktest holds test doubles that speak DingTalk's (钉钉) real
// wire formats:
//
//   - Fake is one httptest server standing in for both
//     https://oapi.dingtalk.com (custom robot webhooks, sessionWebhooks,
//     the old gettoken, work notifications, free-login codes) and
//     https://api.dingtalk.com (the new accessToken, the enterprise robot's
//     one-to-one and group messages), answering with DingTalk's own codes,
//     with a fake clock and fault injection.
//   - Client plays DingTalk delivering @-messages to an enterprise internal
//     robot in HTTP mode (headers timestamp/sign), and reads the robot's
//     answer the way DingTalk does.
//
// Sources: open.dingtalk.com (“自定义机器人发送群消息”, “自定义机器人安全设置”,
// “消息发送与接收类型”, “机器人接收消息”, “批量发送人与机器人会话中机器人消息”,
// “获取企业内部应用的accessToken”, “通过免登码获取用户信息”, 全局错误码), and,
// where DingTalk's servers answer other than the docs say, the answers they
// were seen to give (GitHub issues, a 2026-09 probe log); each such choice
// is commented where it is made. UNVERIFIED marks what neither settled.
package dingtalktest

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/bot/internal/faketest"
)

const (
	// TokenTTL is an app access token's lifetime (expireIn/expires_in).
	// Fetching again within it returns the same token and renews it
	// (“有效期内重复获取会返回相同结果并自动续期”).
	TokenTTL = 7200 * time.Second
	// SessionTTL is how long a sessionWebhook stays valid. The doc's sample
	// callback has sessionWebhookExpiredTime − createAt ≈ 90 min.
	SessionTTL = 90 * time.Minute
	// CodeTTL is a free-login auth code's lifetime (“此授权码五分钟内有效，
	// 且只能使用一次”).
	CodeTTL = 5 * time.Minute
	// SignWindow: a custom robot's timestamp must be within 1 hour of
	// DingTalk's clock; so must an HTTP-mode callback's for the receiver.
	SignWindow = time.Hour
	// RobotRateLimit messages per RobotRateWindow per custom robot; going
	// over throttles the robot for RobotThrottle (“每个机器人每分钟最多发送
	// 20条消息到群里，如果超过20条，会限流10分钟”).
	RobotRateLimit  = 20
	RobotRateWindow = time.Minute
	RobotThrottle   = 10 * time.Minute
	// MaxRobotBody is the largest webhook body DingTalk takes (observed:
	// 460101 "message too long, exceed 20000 bytes").
	MaxRobotBody = 20000
	// MaxBatchUsers is batchSend's userIds limit (“每次最多传20个”).
	MaxBatchUsers = 20
	// WorkNoticeDailyLimit: one app may send a user at most 500 work
	// notices a day; the same content reaches a user once a day. Over
	// either, asyncsend_v2 still answers success but the user gets nothing.
	WorkNoticeDailyLimit = 500
)

const (
	ctOAPI = "application/json"               // /robot/send, /gettoken (observed)
	ctTOP  = "application/json;charset=UTF-8" // /topapi/* (observed)
	ctNew  = "application/json;charset=utf-8" // api.dingtalk.com (observed)
)

type robot struct {
	secret         string
	sent           []time.Time // accepted messages, for the rate limit
	throttledUntil time.Time
	uuids          map[string]bool // msgUuid seen
}

type authCode struct {
	userID  string
	expires time.Time
}

type session struct {
	conversationID string
	expires        time.Time
}

type noticeRec struct {
	at  time.Time
	key string
}

// Fake is an httptest.Server answering like oapi.dingtalk.com and
// api.dingtalk.com for one enterprise internal app (appKey/appSecret, its
// robot robotCode) and any custom group robots added with AddRobot. It is
// safe for concurrent use.
//
// Endpoints: POST /robot/send, POST /robot/sendBySession, GET /gettoken,
// POST /topapi/message/corpconversation/asyncsend_v2,
// POST /topapi/v2/user/getuserinfo (oapi); POST /v1.0/oauth2/accessToken,
// POST /v1.0/robot/oToMessages/batchSend, POST /v1.0/robot/groupMessages/send
// (api). Anything else answers {"errcode":404,"errmsg":"请求的URI地址不存在"}
// (what DingTalk answered for an unknown path in the 2026-09 probe) and is
// logged to t.
type Fake struct {
	t                            testing.TB
	srv                          *httptest.Server
	appKey, appSecret, robotCode string

	mu             sync.Mutex
	now            func() time.Time
	token          string
	tokenExpires   time.Time
	tokenRequests  atomic.Int64
	robots         map[string]*robot
	users          map[string]bool
	codes          map[string]authCode
	sessions       map[string]session
	notices        map[string][]noticeRec // userID → work notices received
	robotMsgs      faketest.Log[RobotMessage]
	privateMsgs    faketest.Log[PrivateMessage]
	groupMsgs      faketest.Log[GroupMessage]
	sessionReplies faketest.Log[RobotMessage]
	nextTaskID     int64
	faults         faketest.Faults
}

// NewFake starts a fake DingTalk for the enterprise internal app
// appKey/appSecret whose robot is robotCode; the server is closed by
// t.Cleanup.
func NewFake(t testing.TB, appKey, appSecret, robotCode string) *Fake {
	f := &Fake{
		t: t, appKey: appKey, appSecret: appSecret, robotCode: robotCode,
		now:        time.Now,
		robots:     map[string]*robot{},
		users:      map[string]bool{},
		codes:      map[string]authCode{},
		sessions:   map[string]session{},
		notices:    map[string][]noticeRec{},
		nextTaskID: 256271667526,
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL, the stand-in for both "https://oapi.dingtalk.com"
// and "https://api.dingtalk.com".
func (f *Fake) URL() string { return f.srv.URL }

// WebhookURL is the custom robot's webhook as DingTalk shows it to the
// group's admin: URL()+"/robot/send?access_token="+accessToken (timestamp
// and sign are for the sender to add).
func (f *Fake) WebhookURL(accessToken string) string {
	return f.srv.URL + "/robot/send?" + url.Values{"access_token": {accessToken}}.Encode()
}

// AddRobot adds a custom group robot. secret is its 加签 secret ("SEC…");
// "" makes a robot secured otherwise (keywords or IP allowlist, neither
// modelled), whose webhook takes unsigned calls.
func (f *Fake) AddRobot(accessToken, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.robots[accessToken] = &robot{secret: secret, uuids: map[string]bool{}}
}

// AddUser adds a staff member (userId) of the app's organisation: robot
// one-to-one messages and work notices reach only added users.
func (f *Fake) AddUser(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[userID] = true
}

// AddCode issues an in-app free-login auth code (免登授权码) for userID
// (added as a user too): getuserinfo takes it once, within CodeTTL of the
// fake's clock.
func (f *Fake) AddCode(code, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[userID] = true
	f.codes[code] = authCode{userID: userID, expires: f.now().Add(CodeTTL)}
}

// SetNow sets the fake's clock (nil: time.Now): sign timestamps, token,
// session and code lifetimes, the robot rate limit and work notice days
// all follow it.
//
// It is DingTalk's own clock, its real time: never point it at bbcs's
// test clock. DingTalk refuses a custom robot call whose timestamp is more
// than SignWindow from its real time (310000) whatever POST /debug/clock
// did to bbcs, and a fake that followed bbcs's clock would hide exactly
// that (REQUIREMENTS.md, "Test clock").
func (f *Fake) SetNow(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Now is the fake's clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

// FailNext makes the next n calls other than the token calls fail, before
// any other check, and not be recorded:
//
//   - status other than 0/200: that HTTP status, with a JSON body
//     ({"errcode":-1,"errmsg":"系统繁忙"} on oapi; {"code":"systemError",…},
//     or "Forbidden.AccessDenied.QpsLimitForApi" for 429, on api —
//     UNVERIFIED shapes: DingTalk's gateways may answer HTML);
//   - status 0/200 on oapi: HTTP 200 with errcode and ErrMsg(errcode);
//   - status 0/200 on api, which never answers an error with 200:
//     batchSend answers 200 with every recipient in
//     flowControlledStaffIdList (delivered to none); groupMessages/send
//     answers 400 send.too.fast. errcode is not used there.
func (f *Fake) FailNext(n, status, errcode int) { f.faults.FailNext(n, status, errcode) }

// Down makes every request, token calls included, answer 502 while true.
func (f *Fake) Down(down bool) { f.faults.SetDown(down) }

// ExpireTokens ends the app's current access token: calls with it fail
// (oapi: errcode 88 sub_code 40014; api: HTTP 400 InvalidAuthentication)
// and the next token call issues a new one.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = ""
}

// TokenRequests counts the calls that reached /gettoken and
// /v1.0/oauth2/accessToken, successful or not (not those refused by Down).
func (f *Fake) TokenRequests() int { return int(f.tokenRequests.Load()) }

// AccessToken returns a valid app access token without counting a token
// request, for tests that call the fake by hand.
func (f *Fake) AccessToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issueTokenLocked()
}

// RobotMessages returns the messages the custom robots accepted.
func (f *Fake) RobotMessages() []RobotMessage { return f.robotMsgs.All() }

// RobotMessagesTo returns the messages the custom robot accessToken accepted.
func (f *Fake) RobotMessagesTo(accessToken string) []RobotMessage {
	return f.robotMsgs.Where(func(m RobotMessage) bool { return m.AccessToken == accessToken })
}

// PrivateMessages returns the robot one-to-one messages and work notices
// delivered to at least one user.
func (f *Fake) PrivateMessages() []PrivateMessage { return f.privateMsgs.All() }

// PrivateMessagesTo returns the private messages delivered to userID.
func (f *Fake) PrivateMessagesTo(userID string) []PrivateMessage {
	return f.privateMsgs.Where(func(m PrivateMessage) bool { return slices.Contains(m.UserIDs, userID) })
}

// GroupMessages returns the messages the enterprise robot posted with
// robot/groupMessages/send.
func (f *Fake) GroupMessages() []GroupMessage { return f.groupMsgs.All() }

// SessionReplies returns the messages posted to sessionWebhooks.
func (f *Fake) SessionReplies() []RobotMessage { return f.sessionReplies.All() }

// Reset forgets the recorded messages. Server state stays: tokens, robots
// (with their rate limits and msgUuids), users, codes, sessions, the work
// notices users got today, pending faults.
func (f *Fake) Reset() {
	f.robotMsgs.Reset()
	f.privateMsgs.Reset()
	f.groupMsgs.Reset()
	f.sessionReplies.Reset()
}

// SessionWebhook opens a session for conversationID as DingTalk does with
// each callback, and returns its sessionWebhook: a URL on the fake
// (/robot/sendBySession?session=…) valid for SessionTTL of the fake's time.
func (f *Fake) SessionWebhook(conversationID string) string {
	u, _ := f.newSession(conversationID)
	return u
}

func (f *Fake) newSession(conversationID string) (string, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := newToken()
	exp := f.now().Add(SessionTTL)
	f.sessions[key] = session{conversationID: conversationID, expires: exp}
	return f.srv.URL + "/robot/sendBySession?session=" + key, exp
}

// WaitFor polls cond (deliveries are asynchronous) until it holds, or
// fails the test after timeout (real time) with what the fake recorded.
func (f *Fake) WaitFor(t testing.TB, cond func() bool, timeout time.Duration) {
	t.Helper()
	faketest.WaitFor(t, "dingtalktest", cond, timeout, func() string {
		var b strings.Builder
		for _, m := range f.RobotMessages() {
			fmt.Fprintf(&b, "\n  robot   %s %s", m.AccessToken, m.Raw)
		}
		for _, m := range f.SessionReplies() {
			fmt.Fprintf(&b, "\n  session %s %s", m.ConversationID, m.Raw)
		}
		for _, m := range f.PrivateMessages() {
			fmt.Fprintf(&b, "\n  %-7s %v %s", m.Via, m.UserIDs, m.Raw)
		}
		for _, m := range f.GroupMessages() {
			fmt.Fprintf(&b, "\n  group   %s %s", m.ConversationID, m.Raw)
		}
		return b.String()
	})
}

// ---- HTTP ----

// ServeHTTP answers like oapi.dingtalk.com and api.dingtalk.com.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.faults.IsDown() {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	switch r.URL.Path {
	case "/gettoken":
		f.tokenRequests.Add(1)
		f.getToken(w, r)
	case "/v1.0/oauth2/accessToken":
		f.tokenRequests.Add(1)
		f.accessToken(w, r)
	case "/robot/send":
		f.oapi(w, r, false, f.robotSend)
	case "/robot/sendBySession":
		f.oapi(w, r, false, f.sessionSend)
	case "/topapi/message/corpconversation/asyncsend_v2":
		f.oapi(w, r, true, f.asyncSend)
	case "/topapi/v2/user/getuserinfo":
		f.oapi(w, r, true, f.getUserInfo)
	case "/v1.0/robot/oToMessages/batchSend":
		f.newAPI(w, r, f.batchSend)
	case "/v1.0/robot/groupMessages/send":
		f.newAPI(w, r, f.groupSend)
	default:
		f.t.Logf("dingtalktest: fake DingTalk has no %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusOK, ctOAPI, errAnswer{404, "请求的URI地址不存在"})
	}
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type errAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

type topErrAnswer struct {
	ErrCode   int    `json:"errcode"`
	SubCode   string `json:"sub_code,omitempty"`
	SubMsg    string `json:"sub_msg,omitempty"`
	ErrMsg    string `json:"errmsg"`
	RequestID string `json:"request_id"`
}

type newErrAnswer struct {
	RequestID string `json:"requestid"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

func writeErrcode(w http.ResponseWriter, topapi bool, code int, msg string) {
	if topapi {
		writeJSON(w, http.StatusOK, ctTOP, topErrAnswer{ErrCode: code, ErrMsg: msg, RequestID: newOAPIRequestID()})
		return
	}
	writeJSON(w, http.StatusOK, ctOAPI, errAnswer{code, msg})
}

// writeTopAuth answers a topapi call's token problem: errcode 88 with the
// detail in sub_code/sub_msg (observed 2026-09 for a blank and an invalid
// token).
func writeTopAuth(w http.ResponseWriter, sub, subMsg string) {
	writeJSON(w, http.StatusOK, ctTOP, topErrAnswer{
		ErrCode: ErrAuth, SubCode: sub, SubMsg: subMsg,
		ErrMsg:    "ding talk error[subcode=" + sub + ",submsg=" + subMsg + "]",
		RequestID: newOAPIRequestID(),
	})
}

func writeNewErr(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ctNew, newErrAnswer{RequestID: newRequestID(), Code: code, Message: message})
}

// takeFault consumes one injected fault.
func (f *Fake) takeFault() (status, code int, ok bool) { return f.faults.Take() }

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return b
}

// oapi runs what every oapi.dingtalk.com call goes through: injected
// faults, POST only. topapi calls then check the access token (query or
// form), which the webhook calls have none of.
func (f *Fake) oapi(w http.ResponseWriter, r *http.Request, topapi bool, h func(http.ResponseWriter, *http.Request, []byte, topParams)) {
	if status, code, ok := f.takeFault(); ok {
		if status != 0 && status != http.StatusOK {
			writeJSON(w, status, ctOAPI, errAnswer{ErrSystemBusy, ErrMsg(ErrSystemBusy)})
		} else {
			writeErrcode(w, topapi, code, ErrMsg(code))
		}
		return
	}
	if r.Method != http.MethodPost {
		writeErrcode(w, topapi, ErrPostRequired, ErrMsg(ErrPostRequired))
		return
	}
	body := readBody(r)
	var p topParams
	if topapi {
		var ok bool
		if p, ok = parseTopParams(r, body); !ok {
			writeErrcode(w, true, ErrMissingParam, "缺少参数 json") // UNVERIFIED for topapi
			return
		}
		tok := p.str("access_token")
		if tok == "" {
			writeTopAuth(w, "40000", "access_token is blank")
			return
		}
		f.mu.Lock()
		valid := f.validTokenLocked(tok)
		f.mu.Unlock()
		if !valid {
			// UNVERIFIED for an expired (rather than unknown) token: the
			// global table has 42001 "access_token超时"; DingTalk renews a
			// token on every fetch, so an expired one is as unknown.
			writeTopAuth(w, "40014", "不合法的access_token")
			return
		}
	}
	h(w, r, body, p)
}

// newAPI runs what every api.dingtalk.com call goes through: injected
// faults, POST only, the x-acs-dingtalk-access-token header. DingTalk
// answers token problems with HTTP 400, not 401 (observed 2026-09:
// 400 InvalidAuthentication "不合法的access_token"; 400
// AuthenticationFailed.MissingParameter without the header).
func (f *Fake) newAPI(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, []byte, bool)) {
	fault := false
	if status, _, ok := f.takeFault(); ok {
		switch {
		case status == http.StatusTooManyRequests:
			writeNewErr(w, status, "Forbidden.AccessDenied.QpsLimitForApi", "应用调用该接口的请求数超过限流阈值") // UNVERIFIED
			return
		case status != 0 && status != http.StatusOK:
			writeNewErr(w, status, "systemError", "系统繁忙，请稍后再试")
			return
		}
		fault = true
	}
	if r.Method != http.MethodPost {
		// UNVERIFIED: the gateway's answer for a wrong method.
		writeNewErr(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
		return
	}
	tok := r.Header.Get("x-acs-dingtalk-access-token")
	if tok == "" {
		writeNewErr(w, http.StatusBadRequest, "AuthenticationFailed.MissingParameter", "缺少参数：x-acs-dingtalk-access-token")
		return
	}
	f.mu.Lock()
	valid := f.validTokenLocked(tok)
	f.mu.Unlock()
	if !valid {
		writeNewErr(w, http.StatusBadRequest, "InvalidAuthentication", "不合法的access_token")
		return
	}
	h(w, readBody(r), fault)
}

// ---- tokens ----

func (f *Fake) issueTokenLocked() string {
	now := f.now()
	if f.token == "" || !now.Before(f.tokenExpires) {
		f.token = newToken()
	}
	f.tokenExpires = now.Add(TokenTTL) // renewed on every fetch
	return f.token
}

func (f *Fake) validTokenLocked(tok string) bool {
	return tok != "" && tok == f.token && f.now().Before(f.tokenExpires)
}

type getTokenAnswer struct {
	ErrCode     int    `json:"errcode"`
	AccessToken string `json:"access_token"`
	ErrMsg      string `json:"errmsg"`
	ExpiresIn   int64  `json:"expires_in"`
}

// getToken: GET /gettoken?appkey=&appsecret= (the old API). Only the query
// counts: a form body gets 40035 (observed).
func (f *Fake) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case q.Get("appkey") == "":
		writeErrcode(w, false, ErrMissingParam, "缺少参数 corpid or appkey")
	case q.Get("appkey") != f.appKey || q.Get("appsecret") != f.appSecret:
		writeErrcode(w, false, ErrInvalidAppKey, ErrMsg(ErrInvalidAppKey))
	default:
		writeJSON(w, http.StatusOK, ctOAPI, getTokenAnswer{0, f.issueTokenLocked(), "ok", int64(TokenTTL / time.Second)})
	}
}

type accessTokenAnswer struct {
	ExpireIn    int64  `json:"expireIn"`
	AccessToken string `json:"accessToken"`
}

// accessToken: POST /v1.0/oauth2/accessToken {"appKey","appSecret"}.
// Wrong credentials: 400 invalidClientIdOrSecret (docs' table; observed).
func (f *Fake) accessToken(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	var req struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}
	err := json.Unmarshal(body, &req)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method != http.MethodPost:
		writeNewErr(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	case err != nil || req.AppKey != f.appKey || req.AppSecret != f.appSecret:
		writeNewErr(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
	default:
		writeJSON(w, http.StatusOK, ctNew, accessTokenAnswer{int64(TokenTTL / time.Second), f.issueTokenLocked()})
	}
}

// ---- custom robot webhook ----

// robotSend: POST /robot/send?access_token=T[&timestamp=MS&sign=S].
//
// Checks, in order: access_token given (40035) and known (ErrTokenNotExist);
// for a robot with a secret, timestamp within SignWindow of the fake's
// clock and sign equal to Sign(secret, timestamp) as the query decodes
// (an unescaped "+" decodes to a space and no longer matches, as on the
// real server); the rate limit; the body (size, JSON, message). A msgUuid
// seen before is answered ok and not sent again.
func (f *Fake) robotSend(w http.ResponseWriter, r *http.Request, body []byte, _ topParams) {
	q := r.URL.Query()
	tok := q.Get("access_token")
	if tok == "" {
		writeErrcode(w, false, ErrMissingParam, "缺少参数 access_token")
		return
	}
	code, msg := f.acceptRobot(tok, q, body)
	writeErrcode(w, false, code, msg)
}

func (f *Fake) acceptRobot(tok string, q url.Values, body []byte) (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rb := f.robots[tok]
	if rb == nil {
		return ErrTokenNotExist, ErrMsg(ErrTokenNotExist)
	}
	now := f.now()
	if rb.secret != "" {
		if code, msg := checkRobotSign(rb.secret, q, now); code != 0 {
			return code, msg
		}
	}
	if !rb.allow(now) {
		return ErrSendTooFast, ErrMsg(ErrSendTooFast)
	}
	if len(body) > MaxRobotBody {
		return ErrMessageTooLong, ErrMsg(ErrMessageTooLong)
	}
	m, code, msg := parseRobotBody(body)
	if code != 0 {
		return code, msg
	}
	if m.MsgUUID != "" {
		if rb.uuids[m.MsgUUID] {
			return 0, "ok" // UNVERIFIED: how long DingTalk remembers a msgUuid; the fake never forgets
		}
		rb.uuids[m.MsgUUID] = true
	}
	rb.sent = append(rb.sent, now)
	m.AccessToken = tok
	f.robotMsgs.Add(m)
	return 0, "ok"
}

// checkRobotSign checks 加签. A missing or unparsable timestamp or sign is
// a mismatch (observed: a webhook with sign but no timestamp answered
// "机器人发送签名不匹配").
func checkRobotSign(secret string, q url.Values, now time.Time) (int, string) {
	ts, sign := q.Get("timestamp"), q.Get("sign")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if ts == "" || sign == "" || err != nil {
		return ErrSecurity, msgSignNotMatch
	}
	if d := now.Sub(time.UnixMilli(ms)); d > SignWindow || d < -SignWindow {
		return ErrSecurity, msgSignExpired
	}
	if !hmac.Equal([]byte(sign), []byte(Sign(secret, ts))) {
		return ErrSecurity, msgSignNotMatch
	}
	return 0, ""
}

// allow applies the rate limit: the 21st message within RobotRateWindow
// throttles the robot for RobotThrottle. Only accepted messages count.
func (rb *robot) allow(now time.Time) bool {
	if now.Before(rb.throttledUntil) {
		return false
	}
	cutoff := now.Add(-RobotRateWindow)
	keep := rb.sent[:0]
	for _, t := range rb.sent {
		if t.After(cutoff) {
			keep = append(keep, t)
		}
	}
	rb.sent = keep
	if len(rb.sent) >= RobotRateLimit {
		rb.throttledUntil = now.Add(RobotThrottle)
		return false
	}
	return true
}

// sessionSend: POST /robot/sendBySession?session=… — the sessionWebhook of
// a callback. The same message body as /robot/send, no token, no sign. An
// unknown or expired session answers {"errcode":300001,"errmsg":"session 不存在"}
// (observed 2026-03).
func (f *Fake) sessionSend(w http.ResponseWriter, r *http.Request, body []byte, _ topParams) {
	key := r.URL.Query().Get("session")
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[key]
	if !ok || !f.now().Before(s.expires) {
		writeErrcode(w, false, ErrSessionNotExist, "session 不存在")
		return
	}
	m, code, msg := parseRobotBody(body)
	if code != 0 {
		writeErrcode(w, false, code, msg)
		return
	}
	m.ConversationID = s.conversationID
	f.sessionReplies.Add(m)
	writeErrcode(w, false, 0, "ok")
}

// ---- topapi ----

// topParams are a topapi call's parameters: the query, then a form body or
// a JSON body (DingTalk's docs show form bodies; SDKs and most code send
// JSON with access_token in the query), as raw JSON values.
type topParams map[string]json.RawMessage

func parseTopParams(r *http.Request, body []byte) (topParams, bool) {
	p := topParams{}
	for k, vs := range r.URL.Query() {
		b, _ := json.Marshal(vs[0])
		p[k] = b
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, false
		}
		for k, vs := range form {
			b, _ := json.Marshal(vs[0])
			p[k] = b
		}
		return p, true
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	for k, v := range m {
		p[k] = v
	}
	return p, true
}

// str reads a string or number parameter.
func (p topParams) str(k string) string {
	raw, ok := p[k]
	if !ok {
		return ""
	}
	var s faketest.FlexString
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return string(s)
}

// object reads an object parameter, sent as an object or as a JSON string
// holding one (form bodies can only do the latter).
func (p topParams) object(k string) []byte {
	raw := bytes.TrimSpace(p[k])
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		return []byte(s)
	}
	return raw
}

func (p topParams) boolean(k string) bool {
	var b flexBool
	_ = json.Unmarshal(p[k], &b)
	return bool(b)
}

type asyncSendAnswer struct {
	ErrCode   int    `json:"errcode"`
	ErrMsg    string `json:"errmsg"`
	TaskID    int64  `json:"task_id"`
	RequestID string `json:"request_id"`
}

// asyncSend: POST /topapi/message/corpconversation/asyncsend_v2 — a work
// notification {agent_id, userid_list:"a,b", to_all_user, dept_id_list,
// msg:{msgtype, …}}. It answers success with a task_id and delivers
// asynchronously: unknown users, a user who already got the same content
// in the last 24 h, and a user over WorkNoticeDailyLimit in 24 h get
// nothing (UNVERIFIED: "a day" is taken as 24 h, not a calendar day).
// dept_id_list is not resolved (no departments in the fake).
func (f *Fake) asyncSend(w http.ResponseWriter, _ *http.Request, _ []byte, p topParams) {
	agentID := p.str("agent_id")
	raw := p.object("msg")
	switch {
	case agentID == "":
		writeErrcode(w, true, ErrMissingParam, "缺少参数 agent_id") // UNVERIFIED text
		return
	case raw == nil:
		writeErrcode(w, true, ErrMissingParam, "缺少参数 msg") // UNVERIFIED text
		return
	}
	toAll := p.boolean("to_all_user")
	var ids []string
	for _, id := range strings.Split(p.str("userid_list"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && !toAll && p.str("dept_id_list") == "" {
		writeErrcode(w, true, ErrMissingParam, "缺少参数 userid_list") // UNVERIFIED
		return
	}
	dp, msgType, code, msg := decodeWorkNotice(raw)
	if code != 0 {
		writeErrcode(w, true, code, msg)
		return
	}
	key := canonicalJSON(raw)
	f.mu.Lock()
	defer f.mu.Unlock()
	if toAll {
		ids = ids[:0]
		for u := range f.users {
			ids = append(ids, u)
		}
		slices.Sort(ids)
	}
	now := f.now()
	var got []string
	for _, u := range ids {
		if !f.users[u] || slices.Contains(got, u) {
			continue
		}
		recent := f.notices[u][:0]
		dup := false
		for _, n := range f.notices[u] {
			if now.Sub(n.at) < 24*time.Hour {
				recent = append(recent, n)
				dup = dup || n.key == key
			}
		}
		f.notices[u] = recent
		if dup || len(recent) >= WorkNoticeDailyLimit {
			continue
		}
		f.notices[u] = append(f.notices[u], noticeRec{now, key})
		got = append(got, u)
	}
	f.nextTaskID++
	if len(got) > 0 {
		f.privateMsgs.Add(PrivateMessage{
			Via: "work_notice", AgentID: agentID, UserIDs: got, MsgKey: msgType,
			Title: dp.Title, Text: dp.Text, Buttons: dp.Buttons, Raw: json.RawMessage(bytes.Clone(raw)),
		})
	}
	writeJSON(w, http.StatusOK, ctTOP, asyncSendAnswer{0, "ok", f.nextTaskID, newOAPIRequestID()})
}

type userInfoResult struct {
	AssociatedUnionID string `json:"associated_unionid"`
	UnionID           string `json:"unionid"`
	DeviceID          string `json:"device_id"`
	SysLevel          int    `json:"sys_level"`
	Name              string `json:"name"`
	Sys               bool   `json:"sys"`
	UserID            string `json:"userid"`
}

type userInfoAnswer struct {
	ErrCode   int            `json:"errcode"`
	Result    userInfoResult `json:"result"`
	ErrMsg    string         `json:"errmsg"`
	RequestID string         `json:"request_id"`
}

// getUserInfo: POST /topapi/v2/user/getuserinfo {"code"} — an added code,
// once, within CodeTTL; otherwise 40078 "不存在的临时授权码" (global table;
// UNVERIFIED that topapi answers it unwrapped rather than as errcode 88).
// The result's name is the userid (the fake keeps no names).
func (f *Fake) getUserInfo(w http.ResponseWriter, _ *http.Request, _ []byte, p topParams) {
	code := p.str("code")
	if code == "" {
		writeErrcode(w, true, ErrMissingParam, "缺少参数 code") // UNVERIFIED text
		return
	}
	f.mu.Lock()
	c, ok := f.codes[code]
	delete(f.codes, code)
	valid := ok && f.now().Before(c.expires)
	f.mu.Unlock()
	if !valid {
		writeErrcode(w, true, ErrInvalidAuthCode, ErrMsg(ErrInvalidAuthCode))
		return
	}
	writeJSON(w, http.StatusOK, ctTOP, userInfoAnswer{
		ErrCode: 0, ErrMsg: "ok", RequestID: newOAPIRequestID(),
		Result: userInfoResult{
			UnionID: opaqueID("union:" + c.userID)[11:], DeviceID: newToken(),
			Name: c.userID, UserID: c.userID,
		},
	})
}

// ---- new API robot messages ----

type batchSendAnswer struct {
	ProcessQueryKey           string   `json:"processQueryKey"`
	InvalidStaffIDList        []string `json:"invalidStaffIdList"`
	FlowControlledStaffIDList []string `json:"flowControlledStaffIdList"`
}

// robotRequest reads the common part of the robot OpenAPI bodies; a
// non-empty code is the 400 answer (codes from the batchSend docs' table;
// the messages are the table's 说明 column, UNVERIFIED as the real %s).
func (f *Fake) robotRequest(body []byte) (m map[string]json.RawMessage, msgKey string, dp decodedParam, code, message string) {
	if json.Unmarshal(body, &m) != nil || m == nil {
		return nil, "", dp, "invalidParameter.msgBody.invalid", "消息体必须是JSON格式"
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	switch rc := str("robotCode"); {
	case rc == "":
		return m, "", dp, "invalidParameter.robotCode.empty", "机器人robotCode无效"
	case rc != f.robotCode:
		return m, "", dp, "invalidParameter.robotCode.notExsit", "机器人不存在，请检查企业内是否安装了robotCode对应的机器人"
	}
	msgKey = str("msgKey")
	switch {
	case msgKey == "":
		return m, "", dp, "invalidParameter.msgKey.empty", "msgKey为空"
	case !msgKeys[msgKey]:
		return m, msgKey, dp, "invalidParameter.msgKey.invalid", "msgKey无效，请传入正确的msgKey"
	}
	var param string
	if json.Unmarshal(m["msgParam"], &param) != nil || param == "" {
		// msgParam is a JSON *string*; an object is refused.
		return m, msgKey, dp, "invalidParameter.msgParam.invalid", "msgParam格式非法，必须是json格式"
	}
	dp, code, message = decodeMsgParam(msgKey, param)
	return m, msgKey, dp, code, message
}

// batchSend: POST /v1.0/robot/oToMessages/batchSend {"robotCode","userIds",
// "msgKey","msgParam"}. Users not added with AddUser come back in
// invalidStaffIdList and get nothing.
func (f *Fake) batchSend(w http.ResponseWriter, body []byte, fault bool) {
	m, msgKey, dp, code, message := f.robotRequest(body)
	if code != "" {
		writeNewErr(w, http.StatusBadRequest, code, message)
		return
	}
	var userIDs []string
	_ = json.Unmarshal(m["userIds"], &userIDs)
	switch {
	case len(userIDs) == 0:
		writeNewErr(w, http.StatusBadRequest, "invalidParameter.userIds.empty", "用户userId列表为空")
		return
	case len(userIDs) > MaxBatchUsers:
		writeNewErr(w, http.StatusBadRequest, "invalidParameter.userIds.overMax", "用户userId列表超过最大限制")
		return
	}
	ans := batchSendAnswer{ProcessQueryKey: newProcessQueryKey(), InvalidStaffIDList: []string{}, FlowControlledStaffIDList: []string{}}
	f.mu.Lock()
	var got []string
	for _, u := range userIDs {
		switch {
		case !f.users[u]:
			ans.InvalidStaffIDList = append(ans.InvalidStaffIDList, u)
		case fault:
			ans.FlowControlledStaffIDList = append(ans.FlowControlledStaffIDList, u)
		case !slices.Contains(got, u):
			got = append(got, u)
		}
	}
	if len(got) > 0 {
		f.privateMsgs.Add(PrivateMessage{
			Via: "robot", UserIDs: got, MsgKey: msgKey,
			Title: dp.Title, Text: dp.Text, Buttons: dp.Buttons, Raw: json.RawMessage(bytes.Clone(body)),
		})
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, ctNew, ans)
}

// groupSend: POST /v1.0/robot/groupMessages/send {"robotCode",
// "openConversationId","msgKey","msgParam"} → {"processQueryKey"}. The
// fake keeps no groups: any openConversationId is taken.
func (f *Fake) groupSend(w http.ResponseWriter, body []byte, fault bool) {
	m, msgKey, dp, code, message := f.robotRequest(body)
	if code != "" {
		writeNewErr(w, http.StatusBadRequest, code, message)
		return
	}
	var cid string
	_ = json.Unmarshal(m["openConversationId"], &cid)
	if cid == "" {
		writeNewErr(w, http.StatusBadRequest, "invalidParameter.param.invalid", "参数不合法，请检查是否有参数为空") // UNVERIFIED code
		return
	}
	if fault {
		writeNewErr(w, http.StatusBadRequest, "send.too.fast", "发送消息频率过快，请稍后再试")
		return
	}
	f.mu.Lock()
	f.groupMsgs.Add(GroupMessage{
		ConversationID: cid, MsgKey: msgKey, Title: dp.Title, Text: dp.Text, Buttons: dp.Buttons,
		Raw: json.RawMessage(bytes.Clone(body)),
	})
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, ctNew, struct {
		ProcessQueryKey string `json:"processQueryKey"`
	}{newProcessQueryKey()})
}

// Package wecomtest fakes WeCom (企业微信) for bbcs's tests: an httptest
// server playing https://qyapi.weixin.qq.com (tokens, group robot webhooks,
// app messages, template card updates, OAuth codes, the smart robot's
// response_url) and clients playing WeCom's servers when they deliver
// callbacks to bbcs (the self-built app's XML callback and the smart robot's
// JSON callback), all on the real wire formats.
//
// The fake answers what WeCom answers, as far as WeCom's public docs
// (developer.work.weixin.qq.com) and reports of real answers show it. Where
// the docs do not say, the choice is marked "UNVERIFIED" in a comment; the
// list is at the end of this comment.
//
// Verified against docs or real answers quoted in public issues:
//   - gettoken: 41002 corpid missing, 40013 invalid corpid, 41004 corpsecret
//     missing, 40001 invalid credential; the same token comes back while it is
//     valid (doc 91039).
//   - webhook/send: 93000 "invalid webhook url", 40058 "markdown.content
//     exceed max length 4096", 45009 over 20 messages a minute (doc 91770);
//     errmsg carries ", hint: [...], from ip: ..., more info at ...".
//   - message/send: unknown users are listed (lower-cased) in invaliduser and
//     the call succeeds while one recipient is valid; 81013 "user & party &
//     tag all invalid" (with invaliduser) when none is; a repeated, empty or
//     over-128-byte task_id is 42014 "taskid has existed or empty or exceed
//     max len"; response_code only for button_interaction, vote_interaction
//     and multiple_interaction cards (doc 90236); textcard without title,
//     description or url: 41016, 41033, 41010 (global codes).
//   - update_template_card: response_code single use, 72 h (doc 94888).
//   - auth/getuserinfo: 40029 for an unknown, used or expired (5 min) code.
//   - aibot response_url: single use, 1 h, markdown <= 20480 bytes,
//     template_card only for single chats (doc 101138).
//   - app text over 2048 bytes is cut, not refused (doc 90236: "超过将截断").
//   - smart robot callbacks and replies (docs 100719, 101027, 101031,
//     101033, 101138; the event and passive-reply sections were read in a
//     public markdown copy of those pages, the official pages only in part):
//     receive id "", reply envelope {encrypt, msgsignature, timestamp
//     (number), nonce (the callback's)}, passive text only for enter_chat.
//
// UNVERIFIED (picked, documented shape or nearest global error code):
//   - a group robot refusing button_interaction / vote / multiple cards:
//     40008 invalid message type;
//   - robot text longer than the documented 2048 bytes: 40058 (one report
//     shows WeCom refusing at 5120); app markdown over 2048 bytes: 40058;
//   - message/send or update_template_card naming nobody: 82001;
//   - more than 6 buttons: 40058; a button without text 42020, without key
//     42019, a repeated key 42018 (global codes for task cards);
//   - an unknown, used or expired response_code (update_template_card and
//     aibot response_url): 40058;
//   - update_template_card: userids given as a string: 40035; invaliduser
//     answered as a JSON array;
//   - expires_in is always 7200, even for a token handed out again;
//   - a JSON body that does not parse: 40058 "Warning: wrong json format.";
//   - a wrong HTTP method: HTTP 405 (real WeCom's answer is unknown);
//   - rate limiting counts accepted messages only;
//   - the Content-Type of WeCom's callback POSTs (text/xml for the app,
//     application/json for the robot).
package wecomtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"bbcs/bot/internal/faketest"
)

// PublicHost is the host the fake stands in for.
const PublicHost = "qyapi.weixin.qq.com"

const (
	tokenTTL        = 7200 * time.Second
	codeTTL         = 5 * time.Minute  // OAuth code (doc 91023: 5 minutes, single use)
	responseCodeTTL = 72 * time.Hour   // template card response_code (doc 94888)
	botURLTTL       = time.Hour        // smart robot response_url (doc 101138)
	robotWindow     = 60 * time.Second // group robot: 20 messages a minute (doc 91770)
	robotPerWindow  = 20
	maxBody         = 2 << 20
)

// RobotMessage is a message a group robot webhook accepted.
type RobotMessage struct {
	Key                 string
	MsgType             string // text, markdown, markdown_v2, image, news, file, voice, template_card
	Text                string // text.content
	MentionedList       []string
	MentionedMobileList []string
	Markdown            string // markdown.content (or markdown_v2.content)
	CardType            string // template_card.card_type
	Card                json.RawMessage
	Raw                 json.RawMessage
	At                  time.Time // the fake's clock
}

// Button is a button of a button_interaction template card.
type Button struct {
	Text  string
	Key   string
	Style int
	Type  int    // 0 callback, 1 open URL
	URL   string // for Type 1
}

// AppMessage is a message the self-built app sent through message/send.
type AppMessage struct {
	ToUser       []string // the members it reached (unknown ids are left out, "@all" expanded)
	InvalidUser  []string // the ids WeCom reported in invaliduser (lower case)
	MsgType      string
	Title        string // textcard.title, template_card.main_title.title
	Content      string // text.content (truncated to 2048 bytes as WeCom does), markdown.content, textcard.description, template_card.sub_title_text
	URL          string // textcard.url
	CardType     string
	TaskID       string
	Buttons      []Button
	Card         json.RawMessage
	MsgID        string
	ResponseCode string
	Raw          json.RawMessage
	At           time.Time
}

// CardUpdate is an accepted call of message/update_template_card.
type CardUpdate struct {
	UserIDs      []string
	AtAll        bool
	ResponseCode string
	TaskID       string // the task of the card the response_code belongs to, when known
	ReplaceName  string // button.replace_name
	Card         json.RawMessage
	Raw          json.RawMessage
	At           time.Time
}

// BotResponse is a message posted to a smart robot's response_url
// (https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=...).
type BotResponse struct {
	ResponseCode string
	ChatID       string // "" for a single chat
	ChatType     string // group or single
	UserID       string // who wrote the message the URL came with
	MsgType      string // markdown or template_card
	Content      string // markdown.content
	CardType     string
	Card         json.RawMessage
	Raw          json.RawMessage
	At           time.Time
}

type token struct {
	expires time.Time
	revoked bool
}

type oauthCode struct {
	userID string
	issued time.Time
	used   bool
}

type responseCode struct {
	taskID string
	issued time.Time
	used   bool
}

type botURL struct {
	chatID, chatType, userID string
	issued                   time.Time
	used                     bool
}

// Fake is an httptest server answering as https://qyapi.weixin.qq.com.
// It is safe for concurrent use.
type Fake struct {
	srv                         *httptest.Server
	corpID, corpSecret, agentID string

	mu            sync.Mutex
	now           func() time.Time
	robots        map[string]bool
	users         map[string]string // lower-case id -> id as added
	codes         map[string]*oauthCode
	tokens        map[string]*token
	current       string
	tokenRequests atomic.Int64
	faults        faketest.Faults
	robotSends    map[string][]time.Time
	taskIDs       map[string]bool
	respCodes     map[string]*responseCode
	botURLs       map[string]*botURL
	robotMsgs     faketest.Log[RobotMessage]
	appMsgs       faketest.Log[AppMessage]
	updates       faketest.Log[CardUpdate]
	botResponses  faketest.Log[BotResponse]
	hint          int
}

// NewFake starts a fake WeCom for one corp and its self-built app; it is
// closed by t.Cleanup.
func NewFake(t testing.TB, corpID, corpSecret, agentID string) *Fake {
	f := &Fake{
		corpID: corpID, corpSecret: corpSecret, agentID: agentID,
		now:        time.Now,
		robots:     map[string]bool{},
		users:      map[string]string{},
		codes:      map[string]*oauthCode{},
		tokens:     map[string]*token{},
		robotSends: map[string][]time.Time{},
		taskIDs:    map[string]bool{},
		respCodes:  map[string]*responseCode{},
		botURLs:    map[string]*botURL{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL (scheme and host, no trailing slash): replace
// "https://qyapi.weixin.qq.com" with it.
func (f *Fake) URL() string { return f.srv.URL }

// AddRobot makes a group robot webhook key exist.
func (f *Fake) AddRobot(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.robots[key] = true
}

// AddUser makes userID a member of the corp, visible to the app. WeCom
// user ids are case-insensitive.
func (f *Fake) AddUser(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[strings.ToLower(userID)] = userID
}

// AddCode adds an OAuth code the page can exchange once, within 5 minutes
// of now (the fake's clock), for userID.
func (f *Fake) AddCode(code, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = &oauthCode{userID: userID, issued: f.clock()}
}

// IssueResponseCode returns a fresh response_code for the card of taskID,
// as WeCom puts one in the template_card_event callback of a click; pass it
// to AppClient.CardEvent. update_template_card accepts it once, for 72 h.
func (f *Fake) IssueResponseCode(taskID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rc := randomString(32)
	f.respCodes[rc] = &responseCode{taskID: taskID, issued: f.clock()}
	return rc
}

// BotResponseURL registers and returns a smart robot response_url (usable
// once, for an hour) for a message of userID in chatID ("" for a single
// chat). BotClient calls it when its Fake is set.
func (f *Fake) BotResponseURL(chatID, userID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rc := randomString(32)
	typ := "group"
	if chatID == "" {
		typ = "single"
	}
	f.botURLs[rc] = &botURL{chatID: chatID, chatType: typ, userID: userID, issued: f.clock()}
	return "https://" + PublicHost + "/cgi-bin/aibot/response?response_code=" + rc
}

// SetNow sets the fake's clock (rate limits, token, code and response_code
// expiry). The default is time.Now. now is called with the fake's lock
// held: it must not call the Fake.
//
// It is WeCom's own clock, its real time: never point it at bbcs's test
// clock. WeCom does not follow POST /debug/clock, and a fake that did
// would hide a bbcs that lets business time reach the wire (REQUIREMENTS.md,
// "Test clock"). A test lets real time pass faster by giving bbcs the
// same wall clock (buildWith).
func (f *Fake) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	f.now = now
}

// FailNext makes the next n calls other than gettoken fail: with that HTTP
// status, or, when status is 200, with {"errcode":errcode,...}.
func (f *Fake) FailNext(n, status, errcode int) { f.faults.FailNext(n, status, errcode) }

// Down makes every call fail at the connection (it is accepted and closed
// without an answer) until Down(false).
func (f *Fake) Down(down bool) { f.faults.SetDown(down) }

// ExpireTokens ends every access token handed out: calls with them answer
// 42001 and gettoken hands out a new one.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		t.revoked = true
	}
	f.current = ""
}

// TokenRequests counts calls of gettoken (failed ones included).
func (f *Fake) TokenRequests() int { return int(f.tokenRequests.Load()) }

// RobotMessages returns every message the group robots accepted.
func (f *Fake) RobotMessages() []RobotMessage { return f.robotMsgs.All() }

// RobotMessagesTo returns the messages the robot with that key accepted.
func (f *Fake) RobotMessagesTo(key string) []RobotMessage {
	return f.robotMsgs.Where(func(m RobotMessage) bool { return m.Key == key })
}

// AppMessages returns every message the app sent.
func (f *Fake) AppMessages() []AppMessage { return f.appMsgs.All() }

// AppMessagesTo returns the app messages that reached userID.
func (f *Fake) AppMessagesTo(userID string) []AppMessage {
	return f.appMsgs.Where(func(m AppMessage) bool {
		return slices.ContainsFunc(m.ToUser, func(u string) bool { return strings.EqualFold(u, userID) })
	})
}

// CardUpdates returns every accepted update_template_card call.
func (f *Fake) CardUpdates() []CardUpdate { return f.updates.All() }

// BotResponses returns every message posted to a smart robot response_url.
func (f *Fake) BotResponses() []BotResponse { return f.botResponses.All() }

// WaitFor polls cond (every few milliseconds, real time) until it holds; on
// timeout it fails the test listing everything the fake recorded.
func (f *Fake) WaitFor(t testing.TB, cond func() bool, timeout time.Duration) {
	t.Helper()
	faketest.WaitFor(t, "wecomtest", cond, timeout, func() string { return "\n" + f.Dump() })
}

// Dump describes everything recorded, for failure messages.
func (f *Fake) Dump() string {
	var b strings.Builder
	robot, app, updates, responses := f.robotMsgs.All(), f.appMsgs.All(), f.updates.All(), f.botResponses.All()
	fmt.Fprintf(&b, "robot messages (%d):\n", len(robot))
	for _, m := range robot {
		fmt.Fprintf(&b, "  key=%s %s\n", m.Key, m.Raw)
	}
	fmt.Fprintf(&b, "app messages (%d):\n", len(app))
	for _, m := range app {
		fmt.Fprintf(&b, "  to=%v invalid=%v %s\n", m.ToUser, m.InvalidUser, m.Raw)
	}
	fmt.Fprintf(&b, "card updates (%d):\n", len(updates))
	for _, u := range updates {
		fmt.Fprintf(&b, "  %s\n", u.Raw)
	}
	fmt.Fprintf(&b, "bot responses (%d):\n", len(responses))
	for _, r := range responses {
		fmt.Fprintf(&b, "  chat=%s %s\n", r.ChatID, r.Raw)
	}
	fmt.Fprintf(&b, "token requests: %d\n", f.TokenRequests())
	return b.String()
}

// Reset forgets what was recorded (messages, card updates, robot
// responses, rate-limit windows) and clears FailNext and Down. The corp
// stays as it was: robots, users, codes, tokens, used task ids and
// response codes.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.robotMsgs.Reset()
	f.appMsgs.Reset()
	f.updates.Reset()
	f.botResponses.Reset()
	f.robotSends = map[string][]time.Time{}
	f.faults.Clear()
}

// clock is the fake's now; f.mu must be held.
func (f *Fake) clock() time.Time { return f.now() }

func randomString(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// ---- HTTP ----

type errAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// errmsg builds WeCom's error text: message, hint, caller ip, help link.
// f.mu must be held.
func (f *Fake) errmsg(r *http.Request, code int, msg string) string {
	if code == 0 {
		return "ok"
	}
	f.hint++
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return fmt.Sprintf("%s, hint: [%d%07d], from ip: %s, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
		msg, f.clock().Unix(), f.hint, ip, code)
}

func (f *Fake) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	writeJSON(w, errAnswer{ErrCode: code, ErrMsg: f.errmsg(r, code, msg)})
}

var knownErrors = map[int]string{
	-1:    "system busy",
	40001: "invalid credential",
	40014: "invalid access_token",
	42001: "access_token expired",
	45009: "api freq out of limit",
	93000: "invalid webhook url",
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults.IsDown() {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path != "/cgi-bin/gettoken" {
		if status, code, ok := f.faults.Take(); ok {
			if status != 0 && status != http.StatusOK {
				http.Error(w, fmt.Sprintf("wecomtest: injected HTTP %d", status), status)
				return
			}
			msg := knownErrors[code]
			if msg == "" {
				msg = "wecomtest: injected error"
			}
			f.fail(w, r, code, msg)
			return
		}
	}
	method := http.MethodPost
	var h func(http.ResponseWriter, *http.Request)
	switch r.URL.Path {
	case "/cgi-bin/gettoken":
		method, h = http.MethodGet, f.getToken
	case "/cgi-bin/webhook/send":
		h = f.webhookSend
	case "/cgi-bin/message/send":
		h = f.messageSend
	case "/cgi-bin/message/update_template_card":
		h = f.updateTemplateCard
	case "/cgi-bin/auth/getuserinfo":
		method, h = http.MethodGet, f.authGetUserInfo
	case "/cgi-bin/user/getuserinfo":
		// The older OAuth exchange, still called by silenceper's
		// oauth.UserFromCode; it answers "UserId" / "DeviceId".
		method, h = http.MethodGet, f.userGetUserInfo
	case "/cgi-bin/aibot/response":
		h = f.aibotResponse
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != method {
		http.Error(w, "wecomtest: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h(w, r)
}

// readJSON reads the request's body (up to maxBody) into v and returns it;
// a body that cannot be read or is no JSON gets WeCom's answer for bad
// JSON (badJSON), and ok is false.
func (f *Fake) readJSON(w http.ResponseWriter, r *http.Request, v any) (raw []byte, ok bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		f.badJSON(w, r)
		return nil, false
	}
	return raw, true
}

func (f *Fake) badJSON(w http.ResponseWriter, r *http.Request) {
	f.fail(w, r, 40058, "invalid Request Parameter, Warning: wrong json format.")
}

// ---- gettoken ----

func (f *Fake) getToken(w http.ResponseWriter, r *http.Request) {
	f.tokenRequests.Add(1)
	q := r.URL.Query()
	switch {
	case q.Get("corpid") == "":
		f.fail(w, r, 41002, "corpid missing")
		return
	case q.Get("corpid") != f.corpID:
		f.fail(w, r, 40013, "invalid corpid")
		return
	case q.Get("corpsecret") == "":
		f.fail(w, r, 41004, "corpsecret missing")
		return
	case q.Get("corpsecret") != f.corpSecret:
		f.fail(w, r, 40001, "invalid credential")
		return
	}
	now := f.clock()
	if t := f.tokens[f.current]; f.current == "" || t == nil || t.revoked || !now.Before(t.expires) {
		f.current = randomString(64)
		f.tokens[f.current] = &token{expires: now.Add(tokenTTL)}
	}
	writeJSON(w, struct {
		errAnswer
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}{errAnswer{0, "ok"}, f.current, int(tokenTTL / time.Second)})
}

// checkToken answers the error for a bad access_token and returns false.
func (f *Fake) checkToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		f.fail(w, r, 41001, "access_token missing")
		return false
	}
	t := f.tokens[tok]
	if t == nil {
		f.fail(w, r, 40014, "invalid access_token")
		return false
	}
	if t.revoked || !f.clock().Before(t.expires) {
		f.fail(w, r, 42001, "access_token expired")
		return false
	}
	return true
}

// ---- group robot ----

type webhookBody struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content             string   `json:"content"`
		MentionedList       []string `json:"mentioned_list"`
		MentionedMobileList []string `json:"mentioned_mobile_list"`
	} `json:"text"`
	Markdown   *struct{ Content string } `json:"markdown"`
	MarkdownV2 *struct{ Content string } `json:"markdown_v2"`
	News       *struct {
		Articles []json.RawMessage `json:"articles"`
	} `json:"news"`
	Image *struct {
		Base64 string `json:"base64"`
		MD5    string `json:"md5"`
	} `json:"image"`
	File *struct {
		MediaID string `json:"media_id"`
	} `json:"file"`
	Voice *struct {
		MediaID string `json:"media_id"`
	} `json:"voice"`
	TemplateCard json.RawMessage `json:"template_card"`
}

type cardHead struct {
	CardType  string `json:"card_type"`
	TaskID    string `json:"task_id"`
	MainTitle struct {
		Title string `json:"title"`
	} `json:"main_title"`
	SubTitleText string `json:"sub_title_text"`
	ActionMenu   *struct {
		ActionList []json.RawMessage `json:"action_list"`
	} `json:"action_menu"`
	ButtonList []struct {
		Text  string `json:"text"`
		Style int    `json:"style"`
		Key   string `json:"key"`
		Type  int    `json:"type"`
		URL   string `json:"url"`
	} `json:"button_list"`
}

func (f *Fake) webhookSend(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if !f.robots[key] {
		f.fail(w, r, 93000, "invalid webhook url")
		return
	}
	var body webhookBody
	raw, ok := f.readJSON(w, r, &body)
	if !ok {
		return
	}
	m := RobotMessage{Key: key, MsgType: body.MsgType, Raw: json.RawMessage(raw)}
	switch body.MsgType {
	case "text":
		if body.Text == nil || body.Text.Content == "" {
			f.fail(w, r, 44004, "empty content")
			return
		}
		// Doc 91770: at most 2048 bytes. UNVERIFIED: the errcode (one
		// real answer reads "text.content exceed max length 5120").
		if len(body.Text.Content) > 2048 {
			f.fail(w, r, 40058, "text.content exceed max length 2048. invalid Request Parameter")
			return
		}
		m.Text, m.MentionedList, m.MentionedMobileList = body.Text.Content, body.Text.MentionedList, body.Text.MentionedMobileList
	case "markdown", "markdown_v2":
		md := body.Markdown
		if body.MsgType == "markdown_v2" {
			md = body.MarkdownV2
		}
		if md == nil || md.Content == "" {
			f.fail(w, r, 44004, "empty content")
			return
		}
		if len(md.Content) > 4096 {
			f.fail(w, r, 40058, body.MsgType+".content exceed max length 4096. invalid Request Parameter")
			return
		}
		m.Markdown = md.Content
	case "news":
		if body.News == nil || len(body.News.Articles) == 0 {
			f.fail(w, r, 40058, "news.articles is empty. invalid Request Parameter")
			return
		}
		if len(body.News.Articles) > 8 {
			f.fail(w, r, 45008, "article size out of limit")
			return
		}
	case "image":
		if body.Image == nil || body.Image.Base64 == "" || body.Image.MD5 == "" {
			f.fail(w, r, 40058, "image.base64 or image.md5 missing. invalid Request Parameter")
			return
		}
	case "file", "voice":
		if (body.File == nil || body.File.MediaID == "") && (body.Voice == nil || body.Voice.MediaID == "") {
			f.fail(w, r, 41006, "media_id missing")
			return
		}
	case "template_card":
		var c cardHead
		if len(body.TemplateCard) == 0 || json.Unmarshal(body.TemplateCard, &c) != nil {
			f.badJSON(w, r)
			return
		}
		switch c.CardType {
		case "text_notice", "news_notice":
		default:
			// Doc 91770: a group robot sends text_notice and news_notice
			// cards only. UNVERIFIED: the errcode of the refusal.
			f.fail(w, r, 40008, "invalid message type, template_card.card_type "+c.CardType+" not supported by webhook")
			return
		}
		if c.MainTitle.Title == "" && c.SubTitleText == "" {
			f.fail(w, r, 40058, "template_card.main_title.title and sub_title_text are both empty. invalid Request Parameter")
			return
		}
		m.CardType, m.Card = c.CardType, body.TemplateCard
	default:
		f.fail(w, r, 40008, "invalid message type")
		return
	}
	now := f.clock()
	var recent []time.Time
	for _, t := range f.robotSends[key] {
		if now.Sub(t) < robotWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= robotPerWindow {
		f.robotSends[key] = recent
		f.fail(w, r, 45009, "api freq out of limit")
		return
	}
	f.robotSends[key] = append(recent, now)
	m.At = now
	f.robotMsgs.Add(m)
	writeJSON(w, errAnswer{0, "ok"})
}

// ---- app messages ----

type appBody struct {
	ToUser   faketest.FlexString       `json:"touser"`
	ToParty  faketest.FlexString       `json:"toparty"`
	ToTag    faketest.FlexString       `json:"totag"`
	MsgType  string                    `json:"msgtype"`
	AgentID  faketest.FlexString       `json:"agentid"`
	Text     *struct{ Content string } `json:"text"`
	Markdown *struct{ Content string } `json:"markdown"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
		BtnTxt      string `json:"btntxt"`
	} `json:"textcard"`
	TemplateCard json.RawMessage `json:"template_card"`
}

var taskIDPattern = regexp.MustCompile(`^[0-9A-Za-z_\-@]{1,128}$`)

// recipients splits "a|b", expands "@all", and sorts the ids into known
// members and unknown ones (lower case, as WeCom reports them).
func (f *Fake) recipients(touser string) (valid, invalid []string) {
	for _, u := range strings.Split(touser, "|") {
		u = strings.TrimSpace(u)
		switch {
		case u == "":
		case u == "@all":
			for _, id := range f.users {
				valid = append(valid, id)
			}
		case f.users[strings.ToLower(u)] != "":
			valid = append(valid, f.users[strings.ToLower(u)])
		default:
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	sort.Strings(valid)
	return dedupe(valid), invalid
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func splitBar(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (f *Fake) messageSend(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var body appBody
	raw, ok := f.readJSON(w, r, &body)
	if !ok {
		return
	}
	if body.AgentID == "" {
		f.fail(w, r, 41011, "agentid missing")
		return
	}
	if string(body.AgentID) != f.agentID {
		f.fail(w, r, 40056, "invalid agentid")
		return
	}
	m := AppMessage{MsgType: body.MsgType, Raw: json.RawMessage(raw)}
	issueCode := false
	switch body.MsgType {
	case "text":
		if body.Text == nil || body.Text.Content == "" {
			f.fail(w, r, 44004, "empty content")
			return
		}
		// Doc 90236: "最长不超过2048个字节，超过将截断".
		m.Content = truncateUTF8(body.Text.Content, 2048)
	case "markdown":
		if body.Markdown == nil || body.Markdown.Content == "" {
			f.fail(w, r, 44004, "empty content")
			return
		}
		if len(body.Markdown.Content) > 2048 { // UNVERIFIED errcode
			f.fail(w, r, 40058, "markdown.content exceed max length 2048. invalid Request Parameter")
			return
		}
		m.Content = body.Markdown.Content
	case "textcard":
		tc := body.TextCard
		switch {
		case tc == nil || tc.Title == "":
			f.fail(w, r, 41016, "missing title")
			return
		case tc.Description == "":
			f.fail(w, r, 41033, "missing description")
			return
		case tc.URL == "":
			f.fail(w, r, 41010, "missing url")
			return
		}
		m.Title, m.Content, m.URL = tc.Title, tc.Description, tc.URL
	case "template_card":
		var c cardHead
		if len(body.TemplateCard) == 0 || json.Unmarshal(body.TemplateCard, &c) != nil {
			f.badJSON(w, r)
			return
		}
		interactive := false
		switch c.CardType {
		case "text_notice", "news_notice":
		case "button_interaction", "vote_interaction", "multiple_interaction":
			interactive = true
		default:
			f.fail(w, r, 40058, "template_card.card_type invalid. invalid Request Parameter")
			return
		}
		if interactive || c.ActionMenu != nil {
			// Doc 90236: task_id is required for these, unique per app,
			// [0-9A-Za-z_-@], at most 128 bytes; the real answer to a
			// repeated one is 42014.
			if !taskIDPattern.MatchString(c.TaskID) || f.taskIDs[c.TaskID] {
				f.fail(w, r, 42014, "taskid has existed or empty or exceed max len")
				return
			}
		}
		if c.CardType == "button_interaction" {
			if len(c.ButtonList) == 0 || len(c.ButtonList) > 6 { // UNVERIFIED errcode
				f.fail(w, r, 40058, "template_card.button_list size must be 1 to 6. invalid Request Parameter")
				return
			}
			seen := map[string]bool{}
			for _, b := range c.ButtonList {
				switch {
				case b.Text == "": // UNVERIFIED errcode
					f.fail(w, r, 42020, "missing button name")
					return
				case b.Type == 0 && b.Key == "": // UNVERIFIED errcode
					f.fail(w, r, 42019, "missing button key")
					return
				case b.Type == 0 && seen[b.Key]: // UNVERIFIED errcode
					f.fail(w, r, 42018, "invalid button key, duplicated")
					return
				}
				seen[b.Key] = true
				m.Buttons = append(m.Buttons, Button{Text: b.Text, Key: b.Key, Style: b.Style, Type: b.Type, URL: b.URL})
			}
		}
		m.CardType, m.TaskID, m.Card = c.CardType, c.TaskID, body.TemplateCard
		m.Title, m.Content = c.MainTitle.Title, c.SubTitleText
		issueCode = interactive
	case "image", "voice", "video", "file", "news", "mpnews", "miniprogram_notice", "interactive_taskcard":
		// Accepted as sent; the fake does not check media ids.
	default:
		f.fail(w, r, 40008, "invalid message type")
		return
	}
	valid, invalid := f.recipients(string(body.ToUser))
	parties, tags := splitBar(string(body.ToParty)), splitBar(string(body.ToTag))
	if len(valid) == 0 && len(invalid) == 0 && len(parties) == 0 && len(tags) == 0 {
		// UNVERIFIED: the errcode for naming nobody.
		f.fail(w, r, 82001, "All touser & toparty & totag invalid")
		return
	}
	type sendAnswer struct {
		errAnswer
		InvalidUser    string `json:"invaliduser"`
		InvalidParty   string `json:"invalidparty,omitempty"`
		InvalidTag     string `json:"invalidtag,omitempty"`
		UnlicensedUser string `json:"unlicenseduser,omitempty"`
		MsgID          string `json:"msgid,omitempty"`
		ResponseCode   string `json:"response_code,omitempty"`
	}
	// The fake's corp has no departments or tags: every party and tag is
	// invalid.
	ans := sendAnswer{InvalidUser: strings.Join(invalid, "|"), InvalidParty: strings.Join(parties, "|"), InvalidTag: strings.Join(tags, "|")}
	if len(valid) == 0 {
		ans.errAnswer = errAnswer{81013, f.errmsg(r, 81013, "user & party & tag all invalid")}
		writeJSON(w, ans)
		return
	}
	now := f.clock()
	if m.TaskID != "" {
		f.taskIDs[m.TaskID] = true
	}
	ans.errAnswer = errAnswer{0, "ok"}
	ans.MsgID = randomString(40)
	if issueCode {
		ans.ResponseCode = randomString(64)
		f.respCodes[ans.ResponseCode] = &responseCode{taskID: m.TaskID, issued: now}
	}
	m.ToUser, m.InvalidUser, m.MsgID, m.ResponseCode, m.At = valid, invalid, ans.MsgID, ans.ResponseCode, now
	f.appMsgs.Add(m)
	writeJSON(w, ans)
}

func (f *Fake) updateTemplateCard(w http.ResponseWriter, r *http.Request) {
	if !f.checkToken(w, r) {
		return
	}
	var body map[string]json.RawMessage
	raw, ok := f.readJSON(w, r, &body)
	if !ok {
		return
	}
	var (
		userIDs []string
		agentID faketest.FlexString
		atAll   int
		rc      string
		button  struct {
			ReplaceName string `json:"replace_name"`
		}
		card     json.RawMessage
		partyIDs []json.RawMessage
		tagIDs   []json.RawMessage
	)
	if v, ok := body["userids"]; ok && json.Unmarshal(v, &userIDs) != nil {
		// Doc 90313 on 40035: the lists are arrays, not "a|b" strings.
		f.fail(w, r, 40035, "invalid parameter, userids must be an array")
		return
	}
	for k, dst := range map[string]any{"partyids": &partyIDs, "tagids": &tagIDs, "agentid": &agentID, "atall": &atAll, "response_code": &rc, "button": &button} {
		if v, ok := body[k]; ok && json.Unmarshal(v, dst) != nil {
			f.fail(w, r, 40035, "invalid parameter "+k)
			return
		}
	}
	card = body["template_card"]
	if agentID == "" {
		f.fail(w, r, 41011, "agentid missing")
		return
	}
	if string(agentID) != f.agentID {
		f.fail(w, r, 40056, "invalid agentid")
		return
	}
	now := f.clock()
	code := f.respCodes[rc]
	if rc == "" || code == nil || code.used || now.Sub(code.issued) >= responseCodeTTL {
		f.fail(w, r, 40058, "invalid response_code. invalid Request Parameter") // UNVERIFIED errcode
		return
	}
	if button.ReplaceName == "" && len(card) == 0 {
		f.fail(w, r, 40058, "button.replace_name and template_card are both empty. invalid Request Parameter")
		return
	}
	var valid, invalid []string
	for _, u := range userIDs {
		if id := f.users[strings.ToLower(u)]; id != "" {
			valid = append(valid, id)
		} else {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	if atAll == 0 && len(userIDs) == 0 && len(partyIDs) == 0 && len(tagIDs) == 0 {
		f.fail(w, r, 82001, "All touser & toparty & totag invalid") // UNVERIFIED errcode
		return
	}
	if atAll == 0 && len(valid) == 0 {
		writeJSON(w, struct {
			errAnswer
			InvalidUser []string `json:"invaliduser"`
		}{errAnswer{81013, f.errmsg(r, 81013, "user & party & tag all invalid")}, invalid})
		return
	}
	code.used = true
	f.updates.Add(CardUpdate{
		UserIDs: valid, AtAll: atAll != 0, ResponseCode: rc, TaskID: code.taskID,
		ReplaceName: button.ReplaceName, Card: card, Raw: json.RawMessage(raw), At: now,
	})
	if invalid == nil {
		invalid = []string{}
	}
	writeJSON(w, struct {
		errAnswer
		InvalidUser []string `json:"invaliduser"`
	}{errAnswer{0, "ok"}, invalid})
}

// ---- OAuth ----

// takeCode consumes an OAuth code, answering 41008/40029 when it cannot.
func (f *Fake) takeCode(w http.ResponseWriter, r *http.Request) (string, bool) {
	if !f.checkToken(w, r) {
		return "", false
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		f.fail(w, r, 41008, "missing code")
		return "", false
	}
	c := f.codes[code]
	if c == nil || c.used || f.clock().Sub(c.issued) >= codeTTL {
		f.fail(w, r, 40029, "invalid code")
		return "", false
	}
	c.used = true
	return c.userID, true
}

func (f *Fake) authGetUserInfo(w http.ResponseWriter, r *http.Request) {
	userID, ok := f.takeCode(w, r)
	if !ok {
		return
	}
	// Doc 91023: a member gets userid (and user_ticket for the
	// snsapi_privateinfo scope; the fake always gives one).
	writeJSON(w, struct {
		errAnswer
		UserID     string `json:"userid"`
		UserTicket string `json:"user_ticket"`
	}{errAnswer{0, "ok"}, userID, randomString(64)})
}

func (f *Fake) userGetUserInfo(w http.ResponseWriter, r *http.Request) {
	userID, ok := f.takeCode(w, r)
	if !ok {
		return
	}
	writeJSON(w, struct {
		errAnswer
		UserID   string `json:"UserId"`
		DeviceID string `json:"DeviceId"`
	}{errAnswer{0, "ok"}, userID, ""})
}

// ---- smart robot response_url ----

func (f *Fake) aibotResponse(w http.ResponseWriter, r *http.Request) {
	rc := r.URL.Query().Get("response_code")
	now := f.clock()
	u := f.botURLs[rc]
	if u == nil || u.used || now.Sub(u.issued) >= botURLTTL {
		f.fail(w, r, 40058, "invalid response_code. invalid Request Parameter") // UNVERIFIED errcode
		return
	}
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
		TemplateCard json.RawMessage `json:"template_card"`
	}
	raw, ok := f.readJSON(w, r, &body)
	if !ok {
		return
	}
	resp := BotResponse{ResponseCode: rc, ChatID: u.chatID, ChatType: u.chatType, UserID: u.userID, MsgType: body.MsgType, Raw: json.RawMessage(raw), At: now}
	switch body.MsgType {
	case "markdown":
		if body.Markdown == nil || body.Markdown.Content == "" {
			f.fail(w, r, 44004, "empty content")
			return
		}
		if len(body.Markdown.Content) > 20480 {
			f.fail(w, r, 40058, "markdown.content exceed max length 20480. invalid Request Parameter")
			return
		}
		resp.Content = body.Markdown.Content
	case "template_card":
		// Doc 101138: "当且仅当回调的会话类型为单聊的时候，支持该主动回复类型".
		if u.chatType != "single" {
			f.fail(w, r, 40008, "invalid message type, template_card is for single chats only")
			return
		}
		var c cardHead
		if len(body.TemplateCard) == 0 || json.Unmarshal(body.TemplateCard, &c) != nil || c.CardType == "" {
			f.badJSON(w, r)
			return
		}
		resp.CardType, resp.Card = c.CardType, body.TemplateCard
	default:
		f.fail(w, r, 40008, "invalid message type")
		return
	}
	u.used = true
	f.botResponses.Add(resp)
	writeJSON(w, errAnswer{0, "ok"})
}

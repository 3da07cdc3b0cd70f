package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bbcs/bot/dingtalk/dingtalktest"
	"bbcs/bot/wechat/wechattest"
	"bbcs/bot/wecom/wecomtest"
)

// The platforms' credentials of the benchmark's centre. They are made up:
// bbcs only ever talks to the in-process fakes.
const (
	wxAppID   = "wx5f3c2a1b0d9e8f7a"
	wxSecret  = "0123456789abcdef0123456789abcdef"
	wxToken   = "bbcs-load-url-token"
	wxAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	corpID    = "wwbbcsload01"
	corpSec   = "wecom-app-secret-load"
	agentID   = "1000002"
	botToken  = "wecom-bot-token-load"
	botAESKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	appToken  = "wecom-app-token-load"
	appAESKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"
	dingKey   = "dingbbcsloadkey"
	dingSec   = "ding-app-secret-load"
	dingRobot = "dingbbcsloadrobot"
	dingCorp  = "dingcorpload01"

	keyRealty  = "key-realestate"
	keyTax     = "key-tax"
	keySuper   = "key-supervision"
	keyLeaders = "key-leaders"
	tokMarket  = "tok-market"
	secMarket  = "SECmarketload01"
	chatRealty = "wrRealEstateChat"
	chatTax    = "wrTaxChat"
	cidMarket  = "cidMarketGroup=="
)

// tb lets the platform fakes, written for tests, run in a command: NewFake
// calls Cleanup, the fakes' handlers Logf, and nothing else of a testing.TB
// (WaitFor is not used here). The embedded interface is nil.
type tb struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

func (t *tb) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *tb) Logf(format string, args ...any) { log.Printf("fake: "+format, args...) }

func (t *tb) close() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// platforms are the three fakes bbcs talks to. The WeChat API is reached
// through a wrapper that notes when each customer-service message to a
// citizen arrives, so the benchmark can tell how long a citizen waited for
// a menu or a receipt that bbcs sends through its outbox.
type platforms struct {
	t        *tb
	wechat   *wechattest.Fake
	wechatTS *httptest.Server
	wecom    *wecomtest.Fake
	wecomTS  *httptest.Server
	ding     *dingtalktest.Fake
	dingTS   *httptest.Server
	arrivals *arrivals

	mu      sync.Mutex
	refusal map[string]int // platform errcode answers bbcs got, by platform and code
}

func startPlatforms() *platforms {
	t := &tb{}
	p := &platforms{t: t, arrivals: newArrivals(), refusal: map[string]int{}}
	p.wechat = wechattest.NewFake(t, wxAppID, wxSecret)
	p.wechatTS = httptest.NewServer(http.HandlerFunc(p.serveWeChat))
	t.Cleanup(p.wechatTS.Close)
	p.wecom = wecomtest.NewFake(t, corpID, corpSec, agentID)
	wecomURL, _ := url.Parse(p.wecom.URL())
	p.wecomTS = httptest.NewServer(p.watch("wecom", httputil.NewSingleHostReverseProxy(wecomURL)))
	t.Cleanup(p.wecomTS.Close)
	for _, k := range []string{keyRealty, keyTax, keySuper, keyLeaders} {
		p.wecom.AddRobot(k)
	}
	for _, u := range []string{"wangfang", "liming", "zhangwei", "liuqiang", "sunli", "chenfz", "zhouzr", "makz"} {
		p.wecom.AddUser(u)
	}
	p.ding = dingtalktest.NewFake(t, dingKey, dingSec, dingRobot)
	p.dingTS = httptest.NewServer(p.watch("dingtalk", p.ding))
	t.Cleanup(p.dingTS.Close)
	p.ding.AddRobot(tokMarket, secMarket)
	for _, u := range []string{"zhaomin", "qianjin", "wufz"} {
		p.ding.AddUser(u)
	}
	return p
}

func (p *platforms) close() { p.t.close() }

// The URLs bbcs is given for the platforms' APIs.
func (p *platforms) wechatURL() string { return p.wechatTS.URL }
func (p *platforms) wecomURL() string  { return p.wecomTS.URL }
func (p *platforms) dingURL() string   { return p.dingTS.URL }

// watch notes every error a platform answers bbcs (rate limits above all).
func (p *platforms) watch(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(name, h, w, r) })
}

// serve hands r to h, notes the error h answers if any, and reports
// whether h accepted r.
func (p *platforms) serve(name string, h http.Handler, w http.ResponseWriter, r *http.Request) (accepted bool) {
	pw := &peekWriter{ResponseWriter: w, status: http.StatusOK}
	h.ServeHTTP(pw, r)
	refusal := pw.refusal()
	if refusal == "" {
		return true
	}
	p.mu.Lock()
	p.refusal[name+" "+refusal+" ("+path.Base(r.URL.Path)+")"]++
	p.mu.Unlock()
	return false
}

func (p *platforms) refusals() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.refusal {
		out[k] = v
	}
	return out
}

// peekWriter keeps the status and the start of the body.
type peekWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (w *peekWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *peekWriter) Write(b []byte) (int, error) {
	if len(w.head) < 512 {
		w.head = append(w.head, b[:min(len(b), 512-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}

var errcodeRE = regexp.MustCompile(`"errcode"\s*:\s*(-?\d+)`)

// refusal is how the platform refused the request ("errcode 45009",
// "HTTP 500"), "" when it accepted it.
func (w *peekWriter) refusal() string {
	if m := errcodeRE.FindSubmatch(w.head); m != nil && string(m[1]) != "0" {
		return "errcode " + string(m[1])
	}
	if w.status >= 400 {
		return "HTTP " + strconv.Itoa(w.status)
	}
	return ""
}

// serveWeChat hands every call to the WeChat fake, and notes the arrival
// of each customer-service message it accepts for its citizen.
func (p *platforms) serveWeChat(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/cgi-bin/message/custom/send" {
		p.serve("wechat", p.wechat, w, r)
		return
	}
	at := time.Now()
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !p.serve("wechat", p.wechat, w, r) || err != nil {
		return
	}
	var m struct {
		ToUser string `json:"touser"`
	}
	if json.Unmarshal(body, &m) == nil && m.ToUser != "" {
		p.arrivals.arrived(m.ToUser, at)
	}
}

// arrivals pairs the citizen messages that make bbcs send a
// customer-service message (a menu, the receipt) with that message's
// arrival at WeChat: the wait the citizen sees.
type arrivals struct {
	mu      sync.Mutex
	waiting map[string][]time.Time // openid → send times of triggers not yet answered
	phase   string
	lat     map[string][]time.Duration // phase → waits
	extra   int                        // customer-service messages no trigger waited for
}

func newArrivals() *arrivals {
	return &arrivals{waiting: map[string][]time.Time{}, lat: map[string][]time.Duration{}}
}

// expect notes that a message sent (scheduled) at t to bbcs from openid
// should make bbcs send that citizen one customer-service message.
func (a *arrivals) expect(openid string, t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waiting[openid] = append(a.waiting[openid], t)
}

func (a *arrivals) arrived(openid string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.waiting[openid]
	if len(q) == 0 {
		a.extra++
		return
	}
	a.lat[a.phase] = append(a.lat[a.phase], at.Sub(q[0]))
	if len(q) == 1 {
		delete(a.waiting, openid)
	} else {
		a.waiting[openid] = q[1:]
	}
}

// setPhase starts attributing arrivals to phase (and forgets triggers of
// the previous phase still unanswered, counting them).
func (a *arrivals) setPhase(phase string) (unanswered int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, q := range a.waiting {
		unanswered += len(q)
	}
	a.waiting = map[string][]time.Time{}
	a.phase = phase
	return unanswered
}

func (a *arrivals) pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, q := range a.waiting {
		n += len(q)
	}
	return n
}

// extras is how many customer-service messages arrived that no trigger
// waited for.
func (a *arrivals) extras() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.extra
}

func (a *arrivals) waits(phase string) []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Duration(nil), a.lat[phase]...)
}

// wxAES is the service account's EncodingAESKey: none in plain mode
// (明文模式), the key in safe mode (安全模式).
func wxAES(plain bool) string {
	if plain {
		return ""
	}
	return wxAESKey
}

// newWeChatClient sends to bbcs (or the floor) at base as WeChat does.
func newWeChatClient(base string, hc *http.Client, plain bool) *wechattest.Client {
	return &wechattest.Client{URL: base + "/wechat/oa", Token: wxToken, EncodingAESKey: wxAES(plain), AppID: wxAppID, HTTP: hc}
}

// staffOf names, for each department, the platform its window group is on
// and the people who act there.
type deptInfo struct {
	code, name, platform, chat string
	users                      []staffUser // window staff first
}

type staffUser struct{ id, platformID, nick string }

var departments = []deptInfo{
	{code: "realestate", name: "不动产登记窗口", platform: "wecom", chat: chatRealty,
		users: []staffUser{{"zhang", "zhangwei", "张伟"}, {"liu", "liuqiang", "刘强"}}},
	{code: "market", name: "市场监管窗口", platform: "dingtalk", chat: cidMarket,
		users: []staffUser{{"zhao", "zhaomin", "赵敏"}, {"qian", "qianjin", "钱进"}}},
	{code: "tax", name: "税务窗口", platform: "wecom", chat: chatTax,
		users: []staffUser{{"sun", "sunli", "孙丽"}}},
}

func deptByCode(code string) deptInfo {
	for _, d := range departments {
		if d.code == code {
			return d
		}
	}
	return departments[0]
}

// centreConfig is config.example.yaml's centre with every platform wired
// to the fakes: its three departments (two window groups on WeCom, one on
// DingTalk), its staff with their platform ids, the service account in
// safe mode (or plain), the supervision and leaders' groups.
//
// Without robots the groups have no robot keys: bbcs only logs their
// messages (the seeding of earlier days' cases uses that, so their cards do
// not use up the groups' 20 messages a minute).
func centreConfig(addr, dsn, redisAddr, prefix, wechatURL, wecomURL, dingURL string, plain, robots bool) string {
	kReal, kTax, kSup, kLead, tMarket, sMarket := keyRealty, keyTax, keySuper, keyLeaders, tokMarket, secMarket
	if !robots {
		kReal, kTax, kSup, kLead, tMarket, sMarket = "", "", "", "", "", ""
	}
	r := strings.NewReplacer(
		"$ADDR", addr, "$DSN", dsn, "$REDIS", redisAddr, "$PREFIX", prefix,
		"$WXURL", wechatURL, "$WXAPP", wxAppID, "$WXTOKEN", wxToken, "$WXAES", wxAES(plain),
		"$WCURL", wecomURL, "$CORP", corpID, "$AGENT", agentID, "$APPTOKEN", appToken, "$APPAES", appAESKey,
		"$BOTTOKEN", botToken, "$BOTAES", botAESKey,
		"$DTURL", dingURL, "$DTKEY", dingKey, "$DTROBOT", dingRobot, "$DTCORP", dingCorp,
		"$KREAL", kReal, "$KTAX", kTax, "$KSUP", kSup, "$KLEAD", kLead,
		"$TMARKET", tMarket, "$SMARKET", sMarket, "$CREAL", chatRealty, "$CTAX", chatTax, "$CMARKET", cidMarket,
	)
	return r.Replace(`# written by bench/load: config.example.yaml's centre, every platform faked
http:
  addr: "$ADDR"
  public_url: "http://$ADDR"
database:
  dsn: "$DSN"
redis:
  addr: "$REDIS"
  key_prefix: "$PREFIX"
clock:
  fake: false
workday:
  timezone: Asia/Shanghai
  end_of_day: "18:00"
  reminder_time: "09:00"
  reply_days: 3
  max_days: 10
centre:
  name: 县政务服务中心
api:
  tokens:
    - {token: demo-token-wangfang-0001, staff: wang}
    - {token: demo-token-liming-000002, staff: li}
    - {token: demo-token-admin-000004, staff: admin}
wechat:
  api_base: "$WXURL"
  app_id: "$WXAPP"
  token: "$WXTOKEN"
  encoding_aes_key: "$WXAES"
  templates: {default: TPL-PROGRESS}
wecom:
  api_base: "$WCURL"
  corp_id: "$CORP"
  agent_id: "$AGENT"
  token: "$APPTOKEN"
  encoding_aes_key: "$APPAES"
  bot_token: "$BOTTOKEN"
  bot_encoding_aes_key: "$BOTAES"
dingtalk:
  oapi_base: "$DTURL"
  api_base: "$DTURL"
  app_key: "$DTKEY"
  robot_code: "$DTROBOT"
  corp_id: "$DTCORP"
departments:
  - {code: realestate, name: 不动产登记窗口, leader: chen, group: {platform: wecom, webhook_key: "$KREAL", chat_id: "$CREAL"}}
  - {code: market, name: 市场监管窗口, leader: wu, group: {platform: dingtalk, access_token: "$TMARKET", secret: "$SMARKET", chat_id: "$CMARKET"}}
  - {code: tax, name: 税务窗口, leader: chen, group: {platform: wecom, webhook_key: "$KTAX", chat_id: "$CTAX"}}
staff:
  - {id: wang,  name: 王芳,     role: specialist, wecom_user_id: wangfang}
  - {id: li,    name: 李明,     role: specialist, wecom_user_id: liming}
  - {id: zhang, name: 张伟,     role: window_staff, department: realestate, wecom_user_id: zhangwei}
  - {id: liu,   name: 刘强,     role: window_head,  department: realestate, wecom_user_id: liuqiang}
  - {id: zhao,  name: 赵敏,     role: window_staff, department: market, dingtalk_user_id: zhaomin}
  - {id: qian,  name: 钱进,     role: window_head,  department: market, dingtalk_user_id: qianjin}
  - {id: sun,   name: 孙丽,     role: window_staff, department: tax, wecom_user_id: sunli}
  - {id: chen,  name: 陈副主任, role: leader, wecom_user_id: chenfz}
  - {id: wu,    name: 吴副主任, role: leader, dingtalk_user_id: wufz}
  - {id: zhou,  name: 周主任,   role: principal_leader, wecom_user_id: zhouzr}
  - {id: ma,    name: 马科长,   role: supervisor, wecom_user_id: makz}
  - {id: admin, name: 管理员,   role: admin}
leaders:
  principal: zhou
  group: {platform: wecom, webhook_key: "$KLEAD"}
supervision:
  group: {platform: wecom, webhook_key: "$KSUP"}
duty:
  check_in: "08:30"
  rotation: [wang, li]
rating:
  remind_after: 48h
  close_after: 168h
  link_ttl: 168h
log:
  level: info
  format: text
`)
}

// apiTokens are the bearer tokens of the specialists (the owners who
// dispatch) in centreConfig.
var apiTokens = map[string]string{
	"wang": "demo-token-wangfang-0001", "li": "demo-token-liming-000002", "admin": "demo-token-admin-000004",
}

// secretEnv passes the platform secrets the way production does: in the
// environment, not the file.
func secretEnv(sessionSecret string) []string {
	return []string{
		"BBCS_WECHAT_APP_SECRET=" + wxSecret,
		"BBCS_WECOM_SECRET=" + corpSec,
		"BBCS_DINGTALK_APP_SECRET=" + dingSec,
		"BBCS_HTTP_SESSION_SECRET=" + sessionSecret,
	}
}

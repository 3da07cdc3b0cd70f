// Package wechat is the centre's WeChat service account (服务号), on
// silenceper/wechat/v2: it verifies and decodes inbound messages, sends the
// outbox's notices to citizens and fetches the photos they send.
package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/models"
)

// PublicHost is the host the SDK calls; wechat.api_base replaces it.
const PublicHost = "api.weixin.qq.com"

// DevToken is the URL token used when no account is configured, so the
// embedded defaults accept a hand-signed message (see README). A configured
// account must set its own (config check insists).
const DevToken = "bbcs-dev-token"

// Window rules of customer-service (客服) messages: only within 48 hours of
// the citizen's last message, and only a few per message (platforms.md).
const (
	csWindow = 48 * time.Hour
	csQuota  = 5
)

// Config is what the account needs from bbcs's config.
type Config struct {
	AppID          string
	AppSecret      string
	Token          string
	EncodingAESKey string
	// Templates maps a notice kind (or "default") to a template id, used
	// outside the customer-service window.
	Templates  map[string]string
	CentreName string
}

// Account is one service account.
type Account struct {
	cfg Config
	oa  *officialaccount.OfficialAccount
	// The SDK makes these lazily without a lock: make them once, here.
	custom   *message.Manager
	template *message.Template
	tokens   *tokenCache
	rdb      *redis.Client
	prefix   string
	// clock is business time: the customer-service window of 48 hours
	// follows the test clock. wall is WeChat's real time: the freshness of
	// its callbacks. Nothing that WeChat checks reads clock.
	clock clock.Clock
	wall  clock.Wall
	http  *http.Client
	log   *slog.Logger
}

// New builds the account. httpClient carries the host rewriting of
// wechat.api_base (bot.Hosts); the SDK only has a process-wide client, so
// New installs it there too. clk is business time (the 48-hour window),
// wall the wall clock (what WeChat checks).
func New(cfg Config, rdb *redis.Client, keyPrefix string, clk clock.Clock, wall clock.Wall, httpClient *http.Client, log *slog.Logger) *Account {
	if cfg.Token == "" {
		cfg.Token = DevToken
	}
	// The SDK logs whole decrypted messages at Debug, citizens' names and
	// mobiles included (platforms.md): keep it to warnings.
	logrus.SetLevel(logrus.WarnLevel)
	util.DefaultHTTPClient = httpClient
	a := &Account{rdb: rdb, prefix: keyPrefix + ":wechat:", clock: clk, wall: wall, http: httpClient, log: log}
	return a.with(cfg)
}

// With is the account with other credentials (the administrator changed
// them in the console): the same Redis, HTTP client and templates, and
// none of New's process-wide settings made again.
func (a *Account) With(appID, appSecret, token, encodingAESKey string) *Account {
	cfg := a.cfg
	cfg.AppID, cfg.AppSecret, cfg.Token, cfg.EncodingAESKey = appID, appSecret, token, encodingAESKey
	if cfg.Token == "" {
		cfg.Token = DevToken
	}
	return a.with(cfg)
}

func (a *Account) with(cfg Config) *Account {
	b := &Account{cfg: cfg, rdb: a.rdb, prefix: a.prefix, clock: a.clock, wall: a.wall, http: a.http, log: a.log}
	b.tokens = &tokenCache{rdb: a.rdb, prefix: tokenPrefix(a.prefix, cfg.AppSecret), wall: a.wall}
	b.oa = officialaccount.NewOfficialAccount(&offConfig.Config{
		AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, EncodingAESKey: cfg.EncodingAESKey,
		Cache: b.tokens,
		// The stable token does not invalidate the one another replica holds.
		UseStableAK: true,
	})
	b.custom, b.template = b.oa.GetCustomerMessageManager(), b.oa.GetTemplate()
	return b
}

// Configured reports whether the account can call WeChat's API.
func (a *Account) Configured() bool { return a.cfg.AppID != "" && a.cfg.AppSecret != "" }

// Touch queues on p the record of a citizen's message, which opens the
// customer-service window: the caller sends it with its other commands.
func (a *Account) Touch(ctx context.Context, p redis.Pipeliner, openid string) {
	key := a.prefix + "window:" + openid
	p.HSet(ctx, key, "last", a.clock.Now().Unix(), "sent", 0)
	p.Expire(ctx, key, csWindow+time.Hour)
}

// windowOpen reports whether a customer-service message may go to openid
// now. The time comes from our Clock, so the test clock closes it too.
func (a *Account) windowOpen(ctx context.Context, openid string) bool {
	v, err := a.rdb.HGetAll(ctx, a.prefix+"window:"+openid).Result()
	if err != nil || v["last"] == "" {
		return false
	}
	last, _ := strconv.ParseInt(v["last"], 10, 64)
	sent, _ := strconv.Atoi(v["sent"])
	return a.clock.Now().Sub(time.Unix(last, 0)) < csWindow && sent < csQuota
}

// Send delivers one notice to a citizen: a customer-service message inside
// the window, a template message outside it, so nothing is lost.
func (a *Account) Send(ctx context.Context, n *models.Notice) (string, error) {
	if !a.Configured() {
		return "", bot.Permanent(errors.New("wechat: no app_id/app_secret configured"))
	}
	if n.Target == "" {
		return "", bot.Permanent(errors.New("wechat: notice has no openid"))
	}
	d, err := n.Data()
	if err != nil {
		return "", bot.Permanent(err)
	}
	if n.Kind == models.NoticeDialogMenu {
		// A menu only makes sense in the dialog, which is inside the window.
		return a.sendCustom(ctx, menuMessage(n.Target, d))
	}
	if a.windowOpen(ctx, n.Target) {
		msg := message.NewCustomerTextMessage(n.Target, Text(n.Kind, d))
		if len(d.Menu) > 0 { // a rating request: the five levels, clickable
			msg = menuMessage(n.Target, d)
		}
		receipt, err := a.sendCustom(ctx, msg)
		switch code := errCode(err); {
		case err == nil:
			return receipt, nil
		case code == 45015 || code == 45047:
			// Out of the window or over the quota after all: use a template.
			a.log.Info("customer-service window closed, sending a template message", "case", n.CaseNo, "errcode", code)
		default:
			return "", err
		}
	}
	return a.sendTemplate(ctx, n, d)
}

func menuMessage(openid string, d models.NoticeData) *message.CustomerMessage {
	items := make([]message.MsgmenuItem, len(d.Menu))
	for i, it := range d.Menu {
		items[i] = message.MsgmenuItem{ID: strconv.FormatInt(MenuItemID(it), 10), Content: it.Label}
	}
	return &message.CustomerMessage{
		ToUser: openid, Msgtype: message.MsgType("msgmenu"),
		Msgmenu: &message.MediaMsgmenu{HeadContent: d.Text, List: items, TailContent: d.Tail},
	}
}

func (a *Account) sendCustom(ctx context.Context, msg *message.CustomerMessage) (string, error) {
	err := a.withFreshToken(ctx, func() error { return a.custom.Send(msg) })
	if err != nil {
		return "", a.classify("custom send", err)
	}
	a.rdb.HIncrBy(ctx, a.prefix+"window:"+msg.ToUser, "sent", 1)
	return "custom", nil
}

func (a *Account) sendTemplate(ctx context.Context, n *models.Notice, d models.NoticeData) (string, error) {
	id := a.cfg.Templates[string(n.Kind)]
	if id == "" {
		id = a.cfg.Templates["default"]
	}
	if id == "" {
		return "", bot.Permanent(fmt.Errorf("wechat: the citizen is outside the 48-hour window and no template is configured for %s (wechat.templates.%s or .default)", n.Kind, n.Kind))
	}
	f := TemplateFields(n.Kind, d)
	data := map[string]*message.TemplateDataItem{
		"first": {Value: f.First}, "keyword1": {Value: f.Keyword1}, "keyword2": {Value: f.Keyword2},
		"keyword3": {Value: f.Keyword3}, "remark": {Value: f.Remark},
	}
	msg := &message.TemplateMessage{
		ToUser: n.Target, TemplateID: id, Data: data, URL: d.Link, // the rating page, for a rating request
		// WeChat's 防重入 key: a retry after a lost answer is not sent twice.
		ClientMsgID: fmt.Sprintf("bbcs-notice-%d", n.ID),
	}
	var msgID int64
	err := a.withFreshToken(ctx, func() (err error) {
		msgID, err = a.template.Send(msg)
		return err
	})
	if err != nil {
		return "", a.classify("template send", err)
	}
	return "template:" + strconv.FormatInt(msgID, 10), nil
}

// withFreshToken calls send, and once more with a fresh access token when
// WeChat says the cached one is stale (another system refreshed it, or it
// ran out): the SDK does not do this itself. A second refusal is left to
// the outbox to try again later, never given up for good.
func (a *Account) withFreshToken(ctx context.Context, send func() error) error {
	err := send()
	if bot.StaleToken(errCode(err)) {
		a.dropToken()
		err = send()
	}
	return err
}

var errCodeRE = regexp.MustCompile(`errcode"?\s*[=:]\s*(\d+)`)

// errCode digs WeChat's errcode out of an SDK error (the SDK formats it
// into the text), 0 when there is none.
func errCode(err error) int {
	if err == nil {
		return 0
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode)
	}
	if m := errCodeRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var tokenRE = regexp.MustCompile(`access_token=[^&\s"]+`)

// classify decides what the outbox does with a failed call. The SDK puts
// the whole URL, access token included, into its errors: the token is cut
// out before the error reaches a log or the outbox.
func (a *Account) classify(what string, err error) error {
	if bot.StaleToken(errCode(err)) {
		// The cached token is stale (another system refreshed it): drop it so
		// the retry fetches a new one. The SDK does not do this itself.
		a.dropToken()
	}
	return a.classifyNoCache(what, err)
}

// tokenPrefix is where the account's access token is cached. The SDK keys
// it by AppID alone; the secret's digest in the prefix keeps a token
// fetched with an old secret from hiding a mistyped new one for the two
// hours it lives, whether the secret changed in the console or in config.
func tokenPrefix(prefix, secret string) string {
	h := sha256.Sum256([]byte(secret))
	return prefix + "token:" + hex.EncodeToString(h[:4]) + ":"
}

// dropToken forgets the account's cached access token.
func (a *Account) dropToken() {
	a.tokens.Delete(fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyOfficialAccountPrefix, a.cfg.AppID))
}

// classifyNoCache is classify without touching the token cache.
func (a *Account) classifyNoCache(what string, err error) error {
	err = errors.New(tokenRE.ReplaceAllString(err.Error(), "access_token=***"))
	switch errCode(err) {
	case 40003, 43004, 40037, 45015, 45047, 40200:
		// Unknown openid, unsubscribed, bad template, no window: retrying
		// the same call cannot help.
		return bot.Permanent(fmt.Errorf("wechat %s: %w", what, err))
	}
	return fmt.Errorf("wechat %s: %w", what, err)
}

// FetchMedia downloads a photo a citizen sent (media/get; kept 3 days by
// WeChat), so the case keeps it.
func (a *Account) FetchMedia(ctx context.Context, mediaID string) (contentType string, data []byte, err error) {
	token, err := a.oa.GetAccessToken()
	if err != nil {
		return "", nil, fmt.Errorf("wechat: access token: %w", err)
	}
	u := "https://" + PublicHost + "/cgi-bin/media/get?access_token=" + url.QueryEscape(token) + "&media_id=" + url.QueryEscape(mediaID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("wechat media/get: %w", err)
	}
	defer resp.Body.Close()
	const maxMedia = 10 << 20
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMedia+1))
	if err != nil {
		return "", nil, fmt.Errorf("wechat media/get: %w", err)
	}
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("wechat media/get: HTTP %d", resp.StatusCode)
	}
	if strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/plain") {
		// WeChat answers errors as JSON with status 200.
		return "", nil, a.classify("media/get", fmt.Errorf("%s", body))
	}
	if len(body) > maxMedia {
		return "", nil, bot.Permanent(fmt.Errorf("wechat media/get: %s is larger than %d bytes", mediaID, maxMedia))
	}
	return ct, body, nil
}

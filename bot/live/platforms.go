package live

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wechat"
	"bbcs/bot/wecom"
	"bbcs/clock"
	"bbcs/models"
)

// The apps' credentials (service account, WeCom app and robot, DingTalk
// app) are managed in config and the console (R10). The clients and the
// callbacks that verify inbound messages are built from the credentials in
// force, and built again when they change: from the next message or notice
// on this replica, and on the others within snapshotTTL and one reading of
// the directory, with no restart.

// Handle answers an inbound message: the citizens' dialog, the staff's
// commands.
type Handle = func(ctx context.Context, m bot.Message) (string, error)

// Identity resolves the code of a sign-in to the platform's user id.
type Identity interface {
	UserIDByCode(ctx context.Context, code string) (string, error)
}

// Config is what the clients of every set of credentials share.
type Config struct {
	// Account is the service account with no credentials: what does not
	// need them (the customer-service window's record) and what each set
	// of credentials shares (Redis, the HTTP client, templates).
	Account                 *wechat.Account
	WeComHTTP, DingTalkHTTP *http.Client
	Redis                   *redis.Client // the group robots' rate limits
	Prefix                  string        // of the Redis keys
	Wall                    clock.Wall
	PublicURL               string // how phones reach bbcs (links in cards)
	Log                     *slog.Logger
}

// apps are the clients and callbacks one set of credentials makes.
type apps struct {
	wechat     *wechat.Account
	wechatIn   http.Handler
	wecom      *wecom.Client
	wecomBot   http.Handler
	wecomApp   http.Handler
	dingtalk   *dingtalk.Client
	dingtalkIn http.Handler
	settings   models.Settings
}

// Platforms keeps the clients of the credentials in force.
type Platforms struct {
	cfg             Config
	routes          *Routes
	citizens, staff Handle

	mu  sync.Mutex
	gen uint64 // of the directory reading cur came from
	cur *apps
}

// New returns the platforms of the credentials dir holds; Start builds
// the first clients.
func New(dir Directory, cfg Config) *Platforms {
	return &Platforms{cfg: cfg, routes: NewRoutes(dir)}
}

// Start builds the first clients, whose callbacks hand citizens' messages
// to citizens and the staff's to staff; bbcs does not start without them.
func (p *Platforms) Start(ctx context.Context, citizens, staff Handle) error {
	v, err := p.routes.dir.get(ctx)
	if err != nil {
		return fmt.Errorf("platform credentials: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.citizens, p.staff = citizens, staff
	p.cur, p.gen = p.build(v.settings), v.gen
	if v.settings.WeChat.Token == "" {
		p.cfg.Log.Warn("wechat.token is not set: /wechat/oa accepts messages signed with the development token", "token", wechat.DevToken)
	}
	if !v.settings.WeChat.Complete() {
		p.cfg.Log.Info("service account not configured (wechat.app_id, wechat.app_secret, or the console): citizens' notices are only logged")
	}
	return nil
}

// build makes the clients of s's credentials; robots and user ids come
// from the directory at each send.
func (p *Platforms) build(s models.Settings) *apps {
	w, wc, dc := s.WeChat, s.WeCom, s.DingTalk
	a := &apps{settings: s, wechat: p.cfg.Account.With(w.AppID, w.AppSecret, w.Token, w.EncodingAESKey)}
	a.wechatIn = a.wechat.Callback(p.citizens, p.cfg.Log)
	wcfg := wecom.Config{
		CorpID: wc.CorpID, AgentID: wc.AgentID, Secret: wc.Secret, Token: wc.Token, EncodingAESKey: wc.EncodingAESKey,
		BotToken: wc.BotToken, BotEncodingAESKey: wc.BotEncodingAESKey, PublicURL: p.cfg.PublicURL,
		Groups: p.routes.wecomKey,
		Users:  p.routes.users(func(st models.Staff) string { return st.WeComUserID }),
	}
	a.wecom = wecom.NewClient(wcfg, p.cfg.WeComHTTP, p.cfg.Wall)
	a.wecomBot = wecom.BotCallback(wcfg, p.cfg.Wall, p.staff, p.cfg.Log)
	a.wecomApp = wecom.AppCallback(wcfg, p.cfg.Wall, p.staff, p.cfg.Log)
	dcfg := dingtalk.Config{AppKey: dc.AppKey, AppSecret: dc.AppSecret, RobotCode: dc.RobotCode, PublicURL: p.cfg.PublicURL,
		Groups: p.routes.dingtalkRobot,
		Users:  p.routes.users(func(st models.Staff) string { return st.DingTalkUserID })}
	a.dingtalk = dingtalk.NewClient(dcfg, p.cfg.DingTalkHTTP, p.cfg.Wall)
	a.dingtalkIn = dingtalk.Callback(dcfg, p.cfg.Wall, p.staff, p.cfg.Log)
	return a
}

// sameCredentials tells whether two settings make the same clients.
func sameCredentials(a, b models.Settings) bool {
	return a.WeChat == b.WeChat && a.WeCom == b.WeCom && a.DingTalk == b.DingTalk
}

// current is the clients of the credentials in force. When the directory
// cannot be read it keeps the ones in use: a database hiccup must not
// unconfigure the platforms. A reading older than the one the clients came
// from (a caller that read before another rebuilt them) changes nothing,
// so the clients never go back to credentials already replaced.
func (p *Platforms) current(ctx context.Context) *apps {
	v, err := p.routes.dir.get(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || v.gen <= p.gen {
		return p.cur
	}
	p.gen = v.gen
	if !sameCredentials(v.settings, p.cur.settings) {
		p.cur = p.build(v.settings)
		p.cfg.Log.Info("platform credentials changed: clients rebuilt",
			"wechat", v.settings.WeChat.Complete(), "wecom", v.settings.WeCom.Complete(), "dingtalk", v.settings.DingTalk.Complete())
	}
	return p.cur
}

// WeChat is the service account in force.
func (p *Platforms) WeChat(ctx context.Context) *wechat.Account { return p.current(ctx).wechat }

// Router sends each notice through the platform Route names for it, with
// the clients in force; a notice for none goes to the log. measure wraps
// each platform's sender (metrics). A group robot takes 20 messages a
// minute: the senders hold back the rest, per group.
func (p *Platforms) Router(measure func(bot.Platform, bot.Sender) bot.Sender) bot.Router {
	return bot.Router{
		Senders: map[bot.Platform]bot.Sender{
			bot.WeChat:   measure(bot.WeChat, p.sender(func(a *apps) bot.Sender { return a.wechat })),
			bot.WeCom:    measure(bot.WeCom, p.throttled(bot.WeCom, p.sender(func(a *apps) bot.Sender { return a.wecom }))),
			bot.DingTalk: measure(bot.DingTalk, p.throttled(bot.DingTalk, p.sender(func(a *apps) bot.Sender { return a.dingtalk }))),
		},
		Route:   p.routes.Route,
		Default: bot.LogSender{Log: p.cfg.Log},
	}
}

func (p *Platforms) throttled(platform bot.Platform, next bot.Sender) bot.Sender {
	return &bot.Throttle{Next: next, Redis: p.cfg.Redis, Prefix: p.cfg.Prefix, Wall: p.cfg.Wall,
		Limit: 20, Window: time.Minute, Key: func(n *models.Notice) string {
			if target, ok := bot.GroupTarget(n); ok {
				return string(platform) + ":" + target
			}
			return "" // private messages have no per-group limit
		}}
}

// sender sends through the client pick chooses among those in force.
func (p *Platforms) sender(pick func(*apps) bot.Sender) bot.Sender {
	return liveSender{p, pick}
}

type liveSender struct {
	platforms *Platforms
	pick      func(*apps) bot.Sender
}

func (s liveSender) Send(ctx context.Context, n *models.Notice) (string, error) {
	return s.pick(s.platforms.current(ctx)).Send(ctx, n)
}

// The callbacks serve with the handler in force, so a message is verified
// with the token and key in force when it arrives.
func (p *Platforms) WeChatCallback() http.Handler {
	return p.handler(func(a *apps) http.Handler { return a.wechatIn })
}
func (p *Platforms) WeComBotCallback() http.Handler {
	return p.handler(func(a *apps) http.Handler { return a.wecomBot })
}
func (p *Platforms) WeComAppCallback() http.Handler {
	return p.handler(func(a *apps) http.Handler { return a.wecomApp })
}
func (p *Platforms) DingTalkCallback() http.Handler {
	return p.handler(func(a *apps) http.Handler { return a.dingtalkIn })
}

func (p *Platforms) handler(pick func(*apps) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pick(p.current(r.Context())).ServeHTTP(w, r)
	})
}

// WeComIdentity and DingTalkIdentity resolve sign-in codes with the
// client in force.
func (p *Platforms) WeComIdentity() Identity {
	return liveIdentity{p, func(a *apps) Identity { return a.wecom }}
}
func (p *Platforms) DingTalkIdentity() Identity {
	return liveIdentity{p, func(a *apps) Identity { return a.dingtalk }}
}

type liveIdentity struct {
	platforms *Platforms
	pick      func(*apps) Identity
}

func (i liveIdentity) UserIDByCode(ctx context.Context, code string) (string, error) {
	return i.pick(i.platforms.current(ctx)).UserIDByCode(ctx, code)
}

// WeComSignIn is the address of WeCom's sign-in, with the app in force,
// that comes back to back.
func (p *Platforms) WeComSignIn(ctx context.Context, back string) string {
	w := p.current(ctx).settings.WeCom
	return wecom.SignInURL(w.CorpID, w.AgentID, back)
}

// DingTalkCorpID is the DingTalk organisation in force.
func (p *Platforms) DingTalkCorpID(ctx context.Context) string {
	return p.current(ctx).settings.DingTalk.CorpID
}

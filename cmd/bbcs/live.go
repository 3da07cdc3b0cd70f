package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wechat"
	"bbcs/bot/wecom"
	"bbcs/handlers"
	"bbcs/models"
)

// The apps' credentials (service account, WeCom app and robot, DingTalk
// app) are managed in config and the console (R10). The clients and the
// callbacks that verify inbound messages are built from the credentials in
// force, and built again when they change: from the next message or notice
// on this replica, and within snapshotTTL on the others, with no restart.

// platformApps are the clients and callbacks one set of credentials makes.
type platformApps struct {
	wechat     *wechat.Account
	wechatIn   http.Handler
	wecom      *wecom.Client
	wecomBot   http.Handler
	wecomApp   http.Handler
	dingtalk   *dingtalk.Client
	dingtalkIn http.Handler
	settings   models.Settings
}

// liveApps keeps the platformApps of the credentials in force.
type liveApps struct {
	dir   *directorySnapshot
	build func(models.Settings) *platformApps // the clients of settings' credentials
	log   *slog.Logger

	mu  sync.Mutex
	gen uint64 // of the directory reading cur came from
	cur *platformApps
}

// sameCredentials tells whether two settings make the same clients.
func sameCredentials(a, b models.Settings) bool {
	return a.WeChat == b.WeChat && a.WeCom == b.WeCom && a.DingTalk == b.DingTalk
}

// start builds the first clients; bbcs does not start without them.
func (l *liveApps) start(ctx context.Context) (*platformApps, error) {
	v, err := l.dir.get(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur, l.gen = l.build(v.settings), v.gen
	return l.cur, nil
}

// get is the clients of the credentials in force. When the directory
// cannot be read it keeps the ones in use: a database hiccup must not
// unconfigure the platforms. A reading older than the one the clients came
// from (a caller that read before another rebuilt them) changes nothing,
// so the clients never go back to credentials already replaced.
func (l *liveApps) get(ctx context.Context) *platformApps {
	v, err := l.dir.get(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || v.gen <= l.gen {
		return l.cur
	}
	l.gen = v.gen
	if !sameCredentials(v.settings, l.cur.settings) {
		l.cur = l.build(v.settings)
		l.log.Info("platform credentials changed: clients rebuilt",
			"wechat", wechatOn(v.settings), "wecom", wecomOn(v.settings), "dingtalk", dingtalkOn(v.settings))
	}
	return l.cur
}

// sender sends through the client pick chooses among those in force.
func (l *liveApps) sender(pick func(*platformApps) bot.Sender) bot.Sender {
	return liveSender{l, pick}
}

type liveSender struct {
	apps *liveApps
	pick func(*platformApps) bot.Sender
}

func (s liveSender) Send(ctx context.Context, n *models.Notice) (string, error) {
	return s.pick(s.apps.get(ctx)).Send(ctx, n)
}

// handler serves with the callback pick chooses among those in force, so
// a message is verified with the token and key in force when it arrives.
func (l *liveApps) handler(pick func(*platformApps) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pick(l.get(r.Context())).ServeHTTP(w, r)
	})
}

// identity resolves sign-in codes with the client pick chooses.
func (l *liveApps) identity(pick func(*platformApps) handlers.Identity) handlers.Identity {
	return liveIdentity{l, pick}
}

type liveIdentity struct {
	apps *liveApps
	pick func(*platformApps) handlers.Identity
}

func (i liveIdentity) UserIDByCode(ctx context.Context, code string) (string, error) {
	return i.pick(i.apps.get(ctx)).UserIDByCode(ctx, code)
}

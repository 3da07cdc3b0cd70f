package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/bot"
	"bbcs/casework"
	"bbcs/clock"
)

// The service account's dialog, in five files:
//
//	citizen.go          routing: Handle, and which step gets a message
//	citizen_dialog.go   the report dialog's steps (category … confirm)
//	citizen_rating.go   ratings and comments given by chat
//	citizen_progress.go progress queries (查询, a case number)
//	citizen_state.go    the dialog's Redis state and its expiry
//
// Each message is one turn: what the steps share about it travels in a
// *turn passed to them, and its Redis writes commit with its answer.

// Citizens is the service-account dialog (R1): guided reporting, progress
// queries and help, with each citizen's dialog state in Redis.
type Citizens struct {
	Cases  *casework.Service
	Redis  *redis.Client
	Prefix string // Redis key prefix, e.g. "bbcs"
	Clock  clock.Clock
	Centre string // the centre's name, in greetings
	// Touch queues on p the record of a citizen's message (it opens
	// WeChat's customer-service window); Kick wakes the outbox so replies
	// leave at once. Both optional.
	Touch func(ctx context.Context, p redis.Pipeliner, openid string)
	Kick  func()
	// Timers ends a dialog left alone at its time (optional: without it a
	// stale dialog ends when the citizen next writes).
	Timers DialogTimers
	Log    *slog.Logger
	// Expiry ends a dialog left alone this long (default 30 minutes).
	Expiry time.Duration
}

// DialogTimers is the part of the timer engine the dialog uses.
type DialogTimers interface {
	Schedule(ctx context.Context, id string, at time.Time) error
}

// DialogTimerPrefix names the timer that ends a citizen's dialog.
const DialogTimerPrefix = "dialog:"

var caseNoRE = regexp.MustCompile(`(?i)\b[A-Z]{1,4}\d{8}-\d{3,}\b`)

// Handle answers one inbound message once: WeChat retries a message it got
// no answer to in 5 s, and a retry gets the first answer, not a second run.
// An outage of the database or Redis answers an error instead, for the
// webhook to ask WeChat to deliver the message again.
//
// Redis sees the message twice: once to mark it and read the citizen's
// dialog, once to commit what it changed with its answer (see once); an
// event that changes nothing, never (plainEvent).
func (c *Citizens) Handle(ctx context.Context, m bot.Message) (string, error) {
	if reply, ok := c.plainEvent(m); ok {
		// It changes nothing and answers the same every time: handled
		// twice it is the same, so it needs no de-duplication, and spares
		// Redis both round trips (a subscription is one message in ten of
		// bench/load's mix).
		return reply, nil
	}
	t := &turn{openid: m.UserID, msgID: m.ID}
	read := func(p redis.Pipeliner) {
		if m.Kind != bot.KindEvent && c.Touch != nil {
			c.Touch(ctx, p, m.UserID)
		}
		c.load(ctx, p, t)
	}
	reply, err := once(ctx, c.Redis, c.Prefix+":wechat:seen:"+m.ID, read, func(w redis.Pipeliner) (string, error) {
		for _, cmd := range []*redis.StringCmd{t.found, t.comment} {
			if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
				// Not "no dialog": a digit typed mid-report would be taken
				// for a rating.
				return "", unavailable(fmt.Errorf("read the dialog: %w", err))
			}
		}
		t.writes = w
		reply := c.handle(ctx, t, m)
		if t.outage != nil {
			return "", unavailable(t.outage)
		}
		return reply, nil
	})
	if err == nil && t.kick && c.Kick != nil {
		// Only now: a menu must not reach the citizen before the dialog
		// step that expects its click is stored.
		c.Kick()
	}
	return reply, err
}

// turn is one message being handled, and what the steps of the dialog
// share about it: the citizen, the message id, which makes a step safe to
// run again after a crash, and the first outage met, for Handle; the
// steps keep plain string answers. Handle makes one per message and
// passes it down; nothing keeps it after.
type turn struct {
	openid string
	msgID  string
	outage error
	// found and comment are the citizen's dialog and pending comment as
	// the message found them, read with its de-duplication mark (load);
	// writes is where the steps queue their Redis writes, committed with
	// the message's answer.
	found, comment *redis.StringCmd
	writes         redis.Pipeliner
	kick           bool // the outbox has something to send once writes commit
}

// busy records an outage for Handle and says so.
func (c *Citizens) busy(t *turn, what string, err error) string {
	c.Log.Error("wechat: "+what, "err", err)
	if t.outage == nil {
		t.outage = fmt.Errorf("%s: %w", what, err)
	}
	return "系统繁忙，请稍后再试。"
}

// handle routes a message: an account menu's event, a rating, a step of
// the report in progress, or the start of a report or a query.
func (c *Citizens) handle(ctx context.Context, t *turn, m bot.Message) string {
	if m.Kind == bot.KindEvent {
		// Plain events were answered before the de-duplication (Handle):
		// an event here is one of the menu's buttons.
		return c.menuButton(m)(ctx, t)
	}
	text := strings.TrimSpace(m.Text)
	d := t.foundDialog()
	stale := d != nil && c.stale(d)
	switch {
	case stale:
		c.drop(ctx, t)
	case d != nil:
		// Any message is the citizen at work — an answer, a refused one, a
		// rating — so the dialog lives on from now. A step that saves or
		// drops it later, in the same commit, has the last word.
		c.saveAs(ctx, t, d, d.Msg)
	}
	if reply, ok := c.rating(ctx, t, d, text, m.ButtonKey); ok {
		if stale {
			return reply + "\n\n" + c.expiredText()
		}
		return reply
	}
	if stale {
		return c.expiredText()
	}
	if d != nil && m.ID != "" && d.Msg == m.ID {
		return c.ask(ctx, t, d)
	}
	if d != nil {
		return c.inDialog(ctx, t, d, m, text)
	}
	switch {
	case m.Kind == bot.KindText && isStart(text):
		return c.start(ctx, t)
	case m.Kind == bot.KindText && (text == "查询" || text == "进度" || text == "查询进度"):
		return c.progress(ctx, t)
	case m.Kind == bot.KindText && caseNoRE.MatchString(text):
		return c.caseStatus(ctx, t, strings.ToUpper(caseNoRE.FindString(text)))
	}
	return c.help()
}

// menuButton is what a click on one of the account menu's buttons does,
// nil for any other message: the one list of the events that are handled
// as a message is (once, through the de-duplication).
func (c *Citizens) menuButton(m bot.Message) func(context.Context, *turn) string {
	if m.Kind != bot.KindEvent || m.Event != "CLICK" {
		return nil
	}
	switch m.ButtonKey {
	case menuReport:
		return c.start
	case menuProgress:
		return c.progress
	}
	return nil
}

// plainEvent answers an account event that is no menu button: a
// subscription's greeting, and nothing to say to an unsubscription, a
// view, another click or a template's delivery report. ok is false for
// every other message.
func (c *Citizens) plainEvent(m bot.Message) (reply string, ok bool) {
	switch {
	case m.Kind != bot.KindEvent || c.menuButton(m) != nil:
		return "", false
	case m.Event == "subscribe":
		return c.greeting(), true
	}
	return "", true
}

func isStart(text string) bool {
	switch text {
	case "反映问题", "反映", "我要反映", "办不成事", "投诉":
		return true
	}
	return false
}

func (c *Citizens) greeting() string {
	return fmt.Sprintf("您好，欢迎关注%s！\n在中心办事遇到“办不成”的问题（超时未受理、超时未办结、多次跑腿未办成、态度差、慢作为、不作为），可以在这里反映，我们会有专人跟进到办结。\n回复“反映问题”开始反映，回复“查询”了解办理进度。", c.centre())
}

func (c *Citizens) help() string {
	return "您好！我可以帮您：\n· 回复“反映问题”：反映在中心办事遇到的问题\n· 回复“查询”：查看您反映事项的办理进度\n· 回复事项编号（如 BB20260310-004）：查看该事项详情"
}

func (c *Citizens) centre() string {
	if c.Centre == "" {
		return "县政务服务中心"
	}
	return c.Centre
}

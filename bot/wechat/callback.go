package wechat

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"bbcs/bot"
)

// MaxBody bounds an inbound message: WeChat's are a few kilobytes.
const MaxBody = 64 << 10

// Handle answers one inbound message; a non-empty string is sent back as
// the passive text reply, "" answers "success" (nothing to say now). An
// error means the message was not handled (an outage): the webhook answers
// 503 and WeChat delivers it again.
type Handle func(ctx context.Context, m bot.Message) (string, error)

// Callback is the webhook GET|POST /wechat/oa: URL verification, plain and
// safe mode, through the SDK's message server.
func (a *Account) Callback(handle Handle, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bot.ReadBody(w, r, MaxBody)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &writeTracker{ResponseWriter: w}
		srv := a.oa.GetServer(r, rec)
		if !srv.Validate() {
			// Nothing is read or stored from a request we cannot trust.
			log.Warn("wechat: bad signature", "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		// Checked: Serve would check it again, parsing the query three more
		// times (3 % of bbcs's CPU per message in bench/load's loops).
		srv.SkipValidate(true)
		q := r.URL.Query()
		// WeChat stamps the message with its real time: the wall clock, not
		// the test clock, judges it.
		if r.Method == http.MethodPost && !bot.Fresh(q.Get("timestamp"), a.wall) {
			log.Warn("wechat: stale timestamp", "remote", r.RemoteAddr)
			http.Error(w, "stale timestamp", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodGet {
			if q.Get("echostr") == "" {
				http.Error(w, "echostr missing", http.StatusBadRequest)
				return
			}
			if err := srv.Serve(); err != nil { // echoes echostr
				http.Error(w, "verification failed", http.StatusBadRequest)
			}
			return
		}
		var failed error
		srv.SetMessageHandler(func(mm *message.MixMessage) *message.Reply {
			text, err := handle(r.Context(), toMessage(mm))
			if err != nil {
				failed, rec.hold = err, true // nothing the SDK writes now goes out
				return nil
			}
			if text == "" {
				return nil
			}
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
		})
		err := srv.Serve()
		if failed != nil {
			log.Warn("wechat: message not handled, asking WeChat to deliver it again", "err", failed)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			log.Warn("wechat: rejected message", "err", err)
			http.Error(w, "malformed message", http.StatusBadRequest)
			return
		}
		if srv.ResponseMsg == nil {
			// Plain mode: the SDK has written "success". Safe mode: it would
			// send an encrypted empty reply, which WeChat shows as an error
			// (silenceper issue #586), so say "success" ourselves.
			if !rec.wrote {
				io.WriteString(w, "success")
			}
			return
		}
		if err := srv.Send(); err != nil {
			log.Error("wechat: send reply", "err", err)
		}
	})
}

func toMessage(mm *message.MixMessage) bot.Message {
	m := bot.Message{
		Platform: bot.WeChat, UserID: string(mm.FromUserName), Text: mm.Content,
		At: time.Unix(mm.CreateTime, 0),
	}
	switch mm.MsgType {
	case message.MsgTypeText:
		m.Kind = bot.KindText
		if mm.BizMsgMenuID != 0 {
			m.ButtonKey = strconv.FormatInt(mm.BizMsgMenuID, 10)
		}
	case message.MsgTypeImage:
		m.Kind, m.MediaID = bot.KindImage, mm.MediaID
	case message.MsgTypeEvent:
		m.Kind, m.Event = bot.KindEvent, string(mm.Event)
		if mm.Event == message.EventClick {
			m.ButtonKey = mm.EventKey
		}
	default:
		m.Kind = bot.KindOther
	}
	// WeChat retries a message up to 3 times: MsgId names it; an event has
	// none, so sender and time do (platforms.md).
	if mm.MsgID != 0 {
		m.ID = strconv.FormatInt(mm.MsgID, 10)
	} else {
		m.ID = "evt:" + string(mm.FromUserName) + ":" + strconv.FormatInt(mm.CreateTime, 10)
	}
	return m
}

// writeTracker notes whether the SDK has written the response, and holds
// back what it writes once the handler has failed.
type writeTracker struct {
	http.ResponseWriter
	wrote, hold bool
}

func (t *writeTracker) Write(b []byte) (int, error) {
	if t.hold {
		return len(b), nil
	}
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *writeTracker) WriteHeader(code int) {
	if t.hold {
		return
	}
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

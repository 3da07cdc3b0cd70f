package dingtalk

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"bbcs/bot"
	"bbcs/clock"
)

// MaxBody bounds an inbound callback.
const MaxBody = 64 << 10

// maxSkew is how far a callback's timestamp may be from the wall clock
// (DingTalk's own rule: one hour).
const maxSkew = time.Hour

// Handle answers one inbound message; the string is said back in the
// conversation ("" for nothing).
//
// An error means the message was not handled (an outage): the callback
// answers 503 and DingTalk delivers it again.
type Handle func(ctx context.Context, m bot.Message) (string, error)

// incoming is the enterprise robot's message in HTTP mode.
type incoming struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	MsgID            string `json:"msgId"`
	CreateAt         int64  `json:"createAt"`
	ConversationType string `json:"conversationType"`
	ConversationID   string `json:"conversationId"`
	SenderStaffID    string `json:"senderStaffId"`
	SenderNick       string `json:"senderNick"`
}

// Callback is POST /dingtalk/callback: it checks the timestamp and sign
// headers with the app secret, decodes the @-message, and answers in the
// conversation through the HTTP response. DingTalk stamps the callback with
// its real time, so wall, never the test clock, judges its freshness.
func Callback(cfg Config, wall clock.Wall, handle Handle, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, sign := r.Header.Get("timestamp"), r.Header.Get("sign")
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || sign == "" {
			http.Error(w, "missing timestamp or sign", http.StatusForbidden)
			return
		}
		if skew := wall.Now().Sub(time.UnixMilli(ms)); skew > maxSkew || skew < -maxSkew {
			http.Error(w, "stale timestamp", http.StatusForbidden)
			return
		}
		if !hmac.Equal([]byte(sign), []byte(Sign(ts, cfg.AppSecret))) {
			log.Warn("dingtalk: bad sign on callback", "remote", r.RemoteAddr)
			http.Error(w, "invalid sign", http.StatusForbidden)
			return
		}
		body, ok := bot.ReadBody(w, r, MaxBody)
		if !ok {
			return
		}
		var in incoming
		if err := json.Unmarshal(body, &in); err != nil || in.MsgID == "" {
			http.Error(w, "malformed message", http.StatusBadRequest)
			return
		}
		m := bot.Message{
			Platform: bot.DingTalk, ID: in.MsgID, UserID: in.SenderStaffID,
			Text: bot.TrimMention(in.Text.Content), At: time.UnixMilli(in.CreateAt),
		}
		if in.ConversationType == "2" {
			m.GroupID = in.ConversationID
		}
		if in.MsgType == "text" {
			m.Kind = bot.KindText
		} else {
			m.Kind = bot.KindOther
		}
		reply, err := handle(r.Context(), m)
		if err != nil {
			log.Warn("dingtalk: message not handled, asking DingTalk to deliver it again", "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if reply == "" {
			io.WriteString(w, "{}")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"msgtype": "text", "text": map[string]string{"content": reply}})
	})
}

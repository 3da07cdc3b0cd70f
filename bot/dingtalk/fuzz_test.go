package dingtalk

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"bbcs/bot"
	"bbcs/clock"
)

// FuzzCallback: a correctly signed callback with any body is answered 200
// (a message) or 400 (not one), never a panic; a stale or unsigned one is
// refused before its body is read.
func FuzzCallback(f *testing.F) {
	for _, seed := range []string{
		`{"msgtype":"text","text":{"content":" 签收 GD20260310-001-1"},"msgId":"m1","createAt":1773100000000,"conversationType":"2","conversationId":"cid","senderStaffId":"zhaomin"}`,
		`{"msgtype":"picture","msgId":"m2"}`, `{}`, `[]`, `{"msgId":123}`, ``,
	} {
		f.Add(seed)
	}
	now := time.UnixMilli(1773100000000)
	h := Callback(Config{AppSecret: "secret"}, clock.WallAt(now), func(_ context.Context, m bot.Message) (string, error) {
		if m.ID == "" {
			panic("a message without an id reached the handler")
		}
		return "好的", nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/dingtalk/callback", strings.NewReader(body))
		req.Header.Set("timestamp", ts)
		req.Header.Set("sign", Sign(ts, "secret"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}

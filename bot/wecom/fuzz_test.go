package wecom

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"bbcs/bot"
	"bbcs/clock"
)

const fuzzToken, fuzzKey = "bot-token", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

// FuzzDecrypt: whatever arrives as a payload, opening it fails cleanly or
// yields bytes; it never panics.
func FuzzDecrypt(f *testing.F) {
	good, _ := util.EncryptMsg([]byte("0123456789abcdef"), []byte(`{"msgid":"1"}`), "", fuzzKey)
	f.Add(string(good))
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, payload string) {
		_, _ = decrypt(fuzzKey, "", payload)
		_, _ = decrypt(fuzzKey, "wwcorp", payload)
	})
}

// FuzzBotCallback: a correctly signed and encrypted robot callback with any
// JSON inside is answered 200 or 400, never a panic; a command reaches the
// handler with the mention stripped.
func FuzzBotCallback(f *testing.F) {
	for _, seed := range []string{
		`{"msgid":"m1","aibotid":"b","chatid":"c","chattype":"group","from":{"userid":"zhangwei"},"msgtype":"text","text":{"content":"@办事不成bot 签收 GD20260310-001-1"}}`,
		`{"msgid":"m2","chattype":"single","from":{"userid":"u"},"msgtype":"event","event":{"eventtype":"template_card_event","template_card_event":{"card_type":"button_interaction","event_key":"签收 GD1","task_id":"t"}}}`,
		`{"msgtype":"image"}`, `[]`, `{"text":{"content":123}}`, `null`,
	} {
		f.Add(seed)
	}
	cfg := Config{BotToken: fuzzToken, BotEncodingAESKey: fuzzKey}
	clk := clock.WallAt(time.Unix(1773100000, 0))
	h := BotCallback(cfg, clk, func(_ context.Context, m bot.Message) (string, error) {
		if strings.HasPrefix(m.Text, "@") {
			panic("mention not stripped: " + m.Text)
		}
		return "好的", nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, inner string) {
		enc, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(inner), "", fuzzKey)
		if err != nil {
			t.Skip()
		}
		body, _ := json.Marshal(map[string]string{"encrypt": string(enc)})
		q := url.Values{"timestamp": {"1773100000"}, "nonce": {"n"}, "msg_signature": {util.Signature(fuzzToken, "1773100000", "n", string(enc))}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), strings.NewReader(string(body))))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, inner)
		}
	})
}

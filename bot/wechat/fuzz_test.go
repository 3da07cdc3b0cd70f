package wechat

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/util"

	"bbcs/bot"
	"bbcs/clock"
)

// FuzzCallback: a message WeChat signed (plain mode) with any body is
// answered 200 or 400, never a panic, and never with a 5xx that would make
// WeChat retry forever.
func FuzzCallback(f *testing.F) {
	for _, seed := range []string{
		`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1773100000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[反映问题]]></Content><MsgId>1</MsgId></xml>`,
		`<xml><MsgType>text</MsgType><Content>2 受理后超时未办结</Content><MsgId>2</MsgId><bizmsgmenuid>102</bizmsgmenuid></xml>`,
		`<xml><MsgType>event</MsgType><Event>CLICK</Event><EventKey>REPORT</EventKey></xml>`,
		`<xml><bizmsgmenuid>abc</bizmsgmenuid></xml>`, `<xml>`, ``, `{"MsgType":"text"}`,
	} {
		f.Add(seed)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // the callback does not touch Redis itself
	defer rdb.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := New(Config{AppID: "wx1", Token: "tok"}, rdb, "fuzz", clock.NewFrozen(time.Unix(1773100000, 0)), clock.WallAt(time.Unix(1773100000, 0)), http.DefaultClient, log)
	h := a.Callback(func(_ context.Context, m bot.Message) (string, error) { return "收到：" + m.Text, nil }, log)
	q := url.Values{"timestamp": {"1773100000"}, "nonce": {"n"}, "signature": {util.Signature("tok", "1773100000", "n")}, "openid": {"o1"}}
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wechat/oa?"+q.Encode(), strings.NewReader(body)))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}

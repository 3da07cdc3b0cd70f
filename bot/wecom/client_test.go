package wecom_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"bbcs/bot"
	"bbcs/bot/wecom"
	"bbcs/bot/wecom/wecomtest"
	"bbcs/clock"
)

// WeCom saying the access token is stale (40001, 40014, 42001) makes the
// client fetch a new one and send again at once; refused twice, the send
// is an error to try again later, never a permanent one.
func TestStaleTokenIsRefreshedAndNeverPermanent(t *testing.T) {
	f := wecomtest.NewFake(t, "wwcorp", "secret", "1000002")
	f.AddUser("zhangwei")
	hosts := bot.NewHosts(nil)
	if err := hosts.Route(wecom.PublicHost, f.URL()); err != nil {
		t.Fatal(err)
	}
	c := wecom.NewClient(wecom.Config{CorpID: "wwcorp", AgentID: "1000002", Secret: "secret"}, hosts.Client(5*time.Second), clock.Real{})
	ctx := context.Background()
	msg := func() map[string]any {
		return map[string]any{"touser": "zhangwei", "msgtype": "text", "text": map[string]string{"content": "工单提醒"}}
	}
	for _, code := range []int{40001, 40014, 42001} {
		f.FailNext(1, http.StatusOK, code)
		if _, err := c.SendApp(ctx, msg()); err != nil {
			t.Errorf("errcode %d once: %v, want sent with a fresh token", code, err)
		}
	}
	// The platform's own refusal: the cached token expired. Only a fresh
	// token gets through, so the message arriving proves the refresh.
	if _, err := c.SendApp(ctx, msg()); err != nil {
		t.Fatal(err)
	}
	before := f.TokenRequests()
	f.ExpireTokens()
	if _, err := c.SendApp(ctx, msg()); err != nil {
		t.Errorf("after the token expired: %v, want sent with a fresh one", err)
	}
	if n := f.TokenRequests() - before; n != 1 {
		t.Errorf("%d token requests after it expired, want 1", n)
	}
	f.FailNext(2, http.StatusOK, 42001)
	if _, err := c.SendApp(ctx, msg()); err == nil || bot.IsPermanent(err) {
		t.Errorf("a stale token twice: %v, want an error to retry later", err)
	}
	if n := len(f.AppMessagesTo("zhangwei")); n != 5 {
		t.Errorf("%d messages, want 5", n)
	}
}

package dingtalk_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/dingtalk/dingtalktest"
	"bbcs/clock"
)

func newClient(t *testing.T, wall clock.Wall) (*dingtalk.Client, *dingtalktest.Fake) {
	t.Helper()
	f := dingtalktest.NewFake(t, "key", "secret", "robot")
	f.AddRobot("tok", "SECgroup")
	hosts := bot.NewHosts(nil)
	for _, h := range []string{dingtalk.OAPIHost, dingtalk.APIHost} {
		if err := hosts.Route(h, f.URL()); err != nil {
			t.Fatal(err)
		}
	}
	return dingtalk.NewClient(dingtalk.Config{AppKey: "key", AppSecret: "secret", RobotCode: "robot"}, hosts.Client(5*time.Second), wall), f
}

var card = map[string]any{"msgtype": "text", "text": map[string]string{"content": "工单"}}

// A custom robot's sign is DingTalk's 310000 when it is refused; the
// client signs again at once with a fresh timestamp, and when DingTalk
// still refuses, the failure is one to try again later, never permanent.
func TestSignRefusedIsSignedAgainAndNeverPermanent(t *testing.T) {
	c, f := newClient(t, clock.Real{})
	robot := dingtalk.Robot{AccessToken: "tok", Secret: "SECgroup"}
	ctx := context.Background()

	f.FailNext(1, http.StatusOK, dingtalk.ErrSign)
	if err := c.SendGroup(ctx, robot, card); err != nil {
		t.Fatalf("one refused sign: %v, want the card sent with a fresh one", err)
	}
	f.FailNext(2, http.StatusOK, dingtalk.ErrSign)
	err := c.SendGroup(ctx, robot, card)
	if err == nil || bot.IsPermanent(err) {
		t.Fatalf("two refused signs: %v, want an error to retry later", err)
	}
	if n := len(f.RobotMessagesTo("tok")); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}

	// A wall clock an hour and more off (a host whose clock drifted): the
	// fake, in real time, refuses; still not permanent.
	off, _ := newClient(t, clock.WallAt(time.Now().Add(-2*time.Hour)))
	if err := off.SendGroup(ctx, robot, card); err == nil || bot.IsPermanent(err) {
		t.Errorf("a sign two hours old: %v, want an error to retry later", err)
	}
}

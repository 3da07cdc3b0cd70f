package wechat

import (
	"errors"
	"strings"
	"testing"

	"bbcs/bot"
)

func TestClassifyHidesTheAccessTokenAndKnowsPermanentErrors(t *testing.T) {
	a := &Account{cfg: Config{AppID: "wx1"}, rdb: nil}
	// The SDK's own wording, token included.
	err := errors.New("http post error : uri=https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET-TOKEN , statusCode=503")
	got := a.classifyNoCache("custom send", err)
	if strings.Contains(got.Error(), "SECRET-TOKEN") || !strings.Contains(got.Error(), "access_token=***") {
		t.Errorf("classified error leaks the token: %v", got)
	}
	if bot.IsPermanent(got) {
		t.Errorf("a 503 is worth retrying: %v", got)
	}
	for _, text := range []string{
		"customer msg send error : errcode=45015 , errmsg=response out of time limit",
		"template msg send error : errcode=40037 , errmsg=invalid template_id",
		`{"errcode":40003,"errmsg":"invalid openid"}`,
	} {
		if got := a.classifyNoCache("send", errors.New(text)); !bot.IsPermanent(got) {
			t.Errorf("%q: want a permanent error, got %v", text, got)
		}
	}
}

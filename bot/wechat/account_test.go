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

// The Encrypt value is the same whether the envelope is WeChat's own form,
// cut out directly, or another that encoding/xml reads as the SDK does.
func TestEncryptedPartOfEnvelopes(t *testing.T) {
	for _, body := range []string{
		"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>",
		"\n<xml>\n  <ToUserName><![CDATA[gh_1]]></ToUserName>\n  <Encrypt><![CDATA[abc+/=]]></Encrypt>\n</xml>\n",
		"<xml><Encrypt>abc+/=</Encrypt><ToUserName>gh_1</ToUserName></xml>",
		"<?xml version=\"1.0\"?><xml><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>",
	} {
		got, err := encryptedPart([]byte(body))
		if err != nil || got != "abc+/=" {
			t.Errorf("encryptedPart(%q) = %q, %v; want abc+/=", body, got, err)
		}
	}
	for _, body := range []string{"", "<xml>", "<notxml><Encrypt>x</Encrypt></notxml>"} {
		if got, err := encryptedPart([]byte(body)); err == nil {
			t.Errorf("encryptedPart(%q) = %q, want an error", body, got)
		}
	}
}

package wechat

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"

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

// The webhook writes its replies itself: byte for byte what xml.Marshal of
// the SDK's types wrote before.
func TestRepliesAreWhatTheSDKWrites(t *testing.T) {
	for _, s := range []string{"", "收到", "a]]>b", "]]>]]>", "<&>\"'\t\n\r", "bad\xffutf8", "\x01ctl", "]]"} {
		want := message.NewText(s)
		want.SetToUserName(message.CDATA("o" + s))
		want.SetFromUserName(message.CDATA(s))
		want.SetMsgType(message.MsgTypeText)
		want.SetCreateTime(1773100000)
		w, err := xml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if got := textReply("o"+s, s, 1773100000, s); string(got) != string(w) {
			t.Errorf("textReply(%q):\n got %s\nwant %s", s, got, w)
		}
		w, err = xml.Marshal(message.ResponseEncryptedXMLMsg{EncryptedMsg: "enc+/=" + s, MsgSignature: "sig" + s, Timestamp: 1773100000, Nonce: s})
		if err != nil {
			t.Fatal(err)
		}
		if got := encryptedReply("enc+/="+s, "sig"+s, 1773100000, s); string(got) != string(w) {
			t.Errorf("encryptedReply(%q):\n got %s\nwant %s", s, got, w)
		}
	}
}

package faketest

import (
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// The crypto, cross-checked with the SDK bbcs uses (silenceper/wechat),
// for WeChat's app id and WeCom's corp id and the smart robot's "".
func TestCryptoMatchesSilenceper(t *testing.T) {
	const (
		key      = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		otherKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	)
	msgs := []string{"", "x", "<xml/>", "<xml><Content><![CDATA[你好，12345]]></Content></xml>",
		strings.Repeat("a", 11), strings.Repeat("b", 12), strings.Repeat("c", 44), strings.Repeat("y", 300),
		"<xml><Content><![CDATA[签收 GD2026]]></Content></xml>", strings.Repeat("长", 1000)}
	for _, id := range []string{"wx1234567890abcdef", "wwbbcs0001"} {
		for _, m := range msgs {
			enc, err := Encrypt(key, id, []byte(m))
			if err != nil {
				t.Fatal(err)
			}
			_, got, err := util.DecryptMsg(id, enc, key)
			if err != nil || string(got) != m {
				t.Fatalf("silenceper cannot read our Encrypt(%d bytes) for %s: %q %v", len(m), id, got, err)
			}
			if _, _, err := util.DecryptMsg("wxother", enc, key); err == nil {
				t.Fatal("silenceper accepted our ciphertext for another receive id")
			}
			theirs, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(m), id, key)
			if err != nil {
				t.Fatal(err)
			}
			mine, err := Decrypt(key, id, string(theirs))
			if err != nil || string(mine) != m {
				t.Fatalf("Decrypt of silenceper's EncryptMsg: %q %v; want %q", mine, err, m)
			}
			if _, err := Decrypt(key, "wxother", string(theirs)); err == nil {
				t.Fatal("Decrypt accepted another receive id")
			}
			if _, err := Decrypt(otherKey, id, string(theirs)); err == nil {
				t.Fatal("Decrypt accepted a wrong key")
			}
			// Receive id "" (WeCom's smart robot): silenceper encrypts it fine.
			theirs, _ = util.EncryptMsg([]byte("0123456789abcdef"), []byte(m), "", key)
			if mine, err := Decrypt(key, "", string(theirs)); err != nil || string(mine) != m {
				t.Fatalf("Decrypt with receive id \"\": %q %v", mine, err)
			}
			if _, err := Decrypt(key, "other", string(theirs)); err == nil {
				t.Fatal("Decrypt accepted a message for another receive id")
			}
		}
	}
	if _, err := Decrypt(key, "wwbbcs0001", "!!!"); err == nil {
		t.Fatal("Decrypt accepted non-base64")
	}
	if _, err := Encrypt("short", "wwbbcs0001", nil); err == nil {
		t.Fatal("Encrypt accepted a short key")
	}
}

func TestSignatureMatchesSilenceper(t *testing.T) {
	for _, parts := range [][]string{
		{"token", "1700000000", "123456"},
		{"token", "1700000000", "123456", "ENCRYPTED/+=="},
	} {
		if got, want := Signature(parts...), util.Signature(append([]string(nil), parts...)...); got != want {
			t.Fatalf("Signature %s, silenceper %s", got, want)
		}
		if parts[0] != "token" {
			t.Fatal("Signature sorted the caller's slice")
		}
	}
}

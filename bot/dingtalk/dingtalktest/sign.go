package dingtalktest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Sign is DingTalk's one signature scheme, used both ways:
//
//   - 加签 of a custom group robot: sign = urlEncode(Sign(secret, timestamp))
//     in the webhook's query, secret being the robot's "SEC…" string
//     (open.dingtalk.com “自定义机器人安全设置”);
//   - the headers of an enterprise internal robot's HTTP-mode callback:
//     header sign = Sign(appSecret, header timestamp), not URL-escaped
//     (“消息发送与接收类型” › 相关内容).
//
// Sign = base64(HmacSHA256(key = secret, timestamp + "\n" + secret)), the
// timestamp being milliseconds as a decimal string. The docs give sample
// code but no fixed vector; the package's tests pin it against values
// computed independently with Python's hmac module.
func Sign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newToken looks like DingTalk's access tokens and session keys: 32
// lowercase hex digits.
func newToken() string { return hex.EncodeToString(randBytes(16)) }

// newRequestID is the new API's requestid, e.g.
// "01A08FE7-68C3-7BBD-B223-447768EA4B29".
func newRequestID() string {
	h := strings.ToUpper(hex.EncodeToString(randBytes(16)))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newOAPIRequestID is the old API's request_id, e.g. "16l4ew3d47pdp".
func newOAPIRequestID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := randBytes(13)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newProcessQueryKey is a robot message id as the new API returns it
// (base64 of 32 bytes, e.g. "tlwsFITAHR3eoFRfavPhDz3Ycq2jHKSdXelqnrJz0ZE=").
func newProcessQueryKey() string { return base64.StdEncoding.EncodeToString(randBytes(32)) }

// opaqueID derives a stable, DingTalk-looking encrypted id ("$:LWCP_v1:$…")
// for a staff id or robot code, as DingTalk shows senderId/chatbotUserId.
func opaqueID(seed string) string {
	sum := sha256.Sum256([]byte("dingtalktest\x00" + seed))
	return "$:LWCP_v1:$" + base64.StdEncoding.EncodeToString(sum[:18])
}

// conversationIDFor derives a stable conversationId ("cid…==") from seed.
func conversationIDFor(seed string) string {
	sum := sha256.Sum256([]byte("dingtalktest-cid\x00" + seed))
	return "cid" + base64.StdEncoding.EncodeToString(sum[:16])
}

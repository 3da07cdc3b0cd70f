package wechattest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bbcs/bot/internal/faketest"
)

// DefaultOriginalID is the account's original id (原始ID) the Client uses
// as ToUserName when Client.OriginalID is empty.
const DefaultOriginalID = "gh_3a5b7c9d1e2f"

// ReplyTimeout is how long WeChat waits for a webhook's answer before it
// gives up (and retries): the Client's default HTTP timeout.
const ReplyTimeout = faketest.CallbackTimeout

// Client plays WeChat's server delivering messages and events to a
// webhook (the account's 服务器地址), the way WeChat does: plain mode
// (明文模式) when EncodingAESKey is empty, safe mode (安全模式) otherwise.
// A Client is safe for concurrent use once its fields are set.
type Client struct {
	URL            string // the webhook, e.g. srv.URL+"/wechat/oa"
	Token          string // the account's URL token (wechat.token)
	EncodingAESKey string // 43 chars; "" → plain mode
	AppID          string // goes into the encrypted payload (safe mode)
	// OriginalID is the account's original id ("gh_…"), the ToUserName of
	// the messages; DefaultOriginalID when empty.
	OriginalID string
	HTTP       *http.Client     // default: a client with WeChat's 5 s timeout (ReplyTimeout)
	Now        func() time.Time // CreateTime / timestamp source; default time.Now
}

// Response is what the webhook answered.
//
// Reply is nil when the body is "" or "success" (no passive reply) and when
// the status is not 200 (WeChat counts that as a failure and retries; the
// body is not interpreted). Err reports a transport error, or a reply
// WeChat would reject: bad XML, in safe mode a plaintext or badly signed or
// undecryptable reply or an encrypted empty one, a wrong app id, a reply
// without MsgType, or one whose ToUserName/FromUserName are not the
// message's FromUserName/ToUserName. Reply is still set when it could be
// parsed.
type Response = faketest.Response[Reply]

// Reply is a passive reply (被动回复) as WeChat reads it.
type Reply struct {
	MsgType, Content, ToUserName, FromUserName string
	CreateTime                                 int64
}

func (c *Client) originalID() string {
	if c.OriginalID != "" {
		return c.OriginalID
	}
	return DefaultOriginalID
}

// Sign is WeChat's signature: the SHA-1 hex of the sorted concatenation of
// the token, timestamp, nonce and extra (the Encrypt value for
// msg_signature).
func (c *Client) Sign(timestamp, nonce string, extra ...string) string {
	return faketest.Signature(append([]string{c.Token, timestamp, nonce}, extra...)...)
}

// Verify performs the URL check (服务器配置验证) WeChat does when the
// account's server address is saved: GET ?signature&timestamp&nonce&echostr.
// The webhook must answer echostr as is. status is 0 on a transport error,
// with the error as body.
func (c *Client) Verify(echostr string) (status int, body string) {
	ts, n := strconv.FormatInt(faketest.Now(c.Now).Unix(), 10), faketest.Nonce()
	u, err := faketest.WithQuery(c.URL, url.Values{
		"signature": {c.Sign(ts, n)}, "timestamp": {ts}, "nonce": {n}, "echostr": {echostr},
	})
	if err != nil {
		return 0, err.Error()
	}
	return faketest.Get(faketest.HTTP(c.HTTP), u)
}

// cdata wraps s in CDATA sections, as WeChat's XML writers do.
var cdata = faketest.CDATA

func (c *Client) head(openid, msgType string) string {
	return "<xml><ToUserName>" + cdata(c.originalID()) + "</ToUserName><FromUserName>" + cdata(openid) +
		"</FromUserName><CreateTime>" + strconv.FormatInt(faketest.Now(c.Now).Unix(), 10) + "</CreateTime><MsgType>" +
		cdata(msgType) + "</MsgType>"
}

// Text delivers a text message from openid.
func (c *Client) Text(openid, content string, msgID int64) *Response {
	return c.Deliver(c.head(openid, "text") + "<Content>" + cdata(content) + "</Content><MsgId>" +
		strconv.FormatInt(msgID, 10) + "</MsgId></xml>")
}

// MenuClick delivers the click on an item of a msgmenu: a text message
// whose Content is the item's label, with <bizmsgmenuid> the item's id.
func (c *Client) MenuClick(openid, content string, bizMsgMenuID, msgID int64) *Response {
	return c.Deliver(c.head(openid, "text") + "<Content>" + cdata(content) + "</Content><MsgId>" +
		strconv.FormatInt(msgID, 10) + "</MsgId><bizmsgmenuid>" + strconv.FormatInt(bizMsgMenuID, 10) +
		"</bizmsgmenuid></xml>")
}

// Image delivers a picture message (fetch it with media/get by mediaID).
func (c *Client) Image(openid, mediaID, picURL string, msgID int64) *Response {
	return c.Deliver(c.head(openid, "image") + "<PicUrl>" + cdata(picURL) + "</PicUrl><MediaId>" +
		cdata(mediaID) + "</MediaId><MsgId>" + strconv.FormatInt(msgID, 10) + "</MsgId></xml>")
}

// Event delivers an event (subscribe, unsubscribe, CLICK, VIEW, SCAN …)
// from openid. Events carry no MsgId: WeChat's retries repeat
// FromUserName + CreateTime.
func (c *Client) Event(openid, event, eventKey string) *Response {
	return c.Deliver(c.head(openid, "event") + "<Event>" + cdata(event) + "</Event><EventKey>" +
		cdata(eventKey) + "</EventKey></xml>")
}

// Deliver posts an arbitrary plaintext message XML: signed, and in safe
// mode encrypted into <xml><ToUserName/><Encrypt/></xml> with
// encrypt_type=aes and msg_signature. The query carries signature,
// timestamp, nonce and openid (the XML's FromUserName), as WeChat's does.
func (c *Client) Deliver(xmlBody string) *Response {
	var hdr struct {
		ToUserName   string
		FromUserName string
	}
	if err := xml.Unmarshal([]byte(xmlBody), &hdr); err != nil {
		return &Response{Err: fmt.Errorf("wechattest: Deliver needs a message XML: %w", err)}
	}
	ts, n := strconv.FormatInt(faketest.Now(c.Now).Unix(), 10), faketest.Nonce()
	q := url.Values{"signature": {c.Sign(ts, n)}, "timestamp": {ts}, "nonce": {n}, "openid": {hdr.FromUserName}}
	body := xmlBody
	if c.EncodingAESKey != "" {
		enc, err := faketest.Encrypt(c.EncodingAESKey, c.AppID, []byte(xmlBody))
		if err != nil {
			return &Response{Err: fmt.Errorf("wechattest: %w", err)}
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", c.Sign(ts, n, enc))
		body = "<xml><ToUserName>" + cdata(hdr.ToUserName) + "</ToUserName><Encrypt>" + cdata(enc) + "</Encrypt></xml>"
	}
	return c.post(q, []byte(body), &hdr.FromUserName, &hdr.ToUserName)
}

// PostRaw posts body with exactly query (nothing added or signed), for
// malformed or badly signed requests. The answer is read as a reply, in
// safe mode when query has encrypt_type=aes.
func (c *Client) PostRaw(query url.Values, body []byte) *Response {
	return c.post(query, body, nil, nil)
}

func (c *Client) post(q url.Values, body []byte, wantTo, wantFrom *string) *Response {
	u, err := faketest.WithQuery(c.URL, q)
	if err != nil {
		return &Response{Err: err}
	}
	h := http.Header{"Content-Type": {"text/xml"}, "User-Agent": {"Mozilla/4.0"}}
	status, b, err := faketest.Post(faketest.HTTP(c.HTTP), u, h, body)
	r := &Response{Status: status, Body: b, Err: err}
	if err != nil || status != http.StatusOK {
		return r
	}
	r.Reply, r.Err = c.readReply([]byte(b), q.Get("encrypt_type") == "aes")
	if r.Err == nil && r.Reply != nil && wantTo != nil {
		switch {
		case r.Reply.ToUserName != *wantTo:
			r.Err = fmt.Errorf("wechattest: reply ToUserName is %q, want the sender %q", r.Reply.ToUserName, *wantTo)
		case r.Reply.FromUserName != *wantFrom:
			r.Err = fmt.Errorf("wechattest: reply FromUserName is %q, want the account %q", r.Reply.FromUserName, *wantFrom)
		}
	}
	return r
}

type replyXML struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	// safe mode envelope
	Encrypt      *string `xml:"Encrypt"`
	MsgSignature string  `xml:"MsgSignature"`
	TimeStamp    string  `xml:"TimeStamp"`
	Nonce        string  `xml:"Nonce"`
}

// readReply interprets a 200 answer as WeChat does.
func (c *Client) readReply(body []byte, safe bool) (*Reply, error) {
	if s := strings.TrimSpace(string(body)); s == "" || s == "success" {
		return nil, nil
	}
	var x replyXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, fmt.Errorf("wechattest: reply is not a message XML: %w", err)
	}
	if safe {
		if x.Encrypt == nil {
			return nil, errors.New("wechattest: safe mode reply is not encrypted (no <Encrypt>)")
		}
		if want := c.Sign(x.TimeStamp, x.Nonce, *x.Encrypt); x.MsgSignature != want {
			return nil, fmt.Errorf("wechattest: reply MsgSignature %q, want %q", x.MsgSignature, want)
		}
		plain, err := faketest.Decrypt(c.EncodingAESKey, c.AppID, *x.Encrypt)
		if err != nil {
			return nil, fmt.Errorf("wechattest: cannot decrypt the reply: %w", err)
		}
		if len(strings.TrimSpace(string(plain))) == 0 {
			return nil, errors.New("wechattest: encrypted empty reply (WeChat shows the user 该公众号暂时无法提供服务; answer \"success\" instead)")
		}
		x = replyXML{}
		if err := xml.Unmarshal(plain, &x); err != nil {
			return nil, fmt.Errorf("wechattest: decrypted reply is not a message XML: %w", err)
		}
	} else if x.Encrypt != nil {
		return nil, errors.New("wechattest: encrypted reply to a plain mode message")
	}
	r := &Reply{MsgType: x.MsgType, Content: x.Content, ToUserName: x.ToUserName, FromUserName: x.FromUserName, CreateTime: x.CreateTime}
	if r.MsgType == "" {
		return r, errors.New("wechattest: reply has no MsgType")
	}
	return r, nil
}

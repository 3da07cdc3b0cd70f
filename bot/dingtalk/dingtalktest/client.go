package dingtalktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bbcs/bot/internal/faketest"
)

// DefaultCorpID is the organisation's corpId the Client uses when CorpID is
// empty (corpIds look like "ding" + 16 hex digits).
const DefaultCorpID = "ding5c1e9b3c7f2a4d60"

// CallbackTimeout is the Client's default HTTP timeout. UNVERIFIED: the
// docs do not say how long DingTalk waits for a robot's HTTP callback
// (public code quotes 3 s); the Client allows 5 s.
const CallbackTimeout = faketest.CallbackTimeout

// Client plays DingTalk delivering messages to an enterprise internal
// robot whose 消息接收模式 is HTTP: a POST of the message JSON to the robot's
// URL with headers timestamp (ms) and sign = Sign(AppSecret, timestamp).
// A Client is safe for concurrent use once its fields are set.
type Client struct {
	URL       string // the robot's message receiving URL, e.g. srv.URL+"/dingtalk/robot"
	AppSecret string // the app's AppSecret (Client Secret): the sign key
	RobotCode string // robotCode in the body
	CorpID    string // senderCorpId/chatbotCorpId; DefaultCorpID when empty
	// Fake, when set, issues the sessionWebhook (valid SessionTTL of its
	// clock) so that replies to it are recorded; nil gives a placeholder
	// https://oapi.dingtalk.com URL.
	Fake *Fake
	HTTP *http.Client     // default: a client with CallbackTimeout
	Now  func() time.Time // timestamp/createAt; default the Fake's clock, else time.Now
}

// Response is what the robot's URL answered.
//
// DingTalk posts a JSON message found in a 200 answer's body into the
// conversation, as if sent to the sessionWebhook (same body as a custom
// robot's: text, markdown, actionCard, link, feedCard); an empty body or
// {"msgtype":"empty"} posts nothing. Reply is that message, nil when
// nothing would be posted or the status is not 200. Err is a transport
// error, or a reply DingTalk would refuse (not JSON, unknown msgtype,
// missing fields: Err carries DingTalk's errcode and errmsg).
type Response = faketest.Response[RobotMessage]

func (c *Client) now() time.Time {
	if c.Now == nil && c.Fake != nil {
		return c.Fake.Now()
	}
	return faketest.Now(c.Now)
}

func (c *Client) corpID() string {
	if c.CorpID != "" {
		return c.CorpID
	}
	return DefaultCorpID
}

// Sign is the callback's sign header for timestamp:
// base64(HmacSHA256(AppSecret, timestamp + "\n" + AppSecret)), not
// URL-escaped.
func (c *Client) Sign(timestamp string) string { return Sign(c.AppSecret, timestamp) }

// Headers are the headers DingTalk sends with a callback at time at:
// Content-Type, timestamp (ms) and sign.
func (c *Client) Headers(at time.Time) http.Header {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8") // UNVERIFIED charset parameter
	h.Set("timestamp", ts)
	h.Set("sign", c.Sign(ts))
	return h
}

type atUser struct {
	DingtalkID string `json:"dingtalkId"`
	StaffID    string `json:"staffId,omitempty"`
}

// callback is the message body (机器人接收消息, HTTP mode; the field set of a
// real single-chat callback quoted in a 2023 issue, plus atUsers,
// conversationTitle and isInAtList in groups).
type callback struct {
	ConversationID            string   `json:"conversationId"`
	AtUsers                   []atUser `json:"atUsers,omitempty"`
	ChatbotCorpID             string   `json:"chatbotCorpId"`
	ChatbotUserID             string   `json:"chatbotUserId"`
	MsgID                     string   `json:"msgId"`
	SenderNick                string   `json:"senderNick"`
	IsAdmin                   bool     `json:"isAdmin"`
	SenderStaffID             string   `json:"senderStaffId"`
	SessionWebhookExpiredTime int64    `json:"sessionWebhookExpiredTime"`
	CreateAt                  int64    `json:"createAt"`
	SenderCorpID              string   `json:"senderCorpId"`
	ConversationType          string   `json:"conversationType"`
	SenderID                  string   `json:"senderId"`
	ConversationTitle         string   `json:"conversationTitle,omitempty"`
	IsInAtList                *bool    `json:"isInAtList,omitempty"`
	SessionWebhook            string   `json:"sessionWebhook"`
	Text                      struct {
		Content string `json:"content"`
	} `json:"text"`
	RobotCode string `json:"robotCode"`
	MsgType   string `json:"msgtype"`
}

func (c *Client) body(at time.Time, conversationType, conversationID, title, staffID, nick, content, msgID string) []byte {
	if msgID == "" {
		msgID = "msg" + newProcessQueryKey()[:22] + "=="
	}
	cb := callback{
		ConversationID: conversationID, ChatbotCorpID: c.corpID(), ChatbotUserID: opaqueID("robot:" + c.RobotCode),
		MsgID: msgID, SenderNick: nick, SenderStaffID: staffID, CreateAt: at.UnixMilli(),
		SenderCorpID: c.corpID(), ConversationType: conversationType, SenderID: opaqueID("staff:" + staffID),
		RobotCode: c.RobotCode, MsgType: "text",
	}
	cb.Text.Content = content
	if conversationType == "2" {
		in := true
		cb.ConversationTitle, cb.IsInAtList = title, &in
		// atUsers lists who was @-ed: the robot, by its encrypted id. The
		// doc's HTTP sample also shows a staffId there, equal to the
		// sender's — taken as a doc slip; a robot has no staffId.
		cb.AtUsers = []atUser{{DingtalkID: cb.ChatbotUserID}}
	}
	if c.Fake != nil {
		u, exp := c.Fake.newSession(conversationID)
		cb.SessionWebhook, cb.SessionWebhookExpiredTime = u, exp.UnixMilli()
	} else {
		cb.SessionWebhook = "https://oapi.dingtalk.com/robot/sendBySession?session=" + newToken()
		cb.SessionWebhookExpiredTime = at.Add(SessionTTL).UnixMilli()
	}
	b, err := json.Marshal(cb)
	if err != nil {
		panic(err)
	}
	return b
}

// GroupTextBody is the body of an @-message in a group, at the Client's
// now: conversationType "2", isInAtList true, atUsers the robot.
//
// text.content is what the member typed with the "@robot" mention cut out
// by DingTalk, the space after it kept: @-ing the robot with "你好" gives
// " 你好" (the docs' sample). GroupTextBody sends " " + content; use Post
// for other shapes.
func (c *Client) GroupTextBody(conversationID, conversationTitle, senderStaffID, senderNick, content, msgID string) []byte {
	return c.body(c.now(), "2", conversationID, conversationTitle, senderStaffID, senderNick, " "+content, msgID)
}

// SingleTextBody is the body of a one-to-one message to the robot:
// conversationType "1", text.content as typed, and — like the real
// single-chat callback quoted in a 2023 issue — no conversationTitle,
// atUsers or isInAtList. The conversationId is derived from the sender.
func (c *Client) SingleTextBody(senderStaffID, senderNick, content, msgID string) []byte {
	return c.body(c.now(), "1", conversationIDFor(c.RobotCode+"\x00"+senderStaffID), "", senderStaffID, senderNick, content, msgID)
}

// GroupText delivers an @-message in a group (see GroupTextBody), signed.
func (c *Client) GroupText(conversationID, conversationTitle, senderStaffID, senderNick, content, msgID string) *Response {
	now := c.now()
	return c.Post(c.Headers(now), c.body(now, "2", conversationID, conversationTitle, senderStaffID, senderNick, " "+content, msgID))
}

// SingleText delivers a one-to-one message (see SingleTextBody), signed.
func (c *Client) SingleText(senderStaffID, senderNick, content, msgID string) *Response {
	now := c.now()
	return c.Post(c.Headers(now), c.body(now, "1", conversationIDFor(c.RobotCode+"\x00"+senderStaffID), "", senderStaffID, senderNick, content, msgID))
}

// Post posts body with exactly headers (nil: none at all), for bad signs,
// stale timestamps and malformed bodies, and reads the answer as DingTalk
// would.
func (c *Client) Post(headers http.Header, body []byte) *Response {
	status, b, err := faketest.Post(faketest.HTTP(c.HTTP), c.URL, headers, body)
	r := &Response{Status: status, Body: b, Err: err}
	if err != nil || status != http.StatusOK {
		return r
	}
	r.Reply, r.Err = readReply([]byte(b))
	return r
}

// readReply reads a 200 answer's body as DingTalk does.
func readReply(body []byte) (*RobotMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var head struct {
		MsgType string `json:"msgtype"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("dingtalktest: reply is not JSON: %w", err)
	}
	if strings.TrimSpace(head.MsgType) == "empty" {
		return nil, nil
	}
	m, code, msg := parseRobotBody(body)
	if code != 0 {
		return nil, fmt.Errorf("dingtalktest: DingTalk would refuse the reply: errcode %d %s", code, msg)
	}
	return &m, nil
}

package dingtalktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"bbcs/bot/internal/faketest"
)

// Button is a jump button: an actionCard's singleTitle/singleURL or one of
// its btns {title, actionURL}; a link message's messageUrl; a feedCard
// link's messageURL; the buttons of sampleActionCard…6; a work notice
// action_card's single_title/single_url or btn_json_list {title, action_url}.
type Button struct{ Title, URL string }

// RobotMessage is one message accepted by a custom robot's webhook
// (/robot/send), posted to a sessionWebhook (/robot/sendBySession), or
// answered in the body of an HTTP-mode callback (Client's Response.Reply).
type RobotMessage struct {
	AccessToken    string // the custom robot's access_token ("" otherwise)
	ConversationID string // sessionWebhook posts: the conversation the session belongs to
	MsgType        string // text, markdown, link, actionCard, feedCard
	Text           string // text.content; link.text
	AtUserIDs      []string
	AtMobiles      []string
	IsAtAll        bool
	Title          string // markdown.title, actionCard.title, link.title
	Markdown       string // markdown.text, actionCard.text
	Buttons        []Button
	MsgUUID        string // msgUuid, the idempotency key, when given
	Raw            json.RawMessage
}

// PrivateMessage is one message to users: the enterprise robot's
// one-to-one messages (Via "robot", robot/oToMessages/batchSend) or a work
// notification (Via "work_notice", corpconversation/asyncsend_v2).
// UserIDs are the users it was delivered to (unknown, deduplicated or
// flow-controlled users are left out).
type PrivateMessage struct {
	Via     string
	AgentID string // work notices: agent_id
	UserIDs []string
	MsgKey  string // robot: msgKey (sampleText…); work notice: msg.msgtype
	Title   string
	Text    string // sampleText.content, sampleMarkdown.text, sampleActionCard*.text; text.content, markdown.text, action_card.markdown
	Buttons []Button
	Raw     json.RawMessage
}

// GroupMessage is one message the enterprise robot posted to a group with
// the OpenAPI (robot/groupMessages/send).
type GroupMessage struct {
	ConversationID string // openConversationId
	MsgKey         string
	Title, Text    string
	Buttons        []Button
	Raw            json.RawMessage
}

// Errcodes the fake answers on oapi.dingtalk.com (HTTP 200, errcode in the
// body). Sources: the robot docs' error tables and answers real DingTalk
// servers gave (quoted in GitHub issues and a 2026-09 probe log); see the
// comments for which codes are observed and which only documented.
const (
	ErrSystemBusy      = -1
	ErrAuth            = 88     // topapi: "鉴权异常", the detail in sub_code/sub_msg (40000 blank token, 40014 invalid token)
	ErrMissingParam    = 40035  // "缺少参数 json", "缺少参数 access_token" (observed)
	ErrInvalidMsgType  = 40008  // work notice with an unknown msg.msgtype (global table)
	ErrInvalidAuthCode = 40078  // "不存在的临时授权码": unknown, used or expired free-login code (global table)
	ErrInvalidAppKey   = 40096  // gettoken: "不合法的appKey或appSecret" (observed 2026-09)
	ErrPostRequired    = 43002  // "需要POST请求" (observed on /robot/send)
	ErrSessionNotExist = 300001 // sendBySession: "session 不存在" (observed 2026-03)
	// ErrTokenNotExist answers a custom robot access_token that does not
	// exist: "token is not exist". Servers answered 300001 for years
	// (2018–2023 issues) and 300005 since (2024 issue, 2026-09 probe with a
	// random token); the docs' table says 400101 "access_token不存在". The
	// fake answers 300005.
	ErrTokenNotExist           = 300005
	ErrTokenNotExistLegacy     = 300001
	ErrTokenNotExistDocumented = 400101
	ErrSecurity                = 310000 // 加签: sign mismatch or stale timestamp (also keywords / IP allowlist, not modelled)
	// ErrSendTooFast answers the 21st message within 60 s of one custom
	// robot (and every message for 10 minutes after). The docs' table says
	// 410100 "发送速度太快而限流"; servers answered 130101 "send too fast,
	// exceed 20 times per minute" (2020–2022 issues) and 660026 "sending too
	// many messages per minute" in a 2026-09 probe. The fake answers 660026;
	// a client should treat all three as the rate limit.
	ErrSendTooFast           = 660026
	ErrSendTooFastLegacy     = 130101
	ErrSendTooFastDocumented = 410100
	ErrUnsupportedMsgType    = 400105 // docs' table: "不支持的消息类型"
	ErrMarkdownTitle         = 400402 // observed 2025: markdown.title missing
	ErrMarkdownText          = 400403 // observed 2025: markdown.text missing
	ErrMessageTooLong        = 460101 // observed 2020: "message too long, exceed 20000 bytes"
)

const (
	// Observed 2022–2025 (the older text was "sign not match, more:
	// [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]").
	msgSignNotMatch = "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中，请确认机器人的密钥加密和填写正确;link:请参考本接口对应文档获得具体要求，或者在https://open.dingtalk.com/document/  搜索相关文档;"
	// Observed 2024 (older: "invalid timestamp, more: [...]").
	msgSignExpired = "description:机器人发送签名过期;solution:签名生成时间和发送时间请保持在 timestampms 以内;"
)

var errmsgs = map[int]string{
	0:                          "ok",
	ErrSystemBusy:              "系统繁忙",
	ErrAuth:                    "鉴权异常",
	ErrInvalidMsgType:          "不合法的消息类型",
	40014:                      "不合法的access_token",
	ErrMissingParam:            "不合法的参数",
	ErrInvalidAuthCode:         "不存在的临时授权码",
	ErrInvalidAppKey:           "不合法的appKey或appSecret",
	ErrPostRequired:            "需要POST请求",
	ErrTokenNotExistLegacy:     "token is not exist", // also sendBySession's code, with errmsg "session 不存在"
	ErrTokenNotExist:           "token is not exist",
	ErrTokenNotExistDocumented: "access_token不存在",
	ErrSecurity:                msgSignNotMatch,
	ErrSendTooFast:             "sending too many messages per minute",
	ErrSendTooFastLegacy:       "send too fast, exceed 20 times per minute",
	ErrSendTooFastDocumented:   "发送速度太快而限流",
	ErrUnsupportedMsgType:      "不支持的消息类型",
	ErrMarkdownTitle:           missingParamNew("markdown", "title"),
	ErrMarkdownText:            missingParamNew("markdown", "text"),
	ErrMessageTooLong:          "message too long, exceed 20000 bytes",
	400013:                     "群已被解散",
	400102:                     "机器人已停用",
	400106:                     "机器人不存在",
	430101:                     "含有不安全的外链",
	430102:                     "含有不合适的文本",
	430103:                     "含有不合适的图片",
	430104:                     "含有不合适的内容",
	90018:                      "当前接口调用超过限制", // UNVERIFIED text
}

// ErrMsg is the errmsg the fake gives with errcode on oapi.dingtalk.com.
func ErrMsg(errcode int) string {
	if m, ok := errmsgs[errcode]; ok {
		return m
	}
	return "系统繁忙"
}

// missingParamNew is the long errmsg style DingTalk answers for a missing
// message field (observed verbatim for markdown.title / markdown.text).
func missingParamNew(obj, field string) string {
	return "错误描述:参数 " + obj + " --》 " + field + " 缺失，或者参数格式不正确; 解决方案:请填充上对应参数;参考链接:请参考本接口对应文档查看参数获取方式，或者在https://open.dingtalk.com/document/  搜索对应文档;"
}

// flexBool accepts true/false, "true"/"false" and 1/0, as DingTalk's
// (fastjson) parser does; clients built on the Java SDK send strings.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(p)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", p)
	}
	return nil
}

// robotBody is the webhook message (自定义机器人发送群消息; the same body for
// sendBySession and for an HTTP-mode callback's answer).
type robotBody struct {
	MsgType string `json:"msgtype"`
	MsgUUID string `json:"msgUuid"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	Link *struct {
		Title      string `json:"title"`
		Text       string `json:"text"`
		PicURL     string `json:"picUrl"`
		MessageURL string `json:"messageUrl"`
	} `json:"link"`
	ActionCard *struct {
		Title          string              `json:"title"`
		Text           string              `json:"text"`
		SingleTitle    string              `json:"singleTitle"`
		SingleURL      string              `json:"singleURL"`
		BtnOrientation faketest.FlexString `json:"btnOrientation"`
		HideAvatar     faketest.FlexString `json:"hideAvatar"`
		Btns           []struct {
			Title     string `json:"title"`
			ActionURL string `json:"actionURL"`
		} `json:"btns"`
	} `json:"actionCard"`
	FeedCard *struct {
		Links []struct {
			Title      string `json:"title"`
			MessageURL string `json:"messageURL"`
			PicURL     string `json:"picURL"`
		} `json:"links"`
	} `json:"feedCard"`
	At *struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   flexBool `json:"isAtAll"`
	} `json:"at"`
}

// parseRobotBody reads a webhook message as DingTalk does. A non-zero
// errcode (with its errmsg) means DingTalk refuses it.
//
// Documented/observed: bad JSON → 40035 "缺少参数 json"; markdown without
// title/text → 400402/400403. UNVERIFIED: the codes for an unknown msgtype
// (the docs' 400105 is used) and for other missing fields (40035 "缺少参数
// <field>" is used, the old style DingTalk uses for missing parameters).
func parseRobotBody(body []byte) (m RobotMessage, errcode int, errmsg string) {
	var b robotBody
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &b) != nil {
		return m, ErrMissingParam, "缺少参数 json"
	}
	m = RobotMessage{MsgType: b.MsgType, MsgUUID: b.MsgUUID, Raw: json.RawMessage(bytes.Clone(body))}
	if b.At != nil {
		m.AtMobiles, m.AtUserIDs, m.IsAtAll = b.At.AtMobiles, b.At.AtUserIDs, bool(b.At.IsAtAll)
	}
	missing := func(field string) (RobotMessage, int, string) {
		return m, ErrMissingParam, "缺少参数 " + field
	}
	switch b.MsgType {
	case "text":
		if b.Text == nil || b.Text.Content == "" {
			return missing("text --》 content")
		}
		m.Text = b.Text.Content
	case "markdown":
		switch {
		case b.Markdown == nil || b.Markdown.Title == "":
			return m, ErrMarkdownTitle, ErrMsg(ErrMarkdownTitle)
		case b.Markdown.Text == "":
			return m, ErrMarkdownText, ErrMsg(ErrMarkdownText)
		}
		m.Title, m.Markdown = b.Markdown.Title, b.Markdown.Text
	case "link":
		switch {
		case b.Link == nil || b.Link.Title == "":
			return missing("link --》 title")
		case b.Link.Text == "":
			return missing("link --》 text")
		case b.Link.MessageURL == "":
			return missing("link --》 messageUrl")
		}
		m.Title, m.Text = b.Link.Title, b.Link.Text
		m.Buttons = []Button{{b.Link.Title, b.Link.MessageURL}}
	case "actionCard":
		ac := b.ActionCard
		switch {
		case ac == nil || ac.Title == "":
			return missing("actionCard --》 title")
		case ac.Text == "":
			return missing("actionCard --》 text")
		}
		m.Title, m.Markdown = ac.Title, ac.Text
		// "设置此项和singleURL后btns无效"
		if ac.SingleTitle != "" && ac.SingleURL != "" {
			m.Buttons = []Button{{ac.SingleTitle, ac.SingleURL}}
			break
		}
		if len(ac.Btns) == 0 {
			return missing("actionCard --》 singleTitle/singleURL or btns")
		}
		for _, bt := range ac.Btns {
			if bt.Title == "" || bt.ActionURL == "" {
				return missing("actionCard --》 btns --》 title/actionURL")
			}
			m.Buttons = append(m.Buttons, Button{bt.Title, bt.ActionURL})
		}
	case "feedCard":
		if b.FeedCard == nil || len(b.FeedCard.Links) == 0 {
			return missing("feedCard --》 links")
		}
		for _, l := range b.FeedCard.Links {
			if l.Title == "" || l.MessageURL == "" {
				return missing("feedCard --》 links --》 title/messageURL")
			}
			m.Buttons = append(m.Buttons, Button{l.Title, l.MessageURL})
		}
	default:
		return m, ErrUnsupportedMsgType, ErrMsg(ErrUnsupportedMsgType)
	}
	return m, 0, "ok"
}

// msgKeys are the enterprise robot's message templates (消息发送与接收类型).
var msgKeys = map[string]bool{
	"sampleText": true, "sampleMarkdown": true, "sampleImageMsg": true, "sampleLink": true,
	"sampleActionCard": true, "sampleActionCard2": true, "sampleActionCard3": true,
	"sampleActionCard4": true, "sampleActionCard5": true, "sampleActionCard6": true,
	"sampleAudio": true, "sampleFile": true, "sampleVideo": true,
}

// decodedParam is a msgParam read for the record.
type decodedParam struct {
	Title, Text string
	Buttons     []Button
}

// decodeMsgParam reads msgParam (a JSON string) for msgKey. code is the
// new API's error code when DingTalk refuses it (HTTP 400).
//
// Keys: sampleText {content}; sampleMarkdown {title, text}; sampleLink
// {text, title, picUrl, messageUrl}; sampleActionCard {title, text,
// singleTitle, singleURL}; sampleActionCard2…5 {title, text, actionTitleN,
// actionURLN}; sampleActionCard6 {title, text, buttonTitleN, buttonUrlN}.
// The docs render the parameter table client-side (“Loading…” in every
// copy), so the keys of 2…6 come from SDK models and public code, not the
// docs: UNVERIFIED.
func decodeMsgParam(msgKey, msgParam string) (p decodedParam, code, message string) {
	var m map[string]any
	if json.Unmarshal([]byte(msgParam), &m) != nil || m == nil {
		return p, "invalidParameter.msgParam.invalid", "msgParam格式非法，必须是json格式"
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	p.Title, p.Text = str("title"), str("text")
	switch msgKey {
	case "sampleText":
		p.Title, p.Text = "", str("content")
		if p.Text == "" {
			return p, "miss.param.contentOfText", "消息内容不合法，需要text->content属性"
		}
	case "sampleMarkdown":
		if p.Title == "" {
			return p, "miss.param.markdownTotitle", "消息内容不合法，需要markdown->title属性"
		}
		if p.Text == "" {
			return p, "miss.param.markdownTotext", "消息内容不合法，需要markdown->text属性"
		}
	case "sampleLink":
		p.Buttons = []Button{{p.Title, str("messageUrl")}}
	case "sampleActionCard", "sampleActionCard2", "sampleActionCard3", "sampleActionCard4", "sampleActionCard5", "sampleActionCard6":
		if p.Title == "" {
			return p, "miss.param.actionCardTotitle", "消息内容不合法，需要actionCard->title属性"
		}
		if p.Text == "" {
			return p, "miss.param.actionCardTotext", "消息内容不合法，需要actionCard->text属性"
		}
		switch msgKey {
		case "sampleActionCard":
			if str("singleTitle") == "" {
				return p, "miss.param.actionCardTosingleTitle", "消息内容不合法，需要actionCard->singleTitle属性"
			}
			if str("singleURL") == "" {
				return p, "miss.param.actionCardTosingleUrl", "消息内容不合法，需要actionCard->singleURL属性"
			}
			p.Buttons = []Button{{str("singleTitle"), str("singleURL")}}
		case "sampleActionCard6":
			for i := 1; i <= 2; i++ {
				n := strconv.Itoa(i)
				if t := str("buttonTitle" + n); t != "" {
					p.Buttons = append(p.Buttons, Button{t, str("buttonUrl" + n)})
				}
			}
		default:
			n, _ := strconv.Atoi(strings.TrimPrefix(msgKey, "sampleActionCard"))
			for i := 1; i <= n; i++ {
				k := strconv.Itoa(i)
				if t := str("actionTitle" + k); t != "" {
					p.Buttons = append(p.Buttons, Button{t, str("actionURL" + k)})
				}
			}
		}
	}
	return p, "", ""
}

// workNoticeMsg is asyncsend_v2's msg (消息通知类型: text, markdown,
// action_card, link, image, file, voice, oa).
type workNoticeMsg struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	Link *struct {
		Title      string `json:"title"`
		Text       string `json:"text"`
		MessageURL string `json:"messageUrl"`
		PicURL     string `json:"picUrl"`
	} `json:"link"`
	ActionCard *struct {
		Title          string              `json:"title"`
		Markdown       string              `json:"markdown"`
		SingleTitle    string              `json:"single_title"`
		SingleURL      string              `json:"single_url"`
		BtnOrientation faketest.FlexString `json:"btn_orientation"`
		BtnJSONList    []struct {
			Title     string `json:"title"`
			ActionURL string `json:"action_url"`
		} `json:"btn_json_list"`
	} `json:"action_card"`
	OA *struct {
		MessageURL string `json:"message_url"`
		Head       *struct {
			Text string `json:"text"`
		} `json:"head"`
		Body *struct {
			Title   string `json:"title"`
			Content string `json:"content"`
		} `json:"body"`
	} `json:"oa"`
}

// decodeWorkNotice reads a work notice's msg. UNVERIFIED: the errcodes for
// a missing part (40035 "缺少参数 …" is used) and an unknown msgtype (the
// global table's 40008 is used).
func decodeWorkNotice(raw []byte) (p decodedParam, msgType string, errcode int, errmsg string) {
	var m workNoticeMsg
	if json.Unmarshal(raw, &m) != nil {
		return p, "", ErrMissingParam, "缺少参数 msg"
	}
	msgType = m.MsgType
	miss := func(f string) (decodedParam, string, int, string) {
		return p, msgType, ErrMissingParam, "缺少参数 " + f
	}
	switch m.MsgType {
	case "text":
		if m.Text == nil || m.Text.Content == "" {
			return miss("msg.text.content")
		}
		p.Text = m.Text.Content
	case "markdown":
		if m.Markdown == nil || m.Markdown.Title == "" || m.Markdown.Text == "" {
			return miss("msg.markdown.title/text")
		}
		p.Title, p.Text = m.Markdown.Title, m.Markdown.Text
	case "link":
		if m.Link == nil || m.Link.MessageURL == "" {
			return miss("msg.link.messageUrl")
		}
		p.Title, p.Text = m.Link.Title, m.Link.Text
		p.Buttons = []Button{{m.Link.Title, m.Link.MessageURL}}
	case "action_card":
		ac := m.ActionCard
		if ac == nil || ac.Markdown == "" {
			return miss("msg.action_card.markdown")
		}
		p.Title, p.Text = ac.Title, ac.Markdown
		if ac.SingleTitle != "" || ac.SingleURL != "" {
			if ac.SingleTitle == "" || ac.SingleURL == "" {
				return miss("msg.action_card.single_title/single_url")
			}
			p.Buttons = []Button{{ac.SingleTitle, ac.SingleURL}}
			break
		}
		if len(ac.BtnJSONList) == 0 {
			return miss("msg.action_card.single_url or btn_json_list")
		}
		for _, b := range ac.BtnJSONList {
			p.Buttons = append(p.Buttons, Button{b.Title, b.ActionURL})
		}
	case "oa":
		if m.OA == nil || m.OA.Head == nil || m.OA.Body == nil {
			return miss("msg.oa.head/body")
		}
		p.Title, p.Text = m.OA.Body.Title, m.OA.Body.Content
		if m.OA.MessageURL != "" {
			p.Buttons = []Button{{m.OA.Head.Text, m.OA.MessageURL}}
		}
	case "image", "file", "voice":
	default:
		return p, msgType, ErrInvalidMsgType, ErrMsg(ErrInvalidMsgType)
	}
	return p, msgType, 0, "ok"
}

// canonicalJSON re-encodes raw with sorted keys, so that two messages with
// the same content compare equal (work notices: same content, same user,
// once a day).
func canonicalJSON(raw []byte) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			writeCanonical(b, t[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	default:
		eb, _ := json.Marshal(t)
		b.Write(eb)
	}
}

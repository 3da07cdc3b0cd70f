package wecomtest

import (
	"encoding/json"
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

// Response is bbcs's answer to one callback, as WeCom's server sees it.
//
// Reply is the decrypted passive reply; nil when bbcs answered an empty
// body or "success" (no reply), or the answer was not a 200. Err is set
// when the callback could not be delivered or the answer is one WeCom
// would throw away: not the encrypted envelope, a wrong signature or
// nonce, or ciphertext that does not decrypt.
type Response = faketest.Response[Reply]

// Reply is a decrypted passive reply.
type Reply struct {
	// MsgType is the reply's msgtype: for the app's XML <MsgType> (text,
	// image, news, update_button, update_template_card, ...); for the smart
	// robot "msgtype" (stream, template_card, stream_with_template_card,
	// text, ...) or, for a card update, "response_type"
	// (update_template_card).
	MsgType string
	// Content is the text: <Content> of the app's reply; text.content,
	// markdown.content or stream.content of the robot's.
	Content string
	// ReplaceName is an app update_button reply's <Button><ReplaceName>.
	ReplaceName string
	// StreamID and Finish are a robot stream reply's stream.id and
	// stream.finish.
	StreamID string
	Finish   bool
	// Card is a robot reply's template_card JSON.
	Card json.RawMessage
	// Rejected says why WeCom would not show this reply in this context
	// ("" when it would): for the smart robot, doc 101031 allows text only
	// for enter_chat, stream / template_card / stream_with_template_card for
	// a user's message and update_template_card (same task_id) for a card
	// event; for the app, doc 90241 allows update_button and
	// update_template_card only in answer to template_card_event.
	Rejected string
	// Raw is the decrypted plaintext (XML for the app, JSON for the robot).
	Raw string
}

// verifyGET plays WeCom's URL check: echostr encrypted for receiveID, signed
// with msg_signature; the answer must be the plaintext.
func verifyGET(client *http.Client, base, tok, key, receiveID, echostr string, now time.Time) (int, string) {
	enc, err := faketest.Encrypt(key, receiveID, []byte(echostr))
	if err != nil {
		return 0, err.Error()
	}
	ts, n := strconv.FormatInt(now.Unix(), 10), faketest.Nonce()
	u, err := faketest.WithQuery(base, url.Values{
		"msg_signature": {faketest.Signature(tok, ts, n, enc)}, "timestamp": {ts}, "nonce": {n}, "echostr": {enc},
	})
	if err != nil {
		return 0, err.Error()
	}
	return faketest.Get(client, u)
}

// post sends one signed callback and returns the raw answer.
func post(client *http.Client, base string, q url.Values, body []byte, contentType string) (*Response, bool) {
	u, err := faketest.WithQuery(base, q)
	if err != nil {
		return &Response{Err: err}, false
	}
	status, b, err := faketest.Post(client, u, http.Header{"Content-Type": {contentType}}, body)
	out := &Response{Status: status, Body: b, Err: err}
	if err != nil || status != http.StatusOK {
		return out, false
	}
	s := strings.TrimSpace(out.Body)
	return out, s != "" && s != "success"
}

// ---- self-built app (XML) ----

// AppClient plays WeCom delivering the self-built app's callbacks to URL
// (docs 90930, 90968): XML, encrypted with the receive id = CorpID.
type AppClient struct {
	URL, Token, EncodingAESKey, CorpID, AgentID string
	HTTP                                        *http.Client // default: 5 s timeout, as WeCom waits
	Now                                         func() time.Time
}

// Verify sends the URL check (GET msg_signature, timestamp, nonce,
// echostr); bbcs must answer the decrypted echostr. A transport error comes
// back as status 0 with the error text as body.
func (c *AppClient) Verify(echostr string) (status int, body string) {
	return verifyGET(faketest.HTTP(c.HTTP), c.URL, c.Token, c.EncodingAESKey, c.CorpID, echostr, faketest.Now(c.Now))
}

// cdata wraps s in CDATA sections, as WeCom's XML writers do.
var cdata = faketest.CDATA

// Text delivers a text message userID wrote to the app (doc 90239).
func (c *AppClient) Text(userID, content string, msgID int64) *Response {
	plain := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Content>%s</Content><MsgId>%d</MsgId><AgentID>%s</AgentID></xml>",
		cdata(c.CorpID), cdata(userID), faketest.Now(c.Now).Unix(), cdata("text"), cdata(content), msgID, c.AgentID)
	return c.deliver([]byte(plain), "")
}

// CardEvent delivers a click on a button_interaction card (event
// template_card_event, doc 90240). responseCode "" makes one up; use
// Fake.IssueResponseCode for one update_template_card accepts.
func (c *AppClient) CardEvent(userID, eventKey, taskID, responseCode string) *Response {
	if responseCode == "" {
		responseCode = randomString(64)
	}
	plain := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Event>%s</Event><EventKey>%s</EventKey><TaskId>%s</TaskId><CardType>%s</CardType>"+
		"<ResponseCode>%s</ResponseCode><AgentID>%s</AgentID></xml>",
		cdata(c.CorpID), cdata(userID), faketest.Now(c.Now).Unix(), cdata("event"), cdata("template_card_event"),
		cdata(eventKey), cdata(taskID), cdata("button_interaction"), cdata(responseCode), c.AgentID)
	return c.deliver([]byte(plain), "template_card_event")
}

func (c *AppClient) deliver(plain []byte, event string) *Response {
	enc, err := faketest.Encrypt(c.EncodingAESKey, c.CorpID, plain)
	if err != nil {
		return &Response{Err: err}
	}
	ts, n := strconv.FormatInt(faketest.Now(c.Now).Unix(), 10), faketest.Nonce()
	body := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><AgentID>%s</AgentID><Encrypt>%s</Encrypt></xml>",
		cdata(c.CorpID), cdata(c.AgentID), cdata(enc))
	q := url.Values{"msg_signature": {faketest.Signature(c.Token, ts, n, enc)}, "timestamp": {ts}, "nonce": {n}}
	resp, ok := post(faketest.HTTP(c.HTTP), c.URL, q, []byte(body), "text/xml")
	if ok {
		resp.Reply, resp.Err = c.openReply(resp.Body, event)
	}
	return resp
}

// PostRaw posts body with query as it is (nothing signed or encrypted for
// you): for tests of bad signatures and malformed callbacks.
func (c *AppClient) PostRaw(query url.Values, body []byte) *Response {
	resp, ok := post(faketest.HTTP(c.HTTP), c.URL, query, body, "text/xml")
	if ok {
		resp.Reply, resp.Err = c.openReply(resp.Body, "")
	}
	return resp
}

// openReply checks and decrypts a passive reply
// <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml> (doc 90968).
func (c *AppClient) openReply(body, event string) (*Reply, error) {
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal([]byte(body), &env); err != nil || env.Encrypt == "" {
		return nil, fmt.Errorf("wecomtest: the reply is not the encrypted XML envelope: %.200q", body)
	}
	plain, err := faketest.Decrypt(c.EncodingAESKey, c.CorpID, env.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: cannot decrypt the reply: %w", err)
	}
	var msg struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		MsgType      string `xml:"MsgType"`
		Content      string `xml:"Content"`
		Button       struct {
			ReplaceName string `xml:"ReplaceName"`
		} `xml:"Button"`
	}
	rep := &Reply{Raw: string(plain)}
	if err := xml.Unmarshal(plain, &msg); err != nil {
		rep.Rejected = "the decrypted reply is not XML"
	} else {
		rep.MsgType, rep.Content, rep.ReplaceName = msg.MsgType, msg.Content, msg.Button.ReplaceName
		switch {
		case msg.MsgType == "":
			rep.Rejected = "the reply has no MsgType"
		case (msg.MsgType == "update_button" || msg.MsgType == "update_template_card") && event != "template_card_event":
			rep.Rejected = msg.MsgType + " answers only a template_card_event (doc 90241)"
		}
	}
	if want := faketest.Signature(c.Token, env.TimeStamp, env.Nonce, env.Encrypt); env.MsgSignature != want {
		return rep, fmt.Errorf("wecomtest: reply MsgSignature %q, want %q", env.MsgSignature, want)
	}
	return rep, nil
}

// ---- smart robot (JSON) ----

// BotClient plays WeCom delivering the smart robot's (智能机器人, API mode)
// callbacks to URL (docs 100719, 101027, 101033): JSON, encrypted with the
// receive id "".
type BotClient struct {
	URL, Token, EncodingAESKey, BotID string
	HTTP                              *http.Client // default: 5 s timeout, as WeCom waits
	Now                               func() time.Time
	// Fake, when set, issues the response_url of each message so that bbcs
	// can post to it (Fake.BotResponses); otherwise the URL is made up.
	Fake *Fake
}

// Verify sends the URL check; bbcs must answer the decrypted echostr.
func (c *BotClient) Verify(echostr string) (status int, body string) {
	return verifyGET(faketest.HTTP(c.HTTP), c.URL, c.Token, c.EncodingAESKey, "", echostr, faketest.Now(c.Now))
}

func (c *BotClient) responseURL(chatID, userID string) string {
	if c.Fake != nil {
		return c.Fake.BotResponseURL(chatID, userID)
	}
	return "https://" + PublicHost + "/cgi-bin/aibot/response?response_code=" + randomString(32)
}

type botFrom struct {
	UserID string `json:"userid"`
}

type botText struct {
	Content string `json:"content"`
}

type botTextMessage struct {
	MsgID       string  `json:"msgid"`
	AIBotID     string  `json:"aibotid"`
	ChatID      string  `json:"chatid,omitempty"` // doc 100719: only for group chats
	ChatType    string  `json:"chattype"`
	From        botFrom `json:"from"`
	ResponseURL string  `json:"response_url"`
	MsgType     string  `json:"msgtype"`
	Text        botText `json:"text"`
}

// GroupText delivers an @-mention of the robot in a group chat; content is
// as WeCom sends it, the mention included ("@办事不成bot 签收 GD…").
func (c *BotClient) GroupText(chatID, userID, content, msgID string) *Response {
	return c.deliver(botTextMessage{
		MsgID: msgID, AIBotID: c.BotID, ChatID: chatID, ChatType: "group", From: botFrom{userID},
		ResponseURL: c.responseURL(chatID, userID), MsgType: "text", Text: botText{content},
	}, botContext{kind: "message"})
}

// SingleText delivers a message written to the robot in a single chat.
func (c *BotClient) SingleText(userID, content, msgID string) *Response {
	return c.deliver(botTextMessage{
		MsgID: msgID, AIBotID: c.BotID, ChatType: "single", From: botFrom{userID},
		ResponseURL: c.responseURL("", userID), MsgType: "text", Text: botText{content},
	}, botContext{kind: "message"})
}

// CardEvent delivers a click on a button_interaction card the robot sent,
// in group chatID ("" for a single chat), in the shape of doc 101027
// ("按钮交互模版卡片的事件"; seen in a copy of the doc, the official page
// was read only in part): event.eventtype template_card_event with
// event.template_card_event {card_type, event_key, task_id}. WeCom sends a
// card event once and drops it after 5 s.
func (c *BotClient) CardEvent(chatID, userID, eventKey, taskID, msgID string) *Response {
	type cardEvent struct {
		CardType string `json:"card_type"`
		EventKey string `json:"event_key"`
		TaskID   string `json:"task_id"`
	}
	type event struct {
		EventType         string    `json:"eventtype"`
		TemplateCardEvent cardEvent `json:"template_card_event"`
	}
	chatType := "group"
	if chatID == "" {
		chatType = "single"
	}
	return c.deliver(struct {
		MsgID       string  `json:"msgid"`
		CreateTime  int64   `json:"create_time"`
		AIBotID     string  `json:"aibotid"`
		From        botFrom `json:"from"`
		ChatID      string  `json:"chatid,omitempty"`
		ChatType    string  `json:"chattype"`
		ResponseURL string  `json:"response_url"`
		MsgType     string  `json:"msgtype"`
		Event       event   `json:"event"`
	}{
		MsgID: msgID, CreateTime: faketest.Now(c.Now).Unix(), AIBotID: c.BotID, From: botFrom{userID},
		ChatID: chatID, ChatType: chatType, ResponseURL: c.responseURL(chatID, userID), MsgType: "event",
		Event: event{"template_card_event", cardEvent{"button_interaction", eventKey, taskID}},
	}, botContext{kind: "card", taskID: taskID})
}

type botContext struct {
	kind   string // message, card, or "" (unknown: PostRaw)
	taskID string
}

func (c *BotClient) deliver(msg any, ctx botContext) *Response {
	plain, err := json.Marshal(msg)
	if err != nil {
		return &Response{Err: err}
	}
	enc, err := faketest.Encrypt(c.EncodingAESKey, "", plain)
	if err != nil {
		return &Response{Err: err}
	}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	ts, n := strconv.FormatInt(faketest.Now(c.Now).Unix(), 10), faketest.Nonce()
	q := url.Values{"msg_signature": {faketest.Signature(c.Token, ts, n, enc)}, "timestamp": {ts}, "nonce": {n}}
	resp, ok := post(faketest.HTTP(c.HTTP), c.URL, q, body, "application/json")
	if ok {
		resp.Reply, resp.Err = c.openReply(resp.Body, n, ctx)
	}
	return resp
}

// PostRaw posts body with query as it is (nothing signed or encrypted for
// you): for tests of bad signatures and malformed callbacks.
func (c *BotClient) PostRaw(query url.Values, body []byte) *Response {
	resp, ok := post(faketest.HTTP(c.HTTP), c.URL, query, body, "application/json")
	if ok {
		resp.Reply, resp.Err = c.openReply(resp.Body, query.Get("nonce"), botContext{})
	}
	return resp
}

// openReply checks and decrypts {"encrypt","msgsignature","timestamp","nonce"}
// (doc 101033: timestamp in seconds, shown as a number; nonce must be the
// callback URL's nonce).
func (c *BotClient) openReply(body, wantNonce string, ctx botContext) (*Reply, error) {
	var env struct {
		Encrypt      string          `json:"encrypt"`
		MsgSignature string          `json:"msgsignature"`
		Timestamp    json.RawMessage `json:"timestamp"`
		Nonce        string          `json:"nonce"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Encrypt == "" {
		return nil, fmt.Errorf("wecomtest: the reply is not the encrypted JSON envelope: %.200q", body)
	}
	var ts faketest.FlexString
	if err := json.Unmarshal(env.Timestamp, &ts); err != nil || ts == "" {
		return nil, fmt.Errorf("wecomtest: the reply's timestamp %s is not a number or string", env.Timestamp)
	}
	plain, err := faketest.Decrypt(c.EncodingAESKey, "", env.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: cannot decrypt the reply: %w", err)
	}
	rep := decodeBotReply(plain, ctx)
	var errs []error
	if want := faketest.Signature(c.Token, string(ts), env.Nonce, env.Encrypt); env.MsgSignature != want {
		errs = append(errs, fmt.Errorf("wecomtest: reply msgsignature %q, want %q", env.MsgSignature, want))
	}
	if wantNonce != "" && env.Nonce != wantNonce {
		errs = append(errs, fmt.Errorf("wecomtest: reply nonce %q, want the callback's %q (doc 101033)", env.Nonce, wantNonce))
	}
	return rep, errors.Join(errs...)
}

var cardTypes = map[string]bool{
	"text_notice": true, "news_notice": true, "button_interaction": true,
	"vote_interaction": true, "multiple_interaction": true,
}

func decodeBotReply(plain []byte, ctx botContext) *Reply {
	rep := &Reply{Raw: string(plain)}
	var m struct {
		MsgType      string          `json:"msgtype"`
		ResponseType string          `json:"response_type"`
		Text         *botText        `json:"text"`
		Markdown     *botText        `json:"markdown"`
		TemplateCard json.RawMessage `json:"template_card"`
		Stream       *struct {
			ID      string `json:"id"`
			Finish  bool   `json:"finish"`
			Content string `json:"content"`
		} `json:"stream"`
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		rep.Rejected = "the decrypted reply is not JSON"
		return rep
	}
	rep.MsgType, rep.Card = m.MsgType, m.TemplateCard
	if m.MsgType == "" && m.ResponseType != "" {
		rep.MsgType = m.ResponseType
	}
	switch {
	case m.Text != nil:
		rep.Content = m.Text.Content
	case m.Markdown != nil:
		rep.Content = m.Markdown.Content
	case m.Stream != nil:
		rep.Content, rep.StreamID, rep.Finish = m.Stream.Content, m.Stream.ID, m.Stream.Finish
	}
	var card cardHead
	if len(m.TemplateCard) > 0 {
		_ = json.Unmarshal(m.TemplateCard, &card)
	}
	checkCard := func() string {
		switch {
		case len(m.TemplateCard) == 0:
			return "template_card is missing"
		case !cardTypes[card.CardType]:
			return fmt.Sprintf("template_card.card_type %q is not a card type (doc 101032)", card.CardType)
		case card.CardType == "button_interaction" && (len(card.ButtonList) == 0 || len(card.ButtonList) > 6):
			return "a button_interaction card needs 1 to 6 buttons (doc 101032)"
		case (card.CardType == "button_interaction" || card.CardType == "vote_interaction") && !taskIDPattern.MatchString(card.TaskID):
			return "an interaction card needs a task_id of [0-9A-Za-z_-@], at most 128 bytes (doc 101032)"
		}
		return ""
	}
	switch ctx.kind {
	case "message":
		switch rep.MsgType {
		case "stream", "stream_with_template_card":
			switch {
			case m.Stream == nil:
				rep.Rejected = "stream is missing"
			case m.Stream.ID == "":
				rep.Rejected = "the first stream reply must set stream.id (doc 101031)"
			case len(m.Stream.Content) > 20480:
				rep.Rejected = "stream.content is over 20480 bytes (doc 101031)"
			case rep.MsgType == "stream_with_template_card":
				rep.Rejected = checkCard()
			}
		case "template_card":
			rep.Rejected = checkCard()
		case "text":
			rep.Rejected = "a passive text reply is only for the enter_chat event (doc 101031); answer a message with stream or template_card, or post markdown to response_url"
		case "markdown":
			rep.Rejected = "markdown is not a passive reply (doc 101031); post it to response_url (doc 101138)"
		default:
			rep.Rejected = fmt.Sprintf("%q is not a passive reply to a message (doc 101031)", rep.MsgType)
		}
	case "card":
		switch {
		case m.ResponseType != "update_template_card":
			rep.Rejected = "a card event is answered with response_type update_template_card only (doc 101031)"
		case len(m.TemplateCard) == 0:
			rep.Rejected = "update_template_card needs template_card"
		case card.TaskID != ctx.taskID:
			rep.Rejected = fmt.Sprintf("the new card's task_id %q must be the event's %q (doc 101031)", card.TaskID, ctx.taskID)
		}
	}
	return rep
}

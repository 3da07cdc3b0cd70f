package wecom

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"bbcs/bot"
	"bbcs/clock"
)

// MaxBody bounds an inbound callback: WeCom's are a few kilobytes.
const MaxBody = 64 << 10

// Handle answers one inbound message; the string is the reply said back
// where the message came from ("" for none).
//
// An error means the message was not handled (an outage): the callback
// answers 503 and WeCom delivers it again.
type Handle func(ctx context.Context, m bot.Message) (string, error)

// BotCallback is GET|POST /wecom/callback for the smart robot (智能机器人,
// API mode): JSON bodies encrypted with the robot's key, receive id "".
// WeCom stamps callbacks with its real time: wall, never the test clock,
// judges their freshness and stamps the replies.
func BotCallback(cfg Config, wall clock.Wall, handle Handle, log *slog.Logger) http.Handler {
	robot := endpoint{name: "robot", token: cfg.BotToken, aesKey: cfg.BotEncodingAESKey, envelope: jsonEnvelope}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain, nonce, ok := robot.open(w, r, wall, log)
		if !ok {
			return
		}
		var in botMessage
		if err := json.Unmarshal(plain, &in); err != nil {
			http.Error(w, "malformed message", http.StatusBadRequest)
			return
		}
		m := in.message(wall)
		if m.Kind == "" {
			io.WriteString(w, "")
			return
		}
		reply, ok := handled(w, r, handle, m, log)
		if !ok {
			return
		}
		if reply == "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		// A message to the smart robot is answered as a finished stream: a
		// passive "text" is only for its enter_chat event (doc 101031).
		out, _ := json.Marshal(map[string]any{"msgtype": "stream", "stream": map[string]any{
			"id": "bbcs-" + in.MsgID, "finish": true, "content": reply,
		}})
		enc, err := encrypt(out, "", cfg.BotEncodingAESKey)
		if err != nil {
			log.Error("wecom: encrypt reply", "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		now := strconv.FormatInt(wall.Now().Unix(), 10)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"encrypt": enc, "msgsignature": util.Signature(cfg.BotToken, now, nonce, enc),
			"timestamp": now, "nonce": nonce,
		})
	})
}

// botMessage is what the smart robot delivers (developer doc 100719).
type botMessage struct {
	MsgID    string `json:"msgid"`
	AIBotID  string `json:"aibotid"`
	ChatID   string `json:"chatid"`
	ChatType string `json:"chattype"`
	From     struct {
		UserID string `json:"userid"`
	} `json:"from"`
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	Event struct {
		EventType         string `json:"eventtype"`
		TemplateCardEvent struct {
			CardType string `json:"card_type"`
			EventKey string `json:"event_key"`
			TaskID   string `json:"task_id"`
		} `json:"template_card_event"`
	} `json:"event"`
}

// message is the robot's message; At is when it arrived (the robot's
// messages carry no time of their own).
func (in botMessage) message(wall clock.Wall) bot.Message {
	m := bot.Message{Platform: bot.WeCom, ID: in.MsgID, UserID: in.From.UserID, At: wall.Now()}
	if in.ChatType == "group" {
		m.GroupID = in.ChatID
	}
	switch {
	case in.MsgType == "text":
		m.Kind, m.Text = bot.KindText, bot.TrimMention(in.Text.Content)
	case in.MsgType == "event" && in.Event.EventType == "template_card_event":
		m.Kind, m.ButtonKey = bot.KindEvent, in.Event.TemplateCardEvent.EventKey
	}
	return m
}

// AppCallback is GET|POST /wecom/app for the self-built app: XML bodies
// encrypted with the app's key, receive id = corp id. Staff writing to the
// app privately, and clicks on its template cards, arrive here. Freshness
// and reply timestamps: the wall clock, as for BotCallback.
func AppCallback(cfg Config, wall clock.Wall, handle Handle, log *slog.Logger) http.Handler {
	app := endpoint{name: "app", token: cfg.Token, aesKey: cfg.EncodingAESKey, receiveID: cfg.CorpID, envelope: xmlEnvelope}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain, nonce, ok := app.open(w, r, wall, log)
		if !ok {
			return
		}
		var in appMessage
		if err := xml.Unmarshal(plain, &in); err != nil {
			http.Error(w, "malformed message", http.StatusBadRequest)
			return
		}
		m := bot.Message{Platform: bot.WeCom, UserID: in.FromUserName, At: time.Unix(in.CreateTime, 0)}
		switch {
		case in.MsgType == "text":
			m.Kind, m.Text, m.ID = bot.KindText, bot.TrimMention(in.Content), "app:"+in.MsgID
		case in.MsgType == "event" && in.Event == "template_card_event":
			m.Kind, m.ButtonKey = bot.KindEvent, in.EventKey
			m.ID = "card:" + in.TaskID + ":" + in.FromUserName + ":" + in.EventKey
		default:
			io.WriteString(w, "success")
			return
		}
		reply, ok := handled(w, r, handle, m, log)
		if !ok {
			return
		}
		if reply == "" {
			io.WriteString(w, "success")
			return
		}
		type text struct {
			XMLName      xml.Name `xml:"xml"`
			ToUserName   string   `xml:"ToUserName"`
			FromUserName string   `xml:"FromUserName"`
			CreateTime   int64    `xml:"CreateTime"`
			MsgType      string   `xml:"MsgType"`
			Content      string   `xml:"Content"`
		}
		raw, _ := xml.Marshal(text{ToUserName: in.FromUserName, FromUserName: cfg.CorpID, CreateTime: wall.Now().Unix(), MsgType: "text", Content: reply})
		enc, err := encrypt(raw, cfg.CorpID, cfg.EncodingAESKey)
		if err != nil {
			io.WriteString(w, "success")
			return
		}
		now := strconv.FormatInt(wall.Now().Unix(), 10)
		w.Header().Set("Content-Type", "application/xml")
		xml.NewEncoder(w).Encode(struct {
			XMLName      xml.Name `xml:"xml"`
			Encrypt      string   `xml:"Encrypt"`
			MsgSignature string   `xml:"MsgSignature"`
			TimeStamp    string   `xml:"TimeStamp"`
			Nonce        string   `xml:"Nonce"`
		}{Encrypt: enc, MsgSignature: util.Signature(cfg.Token, now, nonce, enc), TimeStamp: now, Nonce: nonce})
	})
}

// appMessage is a decrypted app callback: a text or a card event.
type appMessage struct {
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	TaskID       string `xml:"TaskId"`
}

// verifyURL answers WeCom's URL check: the decrypted echostr, only when
// the signature over the encrypted one holds.
func verifyURL(w http.ResponseWriter, echostr, token, aesKey, receiveID, ts, nonce, sig string) {
	if echostr == "" || util.Signature(token, ts, nonce, echostr) != sig {
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	plain, err := decrypt(aesKey, receiveID, echostr)
	if err != nil {
		http.Error(w, "cannot decrypt echostr", http.StatusBadRequest)
		return
	}
	w.Write(plain)
}

func encrypt(plain []byte, receiveID, aesKey string) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	for i := range random { // printable, as WeCom's own libraries make it
		random[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[int(random[i])%62]
	}
	out, err := util.EncryptMsg(random, plain, receiveID, aesKey)
	return string(out), err
}

// endpoint is one of WeCom's encrypted callback addresses: the token and
// key it is configured with, its receive id ("" for the robot, the corp id
// for the app) and how its body carries the ciphertext.
type endpoint struct {
	name, token, aesKey, receiveID string
	envelope                       func(body []byte) (string, error)
}

func jsonEnvelope(body []byte) (string, error) {
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	err := json.Unmarshal(body, &env)
	return env.Encrypt, err
}

func xmlEnvelope(body []byte) (string, error) {
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	err := xml.Unmarshal(body, &env)
	return env.Encrypt, err
}

// open answers a GET (WeCom checking the URL) itself; of a POST it checks
// the signature and the freshness by the wall clock, and decrypts. ok is
// false when open has answered the request.
func (e endpoint) open(w http.ResponseWriter, r *http.Request, wall clock.Wall, log *slog.Logger) (plain []byte, nonce string, ok bool) {
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	if r.Method == http.MethodGet {
		verifyURL(w, q.Get("echostr"), e.token, e.aesKey, e.receiveID, ts, nonce, sig)
		return nil, "", false
	}
	body, ok := bot.ReadBody(w, r, MaxBody)
	if !ok {
		return nil, "", false
	}
	encrypted, err := e.envelope(body)
	if err != nil || encrypted == "" {
		http.Error(w, "malformed callback", http.StatusBadRequest)
		return nil, "", false
	}
	if !hmac.Equal([]byte(util.Signature(e.token, ts, nonce, encrypted)), []byte(sig)) {
		log.Warn("wecom: bad signature on "+e.name+" callback", "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return nil, "", false
	}
	if !bot.Fresh(ts, wall) {
		log.Warn("wecom: stale timestamp on "+e.name+" callback", "remote", r.RemoteAddr)
		http.Error(w, "stale timestamp", http.StatusForbidden)
		return nil, "", false
	}
	plain, err = decrypt(e.aesKey, e.receiveID, encrypted)
	if err != nil {
		http.Error(w, "cannot decrypt", http.StatusBadRequest)
		return nil, "", false
	}
	return plain, nonce, true
}

// handled hands m to handle. When handle fails (an outage) it answers 503,
// so that WeCom delivers the message again, and ok is false.
func handled(w http.ResponseWriter, r *http.Request, handle Handle, m bot.Message, log *slog.Logger) (reply string, ok bool) {
	reply, err := handle(r.Context(), m)
	if err != nil {
		log.Warn("wecom: message not handled, asking WeCom to deliver it again", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return "", false
	}
	return reply, true
}

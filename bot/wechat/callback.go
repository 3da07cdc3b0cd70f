package wechat

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"bbcs/bot"
)

// MaxBody bounds an inbound message: WeChat's are a few kilobytes.
const MaxBody = 64 << 10

// Handle answers one inbound message; a non-empty string is sent back as
// the passive text reply, "" answers "success" (nothing to say now). An
// error means the message was not handled (an outage): the webhook answers
// 503 and WeChat delivers it again.
type Handle func(ctx context.Context, m bot.Message) (string, error)

// Callback is the webhook GET|POST /wechat/oa: URL verification, plain and
// safe mode, through the SDK's message server.
func (a *Account) Callback(handle Handle, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bot.ReadBody(w, r, MaxBody)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		q := r.URL.Query()
		// The SDK's Validate, on the query parsed once (it parses it for
		// each parameter).
		if q.Get("signature") != util.Signature(a.cfg.Token, q.Get("timestamp"), q.Get("nonce")) {
			// Nothing is read or stored from a request we cannot trust.
			log.Warn("wechat: bad signature", "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		// WeChat stamps the message with its real time: the wall clock, not
		// the test clock, judges it.
		if r.Method == http.MethodPost && !bot.Fresh(q.Get("timestamp"), a.wall) {
			log.Warn("wechat: stale timestamp", "remote", r.RemoteAddr)
			http.Error(w, "stale timestamp", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost && !q.Has("echostr") && !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
			a.serveXML(w, r, body, q, handle, log)
			return
		}
		rec := &writeTracker{ResponseWriter: w}
		srv := a.oa.GetServer(r, rec)
		// Checked above: Serve would check it again, parsing the query three
		// more times (3 % of bbcs's CPU per message in bench/load's loops).
		srv.SkipValidate(true)
		if r.Method == http.MethodGet {
			if q.Get("echostr") == "" {
				http.Error(w, "echostr missing", http.StatusBadRequest)
				return
			}
			if err := srv.Serve(); err != nil { // echoes echostr
				http.Error(w, "verification failed", http.StatusBadRequest)
			}
			return
		}
		var failed error
		srv.SetMessageHandler(func(mm *message.MixMessage) *message.Reply {
			text, err := handle(r.Context(), toMessage(mm))
			if err != nil {
				failed, rec.hold = err, true // nothing the SDK writes now goes out
				return nil
			}
			if text == "" {
				return nil
			}
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
		})
		err := srv.Serve()
		if failed != nil {
			log.Warn("wechat: message not handled, asking WeChat to deliver it again", "err", failed)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			log.Warn("wechat: rejected message", "err", err)
			http.Error(w, "malformed message", http.StatusBadRequest)
			return
		}
		if srv.ResponseMsg == nil {
			// Plain mode: the SDK has written "success". Safe mode: it would
			// send an encrypted empty reply, which WeChat shows as an error
			// (silenceper issue #586), so say "success" ourselves.
			if !rec.wrote {
				io.WriteString(w, "success")
			}
			return
		}
		if err := srv.Send(); err != nil {
			log.Error("wechat: send reply", "err", err)
		}
	})
}

// serveXML answers a message in XML, plain or safe mode, as the SDK's
// Serve and Send do, without their costs: the SDK reads the encrypted
// envelope through encoding/xml's byte-at-a-time decoder (6 % of bbcs's
// CPU per message in bench/load's closed loop, more than decrypting it)
// and builds the reply by reflection. The message itself is still read
// into the SDK's MixMessage by encoding/xml, and the reply written by
// xml.Marshal of the SDK's types, so both read and look as before. JSON
// bodies and a POST carrying echostr stay with the SDK.
func (a *Account) serveXML(w http.ResponseWriter, r *http.Request, body []byte, q url.Values, handle Handle, log *slog.Logger) {
	malformed := func(err error) {
		log.Warn("wechat: rejected message", "err", err)
		http.Error(w, "malformed message", http.StatusBadRequest)
	}
	safe := q.Get("encrypt_type") == "aes"
	raw, random, timestamp, nonce := body, []byte(nil), int64(0), q.Get("nonce")
	if safe {
		enc, err := encryptedPart(body)
		if err != nil {
			malformed(err)
			return
		}
		if timestamp, err = strconv.ParseInt(q.Get("timestamp"), 10, 32); err != nil {
			malformed(err)
			return
		}
		if q.Get("msg_signature") != util.Signature(a.cfg.Token, q.Get("timestamp"), nonce, enc) {
			malformed(errors.New("消息不合法，验证签名失败"))
			return
		}
		if random, raw, err = util.DecryptMsg(a.cfg.AppID, enc, a.cfg.EncodingAESKey); err != nil {
			malformed(fmt.Errorf("消息解密失败, err=%v", err))
			return
		}
	}
	var mm message.MixMessage
	if err := xml.Unmarshal(raw, &mm); err != nil {
		malformed(err)
		return
	}
	text, err := handle(r.Context(), toMessage(&mm))
	if err != nil {
		log.Warn("wechat: message not handled, asking WeChat to deliver it again", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if text == "" {
		// As the SDK in plain mode; in safe mode it would send an encrypted
		// empty reply, which WeChat shows as an error (silenceper issue #586).
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
		return
	}
	out := textReply(string(mm.FromUserName), string(mm.ToUserName), util.GetCurrTS(), text)
	if safe {
		enc, err := util.EncryptMsg(random, out, a.cfg.AppID, a.cfg.EncodingAESKey)
		if err != nil {
			// The message is handled: WeChat must not deliver it again.
			log.Error("wechat: send reply", "err", err)
			return
		}
		out = encryptedReply(string(enc), util.Signature(a.cfg.Token, strconv.FormatInt(timestamp, 10), nonce, string(enc)), timestamp, nonce)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(out)
}

// textReply is xml.Marshal of the SDK's text reply (message.Text), written
// out: the reply is fixed but for its values, and encoding/xml took half
// the CPU of the webhook's own work (TestRepliesAreWhatTheSDKWrites).
func textReply(to, from string, created int64, content string) []byte {
	b := make([]byte, 0, 160+len(to)+len(from)+len(content))
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, to)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, from)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, "</CreateTime><MsgType>text</MsgType><Content>"...)
	b = appendCDATA(b, content)
	return append(b, "</Content></xml>"...)
}

// encryptedReply is xml.Marshal of the SDK's message.ResponseEncryptedXMLMsg.
func encryptedReply(encrypted, signature string, timestamp int64, nonce string) []byte {
	var b bytes.Buffer
	b.Grow(120 + len(encrypted) + len(signature) + len(nonce))
	b.WriteString("<xml><Encrypt>")
	xml.EscapeText(&b, []byte(encrypted))
	b.WriteString("</Encrypt><MsgSignature>")
	xml.EscapeText(&b, []byte(signature))
	b.WriteString("</MsgSignature><TimeStamp>")
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteString("</TimeStamp><Nonce>")
	xml.EscapeText(&b, []byte(nonce))
	b.WriteString("</Nonce></xml>")
	return b.Bytes()
}

// appendCDATA writes s as encoding/xml writes a ",cdata" field: nothing
// when empty, and a "]]>" inside split across two sections.
func appendCDATA(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		b = append(b, before...)
		b = append(b, "]]]]><![CDATA[>"...)
		s = after
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}

// encryptedPart is the Encrypt element of a safe-mode envelope. WeChat's
// is <xml><ToUserName><![CDATA[…]]></ToUserName><Encrypt><![CDATA[…]]></Encrypt></xml>:
// that form is cut out directly, anything else is read as the SDK reads
// it. Either way the value must then carry the message's msg_signature.
func encryptedPart(body []byte) (string, error) {
	const open, end = "<Encrypt><![CDATA[", "]]></Encrypt>"
	b := bytes.TrimSpace(body)
	if bytes.HasPrefix(b, []byte("<xml>")) && bytes.HasSuffix(b, []byte("</xml>")) && bytes.Count(b, []byte("<Encrypt")) == 1 {
		if i := bytes.Index(b, []byte(open)); i >= 0 {
			rest := b[i+len(open):]
			if j := bytes.Index(rest, []byte(end)); j >= 0 {
				return string(rest[:j]), nil
			}
		}
	}
	var env message.EncryptedXMLMsg
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&env); err != nil {
		return "", fmt.Errorf("从body中解析xml失败,err=%v", err)
	}
	return env.EncryptedMsg, nil
}

func toMessage(mm *message.MixMessage) bot.Message {
	m := bot.Message{
		Platform: bot.WeChat, UserID: string(mm.FromUserName), Text: mm.Content,
		At: time.Unix(mm.CreateTime, 0),
	}
	switch mm.MsgType {
	case message.MsgTypeText:
		m.Kind = bot.KindText
		if mm.BizMsgMenuID != 0 {
			m.ButtonKey = strconv.FormatInt(mm.BizMsgMenuID, 10)
		}
	case message.MsgTypeImage:
		m.Kind, m.MediaID = bot.KindImage, mm.MediaID
	case message.MsgTypeEvent:
		m.Kind, m.Event = bot.KindEvent, string(mm.Event)
		if mm.Event == message.EventClick {
			m.ButtonKey = mm.EventKey
		}
	default:
		m.Kind = bot.KindOther
	}
	// WeChat retries a message up to 3 times: MsgId names it; an event has
	// none, so sender and time do (platforms.md).
	if mm.MsgID != 0 {
		m.ID = strconv.FormatInt(mm.MsgID, 10)
	} else {
		m.ID = "evt:" + string(mm.FromUserName) + ":" + strconv.FormatInt(mm.CreateTime, 10)
	}
	return m
}

// writeTracker notes whether the SDK has written the response, and holds
// back what it writes once the handler has failed.
type writeTracker struct {
	http.ResponseWriter
	wrote, hold bool
}

func (t *writeTracker) Write(b []byte) (int, error) {
	if t.hold {
		return len(b), nil
	}
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *writeTracker) WriteHeader(code int) {
	if t.hold {
		return
	}
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

// Package province pushes each rating's 好差评 record (models.RatingRecord)
// to the centre's provincial 好差评 platform, where province.url is set.
// No national API is published, so this is bbcs's one interface for it,
// documented in docs/province.md:
//
//	POST {province.url}
//	Content-Type: application/json; charset=utf-8
//	X-App-Id:     {province.app_id}
//	X-Timestamp:  unix seconds, wall clock
//	X-Nonce:      random hex
//	X-Signature:  hex(HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body))
//
//	body: one record, its JSON names renamed by province.fields
//
// The answer 2xx {"code":0} is a delivery; anything else is a failure the
// outbox tries again, but a 4xx carrying a code, which is the platform's
// answer about the record and is kept as a permanent failure for an
// operator to see and send again. Not 401 and 403, nor 429: a refusal of
// the request's credentials or freshness (a clock off, a key being
// rotated) says nothing about the record, and the record goes by itself
// once the clock or the key is put right. A record sent again (updated by
// a rectification, an appeal, a rating after 未评价) has the same
// record_id: the platform upserts.
package province

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/models"
)

// Platform names the provincial platform among bbcs's senders.
const Platform bot.Platform = "province"

// The request's headers.
const (
	HeaderAppID     = "X-App-Id"
	HeaderTimestamp = "X-Timestamp"
	HeaderNonce     = "X-Nonce"
	HeaderSignature = "X-Signature"
)

// Config is config's province section.
type Config struct {
	URL    string
	AppID  string
	Secret string
	// Fields renames record fields (their JSON names) to the platform's.
	Fields map[string]string
}

// Client posts records to one platform. It implements bot.Sender for the
// outbox's notices of kind models.NoticeRatingRecord.
type Client struct {
	cfg   Config
	names Names
	http  *http.Client
	wall  clock.Wall
}

// New checks cfg's field mapping and returns its client; hc nil is a
// client with a 10-second timeout (a platform that does not answer within
// it has failed this try).
func New(cfg Config, hc *http.Client, wall clock.Wall) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("province: url is not configured")
	}
	if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("province: url %q is not an http(s) URL", cfg.URL)
	}
	names, err := NewNames(cfg.Fields)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		// Kept connections: after an outage the backlog goes out many at a time.
		hc = &http.Client{Transport: bot.PlatformTransport(), Timeout: 10 * time.Second}
	}
	return &Client{cfg: cfg, names: names, http: hc, wall: wall}, nil
}

// Sign is the request's signature: hex(HMAC-SHA256(secret, timestamp +
// "\n" + nonce + "\n" + body)).
func Sign(secret, timestamp, nonce string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + nonce + "\n"))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// answer is the platform's reply: code 0 is accepted; id, when given, is
// the platform's own id of the record (kept as the receipt).
type answer struct {
	Code *int   `json:"code"`
	Msg  string `json:"msg"`
	ID   string `json:"id"`
}

// Send pushes the record a notice carries. It implements bot.Sender.
func (c *Client) Send(ctx context.Context, n *models.Notice) (string, error) {
	if n.Kind != models.NoticeRatingRecord {
		return "", bot.Permanent(fmt.Errorf("province: notice %d is a %s, not a rating record", n.ID, n.Kind))
	}
	d, err := n.Data()
	if err != nil {
		return "", bot.Permanent(err)
	}
	if d.Record == nil {
		return "", bot.Permanent(fmt.Errorf("province: notice %d carries no record", n.ID))
	}
	return c.Push(ctx, *d.Record)
}

// Push posts one record and returns the platform's receipt.
func (c *Client) Push(ctx context.Context, rec models.RatingRecord) (string, error) {
	body, err := c.names.Body(rec)
	if err != nil {
		return "", bot.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("province: %w", err))
	}
	ts, nonce := strconv.FormatInt(c.wall.Now().Unix(), 10), newNonce()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(HeaderAppID, c.cfg.AppID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Sign(c.cfg.Secret, ts, nonce, body))
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is config, not news; keep the cause
		}
		return "", fmt.Errorf("province: push %s: %w", rec.RecordID, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("province: push %s: read the answer: %w", rec.RecordID, err)
	}
	var a answer
	jsonErr := json.Unmarshal(raw, &a)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok2xx && jsonErr == nil && a.Code != nil && *a.Code == 0:
		if a.ID != "" {
			return a.ID, nil
		}
		return "code 0", nil
	case jsonErr == nil && a.Code != nil && refusesTheRecord(resp.StatusCode):
		// The platform read the record and refused it (a field it wants,
		// a duplicate): sending the same again cannot help until an
		// operator fixes config or the record.
		return "", bot.Permanent(fmt.Errorf("province: push %s: HTTP %d, code %d: %s", rec.RecordID, resp.StatusCode, *a.Code, platformMsg(a.Msg)))
	case jsonErr == nil && a.Code != nil:
		return "", fmt.Errorf("province: push %s: HTTP %d, code %d: %s", rec.RecordID, resp.StatusCode, *a.Code, platformMsg(a.Msg))
	default:
		return "", fmt.Errorf("province: push %s: HTTP %d without a code", rec.RecordID, resp.StatusCode)
	}
}

// refusesTheRecord reports whether an answer of status (with a code) is
// the platform's refusal of the record: a 4xx, but not 401 or 403 — the
// request's credentials or freshness refused (a timestamp outside the
// platform's window because a clock is off, a key being rotated), which
// every record meets alike and none causes, so the record waits and goes
// once the clock or the key is put right, without an operator sending each
// again — nor 429, the platform asking to slow down.
func refusesTheRecord(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// platformMsg is the platform's msg as bbcs keeps it (the notice's error,
// the log): mobiles masked, in case the platform quotes the record, and
// shortened.
func platformMsg(msg string) string {
	return models.Shorten(models.MaskMobilesIn(msg), 200)
}

// newNonce is 16 random bytes in hex.
func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Unconfigured is the sender of province notices where province.url is
// not set: a record queued while it was (the setting removed since) waits
// in the outbox, visible in the console, instead of being dropped as
// logged.
type Unconfigured struct{}

// Send fails, to be tried again.
func (Unconfigured) Send(context.Context, *models.Notice) (string, error) {
	return "", errors.New("province: province.url is not configured; the record waits until it is")
}

// NewSender is the sender of province notices for cfg: its Client, or
// Unconfigured when cfg has no URL.
func NewSender(cfg Config, hc *http.Client, wall clock.Wall) (bot.Sender, error) {
	if cfg.URL == "" {
		return Unconfigured{}, nil
	}
	return New(cfg, hc, wall)
}

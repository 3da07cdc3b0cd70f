// Package dingtalk is bbcs on DingTalk (钉钉): department window groups
// through their custom robots (加签), private messages as the enterprise
// robot's one-to-one messages, and @-mentions of the robot coming back in
// HTTP mode. DingTalk has no SDK on our module proxy, and the few endpoints
// are plain HTTP, so this is a small client of our own.
package dingtalk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"bbcs/bot"
	"bbcs/clock"
)

// The hosts DingTalk's APIs live on; dingtalk.oapi_base and
// dingtalk.api_base replace them.
const (
	OAPIHost = "oapi.dingtalk.com"
	APIHost  = "api.dingtalk.com"
)

// Robot is a custom group robot with signing (加签).
type Robot struct {
	AccessToken string
	Secret      string
}

// Config is what bbcs's DingTalk side needs from config.
type Config struct {
	AppKey    string
	AppSecret string
	RobotCode string
	// Groups finds a notice target's group custom robot (a department
	// code, "supervision", "leaders"): the zero Robot when it has none.
	// Read at each send, so a robot set in the console is used at once.
	Groups func(ctx context.Context, target string) (Robot, error)
	// Users finds a DingTalk user id (staffId).
	Users bot.Users
	// PublicURL is how phones reach bbcs (links in cards).
	PublicURL string
}

// Client calls DingTalk's APIs. It knows only the wall clock: DingTalk
// checks a robot's sign timestamp against its own real time (within an
// hour) and ends tokens in real time, whatever bbcs's test clock says.
type Client struct {
	cfg   Config
	http  *http.Client
	wall  clock.Wall
	token *bot.Token
}

// NewClient returns a client; httpClient carries the host rewriting
// (bot.Hosts).
func NewClient(cfg Config, httpClient *http.Client, wall clock.Wall) *Client {
	c := &Client{cfg: cfg, http: httpClient, wall: wall}
	c.token = &bot.Token{Wall: wall, Fetch: c.fetchToken}
	return c
}

// Sign is DingTalk's HMAC of a timestamp (ms) with a secret:
// base64(HMAC-SHA256(secret, timestamp + "\n" + secret)). Custom robots
// take it URL-escaped in the query; inbound callbacks carry it plain.
func Sign(timestampMS, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestampMS + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type oapiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (e oapiError) err(what string) error {
	if e.ErrCode == 0 {
		return nil
	}
	err := fmt.Errorf("dingtalk %s: errcode %d: %s", what, e.ErrCode, e.ErrMsg)
	switch e.ErrCode {
	case 300001, 300005, 400101, 400102:
		// (300001 and 300005 are the same "token is not exist", old and new.)
		// No such robot, a robot switched off: retrying cannot help until
		// an administrator fixes config. Not 310000 (sign mismatch or
		// timestamp invalid): a fresh sign may pass, so it is tried again
		// like any failure (SendGroup).
		return bot.Permanent(err)
	}
	return err
}

func (c *Client) postJSON(ctx context.Context, u string, header http.Header, body, out any) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, bot.Permanent(fmt.Errorf("dingtalk: encode: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok { // keep tokens in URLs out of logs
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return 0, fmt.Errorf("dingtalk: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("dingtalk: %w", err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil && resp.StatusCode == http.StatusOK {
			return resp.StatusCode, fmt.Errorf("dingtalk: answer is not JSON: %w", err)
		}
	}
	return resp.StatusCode, nil
}

// ErrSign is DingTalk's 310000: the custom robot's sign does not match or
// its timestamp is more than an hour from DingTalk's clock (or a keyword
// or IP allowlist refused the message).
const ErrSign = 310000

// SendGroup posts a message through a custom robot, signed with its secret
// at the wall-clock time. A 310000 is tried once more at once with a fresh
// timestamp and sign, and after that is an ordinary failure the outbox
// retries, never a permanent one: a clock that was off, or a secret the
// administrator is correcting, must not lose the card.
func (c *Client) SendGroup(ctx context.Context, r Robot, msg any) error {
	if r.AccessToken == "" {
		return bot.Permanent(fmt.Errorf("dingtalk: the group has no robot access token"))
	}
	for attempt := 0; ; attempt++ {
		q := url.Values{"access_token": {r.AccessToken}}
		if r.Secret != "" {
			ts := strconv.FormatInt(c.wall.Now().UnixMilli(), 10)
			q.Set("timestamp", ts)
			q.Set("sign", Sign(ts, r.Secret))
		}
		var out oapiError
		status, err := c.postJSON(ctx, "https://"+OAPIHost+"/robot/send?"+q.Encode(), nil, msg, &out)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("dingtalk robot/send: HTTP %d", status)
		}
		switch out.ErrCode {
		case ErrSign:
			if attempt == 0 {
				continue
			}
		case 410100, 130101, 660026:
			// Over 20 a minute (the code has changed over the years:
			// documented 410100, older 130101, answered today 660026):
			// DingTalk then blocks the robot for 10 minutes.
			return &bot.DeferredError{After: 10 * time.Minute, Reason: fmt.Sprintf("custom robot rate limit (%d)", out.ErrCode)}
		}
		return out.err("robot/send")
	}
}

// fetchToken gets the app's token for the new API (api.dingtalk.com).
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	if c.cfg.AppKey == "" || c.cfg.AppSecret == "" {
		return "", 0, bot.Permanent(fmt.Errorf("dingtalk: app_key and app_secret are not configured"))
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int    `json:"expireIn"`
		Code        string `json:"code"`
		Message     string `json:"message"`
	}
	status, err := c.postJSON(ctx, "https://"+APIHost+"/v1.0/oauth2/accessToken", nil,
		map[string]string{"appKey": c.cfg.AppKey, "appSecret": c.cfg.AppSecret}, &out)
	if err != nil {
		return "", 0, err
	}
	if status != http.StatusOK || out.AccessToken == "" {
		err := fmt.Errorf("dingtalk oauth2/accessToken: HTTP %d %s %s", status, out.Code, out.Message)
		if status == http.StatusBadRequest || status == http.StatusUnauthorized {
			return "", 0, bot.Permanent(err)
		}
		return "", 0, err
	}
	return out.AccessToken, time.Duration(out.ExpireIn) * time.Second, nil
}

// SendPrivate sends the enterprise robot's one-to-one message
// (robot/oToMessages/batchSend) to DingTalk users.
func (c *Client) SendPrivate(ctx context.Context, userIDs []string, msgKey string, param any) (string, error) {
	rawParam, err := json.Marshal(param)
	if err != nil {
		return "", bot.Permanent(err)
	}
	body := map[string]any{"robotCode": c.cfg.RobotCode, "userIds": userIDs, "msgKey": msgKey, "msgParam": string(rawParam)}
	for attempt := 0; ; attempt++ {
		token, err := c.token.Get(ctx)
		if err != nil {
			return "", err
		}
		var out struct {
			ProcessQueryKey    string   `json:"processQueryKey"`
			InvalidStaffIDList []string `json:"invalidStaffIdList"`
			Code               string   `json:"code"`
			Message            string   `json:"message"`
		}
		status, err := c.postJSON(ctx, "https://"+APIHost+"/v1.0/robot/oToMessages/batchSend",
			http.Header{"X-Acs-Dingtalk-Access-Token": {token}}, body, &out)
		if err != nil {
			return "", err
		}
		switch {
		case status == http.StatusUnauthorized || out.Code == "InvalidAuthentication":
			// A stale token: DingTalk answers 400 InvalidAuthentication
			// (sometimes 401). Fetch a new one and try once more; a second
			// refusal is tried again later, never given up for good.
			c.token.Drop()
			if attempt == 0 {
				continue
			}
			return "", fmt.Errorf("dingtalk batchSend: the access token was refused twice: HTTP %d %s", status, out.Code)
		case status == http.StatusBadRequest:
			return "", bot.Permanent(fmt.Errorf("dingtalk batchSend: %s %s", out.Code, out.Message))
		case status != http.StatusOK:
			return "", fmt.Errorf("dingtalk batchSend: HTTP %d %s", status, out.Code)
		case len(out.InvalidStaffIDList) == len(userIDs):
			return "", bot.Permanent(fmt.Errorf("dingtalk batchSend: unknown users %v", out.InvalidStaffIDList))
		}
		return out.ProcessQueryKey, nil
	}
}

// UserIDByCode exchanges an in-app free-login code (免登码) of a page opened
// inside DingTalk for the user id.
func (c *Client) UserIDByCode(ctx context.Context, code string) (string, error) {
	token, err := c.oapiToken(ctx)
	if err != nil {
		return "", err
	}
	var out struct {
		oapiError
		Result struct {
			UserID string `json:"userid"`
		} `json:"result"`
	}
	u := "https://" + OAPIHost + "/topapi/v2/user/getuserinfo?" + url.Values{"access_token": {token}}.Encode()
	if _, err := c.postJSON(ctx, u, nil, map[string]string{"code": code}, &out); err != nil {
		return "", err
	}
	if err := out.err("getuserinfo"); err != nil {
		return "", err
	}
	return out.Result.UserID, nil
}

// oapiToken is the old API's token (gettoken), which topapi calls need.
func (c *Client) oapiToken(ctx context.Context) (string, error) {
	u := "https://" + OAPIHost + "/gettoken?" + url.Values{"appkey": {c.cfg.AppKey}, "appsecret": {c.cfg.AppSecret}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("dingtalk gettoken: request failed")
	}
	defer resp.Body.Close()
	var out struct {
		oapiError
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out); err != nil {
		return "", fmt.Errorf("dingtalk gettoken: %w", err)
	}
	if err := out.err("gettoken"); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

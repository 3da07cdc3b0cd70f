// Package wecom is bbcs on WeCom (企业微信): department window groups through
// their group robots, private messages through the centre's self-built app,
// and @-mentions of the smart robot (智能机器人) and card clicks coming back.
package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"bbcs/bot"
	"bbcs/clock"
)

// PublicHost is the host WeCom's API lives on; wecom.api_base replaces it.
const PublicHost = "qyapi.weixin.qq.com"

// Config is what bbcs's WeCom side needs from config.
type Config struct {
	CorpID            string
	AgentID           string
	Secret            string
	Token             string // the app callback's token
	EncodingAESKey    string // the app callback's key
	BotToken          string // the smart robot's callback token
	BotEncodingAESKey string
	// Groups finds the webhook key of a notice target's group robot (a
	// department code, "supervision", "leaders"): "" when it has none.
	// Read at each send, so a robot set in the console is used at once.
	Groups func(ctx context.Context, target string) (string, error)
	// Users finds a WeCom user id.
	Users bot.Users
	// PublicURL is how phones reach bbcs (links in cards).
	PublicURL string
}

// Client calls WeCom's API. It keeps the app's access token in memory: a
// token is per app and cheap to fetch, and WeCom lets several be valid.
// The token lives in WeCom's real time: the client knows only the wall
// clock, never bbcs's test clock.
type Client struct {
	cfg   Config
	http  *http.Client
	token *bot.Token
}

// NewClient returns a client; httpClient carries the host rewriting of
// wecom.api_base (bot.Hosts).
func NewClient(cfg Config, httpClient *http.Client, wall clock.Wall) *Client {
	c := &Client{cfg: cfg, http: httpClient}
	c.token = &bot.Token{Wall: wall, Fetch: c.fetchToken}
	return c
}

// apiError is WeCom's error envelope.
type apiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (e apiError) err(what string) error {
	if e.ErrCode == 0 {
		return nil
	}
	err := fmt.Errorf("wecom %s: errcode %d: %s", what, e.ErrCode, e.ErrMsg)
	switch e.ErrCode {
	case 93000, 40008, 40058, 40056, 81013, 60020:
		// No such robot, a message WeCom will never take, nobody to send to.
		return bot.Permanent(err)
	}
	return err
}

func (c *Client) post(ctx context.Context, path string, query url.Values, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return bot.Permanent(fmt.Errorf("wecom: encode %s: %w", path, err))
	}
	u := "https://" + PublicHost + path + "?" + query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, path, out)
}

func (c *Client) do(req *http.Request, path string, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("wecom %s: %w", path, redactErr(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("wecom %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wecom %s: answer is not JSON: %w", path, err)
	}
	return nil
}

// redactErr keeps keys and tokens in URLs out of errors and logs.
func redactErr(err error) error {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// fetchToken gets the app's access token (gettoken).
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	if c.cfg.CorpID == "" || c.cfg.Secret == "" {
		return "", 0, bot.Permanent(fmt.Errorf("wecom: corp_id and secret are not configured"))
	}
	u := "https://" + PublicHost + "/cgi-bin/gettoken?" + url.Values{"corpid": {c.cfg.CorpID}, "corpsecret": {c.cfg.Secret}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", 0, err
	}
	var out struct {
		apiError
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.do(req, "/cgi-bin/gettoken", &out); err != nil {
		return "", 0, err
	}
	if err := out.err("gettoken"); err != nil {
		return "", 0, err
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// withToken calls an API that needs the access token, once more with a
// fresh token when WeCom says the one we had is stale.
func (c *Client) withToken(ctx context.Context, path string, body any, what string) (map[string]any, error) {
	for attempt := 0; ; attempt++ {
		token, err := c.token.Get(ctx)
		if err != nil {
			return nil, err
		}
		var out map[string]any
		if err := c.post(ctx, path, url.Values{"access_token": {token}}, body, &out); err != nil {
			return nil, err
		}
		code := int(numberOf(out["errcode"]))
		if bot.StaleToken(code) && attempt == 0 {
			c.token.Drop()
			continue
		}
		if code != 0 {
			msg, _ := out["errmsg"].(string)
			return out, apiError{ErrCode: code, ErrMsg: msg}.err(what)
		}
		return out, nil
	}
}

func numberOf(v any) float64 {
	f, _ := v.(float64)
	return f
}

// SendGroup posts a message through a group robot's webhook.
func (c *Client) SendGroup(ctx context.Context, key string, msg any) error {
	if key == "" {
		return bot.Permanent(fmt.Errorf("wecom: the group has no robot webhook key"))
	}
	var out apiError
	if err := c.post(ctx, "/cgi-bin/webhook/send", url.Values{"key": {key}}, msg, &out); err != nil {
		return err
	}
	if out.ErrCode == 45009 {
		// Over the robot's 20 a minute despite our throttle (another
		// sender uses the same robot): wait for the minute to pass.
		return &bot.DeferredError{After: time.Minute, Reason: "group robot rate limit (45009)"}
	}
	return out.err("group robot")
}

// SendApp sends a private message through the self-built app.
func (c *Client) SendApp(ctx context.Context, msg map[string]any) (string, error) {
	msg["agentid"] = c.cfg.AgentID
	out, err := c.withToken(ctx, "/cgi-bin/message/send", msg, "message/send")
	if err != nil {
		return "", err
	}
	// Unknown users among several are listed in invaliduser and the rest
	// get it; a message nobody can get comes back as 81013 (permanent).
	id, _ := out["msgid"].(string)
	return id, nil
}

// UserIDByCode exchanges the OAuth code of a page opened inside WeCom for
// the user id (auth/getuserinfo): the page knows who is acting without a
// secret in the link.
func (c *Client) UserIDByCode(ctx context.Context, code string) (string, error) {
	for attempt := 0; ; attempt++ {
		token, err := c.token.Get(ctx)
		if err != nil {
			return "", err
		}
		u := "https://" + PublicHost + "/cgi-bin/auth/getuserinfo?" + url.Values{"access_token": {token}, "code": {code}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		var out struct {
			apiError
			UserID string `json:"userid"`
		}
		if err := c.do(req, "/cgi-bin/auth/getuserinfo", &out); err != nil {
			return "", err
		}
		if bot.StaleToken(out.ErrCode) && attempt == 0 {
			c.token.Drop()
			continue
		}
		if err := out.err("auth/getuserinfo"); err != nil {
			return "", err
		}
		if out.UserID == "" {
			return "", fmt.Errorf("wecom: the code belongs to no member of the corp")
		}
		return out.UserID, nil
	}
}

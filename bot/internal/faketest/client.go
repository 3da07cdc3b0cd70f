package faketest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CallbackTimeout is how long the clients wait for bbcs's answer to a
// callback: the 5 s WeChat and WeCom wait (docs 90930, 101027); DingTalk
// does not say.
const CallbackTimeout = 5 * time.Second

var defaultHTTP = &http.Client{Timeout: CallbackTimeout}

// HTTP is c, or a client with CallbackTimeout when c is nil.
func HTTP(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return defaultHTTP
}

// Now is now(), or the wall clock when now is nil.
func Now(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// Nonce is a random decimal string of up to 10 digits, as the platforms'
// nonces are.
func Nonce() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:])%10000000000, 10)
}

// WithQuery is base with q added to its query.
func WithQuery(base string, q url.Values) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	all := u.Query()
	for k, v := range q {
		all[k] = v
	}
	u.RawQuery = all.Encode()
	return u.String(), nil
}

// CDATA wraps s in CDATA sections, splitting any "]]>" as the platforms'
// XML writers do.
func CDATA(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// Get fetches u and returns the answer's status and body; a transport
// error comes back as status 0 with the error text as body.
func Get(c *http.Client, u string) (status int, body string) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err.Error()
	}
	return resp.StatusCode, string(b)
}

// Post posts body to u with exactly the header h (and what net/http adds)
// and returns the answer's status and body; err is a transport error, or
// one reading the answer.
func Post(c *http.Client, u string, h http.Header, body []byte) (status int, answer string, err error) {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range h {
		req.Header[k] = slices.Clone(v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Response is bbcs's answer to a callback as the platform's server reads
// it: the status and body, the reply R the platform would show (nil when
// there is none), and Err for a callback that could not be delivered or
// an answer the platform would refuse. Each fake's package says what its
// platform refuses.
type Response[R any] struct {
	Status int
	Body   string
	Reply  *R
	Err    error
}

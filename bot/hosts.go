package bot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Hosts rewrites requests for a platform's public API host to the host a
// centre configured (a private deployment, or a test's fake). The SDKs we
// use hard-code their hosts; this transport is the one place that honours
// wechat.api_base, wecom.api_base and the DingTalk bases.
type Hosts struct {
	mu     sync.RWMutex
	routes map[string]*url.URL // public host → configured base
	base   http.RoundTripper
}

// NewHosts returns an empty rewriter over base (nil: PlatformTransport).
func NewHosts(base http.RoundTripper) *Hosts {
	if base == nil {
		base = PlatformTransport()
	}
	return &Hosts{routes: map[string]*url.URL{}, base: base}
}

// Route sends requests for the public host (e.g. "api.weixin.qq.com") to
// base (e.g. "http://127.0.0.1:4000/prefix"). A base equal to the public
// one removes the route.
func (h *Hosts) Route(publicHost, base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bot: API base %q is not an http(s) URL", base)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if u.Host == publicHost && u.Scheme == "https" && strings.Trim(u.Path, "/") == "" {
		delete(h.routes, publicHost)
		return nil
	}
	h.routes[publicHost] = u
	return nil
}

// RoundTrip rewrites the request's host when a route names it.
func (h *Hosts) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.RLock()
	to, ok := h.routes[r.URL.Host]
	h.mu.RUnlock()
	if ok {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = to.Scheme, to.Host
		r.URL.Path = strings.TrimRight(to.Path, "/") + r.URL.Path
		r.Host = to.Host
	}
	return h.base.RoundTrip(r)
}

// Client is an HTTP client through h with a timeout: platform calls must
// never hang a sender (the SDKs' default client has none).
func (h *Hosts) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: h, Timeout: timeout}
}

// sendsPerHost is how many idle connections to one platform host are kept:
// the outbox sends up to 128 notices at a time in each of its two lanes,
// nearly all to one host per platform.
const sendsPerHost = 256

// PlatformTransport is http.DefaultTransport keeping enough idle
// connections per host for the outbox's concurrent sends. The default
// keeps two, so under load nearly every send dialled a new connection
// (TLS included, to the real platforms): 3 % of bbcs's CPU per message in
// bench/load's closed loop, and 8–10 % with what the dialling cost around it.
func PlatformTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = sendsPerHost
	t.MaxIdleConns = 2 * sendsPerHost
	return t
}

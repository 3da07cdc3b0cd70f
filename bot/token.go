package bot

import (
	"context"
	"sync"
	"time"

	"bbcs/clock"
)

// Token keeps one platform access token in memory and fetches a new one
// when it is missing or within five minutes of its end. Platforms let
// several tokens of an app be valid at once, so each replica keeps its own.
// Its lifetime is the platform's, in real time: Wall, never the test clock.
type Token struct {
	Wall clock.Wall
	// Fetch gets a new token and how long it lives.
	Fetch func(ctx context.Context) (token string, lifetime time.Duration, err error)

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Get returns a valid token.
func (t *Token) Get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.Wall.Now().Before(t.expires) {
		return t.token, nil
	}
	token, life, err := t.Fetch(ctx)
	if err != nil {
		return "", err
	}
	t.token, t.expires = token, t.Wall.Now().Add(life-5*time.Minute)
	return token, nil
}

// Drop forgets the token: the platform said it is stale.
func (t *Token) Drop() {
	t.mu.Lock()
	t.token = ""
	t.mu.Unlock()
}

// StaleToken reports the errcodes WeChat and WeCom answer for an access
// token that is invalid (40001, 40014) or expired (42001): get a fresh one
// and send again, never give the notice up.
func StaleToken(errcode int) bool { return errcode == 40001 || errcode == 40014 || errcode == 42001 }

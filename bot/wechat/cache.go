package wechat

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/clock"
)

// tokenMemo is how long a process keeps the access token it read from
// Redis before reading it again: a send need not ask Redis for it every
// time (a round trip of every customer-service message under load). A
// token WeChat calls stale is dropped here and in Redis at once (dropToken),
// and one another replica refreshed is at most this old.
const tokenMemo = 30 * time.Second

// tokenCache is the SDK's cache.Cache over our go-redis v9 client, so the
// access token is shared by every replica through our Redis (the SDK's own
// Redis cache uses go-redis v8), with a short memo in the process.
type tokenCache struct {
	rdb    *redis.Client
	prefix string
	wall   clock.Wall // token lifetimes are WeChat's, in real time
	mu     sync.Mutex
	memo   map[string]memoEntry
}

type memoEntry struct {
	val   string
	until time.Time
}

func (c *tokenCache) key(k string) string { return c.prefix + k }

func (c *tokenCache) remember(key, val string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.memo == nil {
		c.memo = map[string]memoEntry{}
	}
	c.memo[key] = memoEntry{val: val, until: c.wall.Now().Add(min(ttl, tokenMemo))}
}

func (c *tokenCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.memo, key)
}

// Get returns the value as a string (the SDK asserts val.(string)), or nil.
func (c *tokenCache) Get(key string) interface{} {
	c.mu.Lock()
	e, ok := c.memo[key]
	c.mu.Unlock()
	if ok && c.wall.Now().Before(e.until) {
		return e.val
	}
	ctx := context.Background()
	p := c.rdb.Pipeline()
	get, ttl := p.Get(ctx, c.key(key)), p.PTTL(ctx, c.key(key))
	p.Exec(ctx)
	v, err := get.Result()
	if err != nil {
		return nil
	}
	if d, err := ttl.Result(); err == nil && d > 0 {
		c.remember(key, v, d)
	}
	return v
}

func (c *tokenCache) Set(key string, val interface{}, timeout time.Duration) error {
	if err := c.rdb.Set(context.Background(), c.key(key), val, timeout).Err(); err != nil {
		return err
	}
	if s, ok := val.(string); ok && timeout > 0 {
		c.remember(key, s, timeout)
	}
	return nil
}

func (c *tokenCache) IsExist(key string) bool {
	n, err := c.rdb.Exists(context.Background(), c.key(key)).Result()
	return err == nil && n > 0
}

func (c *tokenCache) Delete(key string) error {
	c.forget(key)
	return c.rdb.Del(context.Background(), c.key(key)).Err()
}

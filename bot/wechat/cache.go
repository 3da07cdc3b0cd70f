package wechat

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// tokenCache is the SDK's cache.Cache over our go-redis v9 client, so the
// access token is shared by every replica through our Redis (the SDK's own
// Redis cache uses go-redis v8).
type tokenCache struct {
	rdb    *redis.Client
	prefix string
}

func (c *tokenCache) key(k string) string { return c.prefix + k }

// Get returns the value as a string (the SDK asserts val.(string)), or nil.
func (c *tokenCache) Get(key string) interface{} {
	v, err := c.rdb.Get(context.Background(), c.key(key)).Result()
	if err != nil {
		return nil
	}
	return v
}

func (c *tokenCache) Set(key string, val interface{}, timeout time.Duration) error {
	return c.rdb.Set(context.Background(), c.key(key), val, timeout).Err()
}

func (c *tokenCache) IsExist(key string) bool {
	n, err := c.rdb.Exists(context.Background(), c.key(key)).Result()
	return err == nil && n > 0
}

func (c *tokenCache) Delete(key string) error {
	return c.rdb.Del(context.Background(), c.key(key)).Err()
}

package wechat

import (
	"context"
	"testing"
	"time"

	"bbcs/clock"
	"bbcs/internal/testenv"
)

// The access token is read from Redis once in a while, not for every
// send; a token dropped as stale is gone from the memo at once, and the
// memo never outlives the token's time in Redis.
func TestTheTokenCacheKeepsTheTokenShortlyAndForgetsItWhenDropped(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	c := &tokenCache{rdb: rdb, prefix: prefix + ":", wall: clock.WallFunc(func() time.Time { return now })}
	if v := c.Get("tok"); v != nil {
		t.Fatalf("empty cache: %v", v)
	}
	rdb.Set(ctx, prefix+":tok", "T1", time.Hour) // another replica fetched it
	if v := c.Get("tok"); v != "T1" {
		t.Fatalf("read %v, want T1", v)
	}
	rdb.Set(ctx, prefix+":tok", "T2", time.Hour) // and refreshed it
	if v := c.Get("tok"); v != "T1" {
		t.Errorf("within the memo read %v, want T1 without asking Redis", v)
	}
	now = now.Add(tokenMemo)
	if v := c.Get("tok"); v != "T2" {
		t.Errorf("after the memo read %v, want T2", v)
	}
	if err := c.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if v := c.Get("tok"); v != nil {
		t.Errorf("after Delete: %v", v)
	}
	// A token with seconds left in Redis is kept no longer than that.
	c.Set("tok", "T3", 2*time.Second)
	now = now.Add(3 * time.Second)
	rdb.Del(ctx, prefix+":tok") // Redis let it expire
	if v := c.Get("tok"); v != nil {
		t.Errorf("past its lifetime: %v", v)
	}
}

package bot

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/clock"
	"bbcs/models"
)

// DeferredError says a notice must wait After before it is tried again:
// not a failure, so the outbox does not count it as an attempt.
//
// A wait, not a time: a platform's rate limit runs on the wall clock, the
// outbox's schedule on business time (the test clock may be days away),
// so only the length of the wait means the same on both.
type DeferredError struct {
	After  time.Duration
	Reason string
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("deferred for %s: %s", e.After.Round(time.Second), e.Reason)
}

// Throttle keeps a sender within a platform's rate limit per group: a
// WeCom group robot and a DingTalk custom robot take 20 messages a minute
// (DingTalk then blocks the robot for 10 minutes). The window lives in
// Redis, so every replica counts against the same limit. The window is the
// platform's, in real time: Wall, never the test clock.
type Throttle struct {
	Next   Sender
	Redis  *redis.Client
	Prefix string
	Wall   clock.Wall
	Limit  int           // messages per Window; 20
	Window time.Duration // one minute
	// Key names the limited resource a notice uses ("" = not limited).
	Key func(n *models.Notice) string
}

// take records one send in key's window if there is room, and otherwise
// answers when the oldest send leaves the window. One Lua script, so two
// replicas cannot both take the last place.
var take = redis.NewScript(`
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window
`)

// Send sends n unless its group is at its limit.
func (t *Throttle) Send(ctx context.Context, n *models.Notice) (string, error) {
	key := t.Key(n)
	if key == "" {
		return t.Next.Send(ctx, n)
	}
	now := t.Wall.Now()
	free, err := take.Run(ctx, t.Redis, []string{t.Prefix + ":{throttle}:" + key},
		now.UnixMilli(), t.Window.Milliseconds(), t.Limit, strconv.FormatUint(n.ID, 10)+":"+strconv.FormatInt(now.UnixNano(), 10)).Int64()
	if err != nil {
		return "", fmt.Errorf("throttle %s: %w", key, err)
	}
	if free > 0 {
		return "", &DeferredError{After: time.UnixMilli(free).Sub(now), Reason: key + " is at its limit of " + strconv.Itoa(t.Limit) + " messages a minute"}
	}
	return t.Next.Send(ctx, n)
}

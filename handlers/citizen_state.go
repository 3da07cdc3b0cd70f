package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/models"
)

// A citizen's dialog lives in Redis under two keys: the report in
// progress (key) and the case a comment would be about, just after a
// rating (commentKey). A message reads both with its de-duplication mark
// (load) and queues the report's changes on the MULTI/EXEC that commits
// its answer (save, drop; see once), so a step of the report costs no
// round trip of its own. The comment key alone is written at once, when
// a rating or a comment is recorded (see rating).

func (c *Citizens) key(openid string) string { return c.Prefix + ":wechat:dialog:" + openid }

func (c *Citizens) commentKey(openid string) string { return c.Prefix + ":wechat:comment:" + openid }

// load queues on p, the round trip that marks the message, the reads of
// t's citizen's pending comment and dialog.
func (c *Citizens) load(ctx context.Context, p redis.Pipeliner, t *turn) {
	t.comment = p.Get(ctx, c.commentKey(t.openid))
	t.found = p.Get(ctx, c.key(t.openid))
}

// foundDialog is the citizen's dialog as the message being handled found
// it, read with its de-duplication mark (Handle answers 503 when that read
// failed); nil when there is none. The steps read it before they change
// it, never after.
func (t *turn) foundDialog() *dialog {
	raw, err := t.found.Bytes()
	if err != nil {
		return nil
	}
	return decodeDialog(raw)
}

// decodeDialog reads a stored dialog; nil when it is unreadable, which is
// as good as none.
func decodeDialog(raw []byte) *dialog {
	var d dialog
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil
	}
	return &d
}

// save stores the dialog. Its staleness is judged by our Clock (the test
// clock included); the Redis expiry only clears what nobody came back to.
func (c *Citizens) save(ctx context.Context, t *turn, d *dialog) {
	c.saveAs(ctx, t, d, t.msgID)
}

// saveAs queues d, as changed by message msg, on the message's writes:
// an error shows when they commit, and fails the message (see once).
func (c *Citizens) saveAs(ctx context.Context, t *turn, d *dialog, msg string) {
	d.Updated, d.Msg = c.Clock.Now(), msg
	raw, _ := json.Marshal(d) // strings, slices and a time: nothing json refuses
	t.writes.Set(ctx, c.key(t.openid), raw, 24*time.Hour)
}

func (c *Citizens) drop(ctx context.Context, t *turn) {
	t.writes.Del(ctx, c.key(t.openid)) // its timer, when it fires, finds nothing to end
}

// stale is a dialog left alone for expiry: it has ended, as its timer
// ends it at that moment.
func (c *Citizens) stale(d *dialog) bool { return c.Clock.Now().Sub(d.Updated) >= c.expiry() }

func (c *Citizens) expiry() time.Duration {
	if c.Expiry > 0 {
		return c.Expiry
	}
	return 30 * time.Minute
}

func (c *Citizens) expiredText() string {
	return fmt.Sprintf("您上次的反映超过 %d 分钟没有继续，已自动结束，填写的内容没有提交。\n如需反映问题，请回复“反映问题”重新开始。", int(c.expiry().Minutes()))
}

// Expire ends a dialog its timer found left alone, and tells the citizen
// (inside the customer-service window: they wrote minutes ago). A dialog
// touched since gets its timer again, for the new time.
func (c *Citizens) Expire(ctx context.Context, openid string) error {
	for range 3 {
		raw, err := c.Redis.Get(ctx, c.key(openid)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		d := decodeDialog(raw)
		if d == nil {
			return nil // unreadable: the next message starts afresh
		}
		if !c.stale(d) {
			return c.arm(ctx, openid, d.Updated.Add(c.expiry()))
		}
		// Only the dialog as read: one a message moved on meanwhile lives.
		ended, err := dropIfUnchanged.Run(ctx, c.Redis, []string{c.key(openid)}, raw).Int()
		if err != nil {
			return err
		}
		if ended == 1 {
			return c.Cases.Tell(ctx, models.NoticeDialogExpired, models.AudienceApplicant, openid, models.NoticeData{Text: c.expiredText()})
		}
	}
	return nil
}

// dropIfUnchanged deletes KEYS[1] if it still holds ARGV[1].
var dropIfUnchanged = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// arm sets the timer that ends d when it is left alone. It is set when
// the dialog starts and moved on only when it fires (Expire), which spares
// every step of the dialog a write to the timers.
func (c *Citizens) arm(ctx context.Context, openid string, at time.Time) error {
	if c.Timers == nil {
		return nil
	}
	return c.Timers.Schedule(ctx, DialogTimerPrefix+openid, at)
}

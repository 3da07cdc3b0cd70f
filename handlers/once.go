package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/models"
)

// errUnavailable marks a message that could not be handled because the
// database or Redis did not answer. The webhook then answers 503, so the
// platform delivers the message again, rather than acknowledging a message
// whose work was not done. (Decision 5: nothing acknowledged is lost.)
var errUnavailable = errors.New("a dependency is unavailable")

// unavailable wraps the cause of an outage.
func unavailable(err error) error { return fmt.Errorf("%w: %w", errUnavailable, err) }

// outage reports whether a use case failed for want of the database,
// not by a rule.
func outage(err error) bool { return err != nil && models.ErrorCode(err) == models.ErrInternal }

// inFlight bounds how long a delivery being handled holds off the others.
const inFlight = 30 * time.Second

// once runs handle for the first delivery of a message id and gives every
// repeated delivery (a platform's retry, a double click) the first answer,
// waiting briefly while the first is still being handled. Platforms retry
// when an answer is slow, so a retry must never act a second time. When
// handle fails for an outage, the id is forgotten so that the platform's
// next delivery is handled afresh.
//
// Redis sees a message twice, however many reads and writes handle makes:
// read queues the reads handle needs on the round trip that marks the
// message, and handle queues its Redis writes on w, which commit in one
// MULTI/EXEC with the answer, only once the message is handled. A message
// that fails thus leaves no half of its dialog step behind. (Either may
// be nil.)
func once(ctx context.Context, rdb *redis.Client, key string, read func(redis.Pipeliner), handle func(w redis.Pipeliner) (string, error)) (string, error) {
	// The in-progress mark is short-lived: if this process dies while
	// handling, a later delivery handles the message again (the use cases
	// are idempotent where it matters) instead of being acknowledged
	// unhandled.
	pipe := rdb.Pipeline()
	first := pipe.SetNX(ctx, key, "…", inFlight)
	if read != nil {
		read(pipe)
	}
	_, _ = pipe.Exec(ctx) // each command's outcome is read where it is used
	if err := first.Err(); err != nil {
		return "", unavailable(fmt.Errorf("de-duplication: %w", err))
	}
	if !first.Val() {
		return awaitFirst(ctx, rdb, key)
	}
	w := rdb.TxPipeline()
	reply, err := handle(w)
	if err == nil {
		// The work is done and committed: store its outcome even when the
		// platform has hung up meanwhile (WeChat waits 5 s).
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		w.Set(saveCtx, key, "="+reply, time.Hour)
		if _, err = w.Exec(saveCtx); err != nil {
			err = unavailable(fmt.Errorf("save the message's outcome: %w", err))
		}
		cancel()
	}
	if err != nil {
		rdb.Del(context.WithoutCancel(ctx), key)
		return "", err
	}
	return reply, nil
}

func awaitFirst(ctx context.Context, rdb *redis.Client, key string) (string, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		v, err := rdb.Get(ctx, key).Result()
		switch {
		case err == nil && strings.HasPrefix(v, "="):
			return v[1:], nil
		case errors.Is(err, redis.Nil):
			// The first delivery failed and let go: this one must not be
			// acknowledged either.
			return "", unavailable(errors.New("the first delivery failed"))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			// The first is still at work, or died: not acknowledged, so
			// the platform delivers it again.
			return "", unavailable(errors.New("the first delivery is still being handled"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

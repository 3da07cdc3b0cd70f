package timers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/internal/par"
)

// Handler fires one timer. It must be idempotent: a timer whose process
// died mid-fire (or whose handler outlived the lease) fires again
// elsewhere. bbcs's handlers re-read the database and do nothing when the
// work order was answered or its deadline moved meanwhile. due is the
// scheduled due time, also on a retry. An error makes Run retry the timer
// with backoff.
type Handler func(ctx context.Context, id string, due time.Time) error

// Retry backoff of Run, by the engine's clock: 2s, 4s, 8s … at most 5m.
const (
	firstBackoff = 2 * time.Second
	maxBackoff   = 5 * time.Minute
)

// failure is what Run remembers of a timer whose handler failed. The count
// is per process: another process that claims the timer starts over.
type failure struct {
	due  int64 // unix ms
	n    int
	last time.Time
}

// Kick wakes Run now instead of at its next poll: call it after scheduling
// a timer that is already due, or after moving the test clock.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run fires due timers with h until ctx ends: it claims a batch, runs h
// for each (Options.Workers at a time, each with Options.Lease to finish),
// acks the ones that succeeded and retries the others with backoff (2s,
// 4s … 5m, by the engine's clock). When nothing is due it sleeps
// Options.Poll or until Kick. Several Run loops, in one process or many,
// may share the same keys; each timer goes to one of them at a time, and
// again only if its lease runs out. h must be idempotent (see Handler).
func (e *Engine) Run(ctx context.Context, h Handler) {
	for ctx.Err() == nil {
		claimed, err := e.Claim(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Error("timers: claim failed", "err", err)
			e.sleep(ctx)
			continue
		}
		if len(claimed) == 0 {
			e.sleep(ctx)
			continue
		}
		e.fire(ctx, h, claimed)
	}
}

func (e *Engine) sleep(ctx context.Context) {
	t := time.NewTimer(e.opts.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-e.kick:
	}
}

// fire runs h for a claimed batch, then settles every timer in one
// pipeline: Ack on success, Retry on failure.
func (e *Engine) fire(ctx context.Context, h Handler, batch []Claimed) {
	errs := make([]error, len(batch))
	par.Each(len(batch), e.opts.Workers, func(i int) { errs[i] = e.call(ctx, h, batch[i]) })

	// Settle even when ctx has ended, so a stopping process hands its
	// timers back at once instead of after the lease.
	stopping := ctx.Err() != nil
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := e.clock.Now()
	var acks, retries [][]any
	for i, c := range batch {
		if errs[i] == nil {
			acks = append(acks, []any{c.ID, ms(c.Due)})
			e.forget(c.ID)
			continue
		}
		at := now
		if !stopping {
			n := e.failed(c, now)
			at = now.Add(backoff(n))
			e.log.Warn("timers: handler failed", "id", c.ID, "due", c.Due, "attempt", n, "retry_at", at, "err", errs[i])
		}
		retries = append(retries, []any{c.ID, ms(at)})
	}
	if err := e.settle(sctx, acks, retries); err != nil {
		// The leases run out and the timers fire again: handlers are idempotent.
		e.log.Error("timers: ack failed; the timers fire again after their lease", "err", err, "count", len(batch))
	}
}

// call runs h for one timer, turning a panic into an error.
func (e *Engine) call(ctx context.Context, h Handler, c Claimed) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("timers: handler panicked: %v", r)
		}
	}()
	hctx, cancel := context.WithTimeout(ctx, e.opts.Lease)
	defer cancel()
	return h(hctx, c.ID, c.Due)
}

// settle sends the acks and retries of one batch in one pipeline.
func (e *Engine) settle(ctx context.Context, acks, retries [][]any) error {
	send := func() ([]redis.Cmder, error) {
		return e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if len(acks) > 0 {
				args := make([]any, 0, 2*len(acks))
				for _, a := range acks {
					args = append(args, a...)
				}
				ackManyCmd.EvalSha(ctx, p, e.keys, args...)
			}
			for _, a := range retries {
				retryCmd.EvalSha(ctx, p, e.keys, a...)
			}
			return nil
		})
	}
	cmds, err := send()
	if isNoScript(cmds) {
		// The scripts are safe to run twice.
		err = errors.Join(ackManyCmd.Load(ctx, e.rdb).Err(), retryCmd.Load(ctx, e.rdb).Err())
		if err == nil {
			_, err = send()
		}
	}
	return err
}

func backoff(attempt int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// failed counts a failure of c and returns its attempt number.
func (e *Engine) failed(c Claimed, now time.Time) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fails[c.ID]
	if f.due != c.Due.UnixMilli() {
		f = failure{due: c.Due.UnixMilli()}
	}
	f.n++
	f.last = now
	e.fails[c.ID] = f
	if len(e.fails) > 1024 {
		// Forget timers that stopped failing here (cancelled, or fired
		// by another process) well after their last backoff.
		for id, f := range e.fails {
			if now.Sub(f.last) > 2*maxBackoff+e.opts.Lease {
				delete(e.fails, id)
			}
		}
	}
	return f.n
}

func (e *Engine) forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.fails) > 0 {
		delete(e.fails, id)
	}
}

package handlers

import (
	"context"
	"strings"
	"time"

	"bbcs/timers"
)

// HandleTimers registers the dialogs' expiry with m. The timer lives in
// Redis with the dialog itself and goes when the dialog goes: the
// database plans nothing of it, so reconciliation leaves it alone.
func (c *Citizens) HandleTimers(m *timers.Mux) {
	m.HandleUnplanned(DialogTimerPrefix, func(ctx context.Context, id string, _ time.Time) error {
		return c.Expire(ctx, strings.TrimPrefix(id, DialogTimerPrefix))
	})
}

package casework

import (
	"context"

	"bbcs/timers"
)

// FireTimer fires one of casework's timers now, as the engine would
// through the mux: ErrUnknownTimer when id is of no casework namespace.
func (s *Service) FireTimer(ctx context.Context, id string) error {
	m := timers.NewMux(s.log)
	s.HandleTimers(m)
	if !m.Owns(id) {
		return ErrUnknownTimer
	}
	return m.Fire(ctx, id, s.clock.Now())
}

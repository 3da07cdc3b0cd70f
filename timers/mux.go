package timers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ErrUnknownTimer is what a handler answers for an id of its namespace it
// cannot read: the mux drops the timer, as it drops one of no namespace.
var ErrUnknownTimer = errors.New("timers: unknown timer")

// Mux is the Handler that routes each timer to the owner of its
// namespace, the prefix of its id ("wo:", "dialog:" …). Each namespace has
// one owner, which registers its handler at wiring, before the engine
// runs; a timer no owner knows is logged and dropped.
type Mux struct {
	log    *slog.Logger
	routes []route
	after  func()
}

type route struct {
	prefix  string
	handler Handler
	// planned: the database holds these timers' deadlines (decision 3:
	// Redis is an index of them), so reconciliation may drop one the
	// database no longer wants.
	planned bool
}

// NewMux returns an empty Mux. A nil log discards.
func NewMux(log *slog.Logger) *Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mux{log: log}
}

// Handle routes the timers whose ids start with prefix to h. Their owner
// plans them from the database: reconciliation restores the ones it wants
// and drops the others (Planned). Handle panics when prefix is empty, or
// is, extends or begins another namespace's prefix: each timer has one
// owner.
func (m *Mux) Handle(prefix string, h Handler) { m.add(route{prefix, h, true}) }

// HandleUnplanned is Handle for timers that live only in Redis, beside
// what they time (a citizen's dialog and its expiry): reconciliation
// leaves them alone.
func (m *Mux) HandleUnplanned(prefix string, h Handler) { m.add(route{prefix, h, false}) }

func (m *Mux) add(r route) {
	if r.prefix == "" || r.handler == nil {
		panic("timers: a namespace needs a prefix and a handler")
	}
	for _, o := range m.routes {
		if strings.HasPrefix(r.prefix, o.prefix) || strings.HasPrefix(o.prefix, r.prefix) {
			panic(fmt.Sprintf("timers: namespace %q overlaps %q", r.prefix, o.prefix))
		}
	}
	m.routes = append(m.routes, r)
}

// AfterFiring sets f to run after each timer a handler fired without
// error (bbcs wakes the outbox, so the notices a firing wrote go at once).
func (m *Mux) AfterFiring(f func()) { m.after = f }

func (m *Mux) lookup(id string) (route, bool) {
	for _, r := range m.routes {
		if strings.HasPrefix(id, r.prefix) {
			return r, true
		}
	}
	return route{}, false
}

// Owns reports whether a namespace is registered for id.
func (m *Mux) Owns(id string) bool {
	_, ok := m.lookup(id)
	return ok
}

// Planned reports whether id belongs to a namespace the database plans
// (registered with Handle): a timer reconciliation may drop.
func (m *Mux) Planned(id string) bool {
	r, ok := m.lookup(id)
	return ok && r.planned
}

// Fire is the Handler of the engine: it fires id with its namespace's
// handler. An id of no namespace, or one its handler answers
// ErrUnknownTimer for, is logged and dropped (nil: the engine forgets it).
func (m *Mux) Fire(ctx context.Context, id string, due time.Time) error {
	r, ok := m.lookup(id)
	if !ok {
		m.drop(id)
		return nil
	}
	err := r.handler(ctx, id, due)
	if errors.Is(err, ErrUnknownTimer) {
		m.drop(id)
		return nil
	}
	if err == nil && m.after != nil {
		m.after()
	}
	return err
}

func (m *Mux) drop(id string) {
	m.log.Warn("timers: dropping a timer no handler knows", "timer", id)
}

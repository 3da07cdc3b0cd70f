package outbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"bbcs/models"
	"bbcs/store"
)

// outcome is what one send did to its notice, to be written in the
// notice's row: the fields a send changes (nil or false: unchanged). The
// claim's lease is released in every case.
type outcome struct {
	id            uint64
	status        *models.NoticeStatus
	sentAt        *time.Time
	receipt       *string
	lastError     *string
	nextAttemptAt *time.Time
	giveBackTry   bool // a rate limit: attempts - 1
	// done carries the write's result; lead tells a waiting send that it
	// writes the next batch.
	done chan error
	lead chan struct{}
	err  error // the write's result, set by the batch's writer
	// leaseEnds is when the notice's claim ends by the wall clock (zero:
	// unknown, a lease from now): see writeOutcomes.
	leaseEnds time.Time
}

// maxOutcomes bounds one statement's rows.
const maxOutcomes = 200

// outcomes gathers a lane's outcomes for writing in batches. At most one
// batch of a lane is written at a time; the outcomes of sends that finish
// meanwhile wait and go together in the next statement, written by the
// first of them. Under load a statement thus records tens of sends
// instead of one (bench/load's closed loop: an UPDATE per notice was 6.5 %
// of bbcs's CPU and a round trip each); when idle a send's outcome is
// written at once, as before.
type outcomes struct {
	mu      sync.Mutex
	queue   []*outcome
	writing bool
}

// record writes o's outcome and returns when it is in the database — not
// before: a recipient's next notice is claimed only once this one is no
// longer pending, which keeps each recipient's order. A crash before the
// write leaves the notice claimed; after the lease it is sent again, as
// when each outcome was written alone.
func (d *Dispatcher) record(r *reserve, q *outcomes, o *outcome) error {
	o.done, o.lead = make(chan error, 1), make(chan struct{}, 1)
	q.mu.Lock()
	q.queue = append(q.queue, o)
	if q.writing {
		q.mu.Unlock()
		select {
		case err := <-o.done:
			return err
		case <-o.lead: // the batch before is written: o heads the queue
		}
		q.mu.Lock()
	}
	q.writing = true
	n := min(len(q.queue), maxOutcomes)
	batch := make([]*outcome, n)
	copy(batch, q.queue)
	q.queue = append(q.queue[:0], q.queue[n:]...)
	q.mu.Unlock()

	d.writeOutcomes(r, batch) // settles each, o (batch[0]) too
	q.mu.Lock()
	if len(q.queue) > 0 {
		q.queue[0].lead <- struct{}{} // the next batch is its to write
	} else {
		q.writing = false
	}
	q.mu.Unlock()
	return <-o.done
}

// writeOutcomes writes a batch, trying again until the earliest of its
// claims' leases ends (by the wall clock: the database, not bbcs's clock,
// is what we wait for), and settles each outcome (see settle) as soon as
// its row is written or given up on. Past the lease another claim sends
// the notice again anyway, and the lane's other sends wait behind this
// batch meanwhile.
//
// A batch the database refuses is split into single rows, so that one
// row it cannot take (a value out of range, say) does not hold the others
// back; a row refused alone is recorded reduced at once (see
// writeReduced): a refusal is one the database rarely changes its mind
// on, and the lane's other sends wait meanwhile. A batch that fails
// because the database cannot be reached (or fails everything) is not
// split: each row alone would fail the same way, a statement each (200 a
// round for a full batch), and each could wait out a dial; it is tried
// again whole.
func (d *Dispatcher) writeOutcomes(r *reserve, batch []*outcome) {
	giveUp := d.giveUp(batch)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := d.writeBatch(r, batch, giveUp)
		for _, o := range batch {
			o.err = err
		}
		switch {
		case err == nil:
			settle(batch)
			return
		case store.Refused(err):
			if batch = d.writeEach(r, batch, giveUp); len(batch) == 0 {
				return
			}
		}
		// The next attempt must have its whole time before the lease ends:
		// one cut short by the lease fails for want of time, not for the
		// database, and its rows go out again.
		if time.Now().Add(wait + d.attemptTimeout()).After(giveUp) {
			settle(batch)
			return
		}
		d.log.Warn("outbox: cannot record deliveries yet, trying again", "notices", len(batch), "first", batch[0].id, "err", batch[0].err)
		time.Sleep(wait)
	}
}

// settle hands each outcome's result (its err) to its send. A send whose
// row is written returns at once, not when the rest of its batch is done:
// one row the database refuses must not hold the others' sends (and the
// lane's workers) back.
func settle(batch []*outcome) {
	for _, o := range batch {
		o.done <- o.err
	}
}

// giveUp is when writeOutcomes stops trying a batch: when the earliest of
// its claims' leases ends, but not before one attempt had its time (a
// batch that waited behind another for the whole lease is still worth a
// try: its outcomes are what was sent).
func (d *Dispatcher) giveUp(batch []*outcome) time.Time {
	now := time.Now()
	giveUp := now.Add(d.Lease)
	for _, o := range batch {
		if !o.leaseEnds.IsZero() && o.leaseEnds.Before(giveUp) {
			giveUp = o.leaseEnds
		}
	}
	if first := now.Add(d.attemptTimeout()); giveUp.Before(first) {
		return first
	}
	return giveUp
}

// writeEach writes the rows of a batch the database refused one at a
// time (a batch of one was refused as it is), records a row refused alone
// reduced, settles those written, and returns the others. It stops at the
// first row that fails for another reason than a refusal: then the
// database is failing everything (it went away meanwhile), and the rest
// would fail too, each a statement and perhaps a dial.
func (d *Dispatcher) writeEach(r *reserve, batch []*outcome, giveUp time.Time) []*outcome {
	for i, o := range batch {
		if len(batch) > 1 {
			o.err = d.writeBatch(r, []*outcome{o}, giveUp)
		}
		if o.err == nil || (store.Refused(o.err) && d.writeReduced(r, o, giveUp)) {
			settle([]*outcome{o})
			continue
		}
		for _, rest := range batch[i+1:] {
			rest.err = o.err
		}
		return batch[i:]
	}
	return nil
}

// writeReduced writes, for an outcome the database refused, the least the
// notice must not go without: the claim released, and the status and
// sent_at the send decided (a sent notice must not stay claimed: after the
// lease it would be sent again), with a short note instead of the
// receipt, the error and the try given back, any of which may be what the
// database refused. It reports whether o is settled: written so, or
// refused that too (then the send is told so; its notice stays claimed
// and goes out again after the lease). Not when the database went away
// meanwhile: o is to be tried again with the others.
func (d *Dispatcher) writeReduced(r *reserve, o *outcome, giveUp time.Time) bool {
	err := d.writeBatch(r, []*outcome{reduced(o)}, giveUp)
	switch {
	case err == nil:
		d.log.Error("outbox: the database refused a delivery's outcome; recorded without its receipt and error", "id", o.id, "err", o.err)
		o.err = nil
	case store.Refused(err):
		o.err = fmt.Errorf("the database refused its outcome (%v), and without its receipt and error too: %w", o.err, err)
	default:
		o.err = err
		return false
	}
	return true
}

// reduced is o without what the database may have refused: see
// writeReduced.
func reduced(o *outcome) *outcome {
	note := "outcome could not be recorded"
	if code := store.ErrorCode(o.err); code != "" {
		note += ": " + code
	}
	return &outcome{id: o.id, status: o.status, sentAt: o.sentAt, nextAttemptAt: o.nextAttemptAt, lastError: &note}
}

// attemptTimeout bounds one statement of outcomes, so that one hung on a
// dead connection — a database whose host dropped off the network never
// answers, and a new connection waits out the driver's dial — gives way
// to the next attempt on a new connection well within the lease.
func (d *Dispatcher) attemptTimeout() time.Duration {
	return min(10*time.Second, max(d.Lease/4, time.Second))
}

// writeBatch is one statement for the batch: each changed column a CASE
// over the rows' ids, which MariaDB, MySQL, TiDB and SQLite all run.
func (d *Dispatcher) writeBatch(r *reserve, batch []*outcome, giveUp time.Time) error {
	var sql strings.Builder
	args := make([]any, 0, 8*len(batch))
	sql.WriteString("UPDATE notices SET claimed_until = NULL")
	// column writes "SET head CASE id WHEN … THEN … ELSE other END" over
	// the rows value has a value for, nothing if none has.
	column := func(head, other string, value func(o *outcome) (any, bool)) {
		started := false
		for _, o := range batch {
			v, ok := value(o)
			if !ok {
				continue
			}
			if !started {
				sql.WriteString(", " + head + " CASE id")
				started = true
			}
			sql.WriteString(" WHEN ? THEN ?")
			args = append(args, o.id, v)
		}
		if started {
			sql.WriteString(" ELSE " + other + " END")
		}
	}
	column("status =", "status", func(o *outcome) (any, bool) {
		if o.status == nil {
			return nil, false
		}
		return string(*o.status), true
	})
	column("sent_at =", "sent_at", func(o *outcome) (any, bool) {
		if o.sentAt == nil {
			return nil, false
		}
		return *o.sentAt, true
	})
	column("receipt =", "receipt", func(o *outcome) (any, bool) {
		if o.receipt == nil {
			return nil, false
		}
		return *o.receipt, true
	})
	column("last_error =", "last_error", func(o *outcome) (any, bool) {
		if o.lastError == nil {
			return nil, false
		}
		return *o.lastError, true
	})
	column("next_attempt_at =", "next_attempt_at", func(o *outcome) (any, bool) {
		if o.nextAttemptAt == nil {
			return nil, false
		}
		return *o.nextAttemptAt, true
	})
	column("attempts = attempts -", "0", func(o *outcome) (any, bool) {
		return 1, o.giveBackTry
	})
	sql.WriteString(" WHERE id IN (")
	for i, o := range batch {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("?")
		args = append(args, o.id)
	}
	sql.WriteString(")")
	// Bounded: see attemptTimeout. Not beyond giveUp either, but each
	// attempt gets its time: giveUp leaves room for one.
	deadline := time.Now().Add(d.attemptTimeout())
	if giveUp.After(time.Now()) && giveUp.Before(deadline) {
		deadline = giveUp
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return r.do(ctx, d.db, func(db *gorm.DB) error {
		return db.Exec(sql.String(), args...).Error
	})
}

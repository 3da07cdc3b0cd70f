// Package outbox delivers the notices that use cases wrote in their
// transactions. A notice is claimed with a lease so that several bbcs
// replicas never send it twice; a failure is retried with backoff, so a
// platform outage delays messages but never loses them.
package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/internal/par"
	"bbcs/models"
)

// Dispatcher delivers due notices through a Sender.
type Dispatcher struct {
	db     *gorm.DB
	clock  clock.Clock
	sender bot.Sender
	log    *slog.Logger
	// Lease is how long a claim holds before another replica may retry.
	Lease time.Duration
	// MaxAttempts is when a notice is given up on (status failed).
	MaxAttempts int
	// MaxAge bounds how long a notice is retried before it is marked
	// failed, so an operator sees it in the console.
	MaxAge time.Duration
	// Batch is how many notices one pass delivers at most.
	Batch int
	// Workers is how many notices of a lane go out at once, each to a
	// recipient of its own (a claim in flight holds its recipient's next
	// back). Under a load that saturates the machine every send waits for
	// the CPU, the database and Redis with the webhooks' requests: the
	// citizens' menus keep up only with this many side by side (bench/load's
	// closed loop: 32 fell seconds behind).
	Workers int
	// ClaimGap is the least time between two claims of a lane in Run.
	ClaimGap time.Duration
	// ClockGoesBack is set when the clock is the test clock (clock.fake),
	// which POST /debug/clock can move back and forth: see pass and
	// agedOut.
	ClockGoesBack bool
	// One kick per lane: see lanes.
	kick [2]chan struct{}
	// Each lane's outcomes waiting to be written: see outcomes.
	outcomes [2]outcomes
}

// The outbox delivers in two lanes, each with a loop of its own (Run): a
// citizen's private messages — the dialog's menus, the receipt, the
// answer — and everything else (group cards, staff's private messages,
// leaders' and supervision's notices). A citizen in the middle of a report
// waits for the next menu; a burst of staff work or a group held up by its
// platform's rate limit must not queue in front of it. The lanes split by
// audience, so each recipient's notices stay in one lane and in order.
const (
	laneCitizens = iota // audience applicant
	laneOthers          // every other audience
)

var laneNames = [2]string{"citizens", "others"}

// New returns a Dispatcher with sensible defaults.
func New(db *gorm.DB, clk clock.Clock, sender bot.Sender, log *slog.Logger) *Dispatcher {
	return &Dispatcher{db: db, clock: clk, sender: sender, log: log, Lease: time.Minute, MaxAttempts: 20, MaxAge: 24 * time.Hour, Batch: 100, Workers: 128, ClaimGap: 10 * time.Millisecond,
		kick: [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}}
}

// Kick wakes Run for a pass now: a reply in a chat dialog should not wait
// for the next tick.
func (d *Dispatcher) Kick() {
	for _, k := range d.kick {
		select {
		case k <- struct{}{}:
		default: // a pass is already due
		}
	}
}

// Run delivers due notices every interval until ctx ends, each lane in a
// loop of its own.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	r := d.newReserve()
	defer r.close()
	var wg sync.WaitGroup
	for lane := range d.kick {
		wg.Go(func() { d.runLane(ctx, r, interval, lane) })
	}
	wg.Wait()
}

// runLane is a lane's loop: it claims what is due as workers come free
// and sends each claimed notice at once in a goroutine of its own, never
// more than Workers at a time. A pass does not wait for the slowest send
// of the one before: a citizen's menu written now goes out as soon as a
// worker is free, not after a whole batch. A claimed notice in flight
// holds its recipient's later ones back (they are not the recipient's
// oldest pending), as in DeliverDue.
func (d *Dispatcher) runLane(ctx context.Context, r *reserve, interval time.Duration, lane int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var busy sync.WaitGroup
	defer busy.Wait()
	slots := make(chan struct{}, d.Workers)
	var lastClaim time.Time
	for {
		for ctx.Err() == nil {
			free := d.Workers - len(slots)
			if free <= 0 {
				break // a finishing send kicks the lane
			}
			// Under load, kicks come with every message: claims at most
			// every ClaimGap take what came meanwhile together, instead of
			// a claim (two statements, and a scan of the lane's pending
			// notices) for each notice.
			if wait := d.ClaimGap - time.Since(lastClaim); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			lastClaim = time.Now()
			limit := min(free, d.Batch)
			mine, err := d.claim(ctx, r, lane, limit)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("outbox pass failed", "lane", laneNames[lane], "err", err)
				}
				break
			}
			for i := range mine {
				slots <- struct{}{} // never waits: at most free were claimed
				busy.Go(func() {
					defer func() {
						<-slots
						d.kickLane(lane) // room for the next, and the recipient's next is its oldest now
					}()
					if ctx.Err() != nil {
						return // a claim not tried is retried after the lease
					}
					if _, err := d.deliver(ctx, r, &mine[i]); err != nil {
						d.log.Error("outbox delivery failed", "lane", laneNames[lane], "err", err)
					}
				})
			}
			if len(mine) < limit {
				break // nothing more is due now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.kick[lane]:
		}
	}
}

func (d *Dispatcher) kickLane(lane int) {
	select {
	case d.kick[lane] <- struct{}{}:
	default:
	}
}

// DeliverDue sends the notices due now, the citizens' first, and returns
// how many were sent. It goes in passes; each sends, for each recipient,
// its oldest pending notice if that one is due. A recipient's notices thus
// arrive in the order they were written: while the first waits out a
// platform's failure or rate limit, the ones after it wait too, and none
// overtakes another.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for lane := range d.kick {
		sent, err := d.deliverLane(ctx, lane)
		total += sent
		if err != nil || ctx.Err() != nil {
			return total, err
		}
	}
	return total, nil
}

// deliverLane is DeliverDue for one lane.
func (d *Dispatcher) deliverLane(ctx context.Context, lane int) (int, error) {
	total := 0
	for total < 10*d.Batch { // then let the caller breathe; the rest go next time
		sent, err := d.pass(ctx, lane)
		total += sent
		if err != nil || sent == 0 || ctx.Err() != nil {
			return total, err
		}
	}
	return total, nil
}

// pass claims up to Batch notices of a lane and sends them, Workers at a
// time, returning when all have been tried.
func (d *Dispatcher) pass(ctx context.Context, lane int) (int, error) {
	mine, err := d.claim(ctx, nil, lane, d.Batch)
	if err != nil {
		return 0, err
	}
	// Each notice of a pass has a recipient of its own, so sending them
	// side by side keeps every recipient's order.
	sent, errs := make([]bool, len(mine)), make([]error, len(mine))
	par.Each(len(mine), d.Workers, func(i int) {
		if ctx.Err() == nil { // a claim not tried is retried after the lease
			sent[i], errs[i] = d.deliver(ctx, nil, &mine[i])
		}
	})
	n := 0
	for _, ok := range sent {
		if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// claim takes up to limit of a lane's notices that are due now: of each
// recipient, its oldest pending notice, if that one is due and nobody
// holds it.
func (d *Dispatcher) claim(ctx context.Context, r *reserve, lane, limit int) (mine []models.Notice, err error) {
	err = r.do(ctx, d.db, func(db *gorm.DB) error {
		mine, err = d.claimOn(db, lane, limit)
		return err
	})
	return mine, err
}

func (d *Dispatcher) claimOn(db *gorm.DB, lane, limit int) ([]models.Notice, error) {
	now := d.clock.Now()
	// The statements are written out rather than built by GORM: a lane
	// claims every 10 ms under load, and building them (subquery
	// included) cost more CPU than running them (bench/load's profile).
	free, isDue := "(claimed_until IS NULL OR claimed_until < ?)", "(next_attempt_at <= ?)"
	freeArgs, dueArgs := []any{now}, []any{now}
	if d.ClockGoesBack {
		// Nothing bbcs writes waits longer than the horizon (retries and
		// rate limits wait ten minutes at most, a claim a lease), so with
		// a clock that went back a date beyond it was written before the
		// move, and counts as now. Re-dating such rows when the clock
		// moves would race a write that read the clock just before; its
		// notice would then hold up its recipient's later ones for months.
		// Not with a real clock: a replica whose clock runs minutes behind
		// would take the others' claims for free.
		horizon := now.Add(max(d.Lease, 10*time.Minute) + 5*time.Minute)
		free, isDue = "(claimed_until IS NULL OR claimed_until < ? OR claimed_until > ?)", "(next_attempt_at <= ? OR next_attempt_at > ?)"
		freeArgs, dueArgs = append(freeArgs, horizon), append(dueArgs, horizon)
	}
	var heads string
	var headArgs []any
	if lane == laneCitizens {
		// A citizen has a notice or two pending at most: the lane's due
		// notices in order, each kept if no older one of its citizen is
		// pending (an index probe): with 600 waiting, as under a
		// saturating load, a quarter to a sixth of the time of grouping
		// every pending notice.
		heads = "status = ? AND audience = ? AND NOT EXISTS (SELECT 1 FROM notices AS o " +
			"WHERE o.status = ? AND o.audience = notices.audience AND o.target = notices.target AND o.id < notices.id)"
		headArgs = []any{models.NoticePending, models.AudienceApplicant, models.NoticePending}
	} else {
		// A group's queue may be long (a robot takes 20 messages a
		// minute): the oldest of each recipient, by a grouping that reads
		// each recipient once.
		heads = "id IN (SELECT MIN(id) FROM notices WHERE status = ? AND audience <> ? GROUP BY audience, target)"
		headArgs = []any{models.NoticePending, models.AudienceApplicant}
	}
	args := append(append(append(dueArgs, freeArgs...), headArgs...), limit)
	due, err := scanNotices(db.Statement.ConnPool.QueryContext(db.Statement.Context,
		"SELECT "+noticeColumns+" FROM notices WHERE "+isDue+" AND "+free+" AND "+heads+" ORDER BY next_attempt_at, id LIMIT ?", args...))
	if err != nil {
		return nil, fmt.Errorf("outbox: list due notices: %w", err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	ids := make([]uint64, len(due))
	for i := range due {
		ids[i] = due[i].ID
	}
	// One statement claims the pass's notices, marked with a token so we
	// know which ones are ours where another replica claimed some first.
	token, until := claimToken(), now.Add(d.Lease)
	args = append([]any{until, token}, make([]any, 0, len(ids)+3)...)
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(append(args, models.NoticePending), freeArgs...)
	res, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, "UPDATE notices SET claimed_until = ?, claim_token = ?, attempts = attempts + 1 "+
		"WHERE id IN ("+strings.Repeat("?, ", len(ids)-1)+"?) AND status = ? AND "+free, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim notices: %w", err)
	}
	claimed, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("outbox: claim notices: %w", err)
	}
	if claimed == int64(len(due)) {
		// All ours, as they were read: no need to read them again.
		for i := range due {
			due[i].ClaimedUntil, due[i].ClaimToken = &until, token
			due[i].Attempts++
		}
		return due, nil
	}
	var mine []models.Notice
	if claimed > 0 {
		if err := db.Where("id IN ? AND claim_token = ?", ids, token).Order("next_attempt_at, id").Find(&mine).Error; err != nil {
			return nil, fmt.Errorf("outbox: read claimed notices: %w", err)
		}
	}
	return mine, nil
}

// noticeColumns are a notice's columns in the order scanNotices reads
// them. The text columns that may be NULL read as "", as GORM reads them.
const noticeColumns = "id, kind, audience, COALESCE(target, ''), COALESCE(case_no, ''), COALESCE(order_no, ''), payload, status, " +
	"next_attempt_at, claimed_until, COALESCE(claim_token, ''), once_key, attempts, COALESCE(last_error, ''), COALESCE(receipt, ''), sent_at, created_at"

// scanNotices reads the rows of a query selecting noticeColumns. Every
// claim reads its notices, under load every 10 ms: scanned through GORM's
// reflection they cost more CPU than the statement (bench/load's profile).
func scanNotices(rows *sql.Rows, err error) ([]models.Notice, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []models.Notice
	for rows.Next() {
		var n models.Notice
		if err := rows.Scan(&n.ID, &n.Kind, &n.Audience, &n.Target, &n.CaseNo, &n.OrderNo, &n.Payload, &n.Status, &n.NextAttemptAt,
			&n.ClaimedUntil, &n.ClaimToken, &n.OnceKey, &n.Attempts, &n.LastError, &n.Receipt, &n.SentAt, &n.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Reserved is how many of the database pool's connections Run holds for
// the outbox's own statements (claims and outcomes), when the pool has
// room for it (at least four times as many; not SQLite's one).
const Reserved = 8

// reserve is the connections Run holds. Under a load that keeps every
// pooled connection busy, the outbox's statements would otherwise queue
// with the webhooks' for one — a claim or an outcome waiting behind
// hundreds of requests — and a citizen's menu would arrive seconds after
// the message that asked for it. A nil reserve is the shared pool.
type reserve struct {
	pool  *sql.DB
	slots chan *sql.Conn // nil: not taken from the pool yet, or given back after an error
}

func (d *Dispatcher) newReserve() *reserve {
	pool, err := d.db.DB()
	if err != nil {
		return nil
	}
	if open := pool.Stats().MaxOpenConnections; open != 0 && open < 4*Reserved {
		return nil
	}
	r := &reserve{pool: pool, slots: make(chan *sql.Conn, Reserved)}
	// Taken now, before any load: a connection not to be had now (the
	// database is down) is taken at its first use.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range Reserved {
		c, _ := pool.Conn(ctx)
		r.slots <- c
	}
	return r
}

// do runs fn on one of the reserved connections (taking it from the pool
// the first time), or on the shared pool when r is nil.
func (r *reserve) do(ctx context.Context, db *gorm.DB, fn func(db *gorm.DB) error) error {
	if r == nil {
		return fn(db.WithContext(ctx))
	}
	var c *sql.Conn
	select {
	case c = <-r.slots:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c == nil {
		var err error
		if c, err = r.pool.Conn(ctx); err != nil {
			r.slots <- nil
			return err
		}
	}
	tx := db.WithContext(ctx)
	tx.Statement.ConnPool = c
	err := fn(tx)
	if err != nil {
		// Perhaps a broken connection: give it back, take another next time.
		c.Close()
		c = nil
	}
	r.slots <- c
	return err
}

// close gives the reserved connections back to the pool.
func (r *reserve) close() {
	if r == nil {
		return
	}
	for range Reserved {
		if c := <-r.slots; c != nil {
			c.Close()
		}
	}
}

// claimToken names one pass's claim.
func claimToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deliver sends one claimed notice and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, r *reserve, n *models.Notice) (bool, error) {
	leaseEnds := d.leaseEnds(n)
	receipt, sendErr := d.sender.Send(ctx, n)
	done := d.clock.Now()
	o := &outcome{id: n.ID, leaseEnds: leaseEnds}
	var deferred *bot.DeferredError
	switch {
	case errors.As(sendErr, &deferred):
		// A rate limit, not a failure: wait for room, without using up a try.
		// The platform's wait is in real time; the schedule in business
		// time: the same length from now on either clock.
		o.nextAttemptAt, o.giveBackTry = ptr(done.Add(deferred.After)), true
	case sendErr == nil:
		o.status, o.sentAt, o.receipt, o.lastError = ptr(models.NoticeSent), &done, ptr(truncate(receipt, 256)), ptr("")
	case bot.IsPermanent(sendErr) || d.exhausted(n, done):
		o.status, o.lastError = ptr(models.NoticeFailed), ptr(truncate(sendErr.Error(), 512))
		d.log.Error("notice given up", "id", n.ID, "kind", n.Kind, "case", n.CaseNo, "attempts", n.Attempts, "err", sendErr)
	default:
		o.nextAttemptAt, o.lastError = ptr(done.Add(Backoff(n.Attempts))), ptr(truncate(sendErr.Error(), 512))
		d.log.Warn("notice delivery failed, will retry", "id", n.ID, "kind", n.Kind, "case", n.CaseNo, "attempts", n.Attempts, "err", sendErr)
	}
	// The claim is ours: record the outcome even if ctx was cancelled
	// meanwhile, and keep trying while the lease holds — a sent notice
	// left unrecorded would go out again after the lease.
	if err := d.record(r, &d.outcomes[laneOf(n)], o); err != nil {
		return false, fmt.Errorf("outbox: record delivery of notice %d: %w", n.ID, err)
	}
	return sendErr == nil, nil
}

// leaseEnds is when n's claim ends by the wall clock, read before the
// send (which may take a while): its outcome is tried until then (see
// writeOutcomes). The claim is dated by the business clock, which the test
// clock may have moved: what is left of it is taken as a length, at most
// a lease.
func (d *Dispatcher) leaseEnds(n *models.Notice) time.Time {
	if n.ClaimedUntil == nil {
		return time.Time{}
	}
	left := min(max(n.ClaimedUntil.Sub(d.clock.Now()), 0), d.Lease)
	return time.Now().Add(left)
}

// laneOf is the lane a notice goes out in.
func laneOf(n *models.Notice) int {
	if n.Audience == models.AudienceApplicant {
		return laneCitizens
	}
	return laneOthers
}

func ptr[T any](v T) *T { return &v }

// exhausted reports whether n has been tried too often or too long to try
// again. A 好差评 record for the provincial platform never is: unlike a
// message, it is as good a week late, and none may be lost (issue 16), so
// through any outage it is tried at the backoff's cap until it goes.
func (d *Dispatcher) exhausted(n *models.Notice, now time.Time) bool {
	if n.Audience == models.AudienceProvince {
		return false
	}
	return n.Attempts >= d.MaxAttempts || d.agedOut(n, now)
}

// agedOut reports whether n has been retried past MaxAge. Not with the
// test clock: a jump of days there is a rehearsal moving on, not a
// platform failing for days, and would give up at its first failure a
// notice that waited through the move (MaxAttempts still bounds it).
func (d *Dispatcher) agedOut(n *models.Notice, now time.Time) bool {
	return !d.ClockGoesBack && now.Sub(n.CreatedAt) > d.MaxAge
}

// Backoff is the wait before attempt n+1: 2s, 4s, 8s … capped at 10 minutes.
func Backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 10)
	return min(d, 10*time.Minute)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary: MySQL refuses broken UTF-8.
	return strings.ToValidUTF8(s[:n], "")
}

// Backlog lists the notices not delivered yet, and those given up on,
// oldest first: what the console shows an operator during an outage.
func (d *Dispatcher) Backlog(ctx context.Context, limit int) (pending, failed []models.Notice, err error) {
	db := d.db.WithContext(ctx)
	if err := db.Where("status = ?", models.NoticePending).Order("id").Limit(limit).Find(&pending).Error; err != nil {
		return nil, nil, fmt.Errorf("outbox: list pending notices: %w", err)
	}
	if err := db.Where("status = ?", models.NoticeFailed).Order("id DESC").Limit(limit).Find(&failed).Error; err != nil {
		return nil, nil, fmt.Errorf("outbox: list failed notices: %w", err)
	}
	return pending, failed, nil
}

// Count is the number of notices in a status, for metrics.
func (d *Dispatcher) Count(ctx context.Context, status models.NoticeStatus) (int64, error) {
	var n int64
	if err := d.db.WithContext(ctx).Model(&models.Notice{}).Where("status = ?", status).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("outbox: count %s notices: %w", status, err)
	}
	return n, nil
}

// Retry puts a notice that was given up on back in line, once the cause
// (a revoked robot key, say) is fixed. It counts as new for MaxAge.
//
// A 好差评 record is a snapshot of its rating: one queued after it (the
// rectification or appeal since) holds the record as it is now, and the
// platform keeps what it got last, so the older one is not sent again.
func (d *Dispatcher) Retry(ctx context.Context, id uint64) error {
	now := d.clock.Now()
	var newer int64
	err := d.db.WithContext(ctx).Model(&models.Notice{}).
		Where("audience = ? AND id > ? AND target = (SELECT target FROM notices WHERE id = ? AND audience = ?)",
			models.AudienceProvince, id, id, models.AudienceProvince).Count(&newer).Error
	if err != nil {
		return fmt.Errorf("outbox: retry notice %d: %w", id, err)
	}
	if newer > 0 {
		return models.Errorf(models.ErrConflict, "通知 %d 是该好差评记录的旧版本，其后已有更新的版本（已发送，或在列表中可重新发送），旧版本不再发送", id)
	}
	res := d.db.WithContext(ctx).Model(&models.Notice{}).Where("id = ? AND status = ?", id, models.NoticeFailed).
		Updates(map[string]any{"status": models.NoticePending, "attempts": 0, "next_attempt_at": now, "created_at": now, "claimed_until": nil})
	if res.Error != nil {
		return fmt.Errorf("outbox: retry notice %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ErrConflict, "通知 %d 不是发送失败的通知", id)
	}
	d.Kick()
	return nil
}

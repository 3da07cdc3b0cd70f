package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/outbox"
	"bbcs/store"
)

// recorder is a Sender that records what it sent and fails while told to.
type recorder struct {
	mu       sync.Mutex
	sent     map[uint64]int
	failures int   // fail this many sends before succeeding
	fatal    error // fail every send with this
}

func (r *recorder) Send(_ context.Context, n *models.Notice) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal != nil {
		return "", r.fatal
	}
	if r.failures > 0 {
		r.failures--
		return "", errors.New("platform answered 503")
	}
	if r.sent == nil {
		r.sent = map[uint64]int{}
	}
	r.sent[n.ID]++
	return "msg-1", nil
}

func TestDeliversEachNoticeOnceAcrossReplicas(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	var notices []models.Notice
	for range 50 {
		notices = append(notices, models.Notice{
			Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: "realestate",
			CaseNo: "BB20260310-001", Payload: "{}", Status: models.NoticePending,
			NextAttemptAt: clk.Now(), CreatedAt: clk.Now(),
		})
	}
	if err := db.Create(&notices).Error; err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	// Two replicas deliver at once, pass after pass: the claim lets one of
	// them send each.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			d := outbox.New(db, clk, rec, testenv.Quiet())
			for idle := 0; idle < 3; {
				sent, err := d.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if sent == 0 {
					idle++
				}
			}
		})
	}
	wg.Wait()
	if len(rec.sent) != 50 {
		t.Errorf("%d notices sent, want 50", len(rec.sent))
	}
	for id, n := range rec.sent {
		if n != 1 {
			t.Errorf("notice %d sent %d times", id, n)
		}
	}
	var pending int64
	db.Model(&models.Notice{}).Where("status <> ?", models.NoticeSent).Count(&pending)
	if pending != 0 {
		t.Errorf("%d notices not marked sent", pending)
	}
}

func TestRetriesWithBackoffThenGivesUpOnPermanentErrors(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	n := models.Notice{Kind: models.NoticeOrderReplied, Audience: models.AudienceSupervision, Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	if err := db.Create(&n).Error; err != nil {
		t.Fatal(err)
	}
	rec := &recorder{failures: 2}
	d := outbox.New(db, clk, rec, testenv.Quiet())
	ctx := context.Background()

	if sent, _ := d.DeliverDue(ctx); sent != 0 {
		t.Fatalf("first try against a failing platform sent %d", sent)
	}
	// Not due again until its backoff has passed.
	if sent, _ := d.DeliverDue(ctx); sent != 0 || len(rec.sent) != 0 {
		t.Fatalf("retried before the backoff")
	}
	clk.Advance(outbox.Backoff(1))
	d.DeliverDue(ctx)
	clk.Advance(outbox.Backoff(2))
	if sent, _ := d.DeliverDue(ctx); sent != 1 {
		t.Fatalf("after recovery: sent %d, want 1", sent)
	}
	var got models.Notice
	db.First(&got, n.ID)
	if got.Status != models.NoticeSent || got.Attempts != 3 || got.Receipt != "msg-1" || got.SentAt == nil {
		t.Errorf("delivered notice: %+v", got)
	}
	if sent, _ := d.DeliverDue(ctx); sent != 0 {
		t.Errorf("a sent notice went out again")
	}

	// A permanent refusal is not retried.
	p := models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: "gone", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	db.Create(&p)
	rec.fatal = bot.Permanent(errors.New("group robot key revoked"))
	d.DeliverDue(ctx)
	var refused models.Notice
	db.First(&refused, p.ID)
	if got := refused; got.Status != models.NoticeFailed || got.LastError != "group robot key revoked" {
		t.Errorf("permanently refused notice: %+v", got)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	if outbox.Backoff(1) != 2*time.Second || outbox.Backoff(3) != 8*time.Second || outbox.Backoff(30) != 10*time.Minute {
		t.Errorf("backoff: %v %v %v", outbox.Backoff(1), outbox.Backoff(3), outbox.Backoff(30))
	}
}

// outage is a platform that refuses one group for a while, and records
// what each recipient received in order.
type outage struct {
	mu   sync.Mutex
	down map[string]bool
	got  map[string][]uint64
}

func (o *outage) Send(_ context.Context, n *models.Notice) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down[n.Target] {
		return "", errors.New("platform answered 502")
	}
	o.got[n.Target] = append(o.got[n.Target], n.ID)
	return "ok", nil
}

// A group whose platform is down for minutes: its notices wait, the other
// group's go out meanwhile, and after recovery they arrive in the order
// they were written, each once.
func TestARecipientsNoticesKeepTheirOrderThroughAnOutage(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	var ids = map[string][]uint64{}
	for i := range 12 {
		target := []string{"realestate", "tax"}[i%2]
		n := models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: target,
			CaseNo: "BB20260310-001", Payload: "{}", Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
		if err := db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		ids[target] = append(ids[target], n.ID)
		clk.Advance(time.Second) // written one after another; the first may be retried later than the rest are due
	}
	o := &outage{down: map[string]bool{"realestate": true}, got: map[string][]uint64{}}
	d := outbox.New(db, clk, o, testenv.Quiet())
	ctx := context.Background()
	drain := func() {
		for range 100 {
			if sent, err := d.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			} else if sent == 0 {
				return
			}
		}
	}
	for range 10 { // ten minutes of outage, the dispatcher trying on
		drain()
		clk.Advance(time.Minute)
	}
	if len(o.got["realestate"]) != 0 || !slices.Equal(o.got["tax"], ids["tax"]) {
		t.Fatalf("during the outage: %v", o.got)
	}
	var attempts int
	db.Model(&models.Notice{}).Where("id = ?", ids["realestate"][0]).Select("attempts").Scan(&attempts)
	var waiting int64
	db.Model(&models.Notice{}).Where("target = ? AND attempts = 0", "realestate").Count(&waiting)
	if attempts < 3 || waiting != 5 {
		t.Errorf("the first notice was tried %d times and %d of the 5 behind it were not tried: the ones behind must wait untried", attempts, waiting)
	}
	o.mu.Lock()
	o.down["realestate"] = false
	o.mu.Unlock()
	clk.Advance(outbox.Backoff(10))
	drain()
	if !slices.Equal(o.got["realestate"], ids["realestate"]) {
		t.Errorf("after recovery realestate received %v, want %v in that order", o.got["realestate"], ids["realestate"])
	}
}

// The test clock goes back months (POST /debug/clock) while a timer that
// read the old time is still writing its notice, or while a pass holds a
// claim: neither may hold up the recipient's later notices until the old
// time comes round again. A retry wait that is real (minutes) still holds.
func TestNoticesDatedBeforeTheClockWentBackDoNotHoldUpTheirRecipient(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	before := time.Date(2026, 11, 27, 13, 47, 19, 0, models.Shanghai) // the real time the clock was set back from
	claimed := before.Add(time.Minute)
	write := func(target string, next time.Time, claimedUntil *time.Time) uint64 {
		n := models.Notice{Kind: models.NoticeDutyMissed, Audience: models.AudienceSupervision, Target: target, Payload: "{}",
			Status: models.NoticePending, NextAttemptAt: next, ClaimedUntil: claimedUntil, CreatedAt: next}
		if err := db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	stale := write("", before, nil)
	staleClaim := write("", before, &claimed)
	now := write("", clk.Now(), nil)
	retrying := write("market", clk.Now().Add(outbox.Backoff(10)), nil) // a real ten-minute wait
	o := &outage{got: map[string][]uint64{}}
	d := outbox.New(db, clk, o, testenv.Quiet())
	// With a real clock a date is a date: a replica running behind must
	// not take the others' claims for free.
	if _, err := d.DeliverDue(context.Background()); err != nil || len(o.got[""]) != 0 {
		t.Fatalf("with a real clock, supervision received %v (%v); its head is not due", o.got[""], err)
	}
	d.ClockGoesBack = true
	for range 5 {
		if _, err := d.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []uint64{stale, staleClaim, now}; !slices.Equal(o.got[""], want) {
		t.Errorf("supervision received %v, want %v in that order", o.got[""], want)
	}
	if len(o.got["market"]) != 0 {
		t.Errorf("notice %d went out before its retry was due", retrying)
	}
}

// deferSender answers every send with a platform's rate limit.
type deferSender struct{ after time.Duration }

func (s deferSender) Send(context.Context, *models.Notice) (string, error) {
	return "", &bot.DeferredError{After: s.after, Reason: "rate limit"}
}

// A platform's rate-limit wait is real time; the outbox schedules in
// business time, which the test clock may have put days away from the
// wall clock. The wait is kept as a length: the notice is due that long
// from now by the business clock, and no try is used up.
func TestARateLimitWaitsItsLengthInBusinessTime(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai)) // months from the wall clock
	n := models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: "market", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	if err := db.Create(&n).Error; err != nil {
		t.Fatal(err)
	}
	d := outbox.New(db, clk, deferSender{after: 10 * time.Minute}, testenv.Quiet())
	d.ClockGoesBack = true
	d.DeliverDue(context.Background())
	var got models.Notice
	db.First(&got, n.ID)
	if want := clk.Now().Add(10 * time.Minute); !got.NextAttemptAt.Equal(want) || got.Attempts != 0 || got.Status != models.NoticePending {
		t.Errorf("rate-limited notice: next %s attempts %d %s, want next %s, no try used, pending", got.NextAttemptAt, got.Attempts, got.Status, want)
	}
}

// With the test clock a jump of days is not a platform failing for days:
// a notice that fails once after the clock moved is tried again, not given
// up for its age (MaxAge is for real outages, and the clock of record here
// is business time). MaxAttempts still bounds it.
func TestAMovedTestClockDoesNotAgeANoticeOut(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	n := models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: "market", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	if err := db.Create(&n).Error; err != nil {
		t.Fatal(err)
	}
	rec := &recorder{failures: 1}
	d := outbox.New(db, clk, rec, testenv.Quiet())
	d.ClockGoesBack = true // the test clock is on
	clk.Advance(72 * time.Hour)
	d.DeliverDue(context.Background())
	var got models.Notice
	db.First(&got, n.ID)
	if got.Status != models.NoticePending {
		t.Fatalf("after one failure three (test-clock) days on: %s %q, want pending", got.Status, got.LastError)
	}
	clk.Advance(outbox.Backoff(1))
	if sent, _ := d.DeliverDue(context.Background()); sent != 1 {
		t.Errorf("the retry sent %d, want 1", sent)
	}
}

// lanes is a platform on which group sends hang until released, as a
// busy or rate-limited platform does, while citizens' messages go through.
type lanes struct {
	release chan struct{}
	mu      sync.Mutex
	got     []uint64
	citizen chan uint64
}

func (l *lanes) Send(ctx context.Context, n *models.Notice) (string, error) {
	if n.Audience != models.AudienceApplicant {
		select {
		case <-l.release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	l.mu.Lock()
	l.got = append(l.got, n.ID)
	l.mu.Unlock()
	if n.Audience == models.AudienceApplicant {
		l.citizen <- n.ID
	}
	return "ok", nil
}

// A citizen's next menu, written after hundreds of group cards and staff
// messages whose platform is slow, goes out at once: citizens have a lane
// of their own, and each notice is still sent once.
func TestACitizensMenuIsNotQueuedBehindGroupNotices(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	var backlog []models.Notice
	for i := range 300 {
		aud, target := models.AudienceDepartment, []string{"realestate", "tax", "market"}[i%3]
		if i%2 == 1 {
			aud, target = models.AudienceStaff, fmt.Sprintf("s%03d", i) // a recipient each: all heads
		}
		backlog = append(backlog, models.Notice{Kind: models.NoticeWorkOrder, Audience: aud, Target: target, Payload: "{}",
			Status: models.NoticePending, NextAttemptAt: clk.Now().Add(-time.Minute), CreatedAt: clk.Now().Add(-time.Minute)})
	}
	if err := db.Create(&backlog).Error; err != nil {
		t.Fatal(err)
	}
	menu := models.Notice{Kind: models.NoticeDialogMenu, Audience: models.AudienceApplicant, Target: "o-citizen", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	if err := db.Create(&menu).Error; err != nil {
		t.Fatal(err)
	}
	l := &lanes{release: make(chan struct{}), citizen: make(chan uint64, 1)}
	d := outbox.New(db, clk, l, testenv.Quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, 50*time.Millisecond)
	}()
	d.Kick()
	select {
	case id := <-l.citizen:
		if id != menu.ID {
			t.Errorf("citizen received notice %d, want the menu %d", id, menu.ID)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the citizen's menu waited behind the group notices")
	}
	close(l.release) // the platform recovers: the backlog goes out
	waitAllSent(t, db, 20*time.Second)
	cancel()
	<-done
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[uint64]bool{}
	for _, id := range l.got {
		if seen[id] {
			t.Errorf("notice %d sent twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 301 {
		t.Errorf("%d notices sent, want 301", len(seen))
	}
}

// ordered records what each recipient received, in order.
type ordered struct {
	mu  sync.Mutex
	got map[string][]uint64
	n   int
}

func (o *ordered) Send(_ context.Context, n *models.Notice) (string, error) {
	time.Sleep(time.Millisecond) // a platform's round trip: sends overlap
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got[string(n.Audience)+":"+n.Target] = append(o.got[string(n.Audience)+":"+n.Target], n.ID)
	o.n++
	return "ok", nil
}

// Two replicas' Run loops, each sending a lane's notices as workers come
// free: every notice goes out once, and each recipient's in the order
// they were written.
func TestRunLoopsOfTwoReplicasSendOnceAndInOrder(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	want := map[string][]uint64{}
	for i := range 240 {
		aud, target := models.AudienceApplicant, fmt.Sprintf("o%02d", i%30)
		if i%3 == 0 {
			aud, target = models.AudienceStaff, fmt.Sprintf("s%02d", i%10)
		}
		n := models.Notice{Kind: models.NoticeDialogMenu, Audience: aud, Target: target, Payload: "{}",
			Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
		if err := db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		want[string(aud)+":"+target] = append(want[string(aud)+":"+target], n.ID)
	}
	o := &ordered{got: map[string][]uint64{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		d := outbox.New(db, clk, o, testenv.Quiet())
		d.Workers = 5
		wg.Go(func() { d.Run(ctx, 20*time.Millisecond) })
	}
	waitAllSent(t, db, 30*time.Second)
	cancel()
	wg.Wait()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n != 240 {
		t.Errorf("%d sends, want 240", o.n)
	}
	for r, ids := range want {
		if !slices.Equal(o.got[r], ids) {
			t.Errorf("%s received %v, want %v", r, o.got[r], ids)
		}
	}
}

// Every connection of the database pool but the outbox's own is held (as
// by hundreds of webhook requests under a saturating load): a citizen's
// menu still goes out at once, its claim and its outcome written on the
// connections Run reserved.
func TestRunDeliversWhileThePoolIsExhausted(t *testing.T) {
	dsn := testenv.MySQLDSN(t)
	open := func() *gorm.DB {
		db, err := store.OpenDatabase(dsn, "", testenv.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.CloseDatabase(db) })
		return db
	}
	db, other := open(), open()
	pool, _ := db.DB()
	pool.SetMaxOpenConns(4 * outbox.Reserved)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	o := &ordered{got: map[string][]uint64{}}
	d := outbox.New(db, clk, o, testenv.Quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, 20*time.Millisecond)
	}()
	for deadline := time.Now().Add(5 * time.Second); pool.Stats().InUse < outbox.Reserved; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Run holds %d connections, want %d", pool.Stats().InUse, outbox.Reserved)
		}
	}
	var held []*sql.Conn
	for pool.Stats().InUse < 4*outbox.Reserved {
		c, err := pool.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	menu := models.Notice{Kind: models.NoticeDialogMenu, Audience: models.AudienceApplicant, Target: "o-busy", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	if err := other.Create(&menu).Error; err != nil {
		t.Fatal(err)
	}
	d.Kick()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got models.Notice
		other.First(&got, menu.ID)
		if got.Status == models.NoticeSent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the pool exhausted the menu is %s after 5 s (sent %v)", got.Status, o.got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range held {
		c.Close()
	}
	cancel()
	<-done
	if s := pool.Stats(); s.InUse != 0 {
		t.Errorf("Run left %d connections in use", s.InUse)
	}
}

// waitAllSent waits until every notice in db is sent, failing the test
// when some are not within d.
func waitAllSent(t *testing.T, db *gorm.DB, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		var pending int64
		if err := db.Model(&models.Notice{}).Where("status <> ?", models.NoticeSent).Count(&pending).Error; err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notices still not sent", pending)
		}
	}
}

// A 好差评 record for the provincial platform is not a message that goes
// stale: through an outage longer than MaxAttempts and MaxAge it stays in
// line and goes out once the platform is back; a notice to a group, the
// same age and as often tried, is given up.
func TestAProvincialRecordOutlastsAnyOutage(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	old := clk.Now().Add(-72 * time.Hour)
	record := models.Notice{Kind: models.NoticeRatingRecord, Audience: models.AudienceProvince, Target: "BB20260307-001:1", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: old, Attempts: 40}
	card := models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceDepartment, Target: "market", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: old, Attempts: 40}
	for _, n := range []*models.Notice{&record, &card} {
		if err := db.Create(n).Error; err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{failures: 2}
	d := outbox.New(db, clk, rec, testenv.Quiet())
	d.DeliverDue(context.Background())
	var got, gotCard models.Notice
	db.First(&got, record.ID)
	db.First(&gotCard, card.ID)
	if got.Status != models.NoticePending || gotCard.Status != models.NoticeFailed {
		t.Fatalf("after three days and 40 tries: the record %s, the card %s; want pending and failed", got.Status, gotCard.Status)
	}
	clk.Advance(outbox.Backoff(got.Attempts))
	if sent, _ := d.DeliverDue(context.Background()); sent != 1 || rec.sent[record.ID] != 1 {
		t.Errorf("once the platform is back: sent %d, the record %d times; want it once", sent, rec.sent[record.ID])
	}
}

// 重新发送 of a 好差评 record refused by the platform does not send it
// again once a newer version of the same record was queued: the platform
// keeps what it got last, and that must be the record as it is now. The
// newest version, and any other failed notice, go back in line.
func TestRetryDoesNotResendAnOutdatedRecord(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	notice := func(aud models.Audience, target string, st models.NoticeStatus) uint64 {
		n := models.Notice{Kind: models.NoticeRatingRecord, Audience: aud, Target: target, Payload: "{}",
			Status: st, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
		if err := db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	v1 := notice(models.AudienceProvince, "BB20260310-001:1:realestate", models.NoticeFailed)
	other := notice(models.AudienceProvince, "BB20260310-002:1:realestate", models.NoticeFailed)
	v2 := notice(models.AudienceProvince, "BB20260310-001:1:realestate", models.NoticeFailed)
	card := notice(models.AudienceDepartment, "market", models.NoticeFailed)
	d := outbox.New(db, clk, &recorder{}, testenv.Quiet())
	ctx := context.Background()
	if err := d.Retry(ctx, v1); models.ErrorCode(err) != models.ErrConflict {
		t.Errorf("retrying the outdated version: %v, want a conflict", err)
	}
	for _, id := range []uint64{v2, other, card} {
		if err := d.Retry(ctx, id); err != nil {
			t.Errorf("retrying notice %d: %v", id, err)
		}
	}
	var st models.NoticeStatus
	db.Model(&models.Notice{}).Select("status").Where("id = ?", v1).Scan(&st)
	if st != models.NoticeFailed {
		t.Errorf("the outdated version is %s, want it left failed", st)
	}
}

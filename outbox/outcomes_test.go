package outbox_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/outbox"
	"bbcs/store"
)

// together is a platform whose answers all come at once: it holds each
// send until want of them are in flight (or a while has passed), then
// answers each by its notice's id — sent, rate-limited, refused for now or
// refused for good — so that the outcomes are written side by side.
type together struct {
	want    int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
	sent    map[uint64]int
}

func (p *together) Send(_ context.Context, n *models.Notice) (string, error) {
	p.mu.Lock()
	p.sent[n.ID]++
	p.arrived++
	if p.arrived == p.want {
		close(p.open)
	}
	p.mu.Unlock()
	select {
	case <-p.open:
	case <-time.After(5 * time.Second):
	}
	switch n.ID % 4 {
	case 0:
		return fmt.Sprintf("msg-%d", n.ID), nil
	case 1:
		return "", &bot.DeferredError{After: time.Duration(n.ID) * time.Second, Reason: "rate limit"}
	case 2:
		return "", fmt.Errorf("platform answered 503 for %d", n.ID)
	default:
		return "", bot.Permanent(fmt.Errorf("robot key of %d revoked", n.ID))
	}
}

// Sixty notices to sixty recipients answered at the same moment, in the
// four ways a platform answers: each row ends with its own outcome — none
// lost, none given to another row, none applied twice (a rate limit gives
// its try back once) — and nothing goes out twice. The outcomes are
// written in a few statements, not one per notice.
func TestOutcomesOfSendsFinishingTogetherAreEachRecordedOnce(t *testing.T) {
	outcomesRecordedOnce(t, testenv.MySQL(t))
}

// The same on the embedded default, SQLite: the batch's statement is
// portable.
func TestOutcomesOfSendsFinishingTogetherAreEachRecordedOnceOnSQLite(t *testing.T) {
	db, err := store.OpenDatabase("", filepath.Join(t.TempDir(), "bbcs.db"), testenv.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.CloseDatabase(db) })
	outcomesRecordedOnce(t, db)
}

func outcomesRecordedOnce(t *testing.T, db *gorm.DB) {
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	var notices []models.Notice
	for i := range 60 {
		aud := models.AudienceStaff
		if i%2 == 0 {
			aud = models.AudienceDepartment
		}
		notices = append(notices, models.Notice{Kind: models.NoticeWorkOrder, Audience: aud, Target: fmt.Sprintf("r%02d", i),
			Payload: "{}", Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()})
	}
	if err := db.Create(&notices).Error; err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	updates := 0
	db.Callback().Raw().After("gorm:raw").Register("test:count_outcomes", func(tx *gorm.DB) {
		mu.Lock()
		updates++
		mu.Unlock()
	})
	p := &together{want: 60, open: make(chan struct{}), sent: map[uint64]int{}}
	d := outbox.New(db, clk, p, testenv.Quiet())
	d.Workers = 60
	sent, err := d.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sent != 15 {
		t.Errorf("DeliverDue sent %d, want 15", sent)
	}
	// Nothing is due again now: the sent and refused are done, the others
	// wait for their retry.
	if again, err := d.DeliverDue(context.Background()); again != 0 || err != nil {
		t.Errorf("a second pass sent %d (%v), want 0", again, err)
	}
	for id, n := range p.sent {
		if n != 1 {
			t.Errorf("notice %d went out %d times", id, n)
		}
	}
	if len(p.sent) != 60 {
		t.Errorf("%d notices went out, want 60", len(p.sent))
	}
	mu.Lock()
	if updates == 0 || updates > 20 {
		t.Errorf("60 outcomes written in %d statements, want a few", updates)
	}
	mu.Unlock()
	var got []models.Notice
	if err := db.Order("id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range got {
		var bad []string
		if n.ClaimedUntil != nil {
			bad = append(bad, "still claimed")
		}
		switch n.ID % 4 {
		case 0:
			if n.Status != models.NoticeSent || n.Receipt != fmt.Sprintf("msg-%d", n.ID) || n.SentAt == nil || !n.SentAt.Equal(clk.Now()) || n.Attempts != 1 || n.LastError != "" {
				bad = append(bad, "want sent with its own receipt")
			}
		case 1:
			if n.Status != models.NoticePending || n.Attempts != 0 || !n.NextAttemptAt.Equal(clk.Now().Add(time.Duration(n.ID)*time.Second)) || n.SentAt != nil {
				bad = append(bad, "want pending, its try given back once, due after its own wait")
			}
		case 2:
			if n.Status != models.NoticePending || n.Attempts != 1 || !n.NextAttemptAt.Equal(clk.Now().Add(outbox.Backoff(1))) ||
				n.LastError != fmt.Sprintf("platform answered 503 for %d", n.ID) {
				bad = append(bad, "want pending for a retry after the backoff, with its own error")
			}
		default:
			if n.Status != models.NoticeFailed || n.Attempts != 1 || n.LastError != fmt.Sprintf("robot key of %d revoked", n.ID) || n.SentAt != nil {
				bad = append(bad, "want failed with its own error")
			}
		}
		if len(bad) > 0 {
			t.Errorf("notice %d: %v: status %s attempts %d next %s sent %v receipt %q error %q", n.ID, bad, n.Status, n.Attempts, n.NextAttemptAt, n.SentAt, n.Receipt, n.LastError)
		}
	}
}

// A send whose outcome is never written — bbcs stopped between the
// platform's answer and the write — leaves the notice claimed: after the
// lease it is claimed and sent again (at least once, never lost), and
// nothing else of its recipient overtakes it meanwhile.
func TestANoticeWhoseOutcomeWasNotWrittenGoesOutAgainAfterTheLease(t *testing.T) {
	db := testenv.MySQL(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	until := clk.Now().Add(time.Minute)
	first := models.Notice{Kind: models.NoticeDialogMenu, Audience: models.AudienceApplicant, Target: "o-1", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now(), ClaimedUntil: &until, ClaimToken: "crashed", Attempts: 1}
	second := models.Notice{Kind: models.NoticeDialogMenu, Audience: models.AudienceApplicant, Target: "o-1", Payload: "{}",
		Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()}
	for _, n := range []*models.Notice{&first, &second} {
		if err := db.Create(n).Error; err != nil {
			t.Fatal(err)
		}
	}
	o := &ordered{got: map[string][]uint64{}}
	d := outbox.New(db, clk, o, testenv.Quiet())
	if sent, err := d.DeliverDue(context.Background()); sent != 0 || err != nil {
		t.Fatalf("within the lease %d sent (%v), want none: the first is held, the second waits behind it", sent, err)
	}
	clk.Advance(time.Minute + time.Second)
	for range 3 {
		if _, err := d.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := o.got["applicant:o-1"]; len(got) != 2 || got[0] != first.ID || got[1] != second.ID {
		t.Errorf("after the lease the citizen received %v, want %d then %d", got, first.ID, second.ID)
	}
	var firstNow models.Notice
	db.First(&firstNow, first.ID)
	if firstNow.Status != models.NoticeSent || firstNow.Attempts != 2 {
		t.Errorf("the first notice after the lease: %s, %d attempts; want sent on its second", firstNow.Status, firstNow.Attempts)
	}
}

// databaseBehindLink is a database of the test's own, reached through a
// link the test can cut.
func databaseBehindLink(t *testing.T) (*gorm.DB, *testenv.Link) {
	t.Helper()
	cfg, err := mysqldrv.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	l := testenv.NewLink(t, cfg.Addr)
	cfg.Addr = l.Addr()
	db, err := store.OpenDatabase(cfg.FormatDSN(), "", testenv.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.CloseDatabase(db) })
	return db, l
}

// atOnce is a platform that holds each send until want of them are in
// flight, then calls cut (once) and answers them all: sent, each with its
// own receipt. It counts the sends of each notice.
type atOnce struct {
	want    int
	cut     func()
	mu      sync.Mutex
	arrived int
	open    chan struct{}
	sent    map[uint64]int
}

func (p *atOnce) Send(_ context.Context, n *models.Notice) (string, error) {
	p.mu.Lock()
	p.sent[n.ID]++
	p.arrived++
	if p.arrived == p.want {
		if p.cut != nil {
			p.cut()
		}
		close(p.open)
	}
	p.mu.Unlock()
	select {
	case <-p.open:
	case <-time.After(5 * time.Second):
	}
	return fmt.Sprintf("msg-%d", n.ID), nil
}

func (p *atOnce) times(id uint64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[id]
}

// staffNotices writes n notices due now, each to a staff member of its own.
func staffNotices(t *testing.T, db *gorm.DB, clk clock.Clock, n int) []models.Notice {
	t.Helper()
	var notices []models.Notice
	for i := range n {
		notices = append(notices, models.Notice{Kind: models.NoticeWorkOrder, Audience: models.AudienceStaff, Target: fmt.Sprintf("s%02d", i),
			Payload: "{}", Status: models.NoticePending, NextAttemptAt: clk.Now(), CreatedAt: clk.Now()})
	}
	if err := db.Create(&notices).Error; err != nil {
		t.Fatal(err)
	}
	return notices
}

// countStatements counts the raw statements run on db (the outcomes'
// UPDATEs among them) from when counting is switched on.
func countStatements(db *gorm.DB) (start func(), count func() int64) {
	var on atomic.Bool
	var n atomic.Int64
	db.Callback().Raw().Before("gorm:raw").Register("test:count_statements", func(*gorm.DB) {
		if on.Load() {
			n.Add(1)
		}
	})
	return func() { on.Store(true) }, n.Load
}

// deliverWithin runs DeliverDue and fails the test when it has not
// returned within limit: a send must not wait for its outcome for longer
// than the claim's lease.
func deliverWithin(t *testing.T, d *outbox.Dispatcher, limit time.Duration) (int, error) {
	t.Helper()
	type result struct {
		sent int
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		sent, err := d.DeliverDue(context.Background())
		done <- result{sent, err}
	}()
	select {
	case r := <-done:
		t.Logf("DeliverDue returned after %s: %d sent, err %v", time.Since(start).Round(time.Millisecond), r.sent, r.err)
		return r.sent, r.err
	case <-time.After(limit):
		t.Fatalf("DeliverDue still waiting for its outcomes after %s (lease %s)", limit, d.Lease)
		return 0, nil
	}
}

// The database's host drops off the network for half a second just as
// sixty sends finish, shorter than the claim's lease: the outcomes are
// written once it is back, in time — a write hung on a dead connection is
// given up and tried again on a new one — so each notice goes out once
// and ends sent with its own receipt.
func TestOutcomesAreWrittenWithinTheLeaseAfterTheDatabaseDropsOffTheNetwork(t *testing.T) {
	db, l := databaseBehindLink(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	notices := staffNotices(t, db, clk, 60)
	p := &atOnce{want: 60, open: make(chan struct{}), sent: map[uint64]int{}, cut: func() {
		l.Cut(testenv.Silent)
		time.AfterFunc(500*time.Millisecond, l.Restore)
	}}
	d := outbox.New(db, clk, p, testenv.Quiet())
	d.Lease = 8 * time.Second
	if sent, err := deliverWithin(t, d, d.Lease+2*time.Second); sent != 60 || err != nil {
		t.Errorf("DeliverDue sent %d (%v), want all 60 recorded", sent, err)
	}
	clk.Advance(d.Lease + time.Second) // a claim left unrecorded would be free again
	if again, err := d.DeliverDue(context.Background()); again != 0 || err != nil {
		t.Errorf("after the lease %d went out again (%v), want none", again, err)
	}
	var got []models.Notice
	if err := db.Order("id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range got {
		if n.Status != models.NoticeSent || n.Receipt != fmt.Sprintf("msg-%d", n.ID) || n.ClaimedUntil != nil || p.times(n.ID) != 1 {
			t.Errorf("notice %d: %s receipt %q claimed %v, sent %d times; want sent once with its own receipt", n.ID, n.Status, n.Receipt, n.ClaimedUntil, p.times(n.ID))
		}
	}
	if len(got) != len(notices) {
		t.Errorf("%d notices, want %d", len(got), len(notices))
	}
}

// The database refuses every connection for longer than the lease just as
// sixty sends finish: the outcomes are tried as one statement now and
// then, not row by row (sixty statements a round, for nothing), and the
// sends give up when the lease ends — after it another claim sends the
// notices again anyway.
func TestADatabaseOutageNeitherSplitsTheOutcomesNorOutlastsTheLease(t *testing.T) {
	db, l := databaseBehindLink(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	staffNotices(t, db, clk, 60)
	start, statements := countStatements(db)
	p := &atOnce{want: 60, open: make(chan struct{}), sent: map[uint64]int{}, cut: func() { l.Cut(testenv.Refused); start() }}
	d := outbox.New(db, clk, p, testenv.Quiet())
	d.Lease = 3 * time.Second
	began := time.Now()
	sent, err := deliverWithin(t, d, 3*d.Lease)
	if took := time.Since(began); took > d.Lease+2*time.Second {
		t.Errorf("the sends waited %s for their outcomes, the lease is %s", took.Round(time.Millisecond), d.Lease)
	}
	if sent != 0 || err == nil {
		t.Errorf("DeliverDue during the outage: %d sent (%v), want none recorded and an error", sent, err)
	}
	if n := statements(); n > 30 {
		t.Errorf("%d statements during a %s outage, want a few: outcomes are not split row by row when the database is unreachable", n, d.Lease)
	}
	l.Restore()
}

// One row the database refuses (here a trigger refuses the receipt of
// one notice) among twenty outcomes written together: the other nineteen
// are written at once, the refused one is tried alone and, refused again,
// recorded without what the database refused — sent, no longer claimed,
// with a note — and not after the whole lease: nothing goes out twice.
// When the database refuses every change to the row, the send reports it
// once the reduced row is refused too, not after the lease.
func TestARowTheDatabaseRefusesDoesNotHoldUpTheLane(t *testing.T) {
	for _, tc := range []struct {
		name, when string
		reduced    bool // the reduced outcome is taken
	}{
		{"its receipt", "NOT (NEW.receipt <=> OLD.receipt)", true},
		{"every change", "TRUE", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testenv.MySQL(t)
			clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
			notices := staffNotices(t, db, clk, 20)
			bad := notices[7].ID
			if err := db.Exec(fmt.Sprintf("CREATE TRIGGER refuse_one BEFORE UPDATE ON notices FOR EACH ROW "+
				"BEGIN IF NEW.id = %d AND NEW.claimed_until IS NULL AND %s THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END", bad, tc.when)).Error; err != nil {
				t.Fatal(err)
			}
			p := &atOnce{want: 20, open: make(chan struct{}), sent: map[uint64]int{}}
			d := outbox.New(db, clk, p, testenv.Quiet()) // a lease of a minute
			sent, err := deliverWithin(t, d, 5*time.Second)
			if tc.reduced && (sent != 20 || err != nil) {
				t.Errorf("DeliverDue: %d sent (%v), want 20", sent, err)
			}
			if !tc.reduced && (sent != 19 || err == nil || !strings.Contains(err.Error(), fmt.Sprint(bad))) {
				t.Errorf("DeliverDue: %d sent (%v), want 19 and the refusal of notice %d", sent, err, bad)
			}
			var got []models.Notice
			if err := db.Order("id").Find(&got).Error; err != nil {
				t.Fatal(err)
			}
			for _, n := range got {
				switch {
				case n.ID != bad:
					if n.Status != models.NoticeSent || n.Receipt != fmt.Sprintf("msg-%d", n.ID) || n.ClaimedUntil != nil {
						t.Errorf("notice %d: %s receipt %q claimed %v; want sent with its own receipt", n.ID, n.Status, n.Receipt, n.ClaimedUntil)
					}
				case tc.reduced:
					if n.Status != models.NoticeSent || n.SentAt == nil || n.Receipt != "" || n.ClaimedUntil != nil || n.LastError != "outcome could not be recorded: 1644" {
						t.Errorf("the refused notice: %s sent %v receipt %q claimed %v error %q; want sent, released, with a note", n.Status, n.SentAt, n.Receipt, n.ClaimedUntil, n.LastError)
					}
				default:
					if n.Status != models.NoticePending || n.ClaimedUntil == nil {
						t.Errorf("the notice refused every change: %s claimed %v; want it left as it was", n.Status, n.ClaimedUntil)
					}
				}
			}
			if tc.reduced {
				clk.Advance(d.Lease + time.Second)
				if again, err := d.DeliverDue(context.Background()); again != 0 || err != nil {
					t.Errorf("after the lease %d went out again (%v), want none", again, err)
				}
			}
			for _, n := range notices {
				if k := p.times(n.ID); k != 1 {
					t.Errorf("notice %d went out %d times", n.ID, k)
				}
			}
		})
	}
}

package outbox_test

import (
	"context"
	"fmt"
	"path/filepath"
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

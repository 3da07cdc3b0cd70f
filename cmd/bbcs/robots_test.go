package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/bot/live"
	"bbcs/casework"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/workday"
)

// Two replicas on one database: a department the other one added a
// moment ago, unknown to this one's directory copy, is looked for again
// at once, not after the copy's TTL; one it knows without a robot is not
// (that would read the whole directory for every notice to it).
func TestTheDirectoryCopyLooksAgainOnlyForStrangers(t *testing.T) {
	db := testenv.MySQL(t)
	cal, err := workday.New(workday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	replica := func() *casework.Service {
		return casework.New(db, clock.Real{}, cal, casework.Options{}, testenv.Quiet())
	}
	here, there := replica(), replica()
	ctx := context.Background()
	admin := models.Staff{ID: "admin", Name: "管理员", Role: models.RoleAdmin, Active: true}
	if err := here.SyncDirectory(ctx, casework.Directory{
		Departments: []models.Department{{Code: "tax", Name: "税务窗口", Platform: "wecom"}},
		Staff:       []models.Staff{admin},
	}); err != nil {
		t.Fatal(err)
	}
	reads := &countedReads{Service: here}
	to := live.NewRoutes(reads)
	if platform, key, _, err := to.Robot(ctx, "tax"); err != nil || platform != "wecom" || key != "" {
		t.Fatalf("tax, no robot: %q %q %v", platform, key, err)
	}
	first := reads.n.Load()

	if _, err := there.SaveDepartment(ctx, admin, models.Department{Code: "pension", Name: "社保窗口", Platform: "dingtalk",
		RobotKey: "tok", RobotSecret: "SEC", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := to.Robot(ctx, "tax"); err != nil || reads.n.Load() != first {
		t.Errorf("a known department without a robot read the directory again (readings %d → %d)", first, reads.n.Load())
	}
	time.Sleep(60 * time.Millisecond) // past the instant in which a copy is fresh enough
	platform, key, secret, err := to.Robot(ctx, "pension")
	if err != nil || platform != "dingtalk" || key != "tok" || secret != "SEC" {
		t.Errorf("a department added on the other replica: %q %q %q %v", platform, key, secret, err)
	}
}

// countedReads counts the readings of the directory (one reads every
// department). While hold is set, a reading waits until it is cleared or
// the caller gives up.
type countedReads struct {
	*casework.Service
	n    atomic.Int64
	hold atomic.Bool
}

func (c *countedReads) Departments(ctx context.Context) (map[string]models.Department, error) {
	for c.hold.Load() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	c.n.Add(1)
	return c.Service.Departments(ctx)
}

// A copy that has only aged is served while the next is read in the
// background: under load, every notice waited behind one reading of the
// directory (bench/load found 29 of the outbox's 33 senders so). An edit
// this replica made is read at once.
func TestAnAgedDirectoryCopyIsServedWhileTheNextIsRead(t *testing.T) {
	db := testenv.MySQL(t)
	cal, err := workday.New(workday.Options{})
	if err != nil {
		t.Fatal(err)
	}
	here := casework.New(db, clock.Real{}, cal, casework.Options{}, testenv.Quiet())
	ctx := context.Background()
	admin := models.Staff{ID: "admin", Name: "管理员", Role: models.RoleAdmin, Active: true}
	if err := here.SyncDirectory(ctx, casework.Directory{
		Departments: []models.Department{{Code: "tax", Name: "税务窗口", Platform: "wecom", RobotKey: "k1", Active: true}},
		Staff:       []models.Staff{admin},
	}); err != nil {
		t.Fatal(err)
	}
	reads := &countedReads{Service: here}
	to := live.NewRoutes(reads)
	if _, key, _, err := to.Robot(ctx, "tax"); err != nil || key != "k1" {
		t.Fatalf("tax: %q %v", key, err)
	}

	reads.hold.Store(true)              // the database is slow to answer the next reading
	time.Sleep(2100 * time.Millisecond) // the copy's TTL passes
	type robot struct {
		key string
		err error
	}
	got := make(chan robot, 1)
	go func() {
		_, key, _, err := to.Robot(ctx, "tax")
		got <- robot{key, err}
	}()
	select {
	case r := <-got:
		if r.err != nil || r.key != "k1" {
			t.Fatalf("an aged copy while the next reading is slow: %q %v; want the copy in hand", r.key, r.err)
		}
	case <-time.After(3 * time.Second):
		reads.hold.Store(false)
		t.Fatal("a notice's route waited for the directory's next reading instead of using the copy in hand")
	}
	before := reads.n.Load()
	reads.hold.Store(false)
	for deadline := time.Now().Add(5 * time.Second); reads.n.Load() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the aged copy was never read again")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := here.SaveDepartment(ctx, admin, models.Department{Code: "tax", Name: "税务窗口", Platform: "wecom",
		RobotKey: "k2", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, key, _, err := to.Robot(ctx, "tax"); err != nil || key != "k2" {
		t.Errorf("after this replica's edit: %q %v; want the new robot key k2 at once", key, err)
	}
}

package main

import (
	"context"
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
	first := reads.n

	if _, err := there.SaveDepartment(ctx, admin, models.Department{Code: "pension", Name: "社保窗口", Platform: "dingtalk",
		RobotKey: "tok", RobotSecret: "SEC", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := to.Robot(ctx, "tax"); err != nil || reads.n != first {
		t.Errorf("a known department without a robot read the directory again (readings %d → %d)", first, reads.n)
	}
	time.Sleep(60 * time.Millisecond) // past the instant in which a copy is fresh enough
	platform, key, secret, err := to.Robot(ctx, "pension")
	if err != nil || platform != "dingtalk" || key != "tok" || secret != "SEC" {
		t.Errorf("a department added on the other replica: %q %q %q %v", platform, key, secret, err)
	}
}

// countedReads counts the readings of the directory (one reads every
// department).
type countedReads struct {
	*casework.Service
	n int
}

func (c *countedReads) Departments(ctx context.Context) (map[string]models.Department, error) {
	c.n++
	return c.Service.Departments(ctx)
}

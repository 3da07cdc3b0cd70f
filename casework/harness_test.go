package casework_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/workday"
)

// harness is the demo centre (three departments and staff in every role,
// testenv.Demo) with li and chen on duty on 2026-03-10, on a database of
// the test's own, with a frozen clock.
type harness struct {
	t     *testing.T
	ctx   context.Context
	db    *gorm.DB
	clock *clock.Fake
	cal   *workday.Calendar
	svc   *casework.Service
	staff map[string]models.Staff
}

var shanghai = models.Shanghai

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func newHarness(t *testing.T, now string) *harness {
	t.Helper()
	return newHarnessOn(t, testenv.MySQL(t), now)
}

// newHarnessOn is newHarness on db, a migrated database of the test's own.
func newHarnessOn(t *testing.T, db *gorm.DB, now string) *harness {
	t.Helper()
	cal := testenv.Calendar(t)
	h := &harness{t: t, ctx: context.Background(), db: db, clock: clock.NewFrozen(at(now)), cal: cal}
	h.svc = casework.New(h.db, h.clock, cal, casework.Options{}, testenv.Quiet())
	dir := testenv.Demo(t)
	dir.Roster = []models.DutyDay{{Date: "2026-03-10", SpecialistID: "li", LeaderID: "chen"}}
	if err := h.svc.SyncDirectory(h.ctx, dir); err != nil {
		t.Fatal(err)
	}
	h.staff = map[string]models.Staff{}
	for _, st := range dir.Staff {
		st.Active = true
		h.staff[st.ID] = st
	}
	return h
}

func (h *harness) as(id string) models.Staff {
	st, ok := h.staff[id]
	if !ok {
		h.t.Fatalf("no staff %s", id)
	}
	return st
}

// walkIn registers a walk-in case with the specialist wang.
func (h *harness) walkIn() *models.Case {
	h.t.Helper()
	c, err := h.svc.Register(h.ctx, h.as("wang"), casework.Registration{
		ApplicantName: "李女士", ApplicantMobile: "13800138000", Category: models.CategoryNotCompleted,
		Matter: "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。", Channel: models.ChannelWalkIn,
	})
	if err != nil {
		h.t.Fatalf("register: %v", err)
	}
	return c
}

func (h *harness) get(no string) *casework.Detail {
	h.t.Helper()
	d, err := h.svc.Get(h.ctx, no)
	if err != nil {
		h.t.Fatalf("get %s: %v", no, err)
	}
	return d
}

func (h *harness) orderOf(no, dept string) models.WorkOrder {
	h.t.Helper()
	for _, o := range h.get(no).Orders {
		if o.DepartmentCode == dept {
			return o
		}
	}
	h.t.Fatalf("case %s has no order for %s", no, dept)
	return models.WorkOrder{}
}

// notices lists the outbox rows of a case.
func (h *harness) notices(no string) []models.Notice {
	h.t.Helper()
	var list []models.Notice
	if err := h.db.Where("case_no = ?", no).Order("id").Find(&list).Error; err != nil {
		h.t.Fatal(err)
	}
	return list
}

func (h *harness) noticesOf(no string, kind models.NoticeKind, aud models.Audience) []models.Notice {
	var out []models.Notice
	for _, n := range h.notices(no) {
		if n.Kind == kind && n.Audience == aud {
			out = append(out, n)
		}
	}
	return out
}

// snapshot is what a refused use case must leave unchanged.
type snapshot struct {
	status  models.CaseStatus
	events  int
	notices int
	orders  []models.WorkOrder
	updated time.Time
}

func (h *harness) snap(no string) snapshot {
	d := h.get(no)
	return snapshot{status: d.Case.Status, events: len(d.Timeline), notices: len(h.notices(no)), orders: d.Orders}
}

func (h *harness) unchanged(no string, before snapshot) {
	h.t.Helper()
	after := h.snap(no)
	if after.status != before.status || after.events != before.events || after.notices != before.notices || len(after.orders) != len(before.orders) {
		h.t.Fatalf("a refused use case changed case %s: before %+v, after %+v", no, before, after)
	}
	for i := range after.orders {
		a, b := after.orders[i], before.orders[i]
		if a.Status != b.Status || !a.Deadline().Equal(b.Deadline()) || a.Result != b.Result {
			h.t.Fatalf("a refused use case changed order %s: %+v → %+v", a.No, b, a)
		}
	}
}

// wantErr checks a refusal's code and that its message says what matters.
func wantErr(t *testing.T, err error, code models.Code, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got none", code)
	}
	if got := models.ErrorCode(err); got != code {
		t.Fatalf("want code %s, got %s (%v)", code, got, err)
	}
	msg := models.ErrorMessage(err)
	for _, s := range contains {
		if !containsStr(msg, s) {
			t.Fatalf("message %q does not mention %q", msg, s)
		}
	}
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }

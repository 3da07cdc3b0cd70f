package casework_test

import (
	"path/filepath"
	"testing"

	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/store"
)

// The embedded default runs on SQLite: the statements written by hand for
// the citizen's hottest paths (the case number's progress, 查询's list, the
// dialog's menus) run there too, and read what they read on MariaDB.
func TestCitizensStatementsOnSQLite(t *testing.T) {
	db, err := store.OpenDatabase("", filepath.Join(t.TempDir(), "x.db"), testenv.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(db); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, db, "2026-03-10 10:00")
	c := h.walkIn()
	h.sameProgress(c.No, "owner_assigned")
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	o := h.orderOf(c.No, "realestate")
	_, err = h.svc.Sign(h.ctx, h.as("zhang"), o.No)
	must(t, "sign", err)
	_, err = h.svc.Extend(h.ctx, h.as("zhang"), o.No, "2026-03-20", "需调取档案")
	must(t, "extend", err)
	h.sameProgress(c.No, "extended")

	c2, err := h.svc.Register(h.ctx, h.as("li"), casework.Registration{ApplicantName: "王先生", ApplicantMobile: "13900139000",
		Category: models.CategoryNotCompleted, Matter: "营业执照变更一个月没有消息", Channel: models.ChannelServiceAccount, OpenID: "o-sqlite"})
	must(t, "register", err)
	lines, err := h.svc.CitizenCases(h.ctx, "o-sqlite", 5)
	must(t, "list", err)
	if len(lines) != 1 || lines[0].No != c2.No || lines[0].Status != models.CaseRegistered || lines[0].Category != models.CategoryNotCompleted {
		t.Errorf("the citizen's cases: %+v, want %s alone", lines, c2.No)
	}
	for range 2 { // the same message handled again tells once
		must(t, "tell", h.svc.TellOnceFor(h.ctx, "msg-1", models.NoticeDialogMenu, models.AudienceApplicant, "o-sqlite", models.NoticeData{Text: "请选择"}))
	}
	var n int64
	must(t, "count", h.db.Model(&models.Notice{}).Where("once_key = ? AND target = ? AND status = ?", "msg-1", "o-sqlite", models.NoticePending).Count(&n).Error)
	if n != 1 {
		t.Errorf("notices told once for msg-1: %d, want 1", n)
	}
}

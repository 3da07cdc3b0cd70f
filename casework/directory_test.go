package casework_test

import (
	"slices"
	"strings"
	"testing"

	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// Config and the console both manage the directory: a restart with config
// unchanged keeps what the console set, a change in config wins for the
// entry it changed, and what config drops is retired while what the
// console created stays.
func TestDirectoryNewerChangeWins(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	admin := h.as("admin")
	dir := casework.Directory{
		Departments: []models.Department{{Code: "tax", Name: "税务窗口", Platform: "wecom"}, {Code: "market", Name: "市场监管窗口", Platform: "dingtalk"}},
		Staff: []models.Staff{{ID: "admin", Name: "管理员", Role: models.RoleAdmin}, {ID: "wang", Name: "王芳", Role: models.RoleSpecialist},
			{ID: "sun", Name: "孙丽", Role: models.RoleWindowStaff, DepartmentCode: "tax"}},
		Roster: []models.DutyDay{{Date: "2026-03-11", SpecialistID: "wang"}},
	}
	sync := func() {
		t.Helper()
		if err := h.svc.SyncDirectory(h.ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	dept := func(code string) models.Department {
		t.Helper()
		all, err := h.svc.AllDepartments(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range all {
			if d.Code == code {
				return d
			}
		}
		t.Fatalf("no department %s", code)
		return models.Department{}
	}
	staff := func(id string) models.Staff {
		t.Helper()
		st, err := h.svc.Staff(h.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	roster := func() []models.DutyDay {
		t.Helper()
		days, err := h.svc.Roster(h.ctx, "2026-03-01", "2026-03-31")
		if err != nil {
			t.Fatal(err)
		}
		return days
	}
	sync()
	if _, err := h.svc.SaveDepartment(h.ctx, admin, models.Department{Code: "tax", Name: "税务综合窗口", Platform: "wecom", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SaveStaff(h.ctx, admin, casework.StaffChange{Staff: models.Staff{ID: "xu", Name: "徐静", Role: models.RoleSpecialist, Active: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SaveStaff(h.ctx, admin, casework.StaffChange{Staff: models.Staff{ID: "sun", Name: "孙丽", Role: models.RoleWindowStaff, DepartmentCode: "tax", WeComUserID: "sunli2", Active: true}}); err != nil {
		t.Fatal(err)
	}

	sync() // a restart, config unchanged
	if d := dept("tax"); d.Name != "税务综合窗口" {
		t.Errorf("a restart undid the console's rename: %q", d.Name)
	}
	if st := staff("sun"); st.WeComUserID != "sunli2" {
		t.Errorf("a restart undid the console's user id: %q", st.WeComUserID)
	}
	if days := roster(); len(days) != 1 || days[0].SpecialistID != "wang" {
		t.Fatalf("config's roster day: %+v", days)
	}

	dir.Departments[0].Name = "税务局窗口" // config changed the entry since
	dir.Staff = dir.Staff[:2]         // and dropped 孙丽
	dir.Roster = nil
	sync()
	if d := dept("tax"); d.Name != "税务局窗口" {
		t.Errorf("config's newer name did not win: %q", d.Name)
	}
	if st := staff("sun"); st.Active {
		t.Errorf("a person config dropped is still active")
	}
	if st := staff("xu"); !st.Active {
		t.Errorf("the console's new specialist was retired by a config sync")
	}
	if days := roster(); len(days) != 0 {
		t.Errorf("config dropped its roster day but it stayed: %+v", days)
	}

	// Config names her again, as she was: she is back.
	dir.Staff = append(dir.Staff, models.Staff{ID: "sun", Name: "孙丽", Role: models.RoleWindowStaff, DepartmentCode: "tax"})
	sync()
	if st := staff("sun"); !st.Active {
		t.Errorf("a person config named again is still retired")
	}
}

// Only the administrator edits the directory, and a bad entry changes
// nothing.
func TestDirectoryEditsAreChecked(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	if _, err := h.svc.SaveDepartment(h.ctx, h.as("ma"), models.Department{Code: "tax", Name: "x"}); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("the supervision section renaming a department: %v", err)
	}
	cases := []casework.StaffChange{
		{Staff: models.Staff{ID: "Xu Jing", Name: "徐静", Role: models.RoleSpecialist}},
		{Staff: models.Staff{ID: "xu", Name: "徐静", Role: "boss"}},
		{Staff: models.Staff{ID: "xu", Name: "徐静", Role: models.RoleWindowStaff}},
		{Staff: models.Staff{ID: "xu", Name: "徐静", Role: models.RoleWindowStaff, DepartmentCode: "nowhere"}},
		{Staff: models.Staff{ID: "xu", Name: "徐静", Role: models.RoleSpecialist, Mobile: "123"}},
	}
	for _, c := range cases {
		if _, err := h.svc.SaveStaff(h.ctx, h.as("admin"), c); models.ErrorCode(err) != models.ErrInvalid {
			t.Errorf("%+v: %v, want a refusal", c.Staff, err)
		}
	}
	if _, err := h.svc.Staff(h.ctx, "xu"); err == nil {
		t.Errorf("a refused entry was written")
	}
	if err := h.svc.SaveDutyDay(h.ctx, h.as("admin"), models.DutyDay{Date: "2026-03-11", SpecialistID: "zhang"}); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("window staff on specialist duty: %v", err)
	}
}

// The 主要负责领导 is managed in the console too: when the person config
// names is retired there, escalations go to the principal leader the
// directory has now.
func TestThePrincipalLeaderFollowsTheConsole(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.svc = casework.New(h.db, h.clock, h.cal, casework.Options{Principal: "zhou"}, testenv.Quiet())
	admin := h.as("admin")
	for _, st := range []models.Staff{
		{ID: "zhou", Name: "周主任", Role: models.RolePrincipalLeader},
		{ID: "qin", Name: "秦主任", Role: models.RolePrincipalLeader, Active: true},
	} {
		if _, err := h.svc.SaveStaff(h.ctx, admin, casework.StaffChange{Staff: st}); err != nil {
			t.Fatal(err)
		}
	}
	c := h.dispatched("realestate", "market")
	h.clock.Set(at("2026-03-11 09:30"))
	if _, err := h.svc.Escalate(h.ctx, h.as("zhang"), "GD20260310-001-1", "需市场监管与不动产联合认定", nil); err != nil {
		t.Fatal(err)
	}
	if o := h.orderOf(c.No, "realestate"); o.EscalatedTo != "qin" {
		t.Errorf("escalated to %q, want 秦主任, the principal the console left active", o.EscalatedTo)
	}
}

// The centre's own settings are managed in config and the console like
// the directory (R10): the rotation set in the console decides the owner
// of the next service-account case, a restart with config unchanged keeps
// it, and a change in config wins. Secrets left blank keep their values;
// bad ones are refused with nothing changed.
func TestSettingsFromConfigAndTheConsole(t *testing.T) {
	h := newHarness(t, "2026-03-11 10:00") // no roster day: the rotation decides
	admin := h.as("admin")
	reg := casework.Registration{ApplicantName: "张先生", ApplicantMobile: "13912345678", Category: models.CategoryOther,
		Matter: "咨询", Channel: models.ChannelServiceAccount, OpenID: "oOPENID1"}
	owner := func() string {
		t.Helper()
		c, err := h.svc.Register(h.ctx, casework.Applicant("张先生"), reg)
		if err != nil {
			t.Fatal(err)
		}
		return c.OwnerID
	}
	if err := h.svc.SaveRotation(h.ctx, admin, []string{"zhang"}); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("window staff in the rotation: %v", err)
	}
	if err := h.svc.SaveRotation(h.ctx, h.as("wang"), []string{"li"}); models.ErrorCode(err) != models.ErrForbidden {
		t.Errorf("a specialist setting the rotation: %v", err)
	}
	// On the 11th the harness's rotation [wang, li] gives the turn to li:
	// the console's [wang] must decide instead.
	if err := h.svc.SaveRotation(h.ctx, admin, []string{"wang"}); err != nil {
		t.Fatal(err)
	}
	if got := owner(); got != "wang" {
		t.Errorf("with the console's rotation [wang], the case went to %s", got)
	}

	config := models.Settings{Rotation: []string{"wang", "li"}} // as the harness synced it
	config.WeCom = models.WeComApp{CorpID: "wwcorp", AgentID: "1000002", Secret: "config-secret"}
	if err := h.svc.SyncDirectory(h.ctx, casework.Directory{Staff: allStaff(h), Settings: models.Settings{Rotation: []string{"wang", "li"}}}); err != nil {
		t.Fatal(err)
	}
	if got := owner(); got != "wang" {
		t.Errorf("a restart with config unchanged should keep the console's rotation; the case went to %s", got)
	}
	if err := h.svc.SyncDirectory(h.ctx, casework.Directory{Staff: allStaff(h), Settings: config}); err != nil {
		t.Fatal(err)
	}
	s, err := h.svc.Settings(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.WeCom.Secret != "config-secret" || len(s.Rotation) != 1 {
		t.Errorf("config changed WeCom only: %+v, rotation %v", s.WeCom, s.Rotation)
	}

	// Saved again with the secret left blank (the form never holds it): kept.
	if err := h.svc.SaveWeComApp(h.ctx, admin, models.WeComApp{CorpID: "wwcorp", AgentID: "1000002"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []models.WeComApp{
		{CorpID: "wwcorp2", AgentID: "1000002"}, // another corp: the old app's secret is not its
		{CorpID: "wwcorp", AgentID: "abc"},
		{CorpID: "wwcorp", AgentID: "1000002", EncodingAESKey: "short"},
		{CorpID: "wwcorp", AgentID: "1000002", BotToken: "tok"}, // a robot token with no key
		{CorpID: "ww corp", AgentID: "1000002"},
	} {
		if err := h.svc.SaveWeComApp(h.ctx, admin, bad); models.ErrorCode(err) != models.ErrInvalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if err := h.svc.SaveWeChatApp(h.ctx, admin, models.WeChatApp{AppID: "wx123"}); models.ErrorCode(err) != models.ErrInvalid {
		t.Errorf("an AppID with no secret or token: %v", err)
	}
	for _, bad := range []models.CentreGroup{{Platform: "wecom", Key: "k", Secret: "s"}, {Key: "k"}} {
		if err := h.svc.SaveCentreGroup(h.ctx, admin, models.SettingLeaders, bad); models.ErrorCode(err) != models.ErrInvalid {
			t.Errorf("leaders' group %+v: %v", bad, err)
		}
	}
	if err := h.svc.SaveCentreGroup(h.ctx, admin, models.SettingLeaders, models.CentreGroup{Platform: "dingtalk", Key: "tok", Secret: "SEC1"}); err != nil {
		t.Fatal(err)
	}
	// A new 加签 secret with the key left blank: the key stays, the secret changes.
	if err := h.svc.SaveCentreGroup(h.ctx, admin, models.SettingLeaders, models.CentreGroup{Platform: "dingtalk", Secret: "SEC2"}); err != nil {
		t.Fatal(err)
	}
	if s, err = h.svc.Settings(h.ctx); err != nil {
		t.Fatal(err)
	}
	if s.WeCom != (models.WeComApp{CorpID: "wwcorp", AgentID: "1000002", Secret: "config-secret"}) || s.Leaders.Key != "tok" || s.Leaders.Secret != "SEC2" {
		t.Errorf("settings now: %+v, leaders %+v", s.WeCom, s.Leaders)
	}

	// Secrets kept out of the file: config names the app, the console holds
	// its secret, and config then changes another field — the secret stays.
	// Config naming another app takes the secret away.
	if err := h.svc.SaveWeComApp(h.ctx, admin, models.WeComApp{CorpID: "wwcorp", AgentID: "1000002", Secret: "console-secret"}); err != nil {
		t.Fatal(err)
	}
	config.WeCom = models.WeComApp{CorpID: "wwcorp", AgentID: "1000002", BotToken: "bt", BotEncodingAESKey: strings.Repeat("k", 43)}
	if err := h.svc.SyncDirectory(h.ctx, casework.Directory{Staff: allStaff(h), Settings: config}); err != nil {
		t.Fatal(err)
	}
	if s, err = h.svc.Settings(h.ctx); err != nil {
		t.Fatal(err)
	}
	if s.WeCom.Secret != "console-secret" || s.WeCom.BotToken != "bt" {
		t.Errorf("config changed the robot's token: %+v", s.WeCom)
	}
	config.WeCom.AgentID = "1000003"
	if err := h.svc.SyncDirectory(h.ctx, casework.Directory{Staff: allStaff(h), Settings: config}); err != nil {
		t.Fatal(err)
	}
	if s, err = h.svc.Settings(h.ctx); err != nil {
		t.Fatal(err)
	}
	if s.WeCom.Secret != "" || s.WeCom.AgentID != "1000003" || s.WeCom.BotToken != "bt" {
		t.Errorf("config named another app: %+v", s.WeCom)
	}
}

// allStaff is everyone the harness knows, as config would name them.
func allStaff(h *harness) []models.Staff {
	list, err := h.svc.AllStaff(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// A department's robot entered in the console only (its key kept out of
// the file) survives config changing the department's other fields.
func TestConsoleRobotSurvivesAConfigChange(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	tax := models.Department{Code: "tax", Name: "税务窗口", Platform: "wecom"}
	dir := casework.Directory{Departments: []models.Department{tax}, Staff: allStaff(h)}
	if err := h.svc.SyncDirectory(h.ctx, dir); err != nil {
		t.Fatal(err)
	}
	console := tax
	console.Active, console.RobotKey = true, "console-key"
	if _, err := h.svc.SaveDepartment(h.ctx, h.as("admin"), console); err != nil {
		t.Fatal(err)
	}
	dir.Departments[0].ParentUnit = "县税务局"
	if err := h.svc.SyncDirectory(h.ctx, dir); err != nil {
		t.Fatal(err)
	}
	depts, err := h.svc.AllDepartments(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(depts, func(d models.Department) bool { return d.Code == "tax" })
	if i < 0 || depts[i].RobotKey != "console-key" || depts[i].ParentUnit != "县税务局" {
		t.Errorf("after config changed the parent: %+v", depts)
	}
}

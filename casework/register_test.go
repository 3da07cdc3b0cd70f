package casework_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/models"
)

func TestRegisterWalkInMakesTheReceiverTheOwner(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	if c.No != "BB20260310-001" {
		t.Errorf("case number = %s, want BB20260310-001", c.No)
	}
	d := h.get(c.No)
	if d.Case.Status != models.CaseRegistered || d.Case.OwnerID != "wang" || d.Owner.Name != "王芳" {
		t.Errorf("case = %s owner %s, want registered with 王芳 (第五条: the receiver owns it)", d.Case.Status, d.Case.OwnerID)
	}
	if !d.Case.AcceptedAt.Equal(at("2026-03-10 10:00")) {
		t.Errorf("accepted at %v", d.Case.AcceptedAt)
	}
	if len(d.Timeline) != 2 || d.Timeline[0].Action != "registered" || d.Timeline[1].Action != "owner_assigned" || d.Timeline[0].ActorName != "王芳" {
		t.Errorf("timeline = %+v", d.Timeline)
	}
	receipts := h.noticesOf(c.No, models.NoticeCaseReceived, models.AudienceApplicant)
	if len(receipts) != 1 {
		t.Fatalf("applicant receipts = %d, want 1", len(receipts))
	}
	data, _ := receipts[0].Data()
	if data.OwnerName != "王芳" || data.MaskedMobile != "138****8000" {
		t.Errorf("receipt payload = %+v", data)
	}
	if got := len(h.noticesOf(c.No, models.NoticeOwnerAssigned, models.AudienceStaff)); got != 0 {
		t.Errorf("the owner registered it herself; owner notices = %d, want 0", got)
	}
	// No notice anywhere carries the full mobile.
	for _, n := range h.notices(c.No) {
		if regexp.MustCompile(`13800138000`).MatchString(n.Payload) {
			t.Errorf("notice %s carries the full mobile: %s", n.Kind, n.Payload)
		}
	}
}

func TestRegisterFromServiceAccountGoesToTheSpecialistOnDuty(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00") // the roster names 李明 for this day
	reg := casework.Registration{
		ApplicantName: "张先生", ApplicantMobile: "13912345678", Category: models.CategoryAttitude,
		Matter: "窗口工作人员态度差", Channel: models.ChannelServiceAccount, OpenID: "oOPENID1",
	}
	c, err := h.svc.Register(h.ctx, casework.Applicant("张先生"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if c.OwnerID != "li" {
		t.Errorf("owner = %s, want li from the roster", c.OwnerID)
	}
	if n := h.noticesOf(c.No, models.NoticeOwnerAssigned, models.AudienceStaff); len(n) != 1 || n[0].Target != "li" {
		t.Errorf("owner notices = %+v, want one to li", n)
	}
	if n := h.noticesOf(c.No, models.NoticeCaseReceived, models.AudienceApplicant); len(n) != 1 || n[0].Target != "oOPENID1" {
		t.Errorf("receipt = %+v, want one to the openid", n)
	}

	// Without a roster entry the rotation decides, one turn per working day.
	owners := map[string]bool{}
	for _, day := range []string{"2026-03-11 09:00", "2026-03-12 09:00"} {
		h.clock.Set(at(day))
		c, err := h.svc.Register(h.ctx, casework.Applicant("张先生"), reg)
		if err != nil {
			t.Fatal(err)
		}
		owners[c.OwnerID] = true
	}
	if !owners["wang"] || !owners["li"] {
		t.Errorf("two consecutive working days went to %v, want both specialists in turn", owners)
	}
}

func TestRegisterRefusesBadForms(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	good := casework.Registration{
		ApplicantName: "李女士", ApplicantMobile: "13800138000", Category: models.CategoryOther,
		Matter: "事项", Channel: models.ChannelPhone,
	}
	cases := []struct {
		name   string
		change func(r *casework.Registration)
		want   string
	}{
		{"short mobile", func(r *casework.Registration) { r.ApplicantMobile = "1380013800" }, "手机号"},
		// A landline with its area code is a telephone (issue 14); a cut one is not.
		{"short landline", func(r *casework.Registration) { r.ApplicantMobile = "0739-55512" }, "固定电话"},
		{"no category", func(r *casework.Registration) { r.Category = "" }, "请选择事项类别"},
		{"no name", func(r *casework.Registration) { r.ApplicantName = "  " }, "反映人姓名"},
		{"no matter", func(r *casework.Registration) { r.Matter = "" }, "反映事项"},
		{"bad category", func(r *casework.Registration) { r.Category = "rude" }, "事项类别"},
		{"company without name", func(r *casework.Registration) { r.ApplicantKind = models.ApplicantCompany }, "企业名称"},
		{"bad channel", func(r *casework.Registration) { r.Channel = "fax" }, "反映渠道"},
		{"unknown department", func(r *casework.Registration) { r.Departments = []string{"nope"} }, "部门 nope 不存在"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.change(&r)
			_, err := h.svc.Register(h.ctx, h.as("wang"), r)
			code := models.ErrInvalid
			if tc.name == "unknown department" {
				code = models.ErrNotFound
			}
			wantErr(t, err, code, tc.want)
		})
	}
	_, err := h.svc.Register(h.ctx, h.as("zhang"), good)
	wantErr(t, err, models.ErrForbidden, "无权")
	var n int64
	h.db.Model(&models.Case{}).Count(&n)
	if n != 0 {
		t.Errorf("refused registrations stored %d cases", n)
	}
}

// 200 concurrent registrations on MariaDB take 200 distinct numbers.
func TestCaseNumbersStayUniqueUnderConcurrency(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	const n = 200
	var wg sync.WaitGroup
	nos := make(chan string, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := h.svc.Register(h.ctx, h.as("wang"), casework.Registration{
				ApplicantName: fmt.Sprintf("申请人%d", i), ApplicantMobile: "13800138000",
				Category: models.CategoryOther, Matter: "并发登记", Channel: models.ChannelWalkIn,
			})
			if err != nil {
				errs <- err
				return
			}
			nos <- c.No
		}()
	}
	wg.Wait()
	close(nos)
	close(errs)
	for err := range errs {
		t.Errorf("register: %v", err)
	}
	seen := map[string]bool{}
	for no := range nos {
		if seen[no] {
			t.Errorf("case number %s handed out twice", no)
		}
		seen[no] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct case numbers, want %d", len(seen), n)
	}
	for i := 1; i <= n; i++ {
		if no := fmt.Sprintf("BB20260310-%03d", i); !seen[no] {
			t.Errorf("numbers have a gap: %s missing", no)
		}
	}
}

func TestHandover(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.walkIn()
	before := h.snap(c.No)
	_, err := h.svc.Handover(h.ctx, h.as("wang"), c.No, "li", "")
	wantErr(t, err, models.ErrInvalid, "交接原因")
	_, err = h.svc.Handover(h.ctx, h.as("wang"), c.No, "zhang", "下班")
	wantErr(t, err, models.ErrInvalid, "不是在岗的接诉即办专员")
	_, err = h.svc.Handover(h.ctx, h.as("li"), c.No, "li", "我来")
	wantErr(t, err, models.ErrForbidden, "首接负责人是王芳")
	h.unchanged(c.No, before)

	if _, err := h.svc.Handover(h.ctx, h.as("wang"), c.No, "li", "轮休，交李明跟进"); err != nil {
		t.Fatal(err)
	}
	d := h.get(c.No)
	last := d.Timeline[len(d.Timeline)-1]
	if d.Case.OwnerID != "li" || last.Action != "handed_over" || last.Note != "王芳 → 李明，原因：轮休，交李明跟进" {
		t.Errorf("after handover: owner %s, last event %+v", d.Case.OwnerID, last)
	}
	if n := h.noticesOf(c.No, models.NoticeHandedOver, models.AudienceStaff); len(n) != 1 || n[0].Target != "li" {
		t.Errorf("handover notices = %+v", n)
	}
	// The old owner may no longer act for the case.
	_, err = h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"tax"}, "", false)
	wantErr(t, err, models.ErrForbidden)
}

func TestCheckInOnTimeAndLate(t *testing.T) {
	h := newHarness(t, "2026-03-10 08:20")
	ci, err := h.svc.CheckIn(h.ctx, h.as("li"))
	if err != nil || ci.Late {
		t.Fatalf("08:20 check-in: %+v, %v; want on time", ci, err)
	}
	_, err = h.svc.CheckIn(h.ctx, h.as("li"))
	wantErr(t, err, models.ErrConflict, "已签到")
	// 王芳 is not on duty on the 10th (the roster names 李明): coming in
	// late to help is not late for duty.
	h.clock.Set(at("2026-03-10 08:45"))
	ci, err = h.svc.CheckIn(h.ctx, h.as("wang"))
	if err != nil || ci.Late {
		t.Fatalf("08:45 check-in of a specialist not on duty: %+v, %v; want not late", ci, err)
	}
	// On the 11th the rotation gives a turn; whoever has it and comes at
	// 08:45 is late, and a deduction is proposed at once.
	h.clock.Set(at("2026-03-11 08:45"))
	var onDuty string
	for _, id := range []string{"wang", "li"} {
		ci, err = h.svc.CheckIn(h.ctx, h.as(id))
		if err != nil {
			t.Fatal(err)
		}
		if ci.Late {
			onDuty = id
		}
	}
	if onDuty == "" {
		t.Fatalf("the specialist on duty checking in at 08:45 is not late (R2, feeds R9)")
	}
	var ds []models.Deduction
	if err := h.db.Find(&ds).Error; err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Rule != models.RuleDutyLate || ds[0].Status != models.DeductionProposed || !strings.Contains(ds[0].Reason, "迟到，08:45 签到") {
		t.Errorf("deductions after one late check-in: %+v", ds)
	}
	// A rest day: nobody is late.
	h.clock.Set(at("2026-03-14 10:00"))
	if ci, err = h.svc.CheckIn(h.ctx, h.as(onDuty)); err != nil || ci.Late {
		t.Errorf("a Saturday check-in: %+v, %v; want not late", ci, err)
	}
	_, err = h.svc.CheckIn(h.ctx, h.as("zhang"))
	wantErr(t, err, models.ErrForbidden)
}

// A service-account report delivered again (WeChat's retry after a crash)
// returns the case the first delivery registered: one case, one receipt,
// and the day's numbering goes on without a gap.
func TestRegisterIsIdempotentBySource(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	r := casework.Registration{ApplicantName: "钱先生", ApplicantMobile: "13500135000", Category: models.CategoryOther,
		Matter: "咨询", Channel: models.ChannelServiceAccount, OpenID: "oQian", SourceID: "wechat:9001"}
	first, err := h.svc.Register(h.ctx, casework.Applicant("钱先生"), r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.svc.Register(h.ctx, casework.Applicant("钱先生"), r)
	if err != nil || again.No != first.No {
		t.Fatalf("the same source registered again: %v, %+v", err, again)
	}
	if n := len(h.noticesOf(first.No, models.NoticeCaseReceived, models.AudienceApplicant)); n != 1 {
		t.Errorf("%d receipts", n)
	}
	r.SourceID = "wechat:9002"
	next, err := h.svc.Register(h.ctx, casework.Applicant("钱先生"), r)
	if err != nil || next.No != "BB20260310-002" {
		t.Errorf("the next case is %+v (%v), want BB20260310-002", next, err)
	}
}

// The database restored from a backup taken before the day's first case,
// while bbcs runs on: the counter row it made that morning is gone, and
// the next case is the day's first again, not a failure.
func TestRegisterMakesTheDaysCounterAgainWhenItWent(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	first := h.walkIn()
	for _, table := range []any{&models.CaseCounter{}, &models.TimelineEvent{}, &models.Notice{}, &models.Case{}} {
		if err := h.db.Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(table).Error; err != nil {
			t.Fatal(err)
		}
	}
	again := h.walkIn()
	if first.No != "BB20260310-001" || again.No != "BB20260310-001" {
		t.Errorf("case numbers %s then, after the restore, %s; want BB20260310-001 both times", first.No, again.No)
	}
	if next := h.walkIn(); next.No != "BB20260310-002" {
		t.Errorf("the next case is %s, want BB20260310-002", next.No)
	}
}

// 第四条: the roster's specialist for the day, if still active; else the
// rotation's turn among its active specialists (a name that is not a
// specialist, or has left, takes no turn); else the first specialist on
// file; and when there is none, a message that says what to configure.
func TestTheOwnerOnDutyWhenTheRosterCannotSay(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00") // the roster names 李明 (li) for this day
	reg := casework.Registration{
		ApplicantName: "张先生", ApplicantMobile: "13912345678", Category: models.CategoryAttitude,
		Matter: "窗口工作人员态度差", Channel: models.ChannelServiceAccount, OpenID: "oOnDuty",
	}
	owner := func(what string) string {
		t.Helper()
		c, err := h.svc.Register(h.ctx, casework.Applicant("张先生"), reg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return c.OwnerID
	}
	setActive := func(id string, active bool) {
		t.Helper()
		must(t, "staff", h.db.Model(&models.Staff{}).Where("id = ?", id).Update("active", active).Error)
	}
	setRotation := func(ids ...string) {
		t.Helper()
		rows := models.Settings{Rotation: ids}.Rows()
		for _, r := range rows {
			if r.Name == models.SettingRotation {
				must(t, "rotation", h.db.Save(&r).Error)
			}
		}
	}

	if got := owner("the roster"); got != "li" {
		t.Errorf("owner = %s, want li from the roster", got)
	}
	setActive("li", false) // 李明 has left: the rotation decides, without her
	setRotation("zhang", "li", "wang")
	if got := owner("the rotation"); got != "wang" {
		t.Errorf("owner = %s, want wang: the only active specialist in the rotation (zhang is window staff, li has left)", got)
	}
	setRotation()
	setActive("li", true)
	h.clock.Set(at("2026-03-11 10:00")) // no roster entry, no rotation
	if got := owner("the first on file"); got != "li" {
		t.Errorf("owner = %s, want li, the first specialist on file", got)
	}
	setActive("li", false)
	setActive("wang", false)
	_, err := h.svc.Register(h.ctx, casework.Applicant("张先生"), reg)
	wantErr(t, err, models.ErrNotFound, "当前没有值班的接诉即办专员，请管理员配置值班表（duty.roster）")
}

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"bbcs/internal/testenv"
	"bbcs/models"
)

// at moves the test clock and gives the timers and the outbox a moment.
func (g *groupsApp) at(now string) {
	g.t.Helper()
	g.setClock(now)
	time.Sleep(400 * time.Millisecond)
}

func (g *groupsApp) actions(no string) map[string]int {
	g.t.Helper()
	n := map[string]int{}
	for _, e := range g.get(no).Timeline {
		n[e.Action]++
	}
	return n
}

// kinds counts the outbox rows of a case by kind→audience:target.
func (g *groupsApp) kinds(no string) map[string]int {
	n := map[string]int{}
	for _, x := range g.notices(no) {
		n[string(x.Kind)+"→"+string(x.Audience)+":"+x.Target]++
	}
	return n
}

// An order received on Thursday 2026-09-24, before 中秋 and 国庆: due Wed
// 09-30 18:00 (reminded that morning), overdue at 18:00, and at its
// tenth working day, Thu 10-15 (with the make-up Saturday 10-10), the
// 主要负责领导 and the supervision section hear of it.
func TestRemindersAndEscalationsFollowThe2026Calendar(t *testing.T) {
	g := startGroupsApp(t)
	g.setClock("2026-09-24T10:00:00+08:00")
	var c caseJSON
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "slow_action", "matter": "节前提交的材料无人处理",
	}, &c)
	g.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, &c)
	no := orderFor(c, "realestate")
	if c.WorkOrders[0].DueAt != "2026-09-30T18:00:00+08:00" {
		t.Fatalf("due %s", c.WorkOrders[0].DueAt)
	}
	g.wecomSays("zhangwei", "签收 "+no)

	g.at("2026-09-29T18:30:00+08:00")
	g.at("2026-09-30T08:59:00+08:00")
	if n := g.actions(c.No)["reminded"]; n != 0 {
		t.Fatalf("reminded %d times before the morning of the last day", n)
	}
	g.at("2026-09-30T09:00:01+08:00")
	g.wecom.WaitFor(t, func() bool {
		for _, m := range g.wecom.RobotMessagesTo(keyRealty) {
			if strings.Contains(m.Markdown, "提醒") && strings.Contains(m.Markdown, no) && strings.Contains(m.Markdown, "<@zhangwei>") {
				return true
			}
		}
		return false
	}, 5*time.Second)

	g.at("2026-09-30T18:00:01+08:00")
	g.noticesSent(c.No)
	k := g.kinds(c.No)
	for _, want := range []string{"overdue→staff:liu", "overdue→staff:chen", "overdue→staff:wang", "overdue→department:realestate"} {
		if k[want] != 1 {
			t.Errorf("overdue: %d × %s, want 1 (all: %v)", k[want], want, k)
		}
	}
	if msgs := g.wecom.AppMessagesTo("chenfz"); len(msgs) != 1 || !strings.Contains(msgs[0].Content, "超期") {
		t.Errorf("the 分管领导's private messages: %+v", msgs)
	}

	// Nothing more until the tenth working day (the holidays do not count).
	g.at("2026-10-14T18:00:01+08:00")
	if n := g.actions(c.No)["cap_reached"]; n != 0 {
		t.Fatalf("the 10-working-day escalation fired early")
	}
	g.at("2026-10-15T18:00:01+08:00")
	g.noticesSent(c.No)
	k = g.kinds(c.No)
	if k["cap_reached→staff:zhou"] != 1 || k["cap_reached→supervision:"] != 1 {
		t.Errorf("cap: %v", k)
	}
	a := g.actions(c.No)
	if a["reminded"] != 1 || a["overdue"] != 1 || a["cap_reached"] != 1 {
		t.Errorf("timeline counts %v, want each once", a)
	}
}

// Replying on the last day cancels the overdue escalation; an extension
// re-plans the reminder and the deadline.
func TestReplyCancelsAndExtensionReplans(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate", "market")
	re, mk := orderFor(c, "realestate"), orderFor(c, "market")

	g.at("2026-03-13T09:00:01+08:00") // the last day's morning: both reminded
	g.at("2026-03-13T15:00:00+08:00")
	g.wecomSays("zhangwei", "回复 "+re+" 已办结")
	if got := g.dingSays("zhaomin", "赵敏", "延期 "+mk+" 2026-03-18 需调取档案"); !strings.Contains(got, "2026年3月18日") {
		t.Fatalf("extension: %q", got)
	}
	g.at("2026-03-13T18:00:01+08:00")
	g.at("2026-03-17T12:00:00+08:00")
	if a := g.actions(c.No); a["overdue"] != 0 || a["reminded"] != 2 {
		t.Fatalf("after a reply and an extension: %v, want 2 reminders and no overdue", a)
	}
	g.at("2026-03-18T09:00:01+08:00") // the new last day's morning
	g.at("2026-03-18T18:00:01+08:00") // the new deadline
	a := g.actions(c.No)
	if a["reminded"] != 3 || a["overdue"] != 1 {
		t.Errorf("after the new deadline: %v, want 3 reminders and 1 overdue (market only)", a)
	}
	for _, n := range g.notices(c.No) {
		if n.Kind == models.NoticeOverdue && strings.Contains(n.Payload, re) {
			t.Errorf("the answered order was escalated: %+v", n)
		}
	}
}

// Two bbcs processes on one database and one Redis fire each reminder
// once; after Redis loses everything, reconciliation restores the timers
// and each still fires once.
func TestTwoProcessesAndALostRedisFireEachTimerOnce(t *testing.T) {
	dsn := testenv.MySQLDSN(t)
	example := "../../config.example.yaml"
	env := []string{"BBCS_DATABASE_DSN=" + dsn, "BBCS_REDIS_ADDR=" + testenv.RedisAddr(), "BBCS_REDIS_DB=7",
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t), "BBCS_CLOCK_FAKE=true"}
	a := startAppWith(t, example, env)
	b := startAppWith(t, example, env)
	ctx := context.Background()
	if err := a.app.redis.FlushDB(ctx).Err(); err != nil { // DB 7 is this test's alone
		t.Fatal(err)
	}
	a.setClock("2026-03-10T10:00:00+08:00")
	b.setClock("2026-03-10T10:00:00+08:00")
	var nos []string
	for i := 0; i < 5; i++ {
		var c caseJSON
		a.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
			"applicant_name": "申请人", "applicant_mobile": "13800138000", "category": "other", "matter": "两个进程",
		}, &c)
		a.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate", "tax"}}, nil)
		nos = append(nos, c.No)
	}
	// Redis loses everything; both processes come back and reconcile.
	if err := a.app.redis.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	a.runLoops()
	b.runLoops()
	for _, x := range []*testApp{a, b} {
		x.setClock("2026-03-13T09:00:01+08:00")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		a.app.db.Model(&models.TimelineEvent{}).Where("action = ?", "reminded").Count(&n)
		if n >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a second firing would have happened by now
	var reminded, notices int64
	a.app.db.Model(&models.TimelineEvent{}).Where("action = ?", "reminded").Count(&reminded)
	a.app.db.Model(&models.Notice{}).Where("kind = ?", models.NoticeReminder).Count(&notices)
	if reminded != 10 || notices != 10 {
		t.Fatalf("10 orders: %d reminders on the timelines, %d reminder notices; want 10 and 10", reminded, notices)
	}
	if len(nos) != 5 {
		t.Fatal(nos)
	}
}

func (ta *testApp) count(action string) int64 {
	var n int64
	ta.app.db.Model(&models.TimelineEvent{}).Where("action = ?", action).Count(&n)
	return n
}

// A process that claims due timers and dies before firing them loses
// nothing: once their lease runs out, another process fires them, once.
func TestAProcessDyingMidFireLosesNoTimer(t *testing.T) {
	dsn := testenv.MySQLDSN(t)
	example := "../../config.example.yaml"
	env := []string{"BBCS_DATABASE_DSN=" + dsn, "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t), "BBCS_CLOCK_FAKE=true"}
	dying := startAppWith(t, example, env)
	alive := startAppWith(t, example, env)
	for _, x := range []*testApp{dying, alive} {
		x.setClock("2026-03-10T10:00:00+08:00")
	}
	var c caseJSON
	dying.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "申请人", "applicant_mobile": "13800138000", "category": "other", "matter": "进程中途退出",
	}, &c)
	dying.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)

	for _, x := range []*testApp{dying, alive} {
		x.setClock("2026-03-13T09:00:01+08:00")
	}
	claimed, err := dying.app.timers.Claim(context.Background())
	if err != nil || len(claimed) != 1 || !strings.Contains(claimed[0].ID, ":remind:") {
		t.Fatalf("the dying process claimed %+v, %v", claimed, err)
	}
	// … and dies: it never fires or acks. The other process runs.
	alive.runLoops()
	time.Sleep(500 * time.Millisecond)
	if n := alive.count("reminded"); n != 0 {
		t.Fatalf("the reminder fired while another process held its lease (%d)", n)
	}
	alive.setClock("2026-03-13T09:00:32+08:00") // past the 30 s lease
	deadline := time.Now().Add(5 * time.Second)
	for alive.count("reminded") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := alive.count("reminded"); n != 1 {
		t.Fatalf("after the lease ran out the reminder fired %d times, want 1", n)
	}
}

// The specialist on duty must check in by 08:30 (第四条); a missed check-in
// is recorded for the assessment and the supervision section hears of it.
func TestMissedDutyCheckInIsRecorded(t *testing.T) {
	g := startGroupsApp(t)
	g.at("2026-03-09T18:00:00+08:00")
	if err := g.app.jobs.Reconcile(context.Background()); err != nil { // plans 03-09's and the next working day's checks
		t.Fatal(err)
	}
	g.at("2026-03-10T08:20:00+08:00")
	var ci map[string]any
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/duty/check-in", nil, &ci)
	if ci["late"] != false {
		t.Fatalf("check-in at 08:20: %v", ci)
	}
	g.at("2026-03-10T08:31:00+08:00")
	if err := g.app.jobs.Reconcile(context.Background()); err != nil { // plans 03-11's check
		t.Fatal(err)
	}
	g.at("2026-03-11T08:31:00+08:00") // nobody checks in on 03-11
	misses, err := g.app.cases.DutyMisses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, m := range misses {
		if strings.HasPrefix(m.Date, "2026-03") { // the check of the real start-up day aside
			days = append(days, m.Date+":"+m.StaffID)
		}
	}
	if strings.Join(days, ",") != "2026-03-09:wang,2026-03-11:wang" {
		t.Errorf("missed duties %v, want 03-09 and 03-11 (03-10 was checked in on time)", days)
	}
	g.wecom.WaitFor(t, func() bool {
		for _, m := range g.wecom.RobotMessagesTo(keySuper) {
			if strings.Contains(m.Markdown, "值班未到岗") && strings.Contains(m.Markdown, "2026-03-11") {
				return true
			}
		}
		return false
	}, 5*time.Second)
}

// On the first working day of a month the leaders' group gets last month's
// summary (第十四条), once.
func TestMonthlySummaryIsPushedToTheLeaders(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	g.wecomSays("zhangwei", "回复 "+orderFor(c, "realestate")+" 已办结")
	g.at("2026-03-31T20:00:00+08:00")
	if err := g.app.jobs.Reconcile(context.Background()); err != nil { // plans March's push for 04-01 09:00
		t.Fatal(err)
	}
	g.at("2026-04-01T08:59:00+08:00")
	if n := countMarch(g); n != 0 {
		t.Fatalf("the summary went out before 09:00 (%d)", n)
	}
	g.at("2026-04-01T09:00:01+08:00")
	g.wecom.WaitFor(t, func() bool {
		for _, m := range g.wecom.RobotMessagesTo("key-leaders") {
			if strings.Contains(m.Markdown, "2026年3月“办不成事”反映窗口月报") && strings.Contains(m.Markdown, "受理 1 件") &&
				strings.Contains(m.Markdown, "/admin/reports?month=2026-03") {
				return true
			}
		}
		return false
	}, 5*time.Second)
	if err := g.app.jobs.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.at("2026-04-01T09:30:00+08:00")
	if n := countMarch(g); n != 1 {
		t.Errorf("the leaders got the summary %d times, want once", n)
	}
}

func countMarch(g *groupsApp) int {
	n := 0
	for _, m := range g.wecom.RobotMessagesTo("key-leaders") {
		if strings.Contains(m.Markdown, "2026年3月") {
			n++
		}
	}
	return n
}

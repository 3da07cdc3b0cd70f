package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"bbcs/bot/wecom/wecomtest"
	"bbcs/models"
)

// appSays reports whether a WeCom member's private messages hold one
// mentioning each of subs.
func appSays(msgs []wecomtest.AppMessage, subs ...string) bool {
	for _, m := range msgs {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(m.Title+"\n"+m.Content, s)
		}
		if ok {
			return true
		}
	}
	return false
}

// bbcs was down from Friday morning to Tuesday: the order due Friday
// 03-13 18:00 has its reminder and its deadline fire at once. The window
// group is not told “今天 18:00 到期” on Tuesday; it reads once that the
// order is 2 working days overdue, and the owner has the text for the
// walk-in applicant, with the latest date still ahead (the cap, 03-24).
func TestALateReminderAfterADowntimeSaysHowLate(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	no := orderFor(c, "realestate")
	g.at("2026-03-17T10:00:00+08:00")
	g.noticesSent(c.No)
	msgs := g.aboutCase(g.wecom.RobotMessagesTo(keyRealty), c.No)
	late := 0
	for _, m := range msgs {
		if strings.Contains(m.Markdown, "今天") {
			t.Errorf("the group was told on Tuesday: %s", m.Markdown)
		}
		if strings.Contains(m.Markdown, no) && strings.Contains(m.Markdown, "已超期 2 个工作日") {
			late++
		}
	}
	if late != 1 {
		t.Errorf("%d group messages say the order is 2 working days overdue, want 1: %+v", late, msgs)
	}
	if !appSays(g.wecom.AppMessagesTo("wangfang"), c.No, "短信", "2026年3月24日") {
		t.Errorf("the owner has no text for the applicant: %+v", g.wecom.AppMessagesTo("wangfang"))
	}
	if a := g.actions(c.No); a["reminded"] != 0 || a["overdue"] != 1 {
		t.Errorf("timeline %v, want no reminder and one overdue", a)
	}
}

// A case registered on Tuesday and left alone: 王芳 is reminded on
// Wednesday morning (研判, 第十条), and at the end of Wednesday the leader on
// duty that day and the supervision section hear of it.
func TestAnUntriagedCaseIsChased(t *testing.T) {
	g := startGroupsApp(t)
	if err := g.app.cases.SaveDutyDay(context.Background(), models.Staff{ID: "admin", Name: "管理员", Role: models.RoleAdmin, Active: true},
		models.DutyDay{Date: "2026-03-11", SpecialistID: "wang", LeaderID: "chen"}); err != nil {
		t.Fatal(err)
	}
	g.setClock("2026-03-10T10:00:00+08:00")
	var c caseJSON
	g.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "李女士", "applicant_mobile": "13800138000", "category": "slow_action", "matter": "登记后没人理",
	}, &c)
	g.at("2026-03-11T08:59:00+08:00")
	if appSays(g.wecom.AppMessagesTo("wangfang"), c.No) {
		t.Fatalf("reminded before the morning")
	}
	g.at("2026-03-11T09:00:01+08:00")
	g.wecom.WaitFor(t, func() bool { return appSays(g.wecom.AppMessagesTo("wangfang"), c.No, "研判") }, 5*time.Second)

	g.at("2026-03-11T18:00:01+08:00")
	g.wecom.WaitFor(t, func() bool { return appSays(g.wecom.AppMessagesTo("chenfz"), c.No, "尚未研判") }, 5*time.Second)
	g.wecom.WaitFor(t, func() bool { return len(g.aboutCase(g.wecom.RobotMessagesTo(keySuper), c.No)) == 1 }, 5*time.Second)
	if a := g.actions(c.No); a["wait_reminded"] != 1 || a["wait_escalated"] != 1 {
		t.Errorf("timeline %v, want one reminder and one escalation", a)
	}
}

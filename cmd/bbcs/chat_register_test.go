package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"bbcs/models"
)

var caseNoRE = regexp.MustCompile(`BB\d{8}-\d{3}`)

// R1 by chat: the specialist at the window registers a walk-in or phone
// case with one message, in a group or privately, on WeCom or DingTalk, and
// gets its number back; the groups never see the full number (issue 14).
func TestSpecialistRegistersByChat(t *testing.T) {
	g := startGroupsApp(t)
	g.setClock("2026-03-10T10:00:00+08:00")
	// The supervision section's pages say who is a DingTalk user; here the
	// specialist has both platforms, as the staff page would record.
	g.ding.AddUser("wangfang_dt")
	if err := g.app.db.Model(&models.Staff{}).Where("id = ?", "wang").Update("ding_talk_user_id", "wangfang_dt").Error; err != nil {
		t.Fatal(err)
	}

	// Positional, in a WeCom group.
	reply := g.wecomSays("wangfang", "登记 张三 13800138000 超时未办结 营业执照变更三次未办成")
	no := caseNoRE.FindString(reply)
	if no == "" || !strings.Contains(reply, "张三 138****8000") || strings.Contains(reply, "13800138000") ||
		!strings.Contains(reply, "受理后超时未办结") || !strings.Contains(reply, "下一步") {
		t.Fatalf("registration reply in a group: %q", reply)
	}
	c := g.get(no)
	if c.Applicant.Name != "张三" || c.Applicant.Mobile != "13800138000" || c.Category != "not_completed_in_time" ||
		c.Matter != "营业执照变更三次未办成" || c.Owner.ID != "wang" || c.Status != "registered" {
		t.Errorf("registered %+v", c)
	}
	if len(c.Timeline) == 0 || !strings.Contains(c.Timeline[0].Note, "现场") {
		t.Errorf("a walk-in by default: %+v", c.Timeline)
	}

	// Labelled, a phone call, privately on WeCom, with a landline.
	r := g.wxApp.Text("wangfang", "登记 来电 姓名：李四 电话：0739-1234567 类别：服务态度差 事项：窗口人员态度生硬，不解释原因", 7101)
	if r.Err != nil || r.Reply == nil {
		t.Fatalf("private 登记: %d %v", r.Status, r.Err)
	}
	no2 := caseNoRE.FindString(r.Reply.Content)
	if no2 == "" || no2 == no || !strings.Contains(r.Reply.Content, "0739-***4567") {
		t.Fatalf("private registration reply: %q", r.Reply.Content)
	}
	c2 := g.get(no2)
	if c2.Applicant.Name != "李四" || c2.Applicant.Mobile != "0739-1234567" || c2.Category != "poor_attitude" ||
		c2.Matter != "窗口人员态度生硬，不解释原因" || !strings.Contains(c2.Timeline[0].Note, "电话") {
		t.Errorf("registered %+v", c2)
	}

	// DingTalk, a company, +86 and spaces, labels with ASCII colons.
	d := g.dingBot.GroupText(dingGroupCID, "市场监管窗口工作群", "wangfang_dt", "王芳",
		"登记 姓名:王五 电话:+86 139 0000 1111 企业:县宏达建材有限公司 类别:多次未办成 事项:办理食品经营许可跑了三趟", g.id())
	if d.Reply == nil {
		t.Fatalf("dingtalk 登记: %d %v", d.Status, d.Err)
	}
	no3 := caseNoRE.FindString(d.Reply.Text)
	if no3 == "" || !strings.Contains(d.Reply.Text, "139****1111") {
		t.Fatalf("dingtalk registration reply: %q", d.Reply.Text)
	}
	if c3 := g.get(no3); c3.Applicant.Kind != "company" || c3.Applicant.Company != "县宏达建材有限公司" ||
		c3.Applicant.Mobile != "13900001111" || c3.Category != "repeated_visits" {
		t.Errorf("registered %+v", c3)
	}

	// What is missing is named, politely, and nothing is registered.
	var before struct{ Total int }
	g.must(http.StatusOK, "admin", "GET", "/api/v1/cases?month=2026-03", nil, &before)
	for text, missing := range map[string][]string{
		"登记 张三 13800138000 营业执照变更三次未办成":   {"类别"},
		"登记 张三 超时未办结 营业执照变更三次未办成":         {"联系电话"},
		"登记 张三 1380013 超时未办结 营业执照变更三次未办成": {"联系电话"},
		"登记": {"姓名", "联系电话", "类别", "事项"},
		"登记 张三 13800138000 超时未办结": {"事项"},
	} {
		got := g.wecomSays("wangfang", text)
		if caseNoRE.MatchString(got) || !strings.Contains(got, "请") || !strings.Contains(got, "登记 张三 ") || !strings.Contains(got, registerFormatHint) {
			t.Errorf("%q answered %q", text, got)
		}
		for _, m := range missing {
			if !strings.Contains(got, m) {
				t.Errorf("%q: the answer %q does not name %s", text, got, m)
			}
		}
		if strings.Contains(got, "13800138000") || strings.Contains(got, "1380013 ") {
			t.Errorf("the group answer repeats the number: %q", got)
		}
	}
	var after struct{ Total int }
	g.must(http.StatusOK, "admin", "GET", "/api/v1/cases?month=2026-03", nil, &after)
	if after.Total != before.Total {
		t.Errorf("refused registrations registered %d cases", after.Total-before.Total)
	}
	// A window's staff does not register cases.
	if got := g.wecomSays("zhangwei", "登记 张三 13800138000 超时未办结 营业执照变更三次未办成"); caseNoRE.MatchString(got) || !strings.Contains(got, "无权") {
		t.Errorf("window staff registering: %q", got)
	}
	if help := g.wecomSays("wangfang", "帮助"); !strings.Contains(help, "登记 姓名 电话 类别 事项") || !strings.Contains(help, "到岗") {
		t.Errorf("help lacks 登记 and 到岗: %q", help)
	}
}

// 到岗 in chat is the duty check-in (第四条): on time it counts, late it is
// recorded, twice it is refused; a window's staff has no duty to check in.
func TestDutyCheckInByChat(t *testing.T) {
	g := startGroupsApp(t)
	g.setClock("2026-03-10T08:12:00+08:00") // a Tuesday; wang is on duty (rotation)
	g.ding.AddUser("wangfang_dt")
	if err := g.app.db.Model(&models.Staff{}).Where("id = ?", "wang").Update("ding_talk_user_id", "wangfang_dt").Error; err != nil {
		t.Fatal(err)
	}
	r := g.wxApp.Text("wangfang", "到岗", 7201)
	if r.Reply == nil || !strings.Contains(r.Reply.Content, "王芳 已签到") || !strings.Contains(r.Reply.Content, "08:12") || strings.Contains(r.Reply.Content, "迟") {
		t.Fatalf("到岗: %+v %v", r.Reply, r.Err)
	}
	if got := g.wecomSays("wangfang", "签到"); !strings.Contains(got, "已签到") || !strings.Contains(got, "今天") {
		t.Errorf("a second check-in: %q", got)
	}
	var ins []models.CheckIn
	g.app.db.Where("staff_id = ?", "wang").Find(&ins)
	if len(ins) != 1 || ins[0].Date != "2026-03-10" || ins[0].Late {
		t.Errorf("check-ins %+v", ins)
	}
	g.setClock("2026-03-11T09:05:00+08:00")
	if got := g.dingSays("wangfang_dt", "王芳", "到岗"); !strings.Contains(got, "王芳 已签到") || !strings.Contains(got, "迟") {
		t.Errorf("a late 到岗 on DingTalk: %q", got)
	}
	g.app.db.Where("staff_id = ?", "wang").Order("date").Find(&ins)
	if len(ins) != 2 || !ins[1].Late {
		t.Errorf("the late check-in is not recorded late: %+v", ins)
	}
	if got := g.wecomSays("zhangwei", "到岗"); !strings.Contains(got, "无权") && !strings.Contains(got, "值班") {
		t.Errorf("window staff 到岗: %q", got)
	}
}

// registerFormatHint is how a refused 登记 says the message is written.
const registerFormatHint = "登记 姓名 电话 类别 事项"

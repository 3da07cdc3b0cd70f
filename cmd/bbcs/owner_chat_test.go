package main

import (
	"strings"
	"testing"
	"time"
)

// 第七条, 第十一条 in chat: the owner pushes a stuck order and asks a leader
// for instruction from her private chat with the bot; the leader's 批示
// reaches the window group and the owner, and the case waits for the
// department's reply.
func TestOwnerEscalatesAndAsksInChat(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	re := orderFor(c, "realestate")
	says := func(user, text string, id int64) string {
		t.Helper()
		r := g.wxApp.Text(user, text, id)
		if r.Err != nil || r.Reply == nil {
			t.Fatalf("%s says %q: %d %+v %v", user, text, r.Status, r.Reply, r.Err)
		}
		return r.Reply.Content
	}
	if got := says("wangfang", "上报 "+re+" 窗口两天未签收，申请人第三次来问", 5101); !strings.Contains(got, "已上报") {
		t.Fatalf("the owner's 上报: %q", got)
	}
	g.noticesSent(c.No)
	if msgs := g.wecom.AppMessagesTo("chenfz"); len(msgs) != 1 || !strings.Contains(msgs[0].Content, "首接负责人王芳") || !strings.Contains(msgs[0].Content, re) {
		t.Errorf("the 分管领导's private messages: %+v", msgs)
	}

	if got := says("wangfang", "请示 "+c.No+" 陈副主任 窗口认为缺少依据，如何认定", 5102); !strings.Contains(got, "已向陈副主任请示") {
		t.Fatalf("the owner's 请示: %q", got)
	}
	if got := says("chenfz", "批示 "+c.No+" 以县自然资源局意见为准，三日内办结", 5103); !strings.Contains(got, "已批示") {
		t.Fatalf("the leader's 批示: %q", got)
	}
	g.noticesSent(c.No)
	g.wecom.WaitFor(t, func() bool {
		for _, m := range g.aboutCase(g.wecom.RobotMessagesTo(keyRealty), c.No) {
			if strings.Contains(m.Markdown, "领导批示") && strings.Contains(m.Markdown, "三日内办结") && strings.Contains(m.Markdown, re) {
				return true
			}
		}
		return false
	}, 5*time.Second)
	owner := g.wecom.AppMessagesTo("wangfang")
	if len(owner) == 0 || !strings.Contains(owner[len(owner)-1].Content, "三日内办结") {
		t.Errorf("the owner's private messages: %+v", owner)
	}
	if now := g.get(c.No); now.Status != "dispatched" || now.Result != "" {
		t.Errorf("after the 批示 the case is %s %q, want dispatched", now.Status, now.Result)
	}
}

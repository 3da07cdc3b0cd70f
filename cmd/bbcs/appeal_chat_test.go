package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A department appeals from its window group, where its people work: the
// 差评整改 card says how and by when; the window head appeals the 差评
// (window staff may not), the supervision group gets the appeal with its
// reason, the decision comes back to the group; the 分管领导, who sits in no
// department, names the one he appeals for, here a deduction for an
// overdue order. Every refusal is a sentence the sender can act on.
func TestADepartmentAppealsFromItsGroup(t *testing.T) {
	g := startGroupsApp(t)
	c := g.badlyRated("very_dissatisfied", "窗口态度恶劣") // rated Wed 2026-03-11
	group := g.robotCard
	// rating.appeal_days 5 from Wed 03-11: Thu 12 … Wed 18, to its end.
	g.wecom.WaitFor(t, func() bool {
		return group(keyRealty, c.No, "差评整改通知", "申诉 "+c.No+" 恶意差评|非本部门原因 理由", "2026年3月18日") != ""
	}, 5*time.Second)

	says := func(user, text string, want ...string) {
		t.Helper()
		r := g.wecomSays(user, text)
		for _, w := range want {
			if !strings.Contains(r, w) {
				t.Errorf("%s: %q\nanswered %q, without %q", user, text, r, w)
			}
		}
	}
	says("zhangwei", "申诉 "+c.No+" 恶意差评 反映人要求违规当天办结未果", "首席审批员或分管领导")
	says("liuqiang", "申诉 "+c.No+" 恶意差评", "请写明申诉理由")
	says("liuqiang", "申诉 "+c.No+" 也许 反映人要求违规当天办结未果", "没看懂“也许”", "恶意差评／非本部门原因／扣分有误")
	says("liuqiang", "申诉 "+c.No+" 扣分有误 按时答复了", "没有不动产登记窗口可申诉的扣分")
	says("chenfz", "申诉 "+c.No+" 恶意差评 反映人要求违规当天办结未果", "请写明为哪个部门申诉")
	says("liuqiang", "申诉 "+c.No+" 第2轮 恶意差评 反映人要求违规当天办结未果", "没有该轮评价")
	says("liuqiang", "申诉 "+c.No+" 恶意差评 反映人要求违规当天办结未果，录像显示窗口依规告知",
		"刘强 已对 "+c.No+" 的差评提出申诉（恶意差评", "监督考核科裁定")
	says("liuqiang", "申诉 "+c.No+" 非本部门原因 再申诉一次", "已对该差评提出过申诉")

	g.wecom.WaitFor(t, func() bool {
		return group(keySuper, c.No, "【申诉｜"+c.No+"】不动产登记窗口提出申诉", "申诉类型：恶意差评", "录像显示窗口依规告知", "提出人：刘强") != ""
	}, 5*time.Second)
	var list struct{ Appeals []appealJSON }
	g.must(http.StatusOK, "admin", "GET", "/api/v1/appeals?status=pending", nil, &list)
	if len(list.Appeals) != 1 || list.Appeals[0].CaseNo != c.No || list.Appeals[0].Ground != "malicious" || list.Appeals[0].Rating != "very_dissatisfied" {
		t.Fatalf("pending appeals = %+v", list.Appeals)
	}
	g.must(http.StatusOK, "admin", "POST", "/api/v1/appeals/"+itoa(list.Appeals[0].ID)+"/decide",
		map[string]any{"uphold": true, "reason": "录像显示窗口依规一次性告知"}, nil)
	g.wecom.WaitFor(t, func() bool {
		return group(keyRealty, c.No, "【申诉裁定｜"+c.No+"】", "录像显示窗口依规一次性告知") != ""
	}, 5*time.Second)

	// A second case's order runs late: its deduction, proposed when it
	// falls due, is the 分管领导's to appeal for the window he leads.
	late := g.newCase("realestate")                                      // due Fri 03-13 18:00
	g.at("2026-03-16T10:00:00+08:00")                                    // Monday
	says("chenfz", "申诉 "+late.No+" 税务窗口 扣分有误 系统故障", "只有税务窗口的首席审批员或分管领导") // not his
	says("chenfz", "申诉 "+late.No+" 不动产登记窗口 第1轮 扣分有误 系统故障", "对扣分申诉不必写轮次")
	says("chenfz", "申诉 "+late.No+" 不动产登记窗口 扣分有误 省级系统故障三天，已报备",
		"陈副主任 已为不动产登记窗口对 "+late.No+" 的扣分（记录", "扣分有误")
	g.wecom.WaitFor(t, func() bool {
		return group(keySuper, late.No, "【申诉｜"+late.No+"】", "申诉类型：扣分有误", "提出人：陈副主任") != ""
	}, 5*time.Second)
}

package bot_test

import (
	"strings"
	"testing"

	"bbcs/bot"
	"bbcs/models"
)

// The leader's card says who pushed the order: the owner at the complaint
// window, not the department reporting its own limits (第十一条).
func TestEscalationCardByTheOwner(t *testing.T) {
	d := models.NoticeData{CaseNo: "BB20260310-001", OrderNo: "GD20260310-001-1", DepartmentName: "不动产登记窗口",
		Matter: "过户超期", Reason: "两天未签收", ActorName: "王芳", ByOwner: true}
	c := bot.RenderCard(models.NoticeEscalation, d)
	text := strings.Join(c.Lines, "\n")
	if strings.Contains(text, "不动产登记窗口报告超出本窗口权限") || !strings.Contains(text, "首接负责人王芳") || !strings.Contains(text, "GD20260310-001-1") {
		t.Errorf("owner's escalation card:\n%s\n%s", c.Title, text)
	}
}

// A leader's instruction on a dispatched case reaches the window group as
// an instruction to act on its order, with the reply command at hand.
func TestLeaderInstructionCard(t *testing.T) {
	d := models.NoticeData{CaseNo: "BB20260310-001", OrderNo: "GD20260310-001-1", DepartmentName: "不动产登记窗口",
		Matter: "宅基地分户", Note: "如何处理", Result: "按一户一宅受理", ActorName: "陈副主任", MaskedMobile: "138****8000", ApplicantName: "李女士"}
	c := bot.RenderCard(models.NoticeLeaderInstruction, d)
	text := c.Title + "\n" + strings.Join(c.Lines, "\n")
	for _, want := range []string{"领导批示", "BB20260310-001", "陈副主任", "按一户一宅受理", "如何处理", "GD20260310-001-1"} {
		if !strings.Contains(text, want) {
			t.Errorf("instruction card lacks %q:\n%s", want, text)
		}
	}
	if len(c.Actions) == 0 || !strings.HasPrefix(c.Actions[0].Command, "回复 GD20260310-001-1") {
		t.Errorf("instruction card actions %+v", c.Actions)
	}
	// To the owner: no order of her own to reply to.
	d.OrderNo, d.Departments = "", []string{"不动产登记窗口"}
	if c := bot.RenderCard(models.NoticeLeaderInstruction, d); len(c.Actions) != 0 || !strings.Contains(strings.Join(c.Lines, "\n"), "不动产登记窗口") {
		t.Errorf("owner's instruction card: %+v", c)
	}
}

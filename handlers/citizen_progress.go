package handlers

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"bbcs/casework"
	"bbcs/models"
)

// progress lists the citizen's open cases (查询).
func (c *Citizens) progress(ctx context.Context, t *turn) string {
	list, err := c.Cases.CitizenCases(ctx, t.openid, 20)
	if err != nil {
		return c.busy(t, "list cases", err)
	}
	var lines []string
	for _, cs := range list {
		if cs.Status.Open() {
			lines = append(lines, fmt.Sprintf("%s｜%s｜%s", cs.No, cs.Category.Label(), cs.Status.Label()))
		}
	}
	if len(lines) == 0 {
		return "您目前没有正在办理的事项。如需反映问题，请回复“反映问题”。"
	}
	return fmt.Sprintf("您有 %d 件正在办理的事项：\n%s\n回复编号可查看最新进展。", len(lines), strings.Join(lines, "\n"))
}

// caseStatus shows one case to its own applicant only.
func (c *Citizens) caseStatus(ctx context.Context, t *turn, no string) string {
	p, err := c.Cases.Progress(ctx, no)
	if err != nil && models.ErrorCode(err) != models.ErrNotFound {
		return c.busy(t, "get case", err)
	}
	if err != nil || p.Case.ApplicantOpenID != t.openid {
		// The same answer whether the case is someone else's or none at all.
		return fmt.Sprintf("没有找到您反映的编号为 %s 的事项，请核对编号，或回复“查询”查看您的全部事项。", no)
	}
	return fmt.Sprintf("编号 %s\n类别：%s\n状态：%s\n最新进展：%s", p.Case.No, p.Case.Category.Label(), p.Case.Status.Label(), lastStep(p, c.Clock.Now()))
}

// lastStep tells the latest step in words a citizen understands, without
// staff names or internal numbers. An open order past its deadline is
// not promised by that date again: it is overdue and pressed (督办), to be
// answered by the 10-working-day cap while that is ahead (第十二条).
func lastStep(p *casework.Progress, now time.Time) string {
	e := p.Last
	if e == nil {
		return "已受理"
	}
	when := e.At.In(models.Shanghai).Format("1月2日 15:04") + " "
	dept := cmp.Or(p.Department.Name, "相关部门")
	switch e.Action {
	case "dispatched", "signed", "extended", "reminded", "overdue", "cap_reached":
		if p.Order.No == "" || !p.Order.Open() || now.Before(p.Order.Deadline()) {
			break
		}
		if now.Before(p.Order.CapAt) {
			return fmt.Sprintf("%s办理已超期，我们已督办，最迟将于 %s 前答复您", dept, models.FormatTime(p.Order.CapAt))
		}
		return dept + "办理已超期，超过了最长办理时限，我们已报告主要负责领导督办，将尽快答复您"
	}
	switch e.Action {
	case "dispatched":
		return when + fmt.Sprintf("已转交%s办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "signed":
		return when + fmt.Sprintf("%s已签收，正在办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "reminded":
		return when + fmt.Sprintf("已提醒%s抓紧办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "extended":
		return when + fmt.Sprintf("%s申请延期，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "replied":
		return when + dept + "已答复，其他部门仍在办理"
	case "escalated":
		return when + "已报请领导协调办理"
	case "instruction_requested":
		return when + "已请示领导，等待答复"
	case "summoned", "arrived":
		return when + "已通知相关窗口工作人员到现场协调"
	case "answered", "instruction_answered", "follow_up_planned", "rating_reminded", "follow_up_due", "follow_up_overdue":
		return when + "已答复：" + p.Case.Result
	case "rated":
		return when + "已收到您的评价"
	case "awaiting_follow_up":
		return when + "已收到您的评价，首接负责人将回访您后办结"
	case "not_rated":
		return when + "评价期限已过，首接负责人将回访您"
	case "followed_up":
		return when + "首接负责人已回访"
	case "reopened":
		return when + "已退回重新办理"
	case "rectified": // 差评整改 reported
		return when + "您的评价已由相关单位核实整改，结果已告知您"
	case "rectify_opened":
		if p.Case.Status == models.CaseAnswered {
			return when + "已答复：" + p.Case.Result
		}
		return when + "已退回重新办理，并核实整改您反映的问题"
	case "closed":
		return when + "已办结"
	}
	return when + "已受理，首接负责人正在跟进"
}

package wechat

import (
	"fmt"
	"strings"

	"bbcs/models"
)

// What citizens read. Plain, warm, specific (STORIES.md): a citizen sees
// department names but never staff names or internal order numbers.

// Text renders a notice as a customer-service text message.

// notRated is the note of a case closed because the applicant did not
// rate it in time (casework's rating timer).
const notRated = "未评价"

func Text(kind models.NoticeKind, d models.NoticeData) string {
	switch kind {
	case models.NoticeCaseReceived:
		return fmt.Sprintf("已受理，编号 %s。首接负责人：%s（接诉即办专员），将跟进到办结。\n需要部门办理的，部门将在%d个工作日内答复您；您可随时回复“查询”了解进度。",
			d.CaseNo, d.OwnerName, d.ReplyWorkdays())
	case models.NoticeOrderDispatched:
		s := fmt.Sprintf("您反映的 %s 已转交%s办理", d.CaseNo, strings.Join(d.Departments, "、"))
		if d.Reopened {
			s = fmt.Sprintf("您反映的 %s 已退回%s重新办理", d.CaseNo, strings.Join(d.Departments, "、"))
		}
		return s + "，将于 " + due(d) + " 前答复您。回复“查询”可了解进度。"
	case models.NoticeOrderReplied:
		return fmt.Sprintf("您反映的 %s 有了新答复（%s）：\n%s\n其他部门仍在办理，有结果会及时告诉您。", d.CaseNo, d.DepartmentName, d.Result)
	case models.NoticeOrderExtended:
		return fmt.Sprintf("您反映的 %s，%s需要更多时间办理（%s），将于 %s 前答复您。", d.CaseNo, d.DepartmentName, d.Reason, due(d))
	case models.NoticeCaseAnswered:
		return fmt.Sprintf("您反映的 %s 已有答复：\n%s", d.CaseNo, d.Result)
	case models.NoticeCaseClosed:
		if d.Note == notRated {
			return fmt.Sprintf("您反映的 %s 在评价期限内未收到您的评价，已按“未评价”办结。感谢您的反映，如对处理结果仍有意见，欢迎再次反映！", d.CaseNo)
		}
		return fmt.Sprintf("您反映的 %s 已办结。感谢您的反映，欢迎继续监督我们的工作！", d.CaseNo)
	case models.NoticeOrderDelayed:
		return d.DelayText()
	case models.NoticeDialogMenu:
		return menuText(d)
	case models.NoticeDialogExpired:
		return d.Text
	case models.NoticeRatingRequest, models.NoticeRatingReminder, models.NoticeRectified:
		return menuText(d)
	}
	return fmt.Sprintf("您反映的 %s 有新进展，回复“查询”可查看。", d.CaseNo)
}

// menuText is a menu written out, for where a clickable menu cannot go.
func menuText(d models.NoticeData) string {
	var b strings.Builder
	b.WriteString(d.Text)
	for _, it := range d.Menu {
		b.WriteString("\n" + it.Label)
	}
	if d.Tail != "" {
		b.WriteString("\n" + d.Tail)
	}
	return b.String()
}

func due(d models.NoticeData) string {
	if d.DueAt == nil {
		return "—"
	}
	return models.FormatTime(*d.DueAt)
}

// Fields are the five fields of the classic template layout a centre sets
// up for bbcs (README: first, keyword1 事项编号, keyword2 办理进展,
// keyword3 时间, remark).
type Fields struct {
	First, Keyword1, Keyword2, Keyword3, Remark string
}

// TemplateFields renders a notice as a template message.
func TemplateFields(kind models.NoticeKind, d models.NoticeData) Fields {
	f := Fields{Keyword1: d.CaseNo, Remark: "回复“查询”可了解办理进度。"}
	switch kind {
	case models.NoticeCaseReceived:
		f.First, f.Keyword2 = "您反映的问题已受理", "已受理，首接负责人："+d.OwnerName
		f.Remark = fmt.Sprintf("需要部门办理的，部门将在%d个工作日内答复您。", d.ReplyWorkdays())
	case models.NoticeOrderDispatched:
		f.First, f.Keyword2 = "您反映的问题已转交部门办理", "转交"+strings.Join(d.Departments, "、")
	case models.NoticeOrderReplied:
		f.First, f.Keyword2, f.Remark = "部门已答复", d.DepartmentName+"已答复", d.Result
	case models.NoticeOrderExtended:
		f.First, f.Keyword2, f.Remark = "部门申请延期办理", d.DepartmentName+"将于 "+due(d)+" 前答复", "原因："+d.Reason
	case models.NoticeCaseAnswered:
		f.First, f.Keyword2, f.Remark = "您反映的问题已有答复", "已答复", d.Result
	case models.NoticeCaseClosed:
		f.First, f.Keyword2, f.Remark = "您反映的问题已办结", "已办结", "感谢您的反映！"
		if d.Note == notRated {
			f.Keyword2, f.Remark = "评价期限已过，按未评价办结", "感谢您的反映！如对处理结果仍有意见，欢迎再次反映。"
		}
	case models.NoticeRatingRequest, models.NoticeRatingReminder:
		f.First, f.Keyword2, f.Remark = "请为处理结果评价", "已答复，待评价", "点击进入评价页面，为本次处理打分（链接7天内有效）。"
	case models.NoticeRectified:
		f.First, f.Keyword2, f.Remark = "您的评价已核实整改", "已核实整改", strings.ReplaceAll(d.Text, "\n", "")
		if d.Link != "" {
			f.Remark += "点击进入评价页面（链接7天内有效）。"
		}
	case models.NoticeOrderDelayed:
		f.First, f.Remark = "您反映的问题暂未办结，办理进展如下", "给您带来不便，敬请谅解。回复“查询”可了解办理进度。"
		switch d.Delay {
		case "escalated":
			f.Keyword2 = d.DepartmentName + "已报请领导协调"
		case "cap":
			f.Keyword2 = d.DepartmentName + "已超过最长办理时限，已报告主要负责领导督办"
		default:
			f.Keyword2 = d.DepartmentName + "超期未答复，已督促加快办理"
		}
		f.Keyword3 = "将尽快答复您"
		if d.CapAt != nil {
			f.Keyword3 = "最迟 " + models.FormatTime(*d.CapAt) + " 前答复"
		}
	default:
		f.First, f.Keyword2 = "您反映的问题有新进展", "有新进展"
	}
	if d.DueAt != nil && kind == models.NoticeOrderDispatched {
		f.Keyword3 = models.FormatTime(*d.DueAt) + " 前答复"
	}
	return f
}

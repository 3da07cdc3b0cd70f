package bot

import (
	"fmt"

	"bbcs/models"
)

// RectifyCommand is the group command a window head (or the 分管领导)
// reports a 差评整改 with. A department's names the department, so that the
// same command works for a leader who answers for several on the case;
// the centre's own (unit "") is reported by the case owner.
func RectifyCommand(caseNo, unit string) string {
	if unit != "" {
		return "整改 " + caseNo + " " + unit + " 属实|不属实 核实情况和整改措施"
	}
	return "整改 " + caseNo + " 属实|不属实 核实情况和整改措施"
}

// AppealCommand is the group command a department appeals a 差评 with.
func AppealCommand(caseNo string) string {
	return "申诉 " + caseNo + " 恶意差评|非本部门原因 理由"
}

// rectifyCard draws the cards of a 差评整改 (第十三条): the notice that
// opens it, its reminder, its escalation, the unit's report, and the
// outcome the owner passes on to a walk-in applicant. The applicant's
// comment may hold a typed mobile: RenderCard masks it.
func rectifyCard(kind models.NoticeKind, d models.NoticeData, applicant string) Card {
	due := "—"
	if d.DueAt != nil {
		due = models.FormatTime(*d.DueAt)
	}
	rated := "评价：" + d.Reason
	if d.Note != "" && kind != models.NoticeRectified {
		rated += "；意见：" + d.Note
	}
	// The group's people report by command; the API is for the centre's
	// own systems and is in the README, not on a card staff read.
	unit := ""
	if d.Department != "" {
		unit = d.DepartmentName
	}
	how := []string{"核实后发送（在群里请 @我）：" + RectifyCommand(d.CaseNo, unit)}
	report := []Action{{Label: "报告整改", Command: RectifyCommand(d.CaseNo, unit)}}
	switch kind {
	case models.NoticeRectifyOpened:
		lines := append([]string{"单位：" + d.DepartmentName, "事项：" + d.Matter, "反映人：" + applicant, rated,
			"请核实（属实／不属实）、整改，并于 " + due + " 前报告整改情况"}, how...)
		if d.AppealBy != nil {
			lines = append(lines, "如认为属恶意差评或非本部门原因，窗口负责人或分管领导可于 "+models.FormatTime(*d.AppealBy)+
				" 前发送（在群里请 @我）："+AppealCommand(d.CaseNo)+"，由监督考核科裁定")
		}
		return Card{Title: fmt.Sprintf("【差评整改通知｜%s｜%s】", d.CaseNo, d.DepartmentName), Lines: lines, Actions: report}
	case models.NoticeRectifyReminder:
		lines := append([]string{"单位：" + d.DepartmentName, rated, "整改期限：" + due + "（今天到期），尚未报告"}, how...)
		return Card{Title: fmt.Sprintf("⏰ 差评整改今天到期｜%s", d.CaseNo), Lines: lines, Actions: report}
	case models.NoticeRectifyOverdue:
		late := "已过期限"
		if d.LateDays > 0 {
			late = fmt.Sprintf("已超期 %d 个工作日", d.LateDays)
		}
		return Card{Title: fmt.Sprintf("⚠️ 差评整改逾期未报告｜%s｜%s", d.CaseNo, d.DepartmentName),
			Lines: []string{"单位：" + d.DepartmentName, "整改负责人：" + d.OwnerName, rated, "整改期限：" + due + "，" + late, "请督促核实整改并报告"}}
	case models.NoticeRectifyReported:
		return Card{Title: fmt.Sprintf("【差评整改报告｜%s｜%s】", d.CaseNo, d.DepartmentName),
			Lines: []string{rated, "核实结论：" + d.Text, "整改情况：" + d.Result, "报告人：" + d.ActorName}}
	}
	return Card{Title: fmt.Sprintf("【请告知反映人整改情况｜%s】", d.CaseNo),
		Lines: []string{"反映人：" + applicant + "（未使用服务号，请通过短信或电话告知）", "可发送的短信：" + d.Note}}
}

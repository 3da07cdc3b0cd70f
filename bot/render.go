package bot

import (
	"fmt"
	"strings"
	"time"

	"bbcs/models"
)

// Card is a notice for staff, leaders and the supervision section, in a
// shape every platform can draw: a title, lines of text, the people to
// @, and actions (a command to type, or a link to bbcs's action page).
type Card struct {
	Title    string
	Lines    []string
	Mentions []string // staff ids
	Actions  []Action
	// Link opens bbcs's action page for the order (forms for reply and
	// extension); set by the platform sender when http.public_url is known.
	// Other cards link a console page, named by LinkLabel.
	Link      string
	LinkLabel string
}

// LinkText is what the card's link says: the order's action page unless
// the card names another page.
func (c Card) LinkText() string {
	if c.LinkLabel != "" {
		return c.LinkLabel
	}
	return "在页面中签收、答复、延期或上报"
}

// ActionLink is the action page of an order, for a platform's sign-in.
func ActionLink(publicURL, orderNo string, p Platform) string {
	if publicURL == "" || orderNo == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/act/" + orderNo + "?platform=" + string(p)
}

// Action is one thing a reader can do with the card.
type Action struct {
	Label   string
	Command string // the chat command, e.g. "签收 GD20260310-004-1"
}

// RenderCard turns a staff-facing notice into a Card (STORIES.md §2, §4).
// Mobiles appear masked only: the payload never holds a full one in its
// fields, and one a citizen typed into the matter, a comment or a reason
// ("请回电13800138000") is masked on the card as well.
func RenderCard(kind models.NoticeKind, d models.NoticeData) Card {
	c := renderCard(kind, d)
	c.Title = models.MaskMobilesIn(c.Title)
	for i, l := range c.Lines {
		c.Lines[i] = models.MaskMobilesIn(l)
	}
	return c
}

func renderCard(kind models.NoticeKind, d models.NoticeData) Card {
	due := func() string {
		if d.DueAt == nil {
			return "—"
		}
		return models.FormatTime(*d.DueAt)
	}
	applicant := d.ApplicantName + " " + d.MaskedMobile
	if d.Company != "" {
		applicant = d.Company + " " + applicant
	}
	switch kind {
	case models.NoticeWorkOrder:
		title := fmt.Sprintf("【工单 %s｜%s】", d.OrderNo, d.DepartmentName)
		if d.Reopened {
			title = fmt.Sprintf("【退回重办｜工单 %s｜%s】", d.OrderNo, d.DepartmentName)
		} else if d.Joint {
			title = fmt.Sprintf("【联合办理｜工单 %s｜%s】", d.OrderNo, d.DepartmentName)
		}
		lines := []string{
			"类别：" + d.Category.Label(),
			"事项：" + d.Matter,
			"反映人：" + applicant,
			"首接负责人：" + d.OwnerName,
			fmt.Sprintf("请于 %s 前答复（%d个工作日）", due(), d.ReplyWorkdays()),
		}
		if d.Note != "" {
			lines = append(lines, "说明："+d.Note)
		}
		return Card{Title: title, Lines: lines, Actions: []Action{
			{Label: "签收", Command: "签收 " + d.OrderNo},
			{Label: "答复结果", Command: "回复 " + d.OrderNo + " 办理结果"},
			{Label: "申请延期", Command: "延期 " + d.OrderNo + " 工作日数 原因"},
			{Label: "上报领导", Command: "上报 " + d.OrderNo + " 原因"},
		}}
	case models.NoticeSummon:
		arrive := "—"
		if d.ArriveBy != nil {
			arrive = models.FormatTime(*d.ArriveBy)
		}
		return Card{Title: fmt.Sprintf("【请到“办不成事”反映窗口｜%s】", d.CaseNo),
			Lines:    []string{"事项：" + d.Matter, "反映人：" + applicant, "首接负责人：" + d.OwnerName, "请于 " + arrive + " 前到达"},
			Mentions: d.Mentions,
			Actions:  []Action{{Label: "确认到达", Command: "到达 " + d.CaseNo}}}
	case models.NoticeOrderSigned:
		return Card{Title: fmt.Sprintf("%s 已签收 %s", d.ActorName, d.OrderNo),
			Lines: []string{"案件：" + d.CaseNo, "请于 " + due() + " 前答复"}}
	case models.NoticeOrderReplied:
		return Card{Title: fmt.Sprintf("【答复｜%s｜%s】", d.OrderNo, d.DepartmentName),
			Lines: []string{"案件：" + d.CaseNo, "类别：" + d.Category.Label(), "反映人：" + applicant, "答复人：" + d.ActorName, "办理结果：" + d.Result}}
	case models.NoticeOrderExtended:
		return Card{Title: fmt.Sprintf("【延期｜%s｜%s】", d.OrderNo, d.DepartmentName),
			Lines: []string{"案件：" + d.CaseNo, "反映人：" + applicant, "新的答复时限：" + due() + fmt.Sprintf("（最长不超过%d个工作日）", d.MaxWorkdays()), "原因：" + d.Reason, "申请人：" + d.ActorName}}
	case models.NoticeEscalation:
		title := fmt.Sprintf("【请您协调】%s", d.CaseNo)
		first := fmt.Sprintf("%s报告超出本窗口权限（工单 %s）", d.DepartmentName, d.OrderNo)
		if d.ByOwner {
			first = fmt.Sprintf("首接负责人%s报告：%s的工单 %s 未能办结，需领导协调", d.ActorName, d.DepartmentName, d.OrderNo)
		}
		lines := []string{
			first,
			"反映人诉求：" + d.Matter,
			"上报原因：" + d.Reason,
		}
		var actions []Action
		if len(d.Departments) > 1 {
			lines = append(lines, "涉及部门："+strings.Join(d.Departments, "、"))
			actions = append(actions, Action{Label: "指派联合办理", Command: "联办 " + d.CaseNo + " " + strings.Join(d.Departments, " ") + " 说明"})
		}
		return Card{Title: title, Lines: lines, Actions: actions}
	case models.NoticeReminder:
		return Card{Title: fmt.Sprintf("⏰ 提醒：%s 今天 %s 到期，尚未答复", d.OrderNo, clockOf(d.DueAt)),
			Lines:    []string{"案件：" + d.CaseNo, "事项：" + d.Matter, "反映人：" + applicant},
			Mentions: d.Mentions,
			Actions:  []Action{{Label: "答复结果", Command: "回复 " + d.OrderNo + " 办理结果"}, {Label: "申请延期", Command: "延期 " + d.OrderNo + " 工作日数 原因"}}}
	case models.NoticeOverdue:
		late := "已超期未答复"
		if d.LateDays > 0 {
			late = fmt.Sprintf("已超期 %d 个工作日未答复", d.LateDays)
		}
		return Card{Title: fmt.Sprintf("⚠️ %s %s（%s）", d.OrderNo, late, d.DepartmentName),
			Lines: []string{"案件：" + d.CaseNo, "事项：" + d.Matter, "反映人：" + applicant, "答复时限：" + due(),
				"已报告窗口负责人与分管领导；请尽快答复"},
			Mentions: d.Mentions,
			Actions:  []Action{{Label: "答复结果", Command: "回复 " + d.OrderNo + " 办理结果"}}}
	case models.NoticeCapReached:
		capAt := "—"
		if d.CapAt != nil {
			capAt = models.FormatTime(*d.CapAt)
		}
		what := fmt.Sprintf("已满%d个工作日仍未答复", d.MaxWorkdays())
		if d.LateDays > 0 {
			what = fmt.Sprintf("已超过%d个工作日的最长时限 %d 个工作日仍未答复", d.MaxWorkdays(), d.LateDays)
		}
		return Card{Title: fmt.Sprintf("🚨 %s %s（%s）", d.OrderNo, what, d.DepartmentName),
			Lines: []string{"案件：" + d.CaseNo, "事项：" + d.Matter, "反映人：" + applicant, "最长时限：" + capAt, "首接负责人：" + d.OwnerName}}
	case models.NoticeWaitReminder, models.NoticeWaitEscalated:
		return waitCard(kind, d, applicant)
	case models.NoticeOrderDelayed:
		return Card{Title: fmt.Sprintf("【请告知反映人｜%s】%s", d.CaseNo, delayTitle(d)),
			Lines: []string{"反映人：" + applicant + "（未使用服务号，请通过短信或电话告知）", "可发送的短信：" + d.Note}}
	case models.NoticeSummonOverdue:
		arrive := "—"
		if d.ArriveBy != nil {
			arrive = models.FormatTime(*d.ArriveBy)
		}
		return Card{Title: fmt.Sprintf("【未到场｜%s】", d.CaseNo), Lines: []string{d.DepartmentName + "工作人员未在 " + arrive + " 前到达“办不成事”反映窗口"}}
	case models.NoticeRatingRequest, models.NoticeRatingReminder:
		title := fmt.Sprintf("【请反映人评价｜%s】", d.CaseNo)
		if kind == models.NoticeRatingReminder {
			title = fmt.Sprintf("【评价提醒｜%s】反映人尚未评价", d.CaseNo)
		}
		return Card{Title: title, Lines: []string{
			"反映人：" + applicant + "（未使用服务号，请通过短信或电话请其评价）",
			"可发送的短信：" + d.Note,
			"也可当面或电话听取评价后在系统中记录（非常满意／满意／基本满意／不满意／非常不满意）",
		}}
	case models.NoticeRated:
		lines := []string{"评价：" + d.Reason}
		if d.Note != "" {
			lines = append(lines, "意见："+d.Note)
		}
		return Card{Title: fmt.Sprintf("【评价｜%s】", d.CaseNo), Lines: lines}
	case models.NoticeFollowUpDue:
		return Card{Title: fmt.Sprintf("【跟踪回访｜%s】请今天回访反映人", d.CaseNo),
			Lines: []string{"反映人：" + applicant, "事项：" + d.Matter, "上次评价：" + d.Reason, "回访后请记录回访情况"}}
	case models.NoticeFollowUpOverdue:
		return Card{Title: fmt.Sprintf("【跟踪回访逾期｜%s】差评重办后的回访未按时记录", d.CaseNo),
			Lines: []string{"首接负责人：" + d.OwnerName, "应回访时间：" + due(), "反映人：" + applicant, "事项：" + d.Matter,
				"差评重办的事项须跟踪回访（第十三条），记录回访后方能办结；请督促首接负责人尽快回访并记录"}}
	case models.NoticeMonthly:
		return Card{Title: d.Note, Lines: strings.Split(d.Text, "\n"), Link: d.Link, LinkLabel: "查看完整月报"}
	case models.NoticeDutyMissed:
		return Card{Title: "【值班未到岗】" + d.Note, Lines: []string{d.ActorName + " 未按时签到（第十七条）"}}
	case models.NoticeOwnerAssigned, models.NoticeHandedOver:
		lines := []string{"类别：" + d.Category.Label(), "事项：" + d.Matter, "反映人：" + applicant}
		if d.Reason != "" {
			lines = append(lines, "交接原因："+d.Reason)
		}
		return Card{Title: fmt.Sprintf("【新案件｜%s】您是首接负责人", d.CaseNo), Lines: lines}
	case models.NoticeCaseAnswered:
		return Card{Title: fmt.Sprintf("【已答复｜%s】", d.CaseNo), Lines: []string{d.Outcome.Label() + "：" + d.Result}}
	case models.NoticeInstructionAsked:
		return Card{Title: fmt.Sprintf("【请示｜%s】", d.CaseNo),
			Lines:   []string{"事项：" + d.Matter, "请示内容：" + d.Note, "首接负责人：" + d.OwnerName},
			Actions: []Action{{Label: "批示", Command: "批示 " + d.CaseNo + " 批示意见"}}}
	case models.NoticeInstructionFiled:
		return Card{Title: fmt.Sprintf("【请示报备｜%s】", d.CaseNo),
			Lines: []string{"请示内容：" + d.Note, "领导答复：" + d.Result}}
	case models.NoticeLeaderInstruction:
		lines := []string{"事项：" + d.Matter, "反映人：" + applicant, "请示内容：" + d.Note, d.ActorName + "批示：" + d.Result}
		var actions []Action
		if d.OrderNo != "" {
			lines = append(lines, fmt.Sprintf("请按批示办理工单 %s，并于 %s 前答复", d.OrderNo, due()))
			actions = append(actions, Action{Label: "答复结果", Command: "回复 " + d.OrderNo + " 办理结果"})
		} else if len(d.Departments) > 0 {
			lines = append(lines, "已转"+strings.Join(d.Departments, "、")+"按批示办理")
		}
		return Card{Title: fmt.Sprintf("【领导批示｜%s】", d.CaseNo), Lines: lines, Actions: actions}
	case models.NoticeAppealFiled:
		return Card{Title: fmt.Sprintf("【申诉｜%s】%s提出申诉", d.CaseNo, d.DepartmentName),
			Lines: []string{"申诉对象：" + d.Text, "申诉类型：" + d.Reason, "申诉理由：" + d.Note, "提出人：" + d.ActorName,
				"请监督考核科在管理后台“申诉”中裁定（成立或驳回，并说明理由）"}, Link: d.Link, LinkLabel: "在管理后台裁定申诉"}
	case models.NoticeAppealDecided:
		return Card{Title: fmt.Sprintf("【申诉裁定｜%s】%s", d.CaseNo, d.Result),
			Lines:    []string{"申诉部门：" + d.DepartmentName, "申诉对象：" + d.Text + "（" + d.Reason + "）", "裁定理由：" + d.Note, "裁定人：" + d.ActorName},
			Mentions: d.Mentions}
	case models.NoticeRectifyOpened, models.NoticeRectifyReminder, models.NoticeRectifyOverdue, models.NoticeRectifyReported, models.NoticeRectified:
		return rectifyCard(kind, d, applicant)
	case models.NoticeCaseReopened:
		return Card{Title: fmt.Sprintf("【退回重办｜%s】", d.CaseNo), Lines: []string{d.Reason, "请重新派发工单并跟踪回访"}}
	}
	return Card{Title: fmt.Sprintf("【%s】", d.CaseNo), Lines: []string{string(kind)}}
}

// Markdown draws a card in the markdown both WeCom and DingTalk read;
// mention renders one @.
func (c Card) Markdown(mention func(staffID string) string) string {
	var b strings.Builder
	b.WriteString("**" + c.Title + "**\n")
	for _, l := range c.Lines {
		b.WriteString("> " + l + "\n")
	}
	if len(c.Actions) > 0 {
		b.WriteString("\n@我 发送：")
		for i, a := range c.Actions {
			if i > 0 {
				b.WriteString(" ｜ ")
			}
			b.WriteString("`" + a.Command + "`")
		}
		b.WriteString("\n")
	}
	if c.Link != "" {
		b.WriteString("[" + c.LinkText() + "](" + c.Link + ")\n")
	}
	for _, id := range c.Mentions {
		if m := mention(id); m != "" {
			b.WriteString(m + " ")
		}
	}
	return strings.TrimSpace(b.String())
}

// clockOf is the time of day of a deadline, "18:00".
func clockOf(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.In(models.Shanghai).Format("15:04")
}

// waitCard draws a wait's reminder or escalation: a case not handled, a
// 退回重办 without a new order, a 请示 unanswered.
func waitCard(kind models.NoticeKind, d models.NoticeData, applicant string) Card {
	due, since := "—", "—"
	if d.DueAt != nil {
		due = models.FormatTime(*d.DueAt)
	}
	if d.Since != nil {
		since = models.FormatTime(*d.Since)
	}
	var what, todo string
	lines := []string{"事项：" + d.Matter, "反映人：" + applicant}
	switch d.Wait {
	case "instruction":
		what, todo = "的请示尚未答复", "请于 "+due+" 前答复请示"
		lines = append(lines, "请示内容："+d.Note, "请示时间："+since)
	case "reopen":
		what, todo = fmt.Sprintf("已退回重办（第 %d 轮），尚未重新派发工单或答复", d.Round), "请于 "+due+" 前重新办理"
		lines = append(lines, "退回时间："+since)
	case "answer":
		what, todo = "已研判/已通知窗口到现场，尚未答复申请人", "请于 "+due+" 前答复申请人（登记办理结果，或派发工单）"
		lines = append(lines, "研判或通知时间："+since)
	default:
		what, todo = "受理后尚未研判处理", "请于 "+due+" 前研判处理：当场解决、通知窗口到现场或派发工单"
		lines = append(lines, "受理时间："+since)
	}
	lines = append(lines, "首接负责人："+d.OwnerName)
	if kind == models.NoticeWaitReminder {
		return Card{Title: fmt.Sprintf("⏰ 提醒：案件 %s %s", d.CaseNo, what), Lines: append(lines, todo)}
	}
	return Card{Title: fmt.Sprintf("⚠️ 案件 %s %s，已 %d 个工作日", d.CaseNo, what, d.WaitedDays),
		Lines: append(lines, "时限："+due+"，请督促办理")}
}

// delayTitle says why the applicant is to be told of a delay.
func delayTitle(d models.NoticeData) string {
	switch d.Delay {
	case "escalated":
		return d.DepartmentName + "已上报领导协调"
	case "cap":
		return d.DepartmentName + "已超过最长办理时限"
	}
	return d.DepartmentName + "超期未答复"
}

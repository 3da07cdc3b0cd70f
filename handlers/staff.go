package handlers

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"bbcs/bot"
	"bbcs/casework"
	"bbcs/models"
)

// Staff answers window staff and leaders who @-mention the bot in a window
// group or write to it privately, on WeCom or DingTalk (R5):
//
//	签收 GD…                  sign for an order
//	回复 GD… 结果…            reply with the result
//	延期 GD… 5 原因…          extend by 5 working days (or to a date: 延期 GD… 2026-03-20 原因…)
//	上报 GD… 原因…            beyond our authority (or, for the owner, stuck): to the leaders
//	到达 BB… [部门]           arrived at the complaint window after a summons
//	请示 BB… [领导] 内容…      (owner) ask a leader for instruction (第六条, 第七条)
//	批示 BB… 意见…            (leader) answer a 请示
//	联办 BB… 部门 部门 说明…  (主要负责领导) joint orders to the named departments
//	登记 姓名 电话 类别 事项   (specialist) register a walk-in or phone case (R1; chatregister.go)
//	到岗                      (specialist) the duty check-in (第四条; also 签到)
//	整改 BB… 属实|不属实 措施… (window head) report a 差评整改 (rectify.go)
//	申诉 BB… [部门] 恶意差评|非本部门原因|扣分有误 理由… (window head, 分管领导) appeal (appeal_chat.go)
//	帮助
//
// Every action is authorised by casework against the sender's department
// and role; the answer goes back to where the command was said.
type Staff struct {
	Cases  *casework.Service
	Redis  *redis.Client
	Prefix string
	Kick   func() // wake the outbox
	Log    *slog.Logger
}

var (
	orderNoRE = regexp.MustCompile(`^[A-Z]{1,4}\d{8}-\d{3,}-\d+$`) // a whole argument, upper-cased
	// staffCaseNoRE is a whole argument too; caseNoRE finds one inside a
	// citizen's words.
	staffCaseNoRE = regexp.MustCompile(`^[A-Z]{1,4}\d{8}-\d{3,}$`)
	dateRE        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// Handle answers one message once, however often the platform delivers it.
// An outage answers an error, for the webhook to ask for a retry.
func (h *Staff) Handle(ctx context.Context, m bot.Message) (string, error) {
	return once(ctx, h.Redis, h.Prefix+":"+string(m.Platform)+":seen:"+m.ID, nil,
		func(redis.Pipeliner) (string, error) { return h.handle(ctx, m) })
}

func (h *Staff) handle(ctx context.Context, m bot.Message) (string, error) {
	actor, err := h.Cases.StaffByPlatformID(ctx, string(m.Platform), m.UserID)
	if outage(err) {
		return "", unavailable(err)
	}
	if err != nil {
		return "您不在本中心的工作人员名单中，无法通过机器人办理工单。如有疑问请联系“办不成事”反映窗口。", nil
	}
	text := strings.TrimSpace(m.Text)
	if m.ButtonKey != "" {
		// A card button's key is a command with its number: "签收 GD…".
		text = m.ButtonKey
	}
	reply, err := h.run(ctx, actor, string(m.Platform)+":"+m.ID, text)
	if err != nil {
		return "", err
	}
	if h.Kick != nil {
		h.Kick()
	}
	return reply, nil
}

func (h *Staff) run(ctx context.Context, actor models.Staff, source, text string) (string, error) {
	reply, err := h.command(ctx, actor, source, text)
	if outage(err) {
		return "", unavailable(err)
	}
	if err != nil {
		return models.ErrorMessage(err), nil
	}
	return reply, nil
}

// command runs one staff command; err is the use case's refusal or failure.
// source names the message, so that a delivery again registers nothing new.
func (h *Staff) command(ctx context.Context, actor models.Staff, source, text string) (string, error) {
	verb, rest, _ := strings.Cut(strings.Join(strings.Fields(splitVerb(text)), " "), " ")
	args := strings.Fields(rest)
	no := ""
	if len(args) > 0 {
		no = strings.ToUpper(args[0])
	}
	tail := func(n int) string { // free text after the first n arguments
		f := strings.Fields(rest)
		if len(f) <= n {
			return ""
		}
		return strings.Join(f[n:], " ")
	}
	var (
		c   *models.Case
		err error
	)
	switch verb {
	case "签收":
		if !orderNoRE.MatchString(no) {
			return "请写明工单编号，例如：签收 GD20260310-004-1", nil
		}
		var o *models.WorkOrder
		if c, o, err = h.Cases.SignOrder(ctx, actor, no); err == nil {
			return fmt.Sprintf("%s 已签收 %s，请于 %s 前答复。", actor.Name, no, models.FormatTime(o.Deadline())), nil
		}
	case "回复", "答复":
		if !orderNoRE.MatchString(no) || tail(1) == "" {
			return "请写明工单编号和办理结果，例如：回复 GD20260310-004-1 已电话告知补交完税证明", nil
		}
		if c, err = h.Cases.Reply(ctx, actor, no, tail(1)); err == nil {
			msg := fmt.Sprintf("%s 已答复 %s，结果已同时告知反映人、首接负责人和监督考核科。", actor.Name, no)
			if c.Status == models.CaseAnswered {
				msg += "本案各部门均已答复。"
			}
			return msg, nil
		}
	case "延期":
		if !orderNoRE.MatchString(no) || len(args) < 3 {
			return "请写明工单编号、延期的工作日数（或新日期）和原因，例如：延期 GD20260310-004-1 5 需调取档案", nil
		}
		if dateRE.MatchString(args[1]) {
			c, err = h.Cases.Extend(ctx, actor, no, args[1], tail(2))
		} else if days, convErr := strconv.Atoi(args[1]); convErr == nil {
			// "延期 GD… 3 天 原因" and "… 3 个工作日 原因" say the same.
			reason := strings.TrimSpace(strings.TrimLeft(tail(2), "个工作日天"))
			c, err = h.Cases.ExtendDays(ctx, actor, no, days, reason)
		} else {
			return "延期请写工作日数或日期，例如：延期 " + no + " 5 需调取档案，或：延期 " + no + " 2026-03-20 需调取档案", nil
		}
		if err == nil {
			return actor.Name + h.orderLine(ctx, no, " 已将 %s 延期，新的答复时限为 %s（最长不超过"+strconv.Itoa(h.Cases.MaxDays())+"个工作日），已告知反映人、首接负责人和监督考核科。"), nil
		}
	case "上报":
		if !orderNoRE.MatchString(no) || tail(1) == "" {
			return "请写明工单编号和原因，例如：上报 GD20260310-004-1 需市场监管、税务两个部门联合办理", nil
		}
		if c, err = h.Cases.Escalate(ctx, actor, no, tail(1), nil); err == nil {
			return fmt.Sprintf("%s 已上报 %s，已通知领导协调办理。", actor.Name, no), nil
		}
	case "到达":
		if !staffCaseNoRE.MatchString(no) {
			return "请写明案件编号，例如：到达 BB20260310-004", nil
		}
		dept := ""
		if len(args) > 1 { // the owner naming the department that arrived
			if d, derr := h.Cases.DepartmentByName(ctx, args[1]); derr == nil {
				dept = d.Code
			} else if outage(derr) {
				return "", derr
			}
		}
		if c, err = h.Cases.ConfirmArrivalOf(ctx, actor, no, dept); err == nil {
			return fmt.Sprintf("%s 已确认到达“办不成事”反映窗口（%s）。", actor.Name, no), nil
		}
	case "请示":
		if !staffCaseNoRE.MatchString(no) || tail(1) == "" {
			return "请写明案件编号、领导（可省略，默认主要负责领导）和请示内容，例如：请示 BB20260310-004 陈副主任 两部门意见不一，如何认定", nil
		}
		leader, question := h.leaderNamed(ctx, args[1]), tail(1)
		if leader.ID != "" {
			question = tail(2)
		}
		if c, err = h.Cases.RequestInstruction(ctx, actor, no, leader.ID, question); err == nil {
			return fmt.Sprintf("%s 已向%s请示（%s），领导答复后会通知您。", actor.Name, cmp.Or(leader.Name, "主要负责领导"), no), nil
		}
	case "批示":
		if !staffCaseNoRE.MatchString(no) || tail(1) == "" {
			return "请写明案件编号和批示意见，例如：批示 BB20260310-004 以不动产登记窗口意见为准", nil
		}
		if c, err = h.Cases.AnswerInstruction(ctx, actor, no, tail(1)); err == nil {
			if c.Status == models.CaseDispatched {
				return fmt.Sprintf("%s 已批示（%s），已转首接负责人和办理部门，并报监督考核科备案。", actor.Name, no), nil
			}
			return fmt.Sprintf("%s 已批示（%s），已答复反映人，并报监督考核科备案。", actor.Name, no), nil
		}
	case "联办":
		if !staffCaseNoRE.MatchString(no) || len(args) < 2 {
			return "请写明案件编号和联合办理的部门，例如：联办 BB20260312-011 市场监管窗口 税务窗口 请两部门联合核实", nil
		}
		var codes, names []string
		note := ""
		for i, a := range args[1:] {
			d, derr := h.Cases.DepartmentByName(ctx, a)
			if derr != nil {
				if len(codes) == 0 {
					return "", derr
				}
				note = strings.Join(args[1+i:], " ")
				break
			}
			codes, names = append(codes, d.Code), append(names, d.Name)
		}
		if c, err = h.Cases.Dispatch(ctx, actor, no, codes, note, true); err == nil {
			return fmt.Sprintf("%s 已指派%s联合办理 %s，各部门将在%d个工作日内答复。", actor.Name, strings.Join(names, "、"), no, h.Cases.ReplyDays()), nil
		}
	case "办结":
		// Nobody closes a case by hand (第十三条): the answer says how it
		// will close.
		if !staffCaseNoRE.MatchString(no) {
			return "案件在反映人评价后自动办结；反映人当面或电话给出的评价，由首接负责人在系统中记录；期限内未评价的，自动按“未评价”办结。", nil
		}
		c, err = h.Cases.Close(ctx, actor, no, tail(1))
	case "登记":
		reg, missing, badPhone := chatRegistration(rest)
		if len(missing) > 0 || badPhone {
			return registerHelp(missing, badPhone), nil
		}
		reg.SourceID = source
		if c, err = h.Cases.Register(ctx, actor, reg); err == nil {
			return h.registeredReply(ctx, actor, c), nil
		}
	case "到岗", "签到":
		ci, err := h.Cases.CheckIn(ctx, actor)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("%s 已签到（%s）。", actor.Name, models.FormatTime(ci.At))
		if ci.Late {
			msg += "今天您值班，签到晚于规定的到岗时间，已记为迟到，待监督考核科确认。"
		}
		return msg, nil
	case "整改":
		return h.rectifyCommand(ctx, actor, no, args, tail)
	case "申诉":
		return h.appealCommand(ctx, actor, no, args)
	case "帮助", "":
		return h.help(), nil
	default:
		return "没看懂这条指令。\n" + h.help(), nil
	}
	return "", err
}

// staffVerbs are the commands' first words.
var staffVerbs = []string{"签收", "回复", "答复", "延期", "上报", "到达", "联办", "请示", "批示", "办结", "登记", "到岗", "签到", "整改", "申诉", "帮助"}

// splitVerb separates a command's verb from what follows when staff
// write it without a space, or with a colon: "签收GD…", "签收：GD…".
func splitVerb(text string) string {
	text = strings.TrimSpace(text)
	for _, v := range staffVerbs {
		if rest, ok := strings.CutPrefix(text, v); ok {
			return v + " " + strings.TrimLeft(rest, " :：,，")
		}
	}
	return text
}

// registeredReply tells the specialist the new case's number and what
// comes next; the number is masked, for a group hears it.
func (h *Staff) registeredReply(ctx context.Context, actor models.Staff, c *models.Case) string {
	owner := c.OwnerID
	if c.OwnerID == actor.ID {
		owner = actor.Name // a walk-in's owner is who received it
	} else if st, err := h.Cases.Staff(ctx, c.OwnerID); err == nil {
		owner = st.Name
	}
	who := c.ApplicantName
	if c.Company != "" {
		who += "（" + c.Company + "）"
	}
	return fmt.Sprintf("已登记，案件编号 %s。\n反映人：%s %s（%s）\n类别：%s\n首接负责人：%s\n"+
		"下一步：请将案件编号告知反映人；在管理后台“台账”中打开本案，派发工单给办理部门。",
		c.No, who, models.MaskMobile(c.ApplicantMobile), c.Channel.Label(), c.Category.Label(), owner)
}

// leaderNamed is the active leader called name, or none.
func (h *Staff) leaderNamed(ctx context.Context, name string) models.Staff {
	all, err := h.Cases.AllStaff(ctx)
	if err != nil {
		return models.Staff{}
	}
	for _, st := range all {
		if st.Active && st.Name == name && (st.Role == models.RoleLeader || st.Role == models.RolePrincipalLeader) {
			return st
		}
	}
	return models.Staff{}
}

// orderLine fills an answer with the order's number and its deadline now;
// format is a constant, never a name someone typed.
func (h *Staff) orderLine(ctx context.Context, orderNo, format string) string {
	// The order alone: the whole case (timeline and all) is nine queries.
	if _, o, err := h.Cases.Order(ctx, orderNo); err == nil {
		return fmt.Sprintf(format, orderNo, models.FormatTime(o.Deadline()))
	}
	return fmt.Sprintf(format, orderNo, "—")
}

// help is the list of commands, with the centre's longest time for an
// order (workday.max_days).
func (h *Staff) help() string { return fmt.Sprintf(staffHelp, h.Cases.MaxDays()) }

const staffHelp = `可用指令（在群里 @我 发送）：
签收 工单号
回复 工单号 办理结果
延期 工单号 工作日数 原因（或：延期 工单号 YYYY-MM-DD 原因；最长不超过%d个工作日）
上报 工单号 原因（超出本窗口权限，报告领导；首接负责人也可上报未能办结的工单）
到达 案件号（被通知到“办不成事”反映窗口后确认到达；首接负责人可写：到达 案件号 部门）
联办 案件号 部门 部门 说明（主要负责领导指派联合办理，至少两个部门）
请示 案件号 领导姓名 请示内容（首接负责人；不写领导则请示主要负责领导）
批示 案件号 批示意见（领导答复请示）
登记 姓名 电话 类别 事项（接诉即办专员登记现场或电话反映，电话来件加“来电”；也可写 姓名：… 电话：… 类别：… 事项：…）
到岗（值班的接诉即办专员每个工作日签到）
整改 案件号 [部门] 属实/不属实 核实情况和整改措施（窗口负责人或分管领导报告差评整改）
申诉 案件号 恶意差评/非本部门原因/扣分有误 理由（窗口负责人或分管领导对差评、扣分申诉；分管领导在案件号后写部门）`

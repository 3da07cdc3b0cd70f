package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The pure rules of the workflow: whether a change is legal in the state a
// case or order is in. casework calls them inside its transactions; they
// read no database and no clock, so they are tested as tables.

// CheckDispatch: work orders go out from a case still being handled. A case
// already dispatched may get more (joint) orders of the same round.
func CheckDispatch(c *Case) error {
	switch c.Status {
	case CaseRegistered, CaseDispatched, CaseReopened:
		return nil
	case CaseAnswered:
		return Errorf(ErrConflict, "案件 %s 已答复申请人，不能再派发工单；如申请人不满意，请按差评退回重办", c.No)
	}
	return Errorf(ErrConflict, "案件 %s 已办结，不能再派发工单", c.No)
}

// CheckDirectAnswer: the owner answers the applicant without (further) work
// orders — solved on the spot, or one of 第六条's answers.
func CheckDirectAnswer(c *Case) error {
	switch c.Status {
	case CaseRegistered, CaseReopened:
		return nil
	case CaseDispatched:
		return Errorf(ErrConflict, "案件 %s 的工单尚未全部答复，请等待部门答复", c.No)
	case CaseAnswered:
		return Errorf(ErrConflict, "案件 %s 已答复申请人", c.No)
	}
	return Errorf(ErrConflict, "案件 %s 已办结", c.No)
}

// CheckOpen: handover, triage, summons and 请示 need a case not yet closed.
func CheckOpen(c *Case) error {
	if c.Status == CaseClosed {
		return Errorf(ErrConflict, "案件 %s 已办结", c.No)
	}
	return nil
}

// CheckClose: nobody closes a case by hand. 第六条 — a case never ends in
// a bare “no”: it is answered first. 第十三条 — an answered case waits for
// the applicant's rating: it closes on the rating (the applicant's, or one
// the owner records as given in person or by phone), as 未评价 once
// notRatedAfter has passed (e.g. "7天"), and after a re-handled round
// only once the follow-up visit is recorded (visitOwed).
func CheckClose(c *Case, notRatedAfter string, visitOwed bool) error {
	switch c.Status {
	case CaseAnswered:
		msg := fmt.Sprintf("案件 %s 已答复反映人，正在等待评价，不能直接办结（第十三条）。案件将这样办结：反映人评价后自动办结；或由首接负责人记录反映人当面、电话给出的评价；或答复后 %s 内仍未评价的，自动按“未评价”办结", c.No, notRatedAfter)
		if visitOwed {
			msg += "。本案是差评重办的事项，还须记录跟踪回访后才能办结"
		}
		return Errorf(ErrConflict, "%s。", msg)
	case CaseClosed:
		return Errorf(ErrConflict, "案件 %s 已办结", c.No)
	}
	return Errorf(ErrConflict, "案件 %s 尚未答复申请人，不能办结（窗口无否决权：须当场解决、由部门答复，或告知办理方法路径、需补充的内容，或请示后答复）", c.No)
}

// refusalWords read as a bare “no” in an answer.
var refusalWords = []string{"不予", "无法", "不能办", "办不了", "没法办", "办不成", "办不到", "没办法", "不能受理", "不受理", "不符合", "不属于", "拒绝", "不给办", "不办理", "不行", "不可以"}

// referralWords with “咨询” in one clause send the applicant off to ask
// elsewhere (“请自行到市局咨询”): a “no” without the way and the path.
var referralWords = []string{"自行", "请到", "请去", "请前往"}

// solvedWords say the matter was done, or a refusal corrected.
var solvedWords = []string{"已办结", "已办好", "已办妥", "已办理完", "已办完", "已补办", "已解决", "已当场办", "已完成", "已领取", "已拿到", "已发放", "已发证", "已出具", "已开具", "已补开", "已更正", "已纠正", "已协调", "已受理并办", "现已"}

// lastRefusal finds the last place the answer says “no”: the refusal
// and where it ends; end -1 for none.
func lastRefusal(result string) (refusal string, end int) {
	end = -1
	for _, w := range refusalWords {
		if i := strings.LastIndex(result, w); i >= 0 && i+len(w) > end {
			refusal, end = w, i+len(w)
		}
	}
	from := 0
	for i, r := range result + "。" {
		if !strings.ContainsRune("，。；;,！!？?\n", r) {
			continue
		}
		clause := result[from:min(i, len(result))]
		from = i + utf8.RuneLen(r)
		if !strings.Contains(clause, "咨询") {
			continue
		}
		for _, w := range referralWords {
			if strings.Contains(clause, w) && i > end {
				refusal, end = strings.TrimSpace(clause), i
			}
		}
	}
	return refusal, end
}

// CheckOnTheSpot: 第六条 — 当场解决 is for a matter solved. An answer that
// reads as a refusal (不予、无法、不行、不符合、不属于、拒绝、请自行咨询…) is a
// bare “no” unless what follows it says the matter was done or the
// refusal corrected (“此前窗口拒绝受理，现已纠正并办结”): a “done” before
// the refusal does not excuse it (“已完成审核，不予办理”). A bare “no” goes
// through the way and the path (不属于受理范围), what to add and how
// (不符合办理条件), or a 请示.
func CheckOnTheSpot(result string) error {
	refusal, end := lastRefusal(result)
	if end < 0 {
		return nil
	}
	for _, w := range solvedWords {
		if strings.Contains(result[end:], w) {
			return nil
		}
	}
	return Errorf(ErrInvalid, "“当场解决”的答复须是已经办成的结果，这条答复（“%s”）读来是不予办理。窗口无否决权，不能简单说“不”（第六条）：不属于受理范围的，请选择“不属于中心受理范围”，告知办理方法和路径；不符合办理条件的，请选择“不符合办理条件”，列明需补充的内容和改进方法；属模糊地带、空白领域的，请“请示领导”后答复。如事情已当场办成，请写明办成的结果（如“已当场办结”）", refusal)
}

// CheckSign: an order is signed for once.
func CheckSign(o *WorkOrder) error {
	if o.Status == OrderReplied {
		return Errorf(ErrConflict, "工单 %s 已答复，无需签收", o.No)
	}
	if o.SignedAt == nil {
		return nil // pending, or extended before anyone signed
	}
	return Errorf(ErrConflict, "工单 %s 已于 %s 签收，无需重复签收", o.No, FormatTime(derefTime(o.SignedAt)))
}

// CheckReply: an order is answered once.
func CheckReply(o *WorkOrder) error {
	if o.Status == OrderReplied {
		return Errorf(ErrConflict, "工单 %s 已于 %s 答复，不能重复答复", o.No, FormatTime(derefTime(o.RepliedAt)))
	}
	return nil
}

// CheckEscalate: only an order still owed can be reported upwards.
func CheckEscalate(o *WorkOrder) error {
	if o.Status == OrderReplied {
		return Errorf(ErrConflict, "工单 %s 已答复，不能再上报", o.No)
	}
	return nil
}

// CheckExtend: 第十二条 — an extension is asked for before the deadline
// passes, names a later due time and never passes 10 working days from
// receipt (CapAt).
func CheckExtend(o *WorkOrder, now, until time.Time, maxDays int) error {
	if o.Status == OrderReplied {
		return Errorf(ErrConflict, "工单 %s 已答复，不能再延期", o.No)
	}
	// An extension is arranged within the time allowed (第十二条): once
	// it has passed the order is overdue, and an extension would only
	// hide that from the assessment.
	if now.After(o.Deadline()) {
		return Errorf(ErrConflict, "工单 %s 已超过办理时限 %s，不能再延期，请尽快答复", o.No, FormatTime(o.Deadline()))
	}
	if !until.After(o.Deadline()) {
		return Errorf(ErrInvalid, "延期后的办理时限须晚于当前时限 %s", FormatTime(o.Deadline()))
	}
	if until.After(o.CapAt) {
		return Errorf(ErrLimit, "延时办理最长不超过%d个工作日：工单 %s 最晚只能延至 %s", maxDays, o.No, FormatDate(o.CapAt))
	}
	return nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

package models

import "time"

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

// CheckClose: 第六条 — a case never ends in a bare “no”: it closes only
// once the applicant has had an answer.
func CheckClose(c *Case) error {
	switch c.Status {
	case CaseAnswered:
		return nil
	case CaseClosed:
		return Errorf(ErrConflict, "案件 %s 已办结", c.No)
	}
	return Errorf(ErrConflict, "案件 %s 尚未答复申请人，不能办结（窗口无否决权：须当场解决、由部门答复，或告知办理方法路径、需补充的内容，或请示后答复）", c.No)
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
func CheckExtend(o *WorkOrder, now, until time.Time) error {
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
		return Errorf(ErrLimit, "延时办理最长不超过10个工作日：工单 %s 最晚只能延至 %s", o.No, FormatDate(o.CapAt))
	}
	return nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"bbcs/models"
	"bbcs/workday"
)

// Decision is the owner's choice at triage (第十条).
type Decision string

const (
	DecideOnTheSpot Decision = "on_the_spot" // 当场协调解决
	DecideSummon    Decision = "summon"      // 通知窗口工作人员到现场
	DecideDispatch  Decision = "dispatch"    // 派发工单
)

// Triage is the owner's 研判: the category confirmed or corrected, the
// related departments, and how the case will be handled.
type Triage struct {
	Category    models.Category
	Departments []string
	Decision    Decision
	Note        string
	Result      string // for on_the_spot: the answer given
}

// Triage records the owner's 研判 and carries out its decision in the same
// transaction: solving on the spot, summoning the window staff, or
// dispatching work orders.
func (s *Service) Triage(ctx context.Context, actor models.Staff, no string, t Triage) (*models.Case, error) {
	switch t.Decision {
	case DecideOnTheSpot, DecideSummon, DecideDispatch:
	default:
		return nil, models.Errorf(models.ErrInvalid, "研判结论 %q 不正确：应为 on_the_spot（当场解决）、summon（通知窗口到现场）或 dispatch（派发工单）", t.Decision)
	}
	if t.Category != "" && !t.Category.Valid() {
		return nil, models.Errorf(models.ErrInvalid, "事项类别 %q 不正确，可选：%s", t.Category, categoryCodes())
	}
	if (t.Decision == DecideSummon || t.Decision == DecideDispatch) && len(t.Departments) == 0 {
		return nil, models.Errorf(models.ErrInvalid, "请选择相关部门（departments）")
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := models.CheckOpen(ch.c); err != nil {
			return err
		}
		if err := ch.requireOwner(); err != nil {
			return err
		}
		if t.Category != "" && t.Category != ch.c.Category {
			ch.record("reclassified", "", fmt.Sprintf("类别：%s → %s", ch.c.Category.Label(), t.Category.Label()))
			ch.c.Category = t.Category
		}
		names, err := ch.departmentNames(t.Departments)
		if err != nil {
			return err
		}
		if len(t.Departments) > 0 {
			ch.c.Departments = models.JoinCodes(mergeCodes(ch.c.DepartmentCodes(), t.Departments))
		}
		note := map[Decision]string{DecideOnTheSpot: "当场协调解决", DecideSummon: "通知窗口工作人员到现场", DecideDispatch: "派发工单"}[t.Decision]
		if len(names) > 0 {
			note += "；相关部门：" + strings.Join(names, "、")
		}
		if t.Note != "" {
			note += "；" + strings.TrimSpace(t.Note)
		}
		ch.record("triaged", "", note)
		switch t.Decision {
		case DecideOnTheSpot:
			if strings.TrimSpace(t.Result) == "" {
				return nil // the answer follows with Resolve
			}
			result, err := onTheSpotResult(t.Result)
			if err != nil {
				return err
			}
			if err := models.CheckDirectAnswer(ch.c); err != nil {
				return err
			}
			return ch.answer(models.OutcomeOnTheSpot, result)
		case DecideSummon:
			for _, code := range t.Departments {
				if err := ch.summon(code, t.Note); err != nil {
					return err
				}
			}
			return nil
		}
		return ch.dispatch(t.Departments, t.Note, false)
	})
}

func (ch *change) departmentNames(codes []string) ([]string, error) {
	names := make([]string, 0, len(codes))
	for _, code := range codes {
		d, err := ch.department(code)
		if err != nil {
			return nil, err
		}
		names = append(names, d.Name)
	}
	return names, nil
}

func mergeCodes(a, b []string) []string {
	out := slices.Clone(a)
	for _, c := range b {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Dispatch sends work orders to one or several departments (第十一条).
// Joint orders are the 主要负责领导's coordination of related units.
func (s *Service) Dispatch(ctx context.Context, actor models.Staff, no string, departments []string, note string, joint bool) (*models.Case, error) {
	if len(departments) == 0 {
		return nil, models.Errorf(models.ErrInvalid, "请至少选择一个部门（departments）")
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireDispatcher(joint); err != nil {
			return err
		}
		if joint {
			if err := ch.requireJoint(departments); err != nil {
				return err
			}
		}
		return ch.dispatch(departments, note, joint)
	})
}

// requireJoint: 第十一条 — 联合办理 is related units handling one matter
// together: at least two departments, counting those that already hold
// an open order of the round (a leader bringing in a second unit).
func (ch *change) requireJoint(departments []string) error {
	units := mergeCodes(nil, departments)
	orders, err := ch.roundOrders()
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.Open() {
			units = mergeCodes(units, []string{o.DepartmentCode})
		}
	}
	if len(units) < 2 {
		return models.Errorf(models.ErrInvalid, "联合办理须有至少两个部门共同办理：请再选择一个相关部门，或不勾选“联合办理”按普通工单派发")
	}
	return nil
}

func (ch *change) dispatch(departments []string, note string, joint bool) error {
	if err := models.CheckDispatch(ch.c); err != nil {
		return err
	}
	seen := map[string]bool{}
	open, err := ch.roundOrders()
	if err != nil {
		return err
	}
	for _, o := range open {
		if o.Open() {
			seen[o.DepartmentCode] = true
		}
	}
	note = strings.TrimSpace(note)
	var names []string
	for _, code := range departments {
		if seen[code] {
			return models.Errorf(models.ErrConflict, "部门 %s 已有本案尚未答复的工单，不能重复派发", code)
		}
		seen[code] = true
		dept, err := ch.department(code)
		if err != nil {
			return err
		}
		if err := ch.issueOrder(dept, note, joint); err != nil {
			return err
		}
		names = append(names, dept.Name)
	}
	ch.c.Departments = models.JoinCodes(mergeCodes(ch.c.DepartmentCodes(), departments))
	ch.c.Status = models.CaseDispatched
	d := ch.data()
	due := ch.cal.DueAt(ch.now, ch.s.opts.ReplyDays)
	d.Departments, d.DueAt = names, &due
	d.Reopened = ch.c.Round > 1
	ch.notifyApplicant(models.NoticeOrderDispatched, d)
	return nil
}

// issueOrder creates one work order, received now: due in ReplyDays working
// days, capped at MaxDays (第十二条).
func (ch *change) issueOrder(dept models.Department, note string, joint bool) error {
	ch.c.OrderSeq++
	body := strings.TrimPrefix(ch.c.No, ch.s.opts.CasePrefix)
	o := models.WorkOrder{
		No:     fmt.Sprintf("%s%s-%d", ch.s.opts.OrderPrefix, body, ch.c.OrderSeq),
		CaseID: ch.c.ID, Round: ch.c.Round, DepartmentCode: dept.Code, Status: models.OrderPending,
		Joint: joint, Note: note, DispatchedBy: ch.actor.ID, ReceivedAt: ch.now,
		DueAt: ch.cal.DueAt(ch.now, ch.s.opts.ReplyDays),
		CapAt: ch.cal.DueAt(ch.now, ch.s.opts.MaxDays),
	}
	if err := ch.tx.Create(&o).Error; err != nil {
		return fmt.Errorf("casework: create work order %s: %w", o.No, err)
	}
	what := "派发工单"
	if joint {
		what = "派发联合办理工单"
	}
	if ch.c.Round > 1 {
		what += "（退回重办）"
	}
	line := fmt.Sprintf("%s至%s，请于 %s 前答复", what, dept.Name, models.FormatTime(o.DueAt))
	if years := ch.cal.Unpublished(o.ReceivedAt, o.CapAt); len(years) > 0 {
		// calendar.md: a missing official table is noticed, not silently wrong.
		line += fmt.Sprintf("（注意：%s 年的官方节假日安排尚未载入，时限按法定节假日估算）", models.FormatYears(years))
		ch.s.log.Warn("deadline estimated without official holiday table", "case", ch.c.No, "order", o.No, "years", years)
	}
	ch.record("dispatched", o.No, line)
	d := ch.orderData(&o, dept)
	d.Joint, d.Note = joint, note
	d.Reopened = ch.c.Round > 1
	ch.notify(models.NoticeWorkOrder, models.AudienceDepartment, dept.Code, d)
	return nil
}

func (ch *change) orderData(o *models.WorkOrder, dept models.Department) models.NoticeData {
	d := ch.data()
	due, capAt := o.Deadline(), o.CapAt
	d.OrderNo, d.Department, d.DepartmentName = o.No, dept.Code, dept.Name
	d.DueAt, d.CapAt = &due, &capAt
	d.Round = o.Round
	return d
}

// Summon calls a department's window staff to the complaint window
// (第十条); they must confirm arrival within SummonWithin.
func (s *Service) Summon(ctx context.Context, actor models.Staff, no, dept, note string) (*models.Case, error) {
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := models.CheckOpen(ch.c); err != nil {
			return err
		}
		if err := ch.requireOwner(); err != nil {
			return err
		}
		return ch.summon(dept, note)
	})
}

func (ch *change) summon(code, note string) error {
	dept, err := ch.department(code)
	if err != nil {
		return err
	}
	var open int64
	if err := ch.tx.Model(&models.Summon{}).Where("case_id = ? AND department_code = ? AND arrived_at IS NULL", ch.c.ID, code).Count(&open).Error; err != nil {
		return fmt.Errorf("casework: read summons: %w", err)
	}
	if open > 0 {
		return models.Errorf(models.ErrConflict, "已通知%s到现场，正在等待到达确认", dept.Name)
	}
	sm := models.Summon{
		CaseID: ch.c.ID, DepartmentCode: code, SummonedBy: ch.actor.ID, SummonedAt: ch.now,
		ArriveBy: ch.now.Add(ch.s.opts.SummonWithin), Note: strings.TrimSpace(note),
	}
	if err := ch.tx.Create(&sm).Error; err != nil {
		return fmt.Errorf("casework: record summon: %w", err)
	}
	ch.c.Departments = models.JoinCodes(mergeCodes(ch.c.DepartmentCodes(), []string{code}))
	ch.record("summoned", "", fmt.Sprintf("通知%s工作人员于 %s 前到“办不成事”反映窗口", dept.Name, models.FormatTime(sm.ArriveBy)))
	staff, err := ch.staffOf(code, models.RoleWindowStaff, models.RoleWindowHead)
	if err != nil {
		return err
	}
	d := ch.data()
	d.Department, d.DepartmentName, d.ArriveBy, d.Note = dept.Code, dept.Name, &sm.ArriveBy, sm.Note
	for _, st := range staff {
		d.Mentions = append(d.Mentions, st.ID)
	}
	ch.notify(models.NoticeSummon, models.AudienceDepartment, code, d)
	return nil
}

// ConfirmArrival records that a summoned department reached the complaint
// window; after the summons' deadline it is recorded as late (第十七条).
// Window staff confirm for their own department; the owner confirms the
// one awaited department (ConfirmArrivalOf names one of several).
func (s *Service) ConfirmArrival(ctx context.Context, actor models.Staff, no string) (*models.Case, error) {
	return s.ConfirmArrivalOf(ctx, actor, no, "")
}

// ConfirmArrivalOf is ConfirmArrival for the department dept ("" = the
// actor's own, or for the owner the only one awaited).
func (s *Service) ConfirmArrivalOf(ctx context.Context, actor models.Staff, no, dept string) (*models.Case, error) {
	return s.onCase(ctx, no, actor, func(ch *change) error {
		code, byOwner, err := ch.requireArrivalWitness()
		if err != nil {
			return err
		}
		if !byOwner && dept != "" && dept != code {
			return models.Errorf(models.ErrForbidden, "您只能确认本部门工作人员到场")
		}
		if byOwner {
			code = dept
		}
		var awaited []models.Summon
		q := ch.tx.Where("case_id = ? AND arrived_at IS NULL", ch.c.ID)
		if code != "" {
			q = q.Where("department_code = ?", code)
		}
		if err := q.Order("summoned_at, id").Find(&awaited).Error; err != nil {
			return fmt.Errorf("casework: read summons: %w", err)
		}
		if len(awaited) == 0 {
			if byOwner {
				return models.Errorf(models.ErrConflict, "案件 %s 没有正在等待到场的部门", ch.c.No)
			}
			return models.Errorf(models.ErrConflict, "案件 %s 没有通知您所在部门到现场，或已确认到达", ch.c.No)
		}
		sm := awaited[0]
		if byOwner && code == "" && slices.ContainsFunc(awaited, func(o models.Summon) bool { return o.DepartmentCode != sm.DepartmentCode }) {
			codes := make([]string, 0, len(awaited))
			for _, a := range awaited {
				codes = mergeCodes(codes, []string{a.DepartmentCode})
			}
			names, err := ch.departmentNames(codes)
			if err != nil {
				return err
			}
			return models.Errorf(models.ErrInvalid, "正在等待%s到场，请选择到场的部门", strings.Join(names, "、"))
		}
		sm.ArrivedAt, sm.ArrivedBy, sm.Late = &ch.now, ch.actor.ID, ch.now.After(sm.ArriveBy)
		if err := ch.tx.Save(&sm).Error; err != nil {
			return fmt.Errorf("casework: record arrival: %w", err)
		}
		note := "已到达“办不成事”反映窗口"
		if byOwner {
			d, err := ch.department(sm.DepartmentCode)
			if err != nil {
				return err
			}
			note = "确认" + d.Name + "工作人员" + note
		}
		if sm.Late {
			note += fmt.Sprintf("（迟到，应于 %s 前到达）", models.FormatTime(sm.ArriveBy))
			if err := propose(ch.tx, summonedLate(ch.yearOf(sm.SummonedAt), sm, ch.c.No)); err != nil {
				return err
			}
		}
		ch.record("arrived", "", note)
		return nil
	})
}

// Sign is 签收: a window officer takes the order.
func (s *Service) Sign(ctx context.Context, actor models.Staff, orderNo string) (*models.Case, error) {
	c, _, err := s.SignOrder(ctx, actor, orderNo)
	return c, err
}

// SignOrder is Sign, with the order as signed (its deadline for the
// answer). Signing moves no deadline, so the timers stay as they are.
func (s *Service) SignOrder(ctx context.Context, actor models.Staff, orderNo string) (*models.Case, *models.WorkOrder, error) {
	c, o, _, err := s.onOrderUnplanned(ctx, orderNo, actor, func(ch *change, o *models.WorkOrder) error {
		dept, err := ch.requireDepartment(o)
		if err != nil {
			return err
		}
		if err := models.CheckSign(o); err != nil {
			return err
		}
		o.SignedAt, o.SignedBy = &ch.now, ch.actor.ID
		if o.Status == models.OrderPending {
			o.Status = models.OrderAccepted // an extended order stays extended
		}
		ch.record("signed", o.No, fmt.Sprintf("%s签收，请于 %s 前答复", dept.Name, models.FormatTime(o.Deadline())))
		d := ch.orderData(o, dept)
		ch.notify(models.NoticeOrderSigned, models.AudienceDepartment, dept.Code, d)
		ch.notify(models.NoticeOrderSigned, models.AudienceStaff, ch.c.OwnerID, d)
		return nil
	})
	return c, o, err
}

// Reply gives the order's result. 第十二条: the applicant, the complaint
// window (the owner) and the supervision section hear it at once. When the
// round's last order is answered, the case is answered.
func (s *Service) Reply(ctx context.Context, actor models.Staff, orderNo, result string) (*models.Case, error) {
	result, err := text("result", "办理结果", result, 2000)
	if err != nil {
		return nil, err
	}
	c, o, before, err := s.onOrderUnplanned(ctx, orderNo, actor, func(ch *change, o *models.WorkOrder) error {
		// The round's orders and all their departments, in two reads: the
		// last reply names every department in the answer.
		orders, err := ch.roundOrders()
		if err != nil {
			return err
		}
		codes := []string{o.DepartmentCode}
		for i := range orders {
			codes = append(codes, orders[i].DepartmentCode)
		}
		if err := ch.departments(codes); err != nil {
			return err
		}
		dept, err := ch.requireDepartment(o)
		if err != nil {
			return err
		}
		if err := models.CheckReply(o); err != nil {
			return err
		}
		o.Status, o.RepliedAt, o.RepliedBy, o.Result = models.OrderReplied, &ch.now, ch.actor.ID, result
		late := ""
		if ch.now.After(o.Deadline()) {
			late = "（超期答复）"
			if err := ch.proposeOverdue(o); err != nil {
				return err
			}
		}
		ch.record("replied", o.No, fmt.Sprintf("%s答复%s：%s", dept.Name, late, result))
		d := ch.orderData(o, dept)
		d.Result = result
		ch.notify(models.NoticeOrderReplied, models.AudienceStaff, ch.c.OwnerID, d)
		ch.notify(models.NoticeOrderReplied, models.AudienceSupervision, "", d)
		ch.notify(models.NoticeOrderReplied, models.AudienceDepartment, dept.Code, d)

		for i := range orders {
			if orders[i].ID == o.ID {
				orders[i] = *o
			}
			if orders[i].Open() {
				// Others still owe theirs: the applicant hears this one now.
				ch.notifyApplicant(models.NoticeOrderReplied, d)
				return nil
			}
		}
		var results []string
		for i := range orders {
			name := orders[i].DepartmentCode
			if od, err := ch.department(orders[i].DepartmentCode); err == nil {
				name = od.Name
			}
			results = append(results, fmt.Sprintf("【%s】%s", name, orders[i].Result))
		}
		return ch.answer(models.OutcomeWorkOrders, strings.Join(results, "\n"))
	})
	if err != nil {
		return nil, err
	}
	s.planReply(ctx, c, o, before)
	return c, nil
}

// planReply re-plans the timers a reply changes: the answered order's go;
// a case answered by it starts its rating clocks. Anything less plain (a
// case that was not simply dispatched, a re-handled round with its
// follow-up visit) is planned whole, as every other use case is.
func (s *Service) planReply(ctx context.Context, c *models.Case, o *models.WorkOrder, before models.CaseStatus) {
	if s.timers == nil {
		return
	}
	if before != models.CaseDispatched || c.Round > 1 || (c.Status != models.CaseDispatched && c.Status != models.CaseAnswered) {
		s.planCase(ctx, c.ID)
		return
	}
	if err := s.timers.CancelPrefix(ctx, orderTimerPrefix(o.No)); err != nil {
		s.log.Warn("timers: cancel", "case", c.No, "order", o.No, "err", err)
		return
	}
	want := s.caseTimers(c) // none while the case waits for other orders
	if len(want) == 0 {
		return
	}
	s.scheduleWanted(ctx, want)
}

// Extend grants a new due date (第十二条): a working day, later than the
// present one, never past 10 working days from receipt; the same three
// parties are told.
func (s *Service) Extend(ctx context.Context, actor models.Staff, orderNo, dueDate, reason string) (*models.Case, error) {
	reason, err := text("reason", "延期原因", reason, 500)
	if err != nil {
		return nil, err
	}
	cal := s.Calendar()
	date, err := cal.ParseDate(strings.TrimSpace(dueDate))
	if err != nil {
		return nil, models.Errorf(models.ErrInvalid, "延期日期 %q 不正确，应为 YYYY-MM-DD", dueDate)
	}
	if !cal.IsWorkday(date) {
		return nil, models.Errorf(models.ErrInvalid, "%s 不是工作日，请选择一个工作日作为新的办理时限", models.FormatDate(date))
	}
	return s.extend(ctx, actor, orderNo, reason, func(*workday.Calendar, *models.WorkOrder) time.Time { return cal.EndOf(date) })
}

// ExtendDays extends an order by a number of working days past its
// present deadline (the chat command 延期 GD… 5 原因).
func (s *Service) ExtendDays(ctx context.Context, actor models.Staff, orderNo string, days int, reason string) (*models.Case, error) {
	reason, err := text("reason", "延期原因", reason, 500)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > s.opts.MaxDays {
		return nil, models.Errorf(models.ErrInvalid, "延期天数应为 1 到 %d 个工作日", s.opts.MaxDays)
	}
	return s.extend(ctx, actor, orderNo, reason, func(cal *workday.Calendar, o *models.WorkOrder) time.Time {
		return cal.EndOf(cal.AddWorkdays(o.Deadline(), days))
	})
}

func (s *Service) extend(ctx context.Context, actor models.Staff, orderNo, reason string, newDue func(*workday.Calendar, *models.WorkOrder) time.Time) (*models.Case, error) {
	return s.onOrder(ctx, orderNo, actor, func(ch *change, o *models.WorkOrder) error {
		until := newDue(ch.cal, o)
		dept, err := ch.requireDepartment(o)
		if err != nil {
			return err
		}
		if !until.After(ch.now) {
			return models.Errorf(models.ErrInvalid, "新的办理时限 %s 已经过去，请选择今后的一个工作日", models.FormatTime(until))
		}
		// 第十二条: at most max_days (10 or fewer) working days from receipt.
		if err := models.CheckExtend(o, ch.now, until, ch.s.opts.MaxDays); err != nil {
			return err
		}
		o.Status, o.ExtendedDueAt, o.ExtensionReason = models.OrderExtended, &until, reason
		ch.record("extended", o.No, fmt.Sprintf("%s申请延期至 %s，原因：%s", dept.Name, models.FormatTime(until), reason))
		d := ch.orderData(o, dept)
		d.Reason = reason
		ch.notifyApplicant(models.NoticeOrderExtended, d)
		ch.notify(models.NoticeOrderExtended, models.AudienceStaff, ch.c.OwnerID, d)
		ch.notify(models.NoticeOrderExtended, models.AudienceSupervision, "", d)
		ch.notify(models.NoticeOrderExtended, models.AudienceDepartment, dept.Code, d)
		return nil
	})
}

// Escalate is “beyond our authority” (第十一条): the department's 分管领导
// decides; a matter needing several departments goes to the 主要负责领导, who
// may dispatch joint orders. The window head hears of it (第十八条), and so
// does the owner.
func (s *Service) Escalate(ctx context.Context, actor models.Staff, orderNo, reason string, others []string) (*models.Case, error) {
	reason, err := text("reason", "上报原因", reason, 1000)
	if err != nil {
		return nil, err
	}
	return s.onOrder(ctx, orderNo, actor, func(ch *change, o *models.WorkOrder) error {
		// 第七条, 第十一条: the department, or the complaint window (the owner)
		// pushing an order that is stuck.
		dept, byOwner, err := ch.requireDepartmentOrOwner(o)
		if err != nil {
			return err
		}
		if err := models.CheckEscalate(o); err != nil {
			return err
		}
		involved := []string{o.DepartmentCode}
		orders, err := ch.roundOrders()
		if err != nil {
			return err
		}
		for _, ro := range orders {
			involved = mergeCodes(involved, []string{ro.DepartmentCode})
		}
		involved = mergeCodes(involved, others)
		names, err := ch.departmentNames(involved)
		if err != nil {
			return err
		}
		var leader models.Staff
		if len(involved) > 1 || dept.LeaderID == "" {
			leader, err = ch.principal()
		} else {
			leader, err = ch.staff(dept.LeaderID)
		}
		if err != nil {
			return err
		}
		o.EscalatedAt, o.EscalatedTo, o.EscalationNote = &ch.now, leader.ID, reason
		ch.c.Departments = models.JoinCodes(mergeCodes(ch.c.DepartmentCodes(), involved))
		line := fmt.Sprintf("%s报告超出本窗口权限，已上报%s（%s），原因：%s", dept.Name, leader.Name, leader.Role.Label(), reason)
		if byOwner {
			line = fmt.Sprintf("首接负责人将%s的工单 %s 上报%s（%s）协调解决，原因：%s", dept.Name, o.No, leader.Name, leader.Role.Label(), reason)
		}
		ch.record("escalated", o.No, line)
		d := ch.orderData(o, dept)
		d.Reason, d.Departments, d.ByOwner = reason, names, byOwner
		ch.notify(models.NoticeEscalation, models.AudienceStaff, leader.ID, d)
		heads, err := ch.staffOf(dept.Code, models.RoleWindowHead)
		if err != nil {
			return err
		}
		for _, h := range heads {
			if h.ID != ch.actor.ID {
				ch.notify(models.NoticeEscalation, models.AudienceStaff, h.ID, d)
			}
		}
		if ch.actor.ID != ch.c.OwnerID {
			ch.notify(models.NoticeEscalation, models.AudienceStaff, ch.c.OwnerID, d)
		}
		ch.tellDelay(o, dept, models.DelayEscalated, names) // the applicant hears it too (第七条)
		return nil
	})
}

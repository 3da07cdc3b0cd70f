package casework

import (
	"slices"
	"strings"
	"unicode/utf8"

	"bbcs/models"
)

// The authorisation rules of the policy. Every refusal names the reason in
// Chinese; nothing is changed when one is returned.

func requireActive(actor models.Staff) error {
	if actor.ID == "" || !actor.Active {
		return models.Errorf(models.ErrForbidden, "您不在本中心的工作人员名单中，无权办理")
	}
	return nil
}

func requireRole(actor models.Staff, roles ...models.Role) error {
	if err := requireActive(actor); err != nil {
		return err
	}
	if !slices.Contains(roles, actor.Role) {
		return models.Errorf(models.ErrForbidden, "%s（%s）无权办理此事项", actor.Name, actor.Role.Label())
	}
	return nil
}

// requireOwner: 第五条 — the first-contact owner handles the case to its
// end; an administrator may stand in.
func (ch *change) requireOwner() error {
	if err := requireActive(ch.actor); err != nil {
		return err
	}
	if ch.actor.ID == ch.c.OwnerID || ch.actor.Role == models.RoleAdmin {
		return nil
	}
	return models.Errorf(models.ErrForbidden, "案件 %s 的首接负责人是%s，您不能代为办理；如需接手，请先办理工作交接", ch.c.No, ch.owner.Name)
}

// requireDispatcher: the owner dispatches; the 主要负责领导 may dispatch joint
// orders (第十一条); a department's 分管领导 whom an order was escalated to may
// bring in other departments.
func (ch *change) requireDispatcher(joint bool) error {
	if err := requireActive(ch.actor); err != nil {
		return err
	}
	switch {
	case ch.actor.ID == ch.c.OwnerID, ch.actor.Role == models.RoleAdmin:
		return nil
	case ch.actor.Role == models.RolePrincipalLeader:
		return nil
	case ch.actor.Role == models.RoleLeader && joint:
		var n int64
		err := ch.tx.Model(&models.WorkOrder{}).Where("case_id = ? AND escalated_to = ?", ch.c.ID, ch.actor.ID).Count(&n).Error
		if err == nil && n > 0 {
			return nil
		}
	}
	return models.Errorf(models.ErrForbidden, "只有首接负责人或主要负责领导可以为案件 %s 派发工单", ch.c.No)
}

// requireDepartment: R5 — only staff of the order's department, or its
// 分管领导, may act on a work order.
func (ch *change) requireDepartment(o *models.WorkOrder) (models.Department, error) {
	dept, err := ch.department(o.DepartmentCode)
	if err != nil {
		return dept, err
	}
	if err := requireActive(ch.actor); err != nil {
		return dept, err
	}
	inDept := ch.actor.DepartmentCode == o.DepartmentCode &&
		(ch.actor.Role == models.RoleWindowStaff || ch.actor.Role == models.RoleWindowHead)
	if inDept || (dept.LeaderID != "" && dept.LeaderID == ch.actor.ID) {
		return dept, nil
	}
	return dept, models.Errorf(models.ErrForbidden, "工单 %s 由%s办理，您不是该部门的工作人员，不能操作", o.No, dept.Name)
}

// requireDepartmentOrOwner: 第七条, 第十一条 — the complaint window reports
// an order to the leaders as well as the department does: the case's owner
// (or an administrator in her place) may act too. byOwner says the owner
// does, not the department.
func (ch *change) requireDepartmentOrOwner(o *models.WorkOrder) (dept models.Department, byOwner bool, err error) {
	dept, err = ch.requireDepartment(o)
	if models.ErrorCode(err) != models.ErrForbidden {
		return dept, false, err
	}
	if err := requireActive(ch.actor); err != nil {
		return dept, false, err
	}
	if ch.requireOwner() != nil {
		return dept, false, models.Errorf(models.ErrForbidden, "工单 %s 由%s办理，您不是该部门的工作人员，也不是案件 %s 的首接负责人（%s），不能上报", o.No, dept.Name, ch.c.No, ch.owner.Name)
	}
	return dept, true, nil
}

// requireArrivalWitness: 第十条 — the summoned department's window staff
// confirm they reached the complaint window, or the owner there who sees
// them arrive (an administrator may stand in). code is the department
// the actor speaks for: their own, or for the owner the one she names.
func (ch *change) requireArrivalWitness() (code string, byOwner bool, err error) {
	if err := requireActive(ch.actor); err != nil {
		return "", false, err
	}
	if ch.actor.Role == models.RoleWindowStaff || ch.actor.Role == models.RoleWindowHead {
		return ch.actor.DepartmentCode, false, nil
	}
	if ch.requireOwner() == nil {
		return "", true, nil
	}
	return "", false, models.Errorf(models.ErrForbidden, "只有被通知到场部门的窗口工作人员，或案件 %s 的首接负责人%s，可以确认到场", ch.c.No, ch.owner.Name)
}

// text checks a free-text field: present and of sensible length.
func text(field, label string, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", models.Errorf(models.ErrInvalid, "请填写%s（%s）", label, field)
	}
	if utf8.RuneCountInString(v) > max {
		return "", models.Errorf(models.ErrInvalid, "%s过长，最多 %d 字", label, max)
	}
	return v, nil
}

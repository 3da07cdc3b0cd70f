package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"bbcs/models"
)

// MarkFault is the supervision section's verdict on a case: a verified
// staff fault of 第十七条, for the assessment (R9). A 差评 is the usual
// ground, but not the only one: a complaint of 服务态度差 verified from the
// citizen's report counts though the case was then rated well.
func (s *Service) MarkFault(ctx context.Context, actor models.Staff, no, staffID string, kind models.FaultKind, note string) (*models.Case, error) {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return nil, models.Errorf(models.ErrForbidden, "只有监督考核科可以认定工作人员过错")
	}
	name, ok := models.FaultKinds[kind]
	if !ok {
		return nil, models.Errorf(models.ErrInvalid, "过错类型 %q 不正确，可选：not_done（应办未办）、unfamiliar（业务不熟）、careless（审核不严）、false_action（作为不实）、poor_attitude（服务态度差）", kind)
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		st, err := ch.staff(staffID)
		if err != nil {
			return err
		}
		if st.DepartmentCode == "" {
			return models.Errorf(models.ErrInvalid, "%s 不属于任何窗口单位", st.Name)
		}
		if err := ch.notMarkedYet(st.ID, st.DepartmentCode, st.Name+"在本案"); err != nil {
			return err
		}
		f := models.Fault{CaseID: ch.c.ID, Round: ch.c.Round, StaffID: st.ID, DepartmentCode: st.DepartmentCode,
			Kind: kind, Note: strings.TrimSpace(note), MarkedBy: ch.actor.ID, At: ch.now}
		if err := ch.tx.Create(&f).Error; err != nil {
			return fmt.Errorf("casework: record fault: %w", err)
		}
		if err := propose(ch.tx, faulted(ch.yearOf(f.At), f, ch.c.No, st.Name)); err != nil {
			return err
		}
		ch.record("fault_marked", "", fmt.Sprintf("经核实属工作人员过错：%s（%s）", st.Name, name))
		return nil
	})
}

// MarkUnitFailure is the supervision section recording that related units
// (相关联办事窗口单位) of a case neglected it, shirked it or did not follow
// it through, so it was not finished as required (第十七条): each loses a
// point. A related unit is one the case was handed to, by work order or
// summons.
func (s *Service) MarkUnitFailure(ctx context.Context, actor models.Staff, no string, departments []string, kind models.FaultKind, note string) (*models.Case, error) {
	if err := requireRole(actor, models.RoleSupervisor, models.RoleAdmin); err != nil {
		return nil, models.Errorf(models.ErrForbidden, "只有监督考核科可以认定相关联单位的责任")
	}
	name, ok := models.UnitFailures[kind]
	if !ok {
		return nil, models.Errorf(models.ErrInvalid, "责任类型 %q 不正确，可选：neglected（重视不够）、shirked（推脱责任）、ineffective（落实不力）", kind)
	}
	note, err := text("note", "核实情况", note, 2000)
	if err != nil {
		return nil, err
	}
	departments = slices.Compact(slices.Sorted(slices.Values(departments)))
	if len(departments) == 0 || departments[0] == "" {
		return nil, models.Errorf(models.ErrInvalid, "请选择相关联单位（departments）")
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		var related []string
		if err := ch.tx.Model(&models.WorkOrder{}).Where("case_id = ?", ch.c.ID).Distinct().Pluck("department_code", &related).Error; err != nil {
			return fmt.Errorf("casework: related units: %w", err)
		}
		var summoned []string
		if err := ch.tx.Model(&models.Summon{}).Where("case_id = ?", ch.c.ID).Distinct().Pluck("department_code", &summoned).Error; err != nil {
			return fmt.Errorf("casework: related units: %w", err)
		}
		related = append(related, summoned...)
		names := make([]string, 0, len(departments))
		for _, code := range departments {
			d, err := ch.departmentOnFile(code)
			if err != nil {
				return err
			}
			if !slices.Contains(related, code) {
				return models.Errorf(models.ErrInvalid, "案件 %s 没有交办给%s，不能认定其责任", ch.c.No, d.Name)
			}
			if err := ch.notMarkedYet("", code, d.Name+"在本案"); err != nil {
				return err
			}
			f := models.Fault{CaseID: ch.c.ID, Round: ch.c.Round, DepartmentCode: code, Kind: kind, Note: note, MarkedBy: ch.actor.ID, At: ch.now}
			if err := ch.tx.Create(&f).Error; err != nil {
				return fmt.Errorf("casework: record unit failure: %w", err)
			}
			if err := proposeFor(ch.tx, faulted(ch.yearOf(f.At), f, ch.c.No, ""), unitFailureTopic(kind)); err != nil {
				return err
			}
			names = append(names, d.Name)
		}
		ch.record("unit_failure_marked", "", fmt.Sprintf("经核实，相关联单位%s%s，未按要求顺利办结", strings.Join(names, "、"), name))
		return nil
	})
}

// notMarkedYet refuses a second fault of a person (staffID) or a unit
// (staffID "") on the case: one case is one complaint, one point.
func (ch *change) notMarkedYet(staffID, dept, who string) error {
	var n int64
	if err := ch.tx.Model(&models.Fault{}).Where("case_id = ? AND staff_id = ? AND department_code = ?", ch.c.ID, staffID, dept).
		Count(&n).Error; err != nil {
		return fmt.Errorf("casework: read faults: %w", err)
	}
	if n > 0 {
		return models.Errorf(models.ErrConflict, "%s的责任已经认定过，不能重复认定", who)
	}
	return nil
}

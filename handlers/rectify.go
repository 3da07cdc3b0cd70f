package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"bbcs/casework"
	"bbcs/models"
)

// rectificationJSON is one 差评整改 of a case, as GET /api/v1/cases/{no}
// lists it.
type rectificationJSON struct {
	Round          int     `json:"round"`
	Department     string  `json:"department"` // "" = the centre itself
	DepartmentName string  `json:"department_name"`
	Owner          string  `json:"owner"`
	OwnerName      string  `json:"owner_name"`
	DueAt          string  `json:"due_at"`
	Verdict        string  `json:"verdict,omitempty"` // founded | unfounded
	Measures       string  `json:"measures,omitempty"`
	ReportedAt     *string `json:"reported_at"`
	ReportedBy     string  `json:"reported_by,omitempty"`
	OnTime         bool    `json:"on_time"`
	// Overdue: still open past its deadline when the case was read.
	Overdue bool `json:"overdue"`
}

func rectificationsJSON(d *casework.Detail) []rectificationJSON {
	out := make([]rectificationJSON, 0, len(d.Rectifications))
	for _, rc := range d.Rectifications {
		owner := casework.RectifyOwner(&rc, &d.Case)
		out = append(out, rectificationJSON{
			Round: rc.Round, Department: rc.DepartmentCode, DepartmentName: models.RectifyUnit(rc.DepartmentCode, d.Departments[rc.DepartmentCode].Name),
			Owner: owner, DueAt: formatTime(rc.DueAt), Verdict: string(rc.Verdict), Measures: rc.Measures,
			ReportedAt: formatTimePtr(rc.ReportedAt), ReportedBy: rc.ReportedBy, OnTime: rc.OnTime(),
			OwnerName: d.RectifyOwners[owner], Overdue: rc.Open() && d.At.After(rc.DueAt),
		})
	}
	return out
}

// verdictOf reads a verdict as the API (founded/unfounded) or a person
// (属实/不属实) writes it; "" when it is neither.
func verdictOf(s string) models.RectifyVerdict {
	switch strings.TrimSpace(s) {
	case "founded", "属实":
		return models.VerdictFounded
	case "unfounded", "不属实":
		return models.VerdictUnfounded
	}
	return models.RectifyVerdict(s)
}

// reportRectification is POST /api/v1/cases/{no}/rectifications
// {department, verdict: founded|unfounded, measures}; without a department,
// the rectification the actor may report (refused when there are several).
func (s *Server) reportRectification(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Department, Verdict, Measures string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	dept := req.Department
	if dept != "" {
		dept = s.departmentCode(r, dept)
	}
	if req.Verdict == "" {
		return nil, models.Errorf(models.ErrInvalid, "请填写核实结论（verdict）：founded（属实）或 unfounded（不属实）")
	}
	v := verdictOf(req.Verdict)
	if !v.Valid() {
		return nil, models.Errorf(models.ErrInvalid, "核实结论（verdict）应为 founded（属实）或 unfounded（不属实）")
	}
	c, err := s.Cases.ReportRectification(r.Context(), actor, r.PathValue("no"), dept, v, req.Measures)
	var unnamed *casework.UnitUnnamedError
	if errors.As(err, &unnamed) {
		return nil, models.Errorf(models.ErrInvalid, "%s（department）", models.ErrorMessage(err))
	}
	return c, err
}

// rectifyCommand is the group command 整改 BB… [部门] 属实|不属实 措施…: the
// sender reports the 差评整改 they may — their department's (as its window
// head or 分管领导), or the centre's when they own the case. A 分管领导
// answering for several departments' on one case names the department.
func (h *Staff) rectifyCommand(ctx context.Context, actor models.Staff, no string, args []string, tail func(int) string) (string, error) {
	const usage = "请写明案件编号、核实结论（属实／不属实）和整改情况，例如：整改 BB20261206-001 属实 已对窗口人员批评教育并补正材料清单" +
		"。分管多个部门的领导请在编号后写明部门：整改 BB20261206-001 不动产登记窗口 属实 整改情况"
	if !staffCaseNoRE.MatchString(no) || len(args) < 2 {
		return usage, nil
	}
	dept, unit, at := "", "的", 1 // at: the verdict's place among args
	if v := verdictOf(args[1]); !v.Valid() && len(args) > 2 && verdictOf(args[2]).Valid() {
		d, err := h.Cases.DepartmentByName(ctx, args[1])
		if outage(err) {
			return "", err
		}
		if err != nil {
			return fmt.Sprintf("没有名为“%s”的部门，请写部门全称。", args[1]) + usage, nil
		}
		dept, unit, at = d.Code, d.Name+"的", 2
	}
	v := verdictOf(args[at])
	if !v.Valid() {
		return "核实结论请写“属实”或“不属实”。" + usage, nil
	}
	measures := tail(at + 1) // after the case number, the department if named, and the verdict
	if strings.TrimSpace(measures) == "" {
		return "请写明核实情况和整改措施。" + usage, nil
	}
	if _, err := h.Cases.ReportRectification(ctx, actor, no, dept, v, measures); err != nil {
		var unnamed *casework.UnitUnnamedError
		if errors.As(err, &unnamed) {
			return fmt.Sprintf("%s。请在编号后写明部门，例如：整改 %s %s %s %s", models.ErrorMessage(err), no, unnamed.Department(), v.Label(), measures), nil
		}
		return "", err
	}
	return fmt.Sprintf("%s 已报告 %s %s差评整改（%s），已告知监督考核科和反映人，并请反映人再次评价。", actor.Name, no, unit, v.Label()), nil
}

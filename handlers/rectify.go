package handlers

import (
	"context"
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
			Round: rc.Round, Department: rc.DepartmentCode, DepartmentName: rectifyUnit(d, rc.DepartmentCode),
			Owner: owner, DueAt: formatTime(rc.DueAt), Verdict: string(rc.Verdict), Measures: rc.Measures,
			ReportedAt: formatTimePtr(rc.ReportedAt), ReportedBy: rc.ReportedBy, OnTime: rc.OnTime(),
			OwnerName: d.RectifyOwners[owner], Overdue: rc.Open() && d.At.After(rc.DueAt),
		})
	}
	return out
}

// rectifyUnit names a rectification's unit: a department, or the centre.
func rectifyUnit(d *casework.Detail, code string) string {
	if code == "" {
		return casework.CentreUnit
	}
	if dept, ok := d.Departments[code]; ok {
		return dept.Name
	}
	return code
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
	return s.Cases.ReportRectification(r.Context(), actor, r.PathValue("no"), dept, v, req.Measures)
}

// rectifyCommand is the group command 整改 BB… 属实|不属实 措施…: the
// sender reports the 差评整改 they may — their department's (as its window
// head or 分管领导), or the centre's when they own the case.
func (h *Staff) rectifyCommand(ctx context.Context, actor models.Staff, no string, args []string, measures string) (string, error) {
	const usage = "请写明案件编号、核实结论（属实／不属实）和整改情况，例如：整改 BB20261206-001 属实 已对窗口人员批评教育并补正材料清单"
	if !staffCaseNoRE.MatchString(no) || len(args) < 2 {
		return usage, nil
	}
	v := verdictOf(args[1])
	if !v.Valid() {
		return "核实结论请写“属实”或“不属实”。" + usage, nil
	}
	if strings.TrimSpace(measures) == "" {
		return "请写明核实情况和整改措施。" + usage, nil
	}
	if _, err := h.Cases.ReportRectification(ctx, actor, no, "", v, measures); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s 已报告 %s 的差评整改（%s），已告知监督考核科和反映人，并请反映人再次评价。", actor.Name, no, v.Label()), nil
}

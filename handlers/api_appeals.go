package handlers

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"bbcs/casework"
	"bbcs/models"
)

// Appeals (申诉) through the API: a department files one against a 差评 or a
// deduction, with files as base64; the supervision section decides it.

// appealBody bounds an appeal's JSON: its files, base64 (4/3 of their
// size), with room for the rest.
const appealBody = casework.MaxAppealFiles*casework.MaxAppealFileBytes*4/3 + 64<<10

type appealFileJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"` // base64
}

func (s *Server) fileAppeal(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	var req struct {
		CaseNo      string           `json:"case_no"`
		Round       int              `json:"round"`
		RatingID    uint64           `json:"rating_id"`
		DeductionID uint64           `json:"deduction_id"`
		Department  string           `json:"department"`
		Ground      string           `json:"ground"`
		Reason      string           `json:"reason"`
		Attachments []appealFileJSON `json:"attachments"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, appealBody)
	if err := decodeInto(r, &req); err != nil {
		var be *bodyError
		if errors.As(err, &be) && be.status == http.StatusRequestEntityTooLarge {
			writeError(w, be.status, be.code, fmt.Sprintf("申诉内容过大：附件最多 %d 个，每个不超过 %s", casework.MaxAppealFiles, humanBytes(casework.MaxAppealFileBytes)))
			return
		}
		writeBodyError(w, err)
		return
	}
	in := casework.AppealInput{CaseNo: req.CaseNo, Round: req.Round, RatingID: req.RatingID, DeductionID: req.DeductionID,
		Department: s.departmentCode(r, req.Department), Ground: models.AppealGround(req.Ground), Reason: req.Reason}
	for _, f := range req.Attachments {
		data, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("附件 %s 的内容（data）应为 base64 编码", f.Name))
			return
		}
		if len(data) > casework.MaxAppealFileBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("附件 %s 过大，每个不超过 %s", f.Name, humanBytes(casework.MaxAppealFileBytes)))
			return
		}
		in.Files = append(in.Files, casework.AppealUpload{Name: f.Name, ContentType: f.ContentType, Data: data})
	}
	v, err := s.Cases.FileAppealView(r.Context(), actor, in)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, appealJSON(*v))
}

func (s *Server) listAppeals(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	q := r.URL.Query()
	f := casework.AppealFilter{Status: models.AppealStatus(q.Get("status")), Month: q.Get("month")}
	if d := q.Get("department"); d != "" {
		f.Department = s.departmentCode(r, d)
	}
	switch f.Status {
	case "", models.AppealPending, models.AppealUpheld, models.AppealRejected:
	default:
		writeError(w, http.StatusBadRequest, "invalid", "状态（status）应为 pending、upheld 或 rejected")
		return
	}
	list, err := s.Cases.Appeals(r.Context(), f)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = appealJSON(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeals": out})
}

func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "申诉不存在")
		return
	}
	var req struct {
		Uphold *bool  `json:"uphold"`
		Reason string `json:"reason"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Uphold == nil {
		writeError(w, http.StatusBadRequest, "invalid", "请给出裁定（uphold：true 为申诉成立，false 为驳回）")
		return
	}
	v, err := s.Cases.DecideAppealView(r.Context(), actor, id, *req.Uphold, req.Reason)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, appealJSON(*v))
}

// appealJSON is an appeal as the API shows it.
func appealJSON(v casework.AppealView) map[string]any {
	a := v.Appeal
	out := map[string]any{
		"id": a.ID, "case_no": v.CaseNo, "department": a.DepartmentCode, "department_name": v.DepartmentName,
		"ground": a.Ground, "ground_label": a.Ground.Label(), "reason": a.Reason,
		"filed_by": a.FiledBy, "filed_at": formatTime(a.FiledAt),
		"status": a.Status, "status_label": a.Status.Label(),
		"decided_by": a.DecidedBy, "decided_at": formatTimePtr(a.DecidedAt), "decision": a.Decision,
		"attachments": v.Files,
	}
	if out["attachments"] == nil {
		out["attachments"] = []string{}
	}
	if a.RatingID != 0 {
		out["rating_id"] = a.RatingID
	}
	if v.Rating != nil {
		out["round"], out["rating"], out["rating_label"], out["comment"] = v.Rating.Round, v.Rating.Level, v.Rating.Level.Label(), v.Rating.Comment
	}
	if a.DeductionID != 0 {
		out["deduction_id"] = a.DeductionID
	}
	if v.Deduction != nil {
		out["deduction"] = map[string]any{"reason": v.Deduction.Reason, "points": v.Deduction.Points, "status": v.Deduction.Status}
	}
	return out
}

package handlers

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"bbcs/casework"
	"bbcs/models"
)

func (s *Server) routeAPI() {
	api := func(pattern string, h func(http.ResponseWriter, *http.Request, models.Staff)) {
		method, path, _ := strings.Cut(pattern, " ")
		s.handle(method+" /api/v1/"+path, s.authenticated(h))
	}
	api("GET cases", s.listCases)
	api("GET cases/{no}", s.getCase)
	api("POST cases", s.registerCase)
	api("POST cases/{no}/triage", s.caseAction(s.triage))
	api("POST cases/{no}/dispatch", s.caseAction(s.dispatch))
	api("POST cases/{no}/handover", s.caseAction(s.handover))
	api("POST cases/{no}/summon", s.caseAction(s.summon))
	api("POST cases/{no}/arrive", s.caseAction(s.arrive))
	api("POST cases/{no}/resolve", s.caseAction(s.resolve))
	api("POST cases/{no}/out-of-scope", s.caseAction(s.outOfScope))
	api("POST cases/{no}/not-qualified", s.caseAction(s.notQualified))
	api("POST cases/{no}/instruction", s.caseAction(s.requestInstruction))
	api("POST cases/{no}/instruction/answer", s.caseAction(s.answerInstruction))
	api("POST cases/{no}/close", s.caseAction(s.closeCase))
	api("POST cases/{no}/rate", s.caseAction(s.rate))
	api("POST cases/{no}/comment", s.caseAction(s.comment))
	api("POST cases/{no}/follow-up", s.caseAction(s.followUp))
	api("POST cases/{no}/fault", s.caseAction(s.fault))
	api("POST cases/{no}/rectifications", s.caseAction(s.reportRectification))
	api("POST cases/{no}/unit-failure", s.caseAction(s.unitFailure))
	api("POST work-orders/{no}/sign", s.caseAction(s.sign))
	api("POST work-orders/{no}/reply", s.caseAction(s.reply))
	api("POST work-orders/{no}/extend", s.caseAction(s.extend))
	api("POST work-orders/{no}/escalate", s.caseAction(s.escalate))
	api("POST duty/check-in", s.checkIn)
	api("GET me", s.me)
	api("GET ledger.xlsx", s.ledger)
	api("GET reports/monthly", s.monthly)
	api("GET ratings", s.ratings)
	api("GET ratings.xlsx", s.ratingsBook)
	api("GET scores", s.scores)
	api("POST deductions/{id}/confirm", s.decideDeduction(true))
	api("POST deductions/{id}/waive", s.decideDeduction(false))
	api("POST deductions/{id}/report", s.reportDeduction)
	api("POST scores/{year}/recurring", s.reviewRecurrence)
	api("POST appeals", s.fileAppeal)
	api("GET appeals", s.listAppeals)
	api("POST appeals/{id}/decide", s.decideAppeal)
	api("GET appeals/{id}/files/{n}", s.appealFile)
}

// authenticated resolves the bearer token to the staff member it acts as.
func (s *Server) authenticated(h func(http.ResponseWriter, *http.Request, models.Staff)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bbcs"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "请提供访问令牌（Authorization: Bearer …）")
			return
		}
		staffID := s.lookupToken(token)
		if staffID == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bbcs", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "访问令牌无效")
			return
		}
		actor, err := s.Cases.Staff(r.Context(), staffID)
		if err != nil || !actor.Active {
			writeError(w, http.StatusForbidden, "forbidden", "该令牌对应的工作人员已停用")
			return
		}
		h(w, r, actor)
	}
}

// lookupToken compares in constant time so a token cannot be guessed by
// timing.
func (s *Server) lookupToken(token string) string {
	found := ""
	for t, id := range s.Tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			found = id
		}
	}
	return found
}

// caseAction runs a use case and answers the case as it now stands.
func (s *Server) caseAction(do func(*http.Request, models.Staff) (*models.Case, error)) func(http.ResponseWriter, *http.Request, models.Staff) {
	return func(w http.ResponseWriter, r *http.Request, actor models.Staff) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		c, err := do(r, actor)
		var be *bodyError
		switch {
		case errors.As(err, &be):
			writeBodyError(w, err)
		case err != nil:
			fail(w, s.Log, r, err)
		default:
			s.writeCase(w, r, actor, http.StatusOK, c.No)
		}
	}
}

func (s *Server) writeCase(w http.ResponseWriter, r *http.Request, actor models.Staff, status int, no string) {
	d, err := s.Cases.Get(r.Context(), no)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, status, caseJSON(d, actor))
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	s.writeCase(w, r, actor, http.StatusOK, r.PathValue("no"))
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	q := r.URL.Query()
	if d := q.Get("department"); d != "" {
		q.Set("department", s.departmentCode(r, d))
	}
	f := filterOf(q)
	var err error
	if f.Limit, err = intParam(q.Get("limit")); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "每页条数（limit）应为正整数")
		return
	}
	if f.Offset, err = intParam(q.Get("offset")); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "起始位置（offset）应为 0 或正整数")
		return
	}
	list, total, err := s.Cases.List(r.Context(), f)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	depts, err := s.Cases.Departments(r.Context())
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	staff, err := s.Cases.AllStaff(r.Context())
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	names := make(map[string]string, len(staff))
	for _, st := range staff {
		names[st.ID] = st.Name
	}
	out := make([]caseSummary, len(list))
	for i := range list {
		out[i] = summaryJSON(&list[i], depts, actor)
		out[i].Owner.Name = names[list[i].OwnerID]
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out, "total": total})
}

func intParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

type registerRequest struct {
	ApplicantName   string   `json:"applicant_name"`
	ApplicantMobile string   `json:"applicant_mobile"`
	ApplicantKind   string   `json:"applicant_kind"`
	Company         string   `json:"company"`
	Category        string   `json:"category"`
	Matter          string   `json:"matter"`
	Channel         string   `json:"channel"`
	Departments     []string `json:"departments"`
}

func (s *Server) registerCase(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	var req registerRequest
	if !decode(w, r, &req) {
		return
	}
	channel := models.Channel(req.Channel)
	if channel == "" {
		channel = models.ChannelWalkIn
	}
	c, err := s.Cases.Register(r.Context(), actor, casework.Registration{
		ApplicantName: req.ApplicantName, ApplicantMobile: req.ApplicantMobile,
		ApplicantKind: models.ApplicantKind(req.ApplicantKind), Company: req.Company,
		Category: models.Category(req.Category), Matter: req.Matter, Channel: channel,
		Departments: s.departmentCodes(r, req.Departments),
	})
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/cases/"+c.No)
	s.writeCase(w, r, actor, http.StatusCreated, c.No)
}

func (s *Server) triage(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct {
		Category    string   `json:"category"`
		Departments []string `json:"departments"`
		Decision    string   `json:"decision"`
		Note        string   `json:"note"`
		Result      string   `json:"result"`
	}
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Triage(r.Context(), actor, r.PathValue("no"), casework.Triage{
		Category: models.Category(req.Category), Departments: s.departmentCodes(r, req.Departments),
		Decision: casework.Decision(req.Decision), Note: req.Note, Result: req.Result,
	})
}

func (s *Server) dispatch(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct {
		Departments []string `json:"departments"`
		Note        string   `json:"note"`
		Joint       bool     `json:"joint"`
	}
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Dispatch(r.Context(), actor, r.PathValue("no"), s.departmentCodes(r, req.Departments), req.Note, req.Joint)
}

func (s *Server) handover(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ To, Reason string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Handover(r.Context(), actor, r.PathValue("no"), req.To, req.Reason)
}

func (s *Server) summon(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Department, Note string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Summon(r.Context(), actor, r.PathValue("no"), s.departmentCode(r, req.Department), req.Note)
}

// arrive confirms a summoned department's arrival (第十条): window staff
// for their own; the owner names the department when several are awaited.
func (s *Server) arrive(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Department string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.ConfirmArrivalOf(r.Context(), actor, r.PathValue("no"), s.departmentCode(r, req.Department))
}

func (s *Server) resolve(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Result string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Resolve(r.Context(), actor, r.PathValue("no"), req.Result)
}

func (s *Server) outOfScope(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Way, Path string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.OutOfScope(r.Context(), actor, r.PathValue("no"), req.Way, req.Path)
}

func (s *Server) notQualified(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Missing, How string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.NotQualified(r.Context(), actor, r.PathValue("no"), req.Missing, req.How)
}

func (s *Server) requestInstruction(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Leader, Question string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.RequestInstruction(r.Context(), actor, r.PathValue("no"), req.Leader, req.Question)
}

func (s *Server) answerInstruction(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Answer string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.AnswerInstruction(r.Context(), actor, r.PathValue("no"), req.Answer)
}

func (s *Server) closeCase(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Note string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Close(r.Context(), actor, r.PathValue("no"), req.Note)
}

func (s *Server) rate(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Level, Comment, Via string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	via := casework.RatingVia(req.Via)
	if via != "" && via != casework.ViaInPerson && via != casework.ViaPhone {
		return nil, models.Errorf(models.ErrInvalid, "评价方式（via）应为 in_person（当面）或 phone（电话）")
	}
	return s.Cases.Rate(r.Context(), actor, r.PathValue("no"), models.RatingLevel(req.Level), req.Comment, via)
}

func (s *Server) comment(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Comment string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Comment(r.Context(), actor, r.PathValue("no"), req.Comment)
}

// followUp records the visit; level, comment and via (optional) record
// the rating the applicant gave in it, which closes the re-handled case.
func (s *Server) followUp(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Note, Level, Comment, Via string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.RecordFollowUpRating(r.Context(), actor, r.PathValue("no"), req.Note, models.RatingLevel(req.Level), req.Comment, casework.RatingVia(req.Via))
}

func (s *Server) fault(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Staff, Kind, Note string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.MarkFault(r.Context(), actor, r.PathValue("no"), req.Staff, models.FaultKind(req.Kind), req.Note)
}

func (s *Server) unitFailure(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct {
		Departments []string
		Kind, Note  string
	}
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.MarkUnitFailure(r.Context(), actor, r.PathValue("no"), s.departmentCodes(r, req.Departments), models.FaultKind(req.Kind), req.Note)
}

func (s *Server) sign(r *http.Request, actor models.Staff) (*models.Case, error) {
	return s.Cases.Sign(r.Context(), actor, r.PathValue("no"))
}

func (s *Server) reply(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct{ Result string }
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Reply(r.Context(), actor, r.PathValue("no"), req.Result)
}

func (s *Server) extend(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct {
		DueDate string `json:"due_date"`
		Reason  string `json:"reason"`
	}
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Extend(r.Context(), actor, r.PathValue("no"), req.DueDate, req.Reason)
}

func (s *Server) escalate(r *http.Request, actor models.Staff) (*models.Case, error) {
	var req struct {
		Reason      string   `json:"reason"`
		Departments []string `json:"departments"`
	}
	if err := decodeInto(r, &req); err != nil {
		return nil, err
	}
	return s.Cases.Escalate(r.Context(), actor, r.PathValue("no"), req.Reason, s.departmentCodes(r, req.Departments))
}

func (s *Server) checkIn(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	ci, err := s.Cases.CheckIn(r.Context(), actor)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"date": ci.Date, "staff": ci.StaffID, "at": formatTime(ci.At), "late": ci.Late})
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, actor models.Staff) {
	writeJSON(w, http.StatusOK, map[string]string{
		"id": actor.ID, "name": actor.Name, "role": string(actor.Role), "department": actor.DepartmentCode,
	})
}

// ledger exports the cases matching the list's filters as the ledger
// (.xlsx, 第十五条). Window staff get masked mobiles, as everywhere.
func (s *Server) ledger(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	allowLongResponse(w)
	q := r.URL.Query()
	if d := q.Get("department"); d != "" {
		q.Set("department", s.departmentCode(r, d))
	}
	book, name, err := buildLedger(r.Context(), s.Cases, q, actor)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	sendLedger(w, book, name, s.Log)
}

// monthly is the monthly summary (第十四条) as JSON.
func (s *Server) monthly(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	month := r.URL.Query().Get("month")
	if month == "" {
		writeError(w, http.StatusBadRequest, "invalid", "请给出月份，例如 month=2026-03")
		return
	}
	m, err := s.Reports.Monthly(r.Context(), month)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// scores is the year's assessment (R9), with the deductions the rules
// proposed as things happened.
func (s *Server) scores(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "请给出年份，例如 year=2026")
		return
	}
	sc, err := s.Reports.Scores(r.Context(), year)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// reviewRecurrence is the supervision section's word on a problem handed
// to a unit three times or more (红旗窗口): decision "confirm", or
// "dismiss" with the reason in note.
func (s *Server) reviewRecurrence(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "年份不正确")
		return
	}
	var req struct {
		Department, Decision, Note string
		Cases                      []string
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Decision != "confirm" && req.Decision != "dismiss" {
		writeError(w, http.StatusBadRequest, "invalid", "认定结果（decision）应为 confirm（确认为同类问题）或 dismiss（不属同类问题）")
		return
	}
	if err := s.Cases.ReviewRecurrence(r.Context(), actor, year, s.departmentCode(r, req.Department), req.Cases, req.Decision == "confirm", req.Note); err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"year": year, "department": req.Department, "decision": req.Decision})
}

// reportDeduction records that a confirmed deduction was reported to the
// unit's parent department; the console prints the letter.
func (s *Server) reportDeduction(w http.ResponseWriter, r *http.Request, actor models.Staff) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "扣分记录不存在")
		return
	}
	d, unit, err := s.Cases.ReportDeduction(r.Context(), actor, id)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": d.ID, "department": d.DepartmentCode, "parent_unit": unit.ParentUnit,
		"reported_at": formatTime(*d.ReportedAt), "letter": "/admin/deductions/" + strconv.FormatUint(d.ID, 10) + "/report"})
}

func (s *Server) decideDeduction(confirm bool) func(http.ResponseWriter, *http.Request, models.Staff) {
	return func(w http.ResponseWriter, r *http.Request, actor models.Staff) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusNotFound, "not_found", "扣分记录不存在")
			return
		}
		var req struct{ Note, Reason string }
		if !decode(w, r, &req) {
			return
		}
		note := req.Note
		if !confirm {
			note = req.Reason
		}
		d, err := s.Cases.DecideDeduction(r.Context(), actor, id, confirm, note)
		if err != nil {
			fail(w, s.Log, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": d.ID, "status": d.Status, "note": d.Note})
	}
}

// departmentCode takes a department's name (税务窗口) where its code (tax)
// is expected, as people write it; anything else goes on as it is, for
// the use case to refuse by name.
func (s *Server) departmentCode(r *http.Request, nameOrCode string) string {
	codes := s.departmentCodes(r, []string{nameOrCode})
	return codes[0]
}

func (s *Server) departmentCodes(r *http.Request, in []string) []string {
	if len(in) == 0 {
		return in
	}
	all, err := s.Cases.AllDepartments(r.Context())
	if err != nil {
		return in // the use case reads them again and says what failed
	}
	out := make([]string, len(in))
	byName := map[string]string{}
	codes := map[string]bool{}
	for _, d := range all {
		codes[d.Code] = true
		if _, seen := byName[d.Name]; !seen || d.Active {
			byName[d.Name] = d.Code // an active department wins a name
		}
	}
	for i, v := range in {
		v = strings.TrimSpace(v)
		out[i] = v
		if code, ok := byName[v]; ok && !codes[v] {
			out[i] = code
		}
	}
	return out
}

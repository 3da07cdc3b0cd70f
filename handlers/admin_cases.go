package handlers

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"bbcs/casework"
	"bbcs/models"
)

type casesView struct {
	Filter     casework.Filter
	Cases      []caseRow
	Total      int64
	Statuses   []models.CaseStatus
	Categories []models.Category
	Depts      map[string]models.Department
	Export     string
	CanAdd     bool
}

type caseRow struct {
	Case   models.Case
	Mobile string
	// Late is "已超期 N 个工作日" when an open order of the case's round is
	// past its deadline: the ledger shows which cases are late at a glance.
	Late string
}

func (c *Console) cases(w http.ResponseWriter, r *http.Request, p consolePage) {
	q := r.URL.Query()
	f := filterOf(q)
	f.Limit = 200
	list, total, err := c.Cases.List(r.Context(), f)
	p.Title = "台账"
	if err != nil {
		p.Error = models.ErrorMessage(err)
		f = casework.Filter{Limit: 200}
		list, total, _ = c.Cases.List(r.Context(), f)
	}
	depts, _ := c.Cases.Departments(r.Context())
	open, err := c.Cases.OpenOrders(r.Context(), list)
	if err != nil {
		c.log().Warn("console: open orders of the ledger", "err", err) // the list still shows, without marks
	}
	now, cal := c.Clock.Now(), c.Cases.Calendar()
	rows := make([]caseRow, len(list))
	for i, cs := range list {
		rows[i] = caseRow{Case: cs, Mobile: cs.ApplicantMobile}
		if !seesFullMobile(p.Me) {
			rows[i].Mobile = models.MaskMobile(cs.ApplicantMobile)
		}
		worst := -1
		for _, o := range open[cs.ID] {
			if days := cal.WorkdaysBetween(o.Deadline(), now); now.After(o.Deadline()) && days > worst {
				worst = max(days, 0)
			}
		}
		switch {
		case worst > 0:
			rows[i].Late = fmt.Sprintf("已超期 %d 个工作日", worst)
		case worst == 0:
			rows[i].Late = "已超期"
		}
	}
	p.Data = casesView{Filter: f, Cases: rows, Total: total, Depts: depts, Export: "/admin/ledger.xlsx?" + q.Encode(),
		Statuses:   []models.CaseStatus{models.CaseRegistered, models.CaseDispatched, models.CaseAnswered, models.CaseReopened, models.CaseClosed},
		Categories: models.Categories, CanAdd: slices.Contains(registrars, p.Me.Role)}
	c.render(w, http.StatusOK, "console-cases.html", p)
}

// export is the ledger download for people signed in to the console,
// with the filters of the page it was clicked on.
func (c *Console) export(w http.ResponseWriter, r *http.Request, p consolePage) {
	allowLongResponse(w)
	book, name, err := buildLedger(r.Context(), c.Cases, r.URL.Query(), p.Me)
	if err != nil {
		c.failed(w, p, "导出台账", err)
		return
	}
	sendLedger(w, book, name, c.log())
}

type newCaseView struct {
	Form       url.Values
	Categories []models.Category
	Depts      []models.Department
}

func (c *Console) newCase(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.caseForm(w, http.StatusOK, r, p, url.Values{"channel": {"walk_in"}, "kind": {"person"}})
}

func (c *Console) caseForm(w http.ResponseWriter, status int, r *http.Request, p consolePage, form url.Values) {
	depts, _ := c.Cases.AllDepartments(r.Context())
	depts = slices.DeleteFunc(depts, func(d models.Department) bool { return !d.Active })
	p.Title = "登记反映"
	p.Data = newCaseView{Form: form, Categories: models.Categories, Depts: depts}
	c.render(w, status, "console-new-case.html", p)
}

// registerCase registers a walk-in or phone case with the fields of the
// chat command and the API (R1).
func (c *Console) registerCase(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	cs, err := c.Cases.Register(r.Context(), p.Me, casework.Registration{
		ApplicantName: f.Get("name"), ApplicantMobile: f.Get("mobile"), ApplicantKind: models.ApplicantKind(f.Get("kind")),
		Company: f.Get("company"), Category: models.Category(f.Get("category")), Matter: f.Get("matter"),
		Channel: models.Channel(f.Get("channel")), Departments: f["departments"],
	})
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.caseForm(w, statusOf(models.ErrorCode(err)), r, p, f)
		return
	}
	c.kick()
	redirectDone(w, r, "/admin/cases/"+cs.No, "已登记，编号 "+cs.No)
}

// caseView is a case page: the case, and what the signed-in person may do
// with it now.
type caseView struct {
	caseDetail
	Can         map[string]bool
	Depts       []models.Department
	Specialists []models.Staff
	Leaders     []models.Staff
	People      []models.Staff // whom a fault may be recorded against
	FaultKinds  map[models.FaultKind]string
	// Related are the units the case was handed to, whose failure the
	// supervision section may record (第十七条).
	Related      []models.Department
	UnitFailures map[models.FaultKind]string
	Levels       []models.RatingLevel
	// Awaited are the summoned departments not yet arrived; OpenOrders the
	// round's orders not yet answered, which the owner may escalate.
	Awaited    []models.Department
	OpenOrders []orderJSON
	// ToRectify are the open 差评整改 the signed-in person owns and may
	// report from this page (the centre's, for the case owner; a unit's,
	// for a 分管领导 answering for a unit without a window head).
	ToRectify []rectificationJSON
	RatingQR  ratingQR // admin_rating.go
	// Orders are the work orders as the page shows them: with how late an
	// open one is. Overdue is the case's plainest line about it, beside
	// its status ("" when nothing is late).
	Orders  []orderRow
	Overdue string
	// Round is the case's present round; Current its result, if it has
	// one yet; Earlier the results of the rounds sent back (退回重办).
	Round         int
	Current       string
	Earlier       []roundResult
	CurrentRating *roundRatingJSON
	EarlierRating []roundRatingJSON
}

// orderRow is a work order on the case page.
type orderRow struct {
	orderJSON
	// Late is "已超期 N 个工作日" for an open order past its deadline, or
	// "超期答复" for one answered after it.
	Late string
}

// roundResult is the answer the applicant was given in one round.
type roundResult struct {
	Round  int
	Result string
}

func (c *Console) casePage(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.showCase(w, http.StatusOK, r, p)
}

func (c *Console) showCase(w http.ResponseWriter, status int, r *http.Request, p consolePage) {
	d, err := c.Cases.Get(r.Context(), r.PathValue("no"))
	if err != nil {
		c.failed(w, p, "案件", err)
		return
	}
	v := caseView{caseDetail: caseJSON(d, p.Me), Can: actionsFor(p.Me, d), FaultKinds: models.FaultKinds, UnitFailures: models.UnitFailures,
		Levels: models.RatingLevels}
	depts, _ := c.Cases.AllDepartments(r.Context())
	related := relatedUnits(d)
	for _, dept := range depts {
		if related[dept.Code] {
			v.Related = append(v.Related, dept)
		}
	}
	for _, sm := range d.Summons {
		if i := slices.IndexFunc(depts, func(x models.Department) bool { return x.Code == sm.DepartmentCode }); sm.ArrivedAt == nil && i >= 0 {
			v.Awaited = append(v.Awaited, depts[i])
		}
	}
	for _, rc := range v.Rectifications {
		if rc.ReportedAt == nil && rc.Owner == p.Me.ID {
			v.ToRectify = append(v.ToRectify, rc)
			v.Can["rectify"] = true
		}
	}
	for _, o := range v.WorkOrders {
		if o.Round == d.Case.Round && o.Status != string(models.OrderReplied) {
			v.OpenOrders = append(v.OpenOrders, o)
		}
	}
	c.lateness(&v, d)
	c.rounds(&v, d)
	v.Depts = slices.DeleteFunc(depts, func(d models.Department) bool { return !d.Active })
	people, _ := c.Cases.AllStaff(r.Context())
	for _, st := range people {
		if !st.Active {
			continue
		}
		switch st.Role {
		case models.RoleSpecialist:
			v.Specialists = append(v.Specialists, st)
		case models.RoleLeader, models.RolePrincipalLeader:
			v.Leaders = append(v.Leaders, st)
		}
		if st.DepartmentCode != "" {
			v.People = append(v.People, st) // faults are a unit's (R9)
		}
	}
	v.RatingQR = c.ratingQRFor(r, d, p.Me)
	p.Title = "案件 " + d.Case.No
	p.Data = v
	c.render(w, status, "console-case.html", p)
}

// lateness marks the orders past their deadline (第十一条, 第十二条): an
// open one says how many working days late it is, as the reminders do.
func (c *Console) lateness(v *caseView, d *casework.Detail) {
	now, cal := c.Clock.Now(), c.Cases.Calendar()
	worst := -1
	for i, o := range d.Orders {
		row := orderRow{orderJSON: v.WorkOrders[i]}
		switch {
		case o.Open() && now.After(o.Deadline()):
			days := max(cal.WorkdaysBetween(o.Deadline(), now), 0)
			row.Late = "已超期"
			if days > 0 {
				row.Late = fmt.Sprintf("已超期 %d 个工作日", days)
			}
			if o.Round == d.Case.Round && days > worst {
				worst, v.Overdue = days, row.Late
			}
		case !o.Open() && o.RepliedAt != nil && o.RepliedAt.After(o.Deadline()):
			row.Late = "超期答复"
		}
		v.Orders = append(v.Orders, row)
	}
}

// rounds splits the results and ratings by round: the page shows the
// present round's, and the earlier ones labelled as such. A round's
// result is its "answered" line; rounds are counted by "reopened" lines.
func (c *Console) rounds(v *caseView, d *casework.Detail) {
	v.Round = max(d.Case.Round, 1)
	round := 1
	results := map[int]string{}
	for _, e := range d.Timeline {
		switch e.Action {
		case "reopened":
			round++
		case "answered":
			results[round] = e.Note
		}
	}
	if _, ok := results[v.Round]; ok || len(results) == 0 {
		v.Current = d.Case.Result // answered in this round (or seeded without a timeline)
	}
	for r := 1; r < v.Round; r++ {
		if res, ok := results[r]; ok {
			v.Earlier = append(v.Earlier, roundResult{Round: r, Result: res})
		}
	}
	for _, r := range v.Ratings {
		if r.Round == v.Round {
			v.CurrentRating = &r
		} else {
			v.EarlierRating = append(v.EarlierRating, r)
		}
	}
}

// actionsFor decides which forms the case page offers. It mirrors the
// rules in casework, which decide: a form shown in error only ends in a
// refusal, never in a change.
func actionsFor(me models.Staff, d *casework.Detail) map[string]bool {
	st := d.Case.Status
	owner := me.ID == d.Case.OwnerID || me.Role == models.RoleAdmin
	open := st == models.CaseRegistered || st == models.CaseReopened
	can := map[string]bool{
		"dispatch":      open && owner || me.Role == models.RolePrincipalLeader && st != models.CaseClosed,
		"resolve":       open && owner,
		"out-of-scope":  open && owner,
		"not-qualified": open && owner,
		"summon":        open && owner,
		"handover":      st != models.CaseClosed && owner,
		"instruction":   st != models.CaseClosed && owner,
		// 第十三条: an answered case closes on its rating, never by hand:
		// the owner records one the applicant gave in person or by phone.
		"rate": st == models.CaseAnswered && owner && !ratedThisRound(d),
	}
	// A verified staff fault (第十七条): after a 差评, or on the complaint.
	can["fault"] = slices.Contains(deciders, me.Role)
	can["unit-failure"] = can["fault"] && len(relatedUnits(d)) > 0
	// 第十条: the owner at the window sees the summoned staff arrive.
	for _, s := range d.Summons {
		if s.ArrivedAt == nil && owner {
			can["arrive"] = true
		}
	}
	// 第七条, 第十一条: the owner pushes an order that is stuck.
	for _, o := range d.Orders {
		if o.Round == d.Case.Round && o.Open() && owner && st == models.CaseDispatched {
			can["escalate"] = true
		}
	}
	for _, in := range d.Instructions {
		if in.AnsweredAt == nil && (in.LeaderID == me.ID || me.Role == models.RoleAdmin) {
			can["answer"] = true
		}
	}
	for _, f := range d.FollowUps {
		if f.DoneAt == nil && owner {
			can["follow-up"] = true
		}
	}
	maps.DeleteFunc(can, func(_ string, ok bool) bool { return !ok })
	return can
}

// ratedThisRound: the present result has its rating (the case then
// waits for the follow-up visit of a re-handled round).
func ratedThisRound(d *casework.Detail) bool {
	for _, r := range d.Ratings {
		if r.Round == d.Case.Round {
			return true
		}
	}
	return false
}

// relatedUnits are the units a case was handed to, by work order or
// summons: those whose failure on it may be recorded (第十七条).
func relatedUnits(d *casework.Detail) map[string]bool {
	out := map[string]bool{}
	for _, o := range d.Orders {
		out[o.DepartmentCode] = true
	}
	for _, s := range d.Summons {
		out[s.DepartmentCode] = true
	}
	return out
}

// caseAction runs one use case from a case page's form, then shows the
// case again with what happened.
func (c *Console) caseAction(w http.ResponseWriter, r *http.Request, p consolePage) {
	ctx, no, f := r.Context(), r.PathValue("no"), r.PostForm
	var err error
	var done string
	switch r.PathValue("action") {
	case "dispatch":
		_, err = c.Cases.Dispatch(ctx, p.Me, no, f["departments"], f.Get("note"), f.Get("joint") == "1")
		done = "已派发工单"
	case "resolve":
		_, err = c.Cases.Resolve(ctx, p.Me, no, f.Get("result"))
		done = "已当场答复反映人"
	case "out-of-scope":
		_, err = c.Cases.OutOfScope(ctx, p.Me, no, f.Get("way"), f.Get("path"))
		done = "已告知反映人解决途径"
	case "not-qualified":
		_, err = c.Cases.NotQualified(ctx, p.Me, no, f.Get("missing"), f.Get("how"))
		done = "已告知反映人需补充的材料"
	case "summon":
		_, err = c.Cases.Summon(ctx, p.Me, no, f.Get("department"), f.Get("note"))
		done = "已通知窗口人员到场"
	case "arrive":
		_, err = c.Cases.ConfirmArrivalOf(ctx, p.Me, no, f.Get("department"))
		done = "已确认到场"
	case "escalate":
		_, err = c.Cases.Escalate(ctx, p.Me, f.Get("order"), f.Get("reason"), nil)
		done = "已上报领导协调"
	case "handover":
		_, err = c.Cases.Handover(ctx, p.Me, no, f.Get("to"), f.Get("reason"))
		done = "已交接"
	case "instruction":
		_, err = c.Cases.RequestInstruction(ctx, p.Me, no, f.Get("leader"), f.Get("question"))
		done = "已请示领导"
	case "answer":
		_, err = c.Cases.AnswerInstruction(ctx, p.Me, no, f.Get("answer"))
		done = "已批示"
	case "close":
		// No form offers it any more; an old page's post hears how the
		// case will close.
		_, err = c.Cases.Close(ctx, p.Me, no, f.Get("note"))
		done = "已办结"
	case "rate":
		via, verr := consoleVia(f.Get("via"))
		if err = verr; err == nil {
			_, err = c.Cases.Rate(ctx, p.Me, no, models.RatingLevel(f.Get("level")), f.Get("comment"), via)
		}
		done = "已记录评价"
	case "follow-up":
		via, verr := consoleVia(f.Get("via"))
		if err = verr; err == nil {
			_, err = c.Cases.RecordFollowUpRating(ctx, p.Me, no, f.Get("note"), models.RatingLevel(f.Get("level")), f.Get("comment"), via)
		}
		done = "已记录回访"
	case "fault":
		_, err = c.Cases.MarkFault(ctx, p.Me, no, f.Get("staff"), models.FaultKind(f.Get("kind")), f.Get("note"))
		done = "已认定过错"
	case "rectify":
		v := verdictOf(f.Get("verdict"))
		if !v.Valid() {
			err = models.Errorf(models.ErrInvalid, "请选择核实结论：属实或不属实")
		} else {
			_, err = c.Cases.ReportRectification(ctx, p.Me, no, f.Get("department"), v, f.Get("measures"))
		}
		done = "已报告差评整改，已告知监督考核科和反映人"
	case "unit-failure":
		_, err = c.Cases.MarkUnitFailure(ctx, p.Me, no, f["departments"], models.FaultKind(f.Get("kind")), f.Get("note"))
		done = "已认定相关联单位责任"
	default:
		c.failed(w, p, "案件", models.Errorf(models.ErrNotFound, "没有这项操作。"))
		return
	}
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.showCase(w, statusOf(models.ErrorCode(err)), r, p)
		return
	}
	c.kick()
	redirectDone(w, r, "/admin/cases/"+url.PathEscape(no), done)
}

// consoleVia is how a rating the owner records was given: in person or
// by phone.
func consoleVia(v string) (casework.RatingVia, error) {
	switch via := casework.RatingVia(v); via {
	case "", casework.ViaInPerson, casework.ViaPhone:
		return via, nil
	}
	return "", models.Errorf(models.ErrInvalid, "评价方式应为当面或电话")
}

// kick wakes the outbox so notices go out now, not at its next poll.
func (c *Console) kick() {
	if c.Kick != nil {
		c.Kick()
	}
}

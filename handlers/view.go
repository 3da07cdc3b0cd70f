package handlers

import (
	"bbcs/casework"
	"bbcs/models"
)

// The JSON shapes of the black-box contract. Fields may be added, never
// renamed.

type applicantJSON struct {
	Name    string `json:"name"`
	Mobile  string `json:"mobile"`
	Kind    string `json:"kind"`
	Company string `json:"company"`
}

type ownerJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type ratingJSON struct {
	Level   string  `json:"level"`
	Comment string  `json:"comment"`
	Via     string  `json:"via,omitempty"`
	At      *string `json:"at,omitempty"`
}

type orderJSON struct {
	No              string  `json:"no"`
	Department      string  `json:"department"`
	DepartmentName  string  `json:"department_name"`
	Status          string  `json:"status"`
	ReceivedAt      string  `json:"received_at"`
	DueAt           string  `json:"due_at"`
	CapAt           string  `json:"cap_at"`
	ExtendedDueAt   *string `json:"extended_due_at"`
	ExtensionReason string  `json:"extension_reason,omitempty"`
	SignedAt        *string `json:"signed_at"`
	SignedBy        string  `json:"signed_by,omitempty"`
	RepliedAt       *string `json:"replied_at"`
	RepliedBy       string  `json:"replied_by,omitempty"`
	Result          string  `json:"result"`
	Round           int     `json:"round"`
	Joint           bool    `json:"joint"`
	EscalatedAt     *string `json:"escalated_at,omitempty"`
	EscalatedTo     string  `json:"escalated_to,omitempty"`
}

type eventJSON struct {
	At      string `json:"at"`
	Actor   string `json:"actor"`
	ActorID string `json:"actor_id"`
	Action  string `json:"action"`
	OrderNo string `json:"order_no,omitempty"`
	Note    string `json:"note"`
}

type summonJSON struct {
	Department string  `json:"department"`
	SummonedAt string  `json:"summoned_at"`
	ArriveBy   string  `json:"arrive_by"`
	ArrivedAt  *string `json:"arrived_at"`
	Late       bool    `json:"late"`
}

type instructionJSON struct {
	Leader     string  `json:"leader"`
	Question   string  `json:"question"`
	AskedAt    string  `json:"asked_at"`
	Answer     string  `json:"answer"`
	AnsweredAt *string `json:"answered_at"`
}

type roundRatingJSON struct {
	Round   int    `json:"round"`
	Level   string `json:"level"`
	Comment string `json:"comment"`
	Via     string `json:"via"`
	At      string `json:"at"`
}

type followUpJSON struct {
	Round  int     `json:"round"`
	DueAt  string  `json:"due_at"`
	DoneAt *string `json:"done_at"`
	DoneBy string  `json:"done_by,omitempty"`
	Note   string  `json:"note"`
}

type caseSummary struct {
	No          string        `json:"no"`
	Status      string        `json:"status"`
	Category    string        `json:"category"`
	Matter      string        `json:"matter"`
	Applicant   applicantJSON `json:"applicant"`
	Owner       ownerJSON     `json:"owner"`
	Channel     string        `json:"channel"`
	Departments []string      `json:"departments"`
	AcceptedAt  string        `json:"accepted_at"`
	AnsweredAt  *string       `json:"answered_at"`
	ClosedAt    *string       `json:"closed_at"`
	Outcome     string        `json:"outcome,omitempty"`
	Result      string        `json:"result"`
	Rating      *ratingJSON   `json:"rating"`
	// NotRated marks a case closed without a rating (未评价).
	NotRated bool `json:"not_rated"`
	Rounds   int  `json:"rounds"`
}

type caseDetail struct {
	caseSummary
	WorkOrders   []orderJSON       `json:"work_orders"`
	Timeline     []eventJSON       `json:"timeline"`
	Summons      []summonJSON      `json:"summons"`
	Instructions []instructionJSON `json:"instructions"`
	Ratings      []roundRatingJSON `json:"ratings"`
	FollowUps    []followUpJSON    `json:"follow_ups"`
	// Rectifications are the 差评整改 the case's 差评 opened.
	Rectifications []rectificationJSON `json:"rectifications"`
}

// seesFullMobile: decision 7 — window staff see a masked mobile; the full
// number is for the centre's own roles, named here so that a role added
// later sees it masked until someone decides otherwise.
func seesFullMobile(actor models.Staff) bool {
	switch actor.Role {
	case models.RoleSpecialist, models.RoleSupervisor, models.RoleLeader, models.RolePrincipalLeader, models.RoleAdmin:
		return true
	}
	return false
}

func summaryJSON(c *models.Case, depts map[string]models.Department, actor models.Staff) caseSummary {
	mobile := c.ApplicantMobile
	if !seesFullMobile(actor) {
		mobile = models.MaskMobile(mobile)
	}
	out := caseSummary{
		No: c.No, Status: string(c.Status), Category: string(c.Category), Matter: c.Matter,
		Applicant: applicantJSON{Name: c.ApplicantName, Mobile: mobile, Kind: string(c.ApplicantKind), Company: c.Company},
		Owner:     ownerJSON{ID: c.OwnerID},
		Channel:   string(c.Channel), Departments: c.DepartmentCodes(),
		AcceptedAt: formatTime(c.AcceptedAt), AnsweredAt: formatTimePtr(c.AnsweredAt), ClosedAt: formatTimePtr(c.ClosedAt),
		Outcome: string(c.Outcome), Result: c.Result, Rounds: c.Round,
	}
	if out.Departments == nil {
		out.Departments = []string{}
	}
	out.NotRated = c.RatingVia == "not_rated"
	if c.Rating != "" {
		out.Rating = &ratingJSON{Level: string(c.Rating), Comment: c.RatingNote, Via: c.RatingVia, At: formatTimePtr(c.RatedAt)}
	}
	return out
}

func caseJSON(d *casework.Detail, actor models.Staff) caseDetail {
	out := caseDetail{
		caseSummary:  summaryJSON(&d.Case, d.Departments, actor),
		WorkOrders:   make([]orderJSON, 0, len(d.Orders)),
		Timeline:     make([]eventJSON, 0, len(d.Timeline)),
		Summons:      make([]summonJSON, 0, len(d.Summons)),
		Instructions: make([]instructionJSON, 0, len(d.Instructions)),
		Ratings:      make([]roundRatingJSON, 0, len(d.Ratings)),
		FollowUps:    make([]followUpJSON, 0, len(d.FollowUps)),
	}
	for _, r := range d.Ratings {
		out.Ratings = append(out.Ratings, roundRatingJSON{Round: r.Round, Level: string(r.Level), Comment: r.Comment, Via: r.Via, At: formatTime(r.At)})
	}
	for _, f := range d.FollowUps {
		out.FollowUps = append(out.FollowUps, followUpJSON{Round: f.Round, DueAt: formatTime(f.DueAt), DoneAt: formatTimePtr(f.DoneAt), DoneBy: f.DoneBy, Note: f.Note})
	}
	out.Owner.Name = d.Owner.Name
	for _, o := range d.Orders {
		out.WorkOrders = append(out.WorkOrders, orderJSON{
			No: o.No, Department: o.DepartmentCode, DepartmentName: d.Departments[o.DepartmentCode].Name,
			Status: string(o.Status), ReceivedAt: formatTime(o.ReceivedAt), DueAt: formatTime(o.DueAt),
			CapAt: formatTime(o.CapAt), ExtendedDueAt: formatTimePtr(o.ExtendedDueAt), ExtensionReason: o.ExtensionReason,
			SignedAt: formatTimePtr(o.SignedAt), SignedBy: o.SignedBy,
			RepliedAt: formatTimePtr(o.RepliedAt), RepliedBy: o.RepliedBy, Result: o.Result,
			Round: o.Round, Joint: o.Joint, EscalatedAt: formatTimePtr(o.EscalatedAt), EscalatedTo: o.EscalatedTo,
		})
	}
	for _, e := range d.Timeline {
		out.Timeline = append(out.Timeline, eventJSON{
			At: formatTime(e.At), Actor: e.ActorName, ActorID: e.ActorID, Action: e.Action, OrderNo: e.OrderNo, Note: e.Note,
		})
	}
	for _, sm := range d.Summons {
		out.Summons = append(out.Summons, summonJSON{
			Department: sm.DepartmentCode, SummonedAt: formatTime(sm.SummonedAt), ArriveBy: formatTime(sm.ArriveBy),
			ArrivedAt: formatTimePtr(sm.ArrivedAt), Late: sm.Late,
		})
	}
	for _, in := range d.Instructions {
		out.Instructions = append(out.Instructions, instructionJSON{
			Leader: in.LeaderID, Question: in.Question, AskedAt: formatTime(in.AskedAt),
			Answer: in.Answer, AnsweredAt: formatTimePtr(in.AnsweredAt),
		})
	}
	out.Rectifications = rectificationsJSON(d)
	return out
}

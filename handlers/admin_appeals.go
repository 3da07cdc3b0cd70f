package handlers

import (
	"net/http"
	"slices"
	"strconv"

	"bbcs/casework"
	"bbcs/models"
)

// The console's 申诉 page: the supervision section reads each appeal (the
// 差评's level and comment, or the deduction; the department's reason and
// files) and upholds or rejects it with a reason. Others may read it.

type appealsView struct {
	Appeals   []casework.AppealView
	CanDecide bool
	Status    string
	Month     string
}

func (c *Console) appeals(w http.ResponseWriter, r *http.Request, p consolePage) {
	q := r.URL.Query()
	f := casework.AppealFilter{Status: models.AppealStatus(q.Get("status")), Month: q.Get("month"), Department: q.Get("department")}
	list, err := c.Cases.Appeals(r.Context(), f)
	p.Title = "申诉"
	if err != nil {
		c.failed(w, p, "", err)
		return
	}
	p.Data = appealsView{Appeals: list, CanDecide: slices.Contains(deciders, p.Me.Role), Status: q.Get("status"), Month: q.Get("month")}
	c.render(w, http.StatusOK, "console-appeals.html", p)
}

func (c *Console) decideAppeal(w http.ResponseWriter, r *http.Request, p consolePage) {
	id, _ := strconv.ParseUint(r.PathValue("id"), 10, 64)
	uphold := r.PostForm.Get("decision") == "uphold"
	a, err := c.Cases.DecideAppeal(r.Context(), p.Me, id, uphold, r.PostForm.Get("reason"))
	if err != nil {
		c.failed(w, p, "申诉", err)
		return
	}
	c.kick()
	redirectDone(w, r, "/admin/appeals", "申诉 "+strconv.FormatUint(a.ID, 10)+" 已裁定："+a.Status.Label())
}

package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"bbcs/models"
)

// NoticeBoard is the outbox as the console sees it.
type NoticeBoard interface {
	Backlog(ctx context.Context, limit int) (pending, failed []models.Notice, err error)
	Retry(ctx context.Context, id uint64) error
	LoggedNotices
}

type noticesView struct {
	Pending, Failed []models.Notice
	// Logged is how many notices were only logged, of those looked at
	// (on the backlog's page, whether there is one); Tab is "logged" for
	// their page.
	Logged int
	Tab    string
	Log    loggedView
}

// notices shows what has not reached its recipient yet — during a
// platform's outage, the operator's first question — and what was given
// up on, with a way to send it again once the cause is fixed.
func (c *Console) notices(w http.ResponseWriter, r *http.Request, p consolePage) {
	p.Title = "通知发送"
	if c.Notices == nil {
		p.Error = "本实例未启用通知发送。"
		c.render(w, http.StatusNotFound, "console-error.html", p)
		return
	}
	v := noticesView{Tab: r.URL.Query().Get("tab")}
	if v.Tab == "logged" {
		// Demo mode: what bbcs would have sent, rendered as its platform
		// would show it.
		v.Log = loggedView{Case: strings.TrimSpace(r.URL.Query().Get("case")), Limit: loggedLimit}
		list, err := c.Notices.Logged(r.Context(), v.Log.Case, loggedLimit)
		if err != nil {
			p.Error = models.ErrorMessage(err)
		}
		v.Log.Notices, v.Logged = c.renderLogged(r.Context(), list), len(list)
		p.Title = "仅记录的通知"
		p.Data = v
		c.render(w, http.StatusOK, "console-notices.html", p)
		return
	}
	var err error
	v.Pending, v.Failed, err = c.Notices.Backlog(r.Context(), 200)
	if err != nil {
		p.Error = models.ErrorMessage(err)
	}
	if logged, err := c.Notices.Logged(r.Context(), "", 1); err == nil {
		v.Logged = len(logged)
	}
	p.Data = v
	c.render(w, http.StatusOK, "console-notices.html", p)
}

func (c *Console) retryNotice(w http.ResponseWriter, r *http.Request, p consolePage) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err == nil && c.Notices != nil {
		err = c.Notices.Retry(r.Context(), id)
	}
	if err != nil {
		c.failed(w, p, "通知发送", err)
		return
	}
	c.log().Info("notice put back in line from the console", "notice", id, "by", p.Me.ID)
	redirectDone(w, r, "/admin/notices", "已重新排队发送")
}

package handlers

import (
	"bytes"
	"net/http"

	"bbcs/casework"
	"bbcs/models"
)

// RatingPage is /rate/{token}: the short page behind a rating link, for
// applicants outside WeChat's 48-hour window or without WeChat (第十三条).
// The link works once, for its round, until it expires, and only for who
// knows the last four digits of the mobile on the case.
type RatingPage struct {
	Cases *casework.Service
	Kick  func()
}

type ratingView struct {
	Case    models.Case
	Levels  []models.RatingLevel
	Done    string
	Error   string
	Checked models.RatingLevel
	Comment string
}

func (p *RatingPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	_, c, err := p.Cases.RatingLinkCase(r.Context(), token)
	if err != nil {
		p.render(w, statusOf(models.ErrorCode(err)), ratingView{Error: models.ErrorMessage(err)})
		return
	}
	v := ratingView{Case: *c, Levels: models.RatingLevels}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			v.Error = "提交的内容无法读取，请重试。"
			p.render(w, http.StatusBadRequest, v)
			return
		}
		level := models.RatingLevel(r.PostForm.Get("level"))
		v.Checked, v.Comment = level, r.PostForm.Get("comment")
		if _, err := p.Cases.RateByLink(r.Context(), token, r.PostForm.Get("last4"), level, v.Comment); err != nil {
			v.Error = models.ErrorMessage(err)
			p.render(w, statusOf(models.ErrorCode(err)), v)
			return
		}
		if p.Kick != nil {
			p.Kick()
		}
		v.Done = "已记录您的评价：" + level.Label() + "。感谢您的反馈！"
		if level.Bad() {
			v.Done += "我们将退回重新办理，并安排专人回访您。"
		}
	}
	p.render(w, http.StatusOK, v)
}

func (p *RatingPage) render(w http.ResponseWriter, status int, v ratingView) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "rating.html", v); err != nil {
		http.Error(w, "页面出错", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

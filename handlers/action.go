package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/models"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"time": models.FormatTime,
	"inc":  func(i int) int { return i + 1 }, // a list's place, counted from 1
	"date": func(t time.Time) string { return t.In(models.Shanghai).Format("2006-01-02") },
	"cnDate": func(t *time.Time) string { // as a letter is dated
		if t == nil {
			return ""
		}
		return t.In(models.Shanghai).Format("2006年1月2日")
	},
	"catLabel":    func(s string) string { return models.Category(s).Label() },
	"outcome":     func(s string) string { return models.Outcome(s).Label() },
	"levelLabel":  func(s string) string { return ratingLabel(s) },
	"caseStatus":  func(s string) string { return models.CaseStatus(s).Label() },
	"orderStatus": func(s string) string { return models.OrderStatus(s).Label() },
	"event":       models.EventLabel,
	"when":        isoTime,
	"short":       func(s string) string { return models.Shorten(s, 40) }, // a long matter, cut to a line
	"pct":         func(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + "%" },
	"bar": func(n, total int64) int64 {
		if total == 0 {
			return 0
		}
		return n * 100 / total
	},
}).ParseFS(templateFS, "templates/*.html"))

// isoTime shows a time of the JSON views (RFC 3339, or a pointer to one)
// as people read it.
func isoTime(v any) string {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case *string:
		if t == nil {
			return ""
		}
		s = *t
	case time.Time:
		return models.FormatTime(t)
	case *time.Time:
		if t == nil {
			return ""
		}
		return models.FormatTime(*t)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return models.FormatTime(t)
}

func ratingLabel(s string) string {
	if s == "not_rated" {
		return "未评价"
	}
	return models.RatingLevel(s).Label()
}

// Identity turns a platform's sign-in code for an internal page into the
// user id of the person who opened it (WeCom OAuth code, DingTalk in-app
// free-login code).
type Identity interface {
	UserIDByCode(ctx context.Context, code string) (string, error)
}

// Actions is the small mobile page behind the card buttons that need a
// form (reply, extension): /act/{order}. The person acting is identified by
// the platform's own sign-in, never by a secret in the link.
type Actions struct {
	Cases     *casework.Service
	Clock     clock.Clock
	Secret    []byte              // signs sessions
	Platforms map[string]Identity // "wecom", "dingtalk"
	// SignIn builds the platform's sign-in URL that comes back to back with
	// a code (WeCom OAuth); nil for platforms that sign in from the page
	// itself (DingTalk's requestAuthCode).
	// Both read the credentials in force, which the console may change.
	SignIn map[string]func(ctx context.Context, back string) string
	// DingTalkCorpID is given to the page's requestAuthCode.
	DingTalkCorpID func(ctx context.Context) string
	Kick           func()
}

const sessionCookie = "bbcs_staff"

// session is the signed cookie: staff id and expiry. Its life is the
// browser's (MaxAge), so it runs on the wall clock: moving the test clock
// in a rehearsal neither signs staff out nor stretches a session.
func (a *Actions) session(staffID string) *http.Cookie {
	exp := (clock.Real{}).Now().Add(8 * time.Hour).Unix()
	v := staffID + "|" + strconv.FormatInt(exp, 10)
	return &http.Cookie{Name: sessionCookie, Value: v + "|" + a.mac(v), Path: "/act/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: 8 * 3600}
}

func (a *Actions) mac(v string) string {
	m := hmac.New(sha256.New, a.Secret)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// staffOf reads the session, "" when there is none or it is forged or old.
func (a *Actions) staffOf(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	parts := strings.Split(c.Value, "|")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(a.mac(parts[0]+"|"+parts[1]))) {
		return ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || (clock.Real{}).Now().Unix() > exp {
		return ""
	}
	return parts[0]
}

// csrf binds a form to the session and the order.
func (a *Actions) csrf(staffID, orderNo string) string {
	return a.mac("csrf|" + staffID + "|" + orderNo)
}

type actionPage struct {
	Order    models.WorkOrder
	Due      time.Time // the deadline in force
	Dept     string
	Case     models.Case
	Mobile   string
	Staff    models.Staff
	CSRF     string
	Message  string
	Error    string
	Platform string
	CorpID   string
	MinDate  string
	MaxDate  string
	MaxDays  int // workday.max_days
}

// ServeHTTP routes GET and POST /act/{order}.
func (a *Actions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	orderNo := r.PathValue("order")
	platform := r.URL.Query().Get("platform")
	if code := r.URL.Query().Get("code"); code != "" && r.Method == http.MethodGet {
		a.signIn(w, r, platform, code)
		return
	}
	staffID := a.staffOf(r)
	if staffID == "" {
		if signIn := a.SignIn[platform]; signIn != nil {
			http.Redirect(w, r, signIn(r.Context(), a.selfURL(r)), http.StatusFound)
			return
		}
		if platform == "dingtalk" {
			corpID := ""
			if a.DingTalkCorpID != nil {
				corpID = a.DingTalkCorpID(r.Context())
			}
			a.render(w, http.StatusOK, "dingtalk-login.html", actionPage{Platform: platform, CorpID: corpID})
			return
		}
		a.render(w, http.StatusUnauthorized, "action.html", actionPage{Error: "请在企业微信或钉钉中打开此页面，以确认您的身份。"})
		return
	}
	actor, err := a.Cases.Staff(r.Context(), staffID)
	if err != nil || !actor.Active {
		a.render(w, http.StatusForbidden, "action.html", actionPage{Error: "您不在本中心的工作人员名单中。"})
		return
	}
	msg := ""
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			a.render(w, http.StatusBadRequest, "action.html", actionPage{Error: "提交的内容无法读取。"})
			return
		}
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(a.csrf(actor.ID, orderNo))) {
			a.render(w, http.StatusForbidden, "action.html", actionPage{Error: "页面已过期，请从工单卡片重新打开。"})
			return
		}
		if msg, err = a.act(r.Context(), actor, orderNo, r.PostForm); err != nil {
			a.show(w, r, actor, orderNo, "", models.ErrorMessage(err), statusOf(models.ErrorCode(err)))
			return
		}
		if a.Kick != nil {
			a.Kick()
		}
	}
	a.show(w, r, actor, orderNo, msg, "", http.StatusOK)
}

func (a *Actions) act(ctx context.Context, actor models.Staff, orderNo string, f url.Values) (string, error) {
	switch f.Get("action") {
	case "sign":
		_, err := a.Cases.Sign(ctx, actor, orderNo)
		return "已签收。", err
	case "reply":
		_, err := a.Cases.Reply(ctx, actor, orderNo, f.Get("result"))
		return "已答复，结果已同时告知反映人、首接负责人和监督考核科。", err
	case "extend":
		_, err := a.Cases.Extend(ctx, actor, orderNo, f.Get("due_date"), f.Get("reason"))
		return "已延期，已告知反映人、首接负责人和监督考核科。", err
	case "escalate":
		_, err := a.Cases.Escalate(ctx, actor, orderNo, f.Get("reason"), nil)
		return "已上报领导协调办理。", err
	}
	return "", models.Errorf(models.ErrInvalid, "未知的操作")
}

func (a *Actions) show(w http.ResponseWriter, r *http.Request, actor models.Staff, orderNo, msg, errMsg string, status int) {
	c, o, err := a.Cases.Order(r.Context(), orderNo)
	if err != nil {
		a.render(w, statusOf(models.ErrorCode(err)), "action.html", actionPage{Error: models.ErrorMessage(err)})
		return
	}
	depts, _ := a.Cases.Departments(r.Context())
	a.render(w, status, "action.html", actionPage{
		Order: *o, Due: o.Deadline(), Dept: depts[o.DepartmentCode].Name, Case: *c, Mobile: models.MaskMobile(c.ApplicantMobile),
		Staff: actor, CSRF: a.csrf(actor.ID, orderNo), Message: msg, Error: errMsg,
		MinDate: a.Clock.Now().In(models.Shanghai).Format("2006-01-02"), MaxDate: o.CapAt.In(models.Shanghai).Format("2006-01-02"), MaxDays: a.Cases.MaxDays(),
	})
}

// signIn exchanges the platform's code for the person and starts a session.
func (a *Actions) signIn(w http.ResponseWriter, r *http.Request, platform, code string) {
	id, ok := a.Platforms[platform]
	if !ok {
		a.render(w, http.StatusBadRequest, "action.html", actionPage{Error: "未知的平台。"})
		return
	}
	userID, err := id.UserIDByCode(r.Context(), code)
	if err != nil {
		a.render(w, http.StatusForbidden, "action.html", actionPage{Error: "无法确认您的身份，请从工单卡片重新打开。"})
		return
	}
	st, err := a.Cases.StaffByPlatformID(r.Context(), platform, userID)
	if err != nil {
		a.render(w, http.StatusForbidden, "action.html", actionPage{Error: "您不在本中心的工作人员名单中。"})
		return
	}
	http.SetCookie(w, a.session(st.ID))
	q := r.URL.Query()
	q.Del("code")
	q.Del("state")
	http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusFound)
}

func (a *Actions) selfURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" {
		scheme = "http"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

func (a *Actions) render(w http.ResponseWriter, status int, name string, p actionPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Render into a buffer first: a template error must not leave half a
	// page behind a 200.
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		http.Error(w, "页面出错", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	buf.WriteTo(w)
}

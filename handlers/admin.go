package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/models"
	"bbcs/reports"
)

// Console is the admin console /admin (R10): server-rendered Chinese pages
// with every asset embedded, usable on a phone and with no internet. People
// sign in with the password hash config gives them; sessions are signed
// cookies, and every form carries a token bound to the session.
type Console struct {
	Cases   *casework.Service
	Reports *reports.Reports
	Clock   clock.Clock
	Secret  []byte
	// Passwords maps staff ids to bcrypt hashes from config; the console
	// keeps its own in the directory.
	Passwords map[string]string
	Kick      func()       // wakes the outbox after a change
	Notices   NoticeBoard  // nil: no notices page
	Log       *slog.Logger // nil: slog.Default()
	Centre    string       // the centre's name, as letters sign it
}

func (c *Console) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

const consoleCookie = "bbcs_console"

// decoyHash is compared against when the account does not exist.
var decoyHash, _ = bcrypt.GenerateFromPassword([]byte("decoy"), bcrypt.DefaultCost)

// consoleRoles may sign in; window staff work from their groups.
var consoleRoles = []models.Role{models.RoleSpecialist, models.RoleSupervisor, models.RoleLeader, models.RolePrincipalLeader, models.RoleAdmin}

// Who may do what in the console, besides everyone signed in: the routes
// and the forms a page offers read the same lists.
var (
	registrars = []models.Role{models.RoleSpecialist, models.RoleAdmin} // register walk-in and phone cases
	deciders   = []models.Role{models.RoleSupervisor, models.RoleAdmin} // confirm deductions, verdicts, the outbox
	admins     = []models.Role{models.RoleAdmin}                        // the directory
)

// Routes registers the console's pages on mux. Each names the roles that
// may open it; the use cases behind the forms check again.
func (c *Console) Routes(mux *http.ServeMux) {
	all := consoleRoles
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) { c.notFound(mux, w, r) })
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/admin/cases", http.StatusFound) })
	mux.HandleFunc("GET /admin/login", c.loginPage)
	mux.HandleFunc("POST /admin/login", c.login)
	mux.HandleFunc("POST /admin/logout", c.signedIn(c.logout, all...))
	mux.HandleFunc("GET /admin/cases", c.signedIn(c.cases, all...))
	mux.HandleFunc("GET /admin/cases/new", c.signedIn(c.newCase, registrars...))
	mux.HandleFunc("POST /admin/cases", c.signedIn(c.registerCase, registrars...))
	mux.HandleFunc("GET /admin/cases/{no}", c.signedIn(c.casePage, all...))
	mux.HandleFunc("POST /admin/cases/{no}/{action}", c.signedIn(c.caseAction, all...))
	mux.HandleFunc("POST /admin/cases/{no}/rating-link", c.signedIn(c.newRatingLink, all...))
	mux.HandleFunc("GET /admin/ledger.xlsx", c.signedIn(c.export, all...))
	mux.HandleFunc("GET /admin/reports", c.signedIn(c.monthly, all...))
	mux.HandleFunc("GET /admin/ratings.xlsx", c.signedIn(c.ratingsExport, all...))
	mux.HandleFunc("GET /admin/scores", c.signedIn(c.scores, all...))
	mux.HandleFunc("POST /admin/deductions/{id}", c.signedIn(c.decide, deciders...))
	mux.HandleFunc("POST /admin/deductions/{id}/report", c.signedIn(c.report, deciders...))
	mux.HandleFunc("POST /admin/recurrences", c.signedIn(c.reviewRecurrence, deciders...))
	mux.HandleFunc("GET /admin/deductions/{id}/report", c.signedIn(c.reportLetter, deciders...))
	mux.HandleFunc("GET /admin/appeals", c.signedIn(c.appeals, all...))
	mux.HandleFunc("POST /admin/appeals/{id}", c.signedIn(c.decideAppeal, deciders...))
	mux.HandleFunc("GET /admin/appeals/{id}/files/{n}", c.signedIn(c.appealFile, all...))
	mux.HandleFunc("GET /admin/notices", c.signedIn(c.notices, deciders...))
	mux.HandleFunc("POST /admin/notices/{id}/retry", c.signedIn(c.retryNotice, deciders...))
	mux.HandleFunc("GET /admin/departments", c.signedIn(c.departments, admins...))
	mux.HandleFunc("POST /admin/departments", c.signedIn(c.saveDepartment, admins...))
	mux.HandleFunc("GET /admin/staff", c.signedIn(c.staff, admins...))
	mux.HandleFunc("POST /admin/staff", c.signedIn(c.saveStaff, admins...))
	mux.HandleFunc("GET /admin/roster", c.signedIn(c.roster, all...))                    // editable by administrators
	mux.HandleFunc("POST /admin/check-in", c.signedIn(c.checkIn, models.RoleSpecialist)) // the duty check-in (第四条)
	mux.HandleFunc("POST /admin/roster", c.signedIn(c.saveRoster, admins...))
	mux.HandleFunc("POST /admin/roster/rotation", c.signedIn(c.saveRotation, admins...))
	mux.HandleFunc("GET /admin/settings", c.signedIn(c.settings, admins...))
	mux.HandleFunc("POST /admin/settings/{name}", c.signedIn(c.saveSetting, admins...))
	mux.HandleFunc("GET /admin/holidays", c.signedIn(c.holidays, admins...))
	mux.HandleFunc("POST /admin/holidays", c.signedIn(c.saveHolidays, admins...))
}

type consolePage struct {
	Title   string
	Me      models.Staff
	CSRF    string
	Error   string
	Message string
	Data    any
	Duty    *dutyBanner // the specialist on duty today: the check-in
}

// dutyBanner offers the check-in to the specialist on duty today, or says
// when she checked in.
type dutyBanner struct {
	At string // when checked in today; "" not yet
}

func (c *Console) mac(v string) string {
	m := hmac.New(sha256.New, c.Secret)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *Console) staffOf(r *http.Request) (string, string) {
	ck, err := r.Cookie(consoleCookie)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(ck.Value, "|")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(c.mac(parts[0]+"|"+parts[1]))) {
		return "", ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || (clock.Real{}).Now().Unix() > exp {
		return "", ""
	}
	return parts[0], c.mac("csrf|" + ck.Value)
}

// signedIn lets through only a signed-in person of one of roles, and
// checks the form token of every POST.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, consolePage), roles ...models.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, csrf := c.staffOf(r)
		if id == "" {
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(afterSignIn(r)), http.StatusFound)
			return
		}
		me, err := c.Cases.Staff(r.Context(), id)
		if err != nil || !me.Active || !slices.Contains(consoleRoles, me.Role) {
			c.render(w, http.StatusForbidden, "console-error.html", consolePage{Title: "无权访问", Error: "您没有使用管理后台的权限。"})
			return
		}
		if !slices.Contains(roles, me.Role) {
			c.render(w, http.StatusForbidden, "console-error.html", consolePage{Title: "无权访问", Me: me, CSRF: csrf,
				Error: "此页面不对" + me.Role.Label() + "开放。"})
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(csrf)) {
				c.render(w, http.StatusForbidden, "console-error.html", consolePage{Title: "页面已过期", Me: me, Error: "页面已过期，请刷新后重试。"})
				return
			}
		}
		// ?done= is what the form before the redirect did.
		p := consolePage{Me: me, CSRF: csrf, Message: r.URL.Query().Get("done")}
		if r.Method == http.MethodGet {
			p.Duty = c.dutyBanner(r, me)
		}
		h(w, r, p)
	}
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "console-login.html", consolePage{Title: "登录", Data: r.URL.Query().Get("next")})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		c.render(w, http.StatusBadRequest, "console-login.html", consolePage{Title: "登录", Error: "提交的内容无法读取。"})
		return
	}
	id, password, next := strings.TrimSpace(r.PostForm.Get("staff")), r.PostForm.Get("password"), r.PostForm.Get("next")
	fail := func() {
		c.render(w, http.StatusUnauthorized, "console-login.html", consolePage{Title: "登录", Error: "账号或密码不正确。", Data: next})
	}
	me, err := c.Cases.Staff(r.Context(), id)
	if err != nil || !me.Active || !slices.Contains(consoleRoles, me.Role) {
		// The same work as a wrong password, so timing does not tell
		// which accounts exist.
		bcrypt.CompareHashAndPassword(decoyHash, []byte(password))
		fail()
		return
	}
	hash := c.Passwords[id] // config's hash wins over the console's
	if hash == "" {
		hash = me.PasswordHash
	}
	if hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		fail()
		return
	}
	exp := (clock.Real{}).Now().Add(12 * time.Hour).Unix()
	v := id + "|" + strconv.FormatInt(exp, 10)
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: v + "|" + c.mac(v), Path: "/admin/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600, Secure: r.TLS != nil})
	if !strings.HasPrefix(next, "/admin/") {
		next = "/admin/cases"
	}
	http.Redirect(w, r, next, http.StatusFound)
}

// notFound answers an address of the console that is no page, in the
// console's own words: a form's address opened by hand (a bookmark, a
// reload after a sign-in) is told to go back to its page, anything else
// that there is no such page. Go's plain-text 404 and 405 are no answer
// for a specialist.
func (c *Console) notFound(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	p := consolePage{Title: "页面不存在", Error: "没有这个页面。请从上方菜单进入，或回到台账。"}
	if id, csrf := c.staffOf(r); id != "" {
		if me, err := c.Cases.Staff(r.Context(), id); err == nil && me.Active {
			p.Me, p.CSRF = me, csrf
		}
	}
	status := http.StatusNotFound
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); m != r.Method && pattern != "" && pattern != "/admin/" {
			status = http.StatusMethodNotAllowed
			w.Header().Set("Allow", m)
			p.Title, p.Error = "请在页面上操作", "这个地址是页面上的按钮或表单提交用的，不能直接打开。请回到原来的页面再操作一次。"
		}
	}
	c.render(w, status, "console-error.html", p)
}

// afterSignIn is where a signed-out request goes once its person signs in
// again: the page itself for a GET, and for a form posted from an expired
// session (yesterday's tab, the 签到 button in the morning) the page the
// form was on, since the browser cannot post it again and a GET of the
// form's address is no page at all.
func afterSignIn(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/admin/") && ref.Path != "/admin/login" {
		return ref.RequestURI()
	}
	return "/admin/cases"
}

// dutyBanner is the check-in offer for me, nil when me is not on duty
// today (or the directory cannot say).
func (c *Console) dutyBanner(r *http.Request, me models.Staff) *dutyBanner {
	if me.Role != models.RoleSpecialist {
		return nil
	}
	onDuty, in, err := c.Cases.DutyToday(r.Context(), me)
	switch {
	case err != nil:
		return nil
	case in != nil:
		return &dutyBanner{At: in.At.In(models.Shanghai).Format("15:04")}
	case onDuty:
		return &dutyBanner{}
	}
	return nil
}

// checkIn is the duty specialist's check-in (第四条) from the console.
func (c *Console) checkIn(w http.ResponseWriter, r *http.Request, p consolePage) {
	ci, err := c.Cases.CheckIn(r.Context(), p.Me)
	if err != nil {
		c.failed(w, p, "签到", err)
		return
	}
	c.kick()
	done := "已签到（" + models.FormatTime(ci.At) + "）"
	if ci.Late {
		done += "，晚于规定的到岗时间，已记为迟到，待监督考核科确认"
	}
	back := "/admin/cases"
	if ref, err := url.Parse(r.Referer()); err == nil && strings.HasPrefix(ref.Path, "/admin/") && ref.Path != "/admin/login" {
		back = ref.Path
	}
	redirectDone(w, r, back, done)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ consolePage) {
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: "", Path: "/admin/", MaxAge: -1})
	http.Redirect(w, r, "/admin/login", http.StatusFound)
}

func (c *Console) monthly(w http.ResponseWriter, r *http.Request, p consolePage) {
	month := r.URL.Query().Get("month")
	if month == "" {
		month = c.Clock.Now().In(models.Shanghai).AddDate(0, -1, 0).Format("2006-01")
	}
	m, err := c.Reports.Monthly(r.Context(), month)
	p.Title = "月报 " + month
	if err != nil {
		c.failed(w, p, "", err)
		return
	}
	p.Data = m
	c.render(w, http.StatusOK, "console-monthly.html", p)
}

func (c *Console) scores(w http.ResponseWriter, r *http.Request, p consolePage) {
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil {
		year = c.Clock.Now().In(models.Shanghai).Year()
	}
	sc, err := c.Reports.Scores(r.Context(), year)
	p.Title = "考核 " + strconv.Itoa(year)
	if err != nil {
		c.failed(w, p, "", err)
		return
	}
	p.Data = scoresView{Scores: sc, CanDecide: slices.Contains(deciders, p.Me.Role)}
	c.render(w, http.StatusOK, "console-scores.html", p)
}

type scoresView struct {
	Scores    *reports.Scores
	CanDecide bool
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, p consolePage) {
	id, _ := strconv.ParseUint(r.PathValue("id"), 10, 64)
	confirm := r.PostForm.Get("decision") == "confirm"
	d, err := c.Cases.DecideDeduction(r.Context(), p.Me, id, confirm, r.PostForm.Get("note"))
	if err != nil {
		c.failed(w, p, "考核", err)
		return
	}
	done := "已确认扣分"
	if !confirm {
		done = "已免除扣分"
	}
	redirectDone(w, r, "/admin/scores?year="+strconv.Itoa(d.Year), done)
}

// reviewRecurrence is the supervision section's word on a recurring
// problem of the scores page (红旗窗口).
func (c *Console) reviewRecurrence(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	year, _ := strconv.Atoi(f.Get("year"))
	confirm := f.Get("decision") == "confirm"
	if err := c.Cases.ReviewRecurrence(r.Context(), p.Me, year, f.Get("department"), f["cases"], confirm, f.Get("note")); err != nil {
		c.failed(w, p, "考核", err)
		return
	}
	done := "已确认为同类问题，该窗口取消红旗窗口评选资格"
	if !confirm {
		done = "已认定不属同类问题"
	}
	redirectDone(w, r, "/admin/scores?year="+strconv.Itoa(year), done)
}

// report records that a confirmed deduction was reported to the unit's
// parent department, and shows the letter to print and send.
func (c *Console) report(w http.ResponseWriter, r *http.Request, p consolePage) {
	id, _ := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if _, _, err := c.Cases.ReportDeduction(r.Context(), p.Me, id); err != nil {
		c.failed(w, p, "通报原单位", err)
		return
	}
	http.Redirect(w, r, "/admin/deductions/"+strconv.FormatUint(id, 10)+"/report", http.StatusSeeOther)
}

// reportLetter is the letter (通报) to a unit's parent department, ready
// to print: the centre has no channel to other departments but paper and
// their document systems.
type reportLetter struct {
	Deduction *models.Deduction
	Centre    string
}

func (c *Console) reportLetter(w http.ResponseWriter, r *http.Request, p consolePage) {
	id, _ := strconv.ParseUint(r.PathValue("id"), 10, 64)
	d, err := c.Cases.ReportedDeduction(r.Context(), id)
	if err != nil {
		c.failed(w, p, "通报原单位", err)
		return
	}
	centre := c.Centre
	if centre == "" {
		centre = "政务服务中心"
	}
	p.Title = "通报 " + d.ReportedTo
	p.Data = reportLetter{Deduction: d, Centre: centre}
	c.render(w, http.StatusOK, "console-report.html", p)
}

// failed shows, on the error page, why a console action was refused or a
// page could not be shown; title, when given, names the page.
func (c *Console) failed(w http.ResponseWriter, p consolePage, title string, err error) {
	if title != "" {
		p.Title = title
	}
	p.Error = models.ErrorMessage(err)
	c.render(w, statusOf(models.ErrorCode(err)), "console-error.html", p)
}

// redirectDone sends the browser to path after a form did something, with
// what it did for the page to say (?done=).
func redirectDone(w http.ResponseWriter, r *http.Request, path, what string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"done="+url.QueryEscape(what), http.StatusSeeOther)
}

func (c *Console) render(w http.ResponseWriter, status int, name string, p consolePage) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		http.Error(w, "页面出错："+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

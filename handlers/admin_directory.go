package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/workday"
)

// The administrator's pages (R10): departments, staff, the duty roster
// and holiday overrides. Config manages the same things; whichever
// changed an entry last wins (casework.SyncDirectory).

type departmentsView struct {
	List    []models.Department
	Edit    models.Department
	Leaders []models.Staff
}

func (c *Console) departments(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.showDepartments(w, http.StatusOK, r, p, models.Department{Active: true})
}

func (c *Console) showDepartments(w http.ResponseWriter, status int, r *http.Request, p consolePage, edit models.Department) {
	list, err := c.Cases.AllDepartments(r.Context())
	if err != nil {
		p.Error = models.ErrorMessage(err)
	}
	if code := r.URL.Query().Get("edit"); code != "" {
		for _, d := range list {
			if d.Code == code {
				edit = d
			}
		}
	}
	staff, _ := c.Cases.AllStaff(r.Context())
	var leaders []models.Staff
	for _, st := range staff {
		if st.Active && (st.Role == models.RoleLeader || st.Role == models.RolePrincipalLeader) {
			leaders = append(leaders, st)
		}
	}
	p.Title = "部门"
	p.Data = departmentsView{List: list, Edit: edit, Leaders: leaders}
	c.render(w, status, "console-departments.html", p)
}

func (c *Console) saveDepartment(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	d := models.Department{Code: f.Get("code"), Name: f.Get("name"), Platform: f.Get("platform"), ChatID: f.Get("chat_id"),
		LeaderID: f.Get("leader"), ParentUnit: f.Get("parent_unit"), Active: f.Get("active") == "1", RobotKey: f.Get("robot_key"), RobotSecret: f.Get("robot_secret")}
	if _, err := c.Cases.SaveDepartment(r.Context(), p.Me, d); err != nil {
		p.Error = models.ErrorMessage(err)
		c.showDepartments(w, statusOf(models.ErrorCode(err)), r, p, d)
		return
	}
	redirectDone(w, r, "/admin/departments", "已保存部门 "+d.Name)
}

type staffView struct {
	List  []models.Staff
	Edit  models.Staff
	Roles []models.Role
	Depts map[string]models.Department
	New   bool
}

func (c *Console) staff(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.showStaff(w, http.StatusOK, r, p, models.Staff{Active: true, Role: models.RoleWindowStaff}, true)
}

func (c *Console) showStaff(w http.ResponseWriter, status int, r *http.Request, p consolePage, edit models.Staff, isNew bool) {
	list, err := c.Cases.AllStaff(r.Context())
	if err != nil {
		p.Error = models.ErrorMessage(err)
	}
	if id := r.URL.Query().Get("edit"); id != "" {
		for _, st := range list {
			if st.ID == id {
				edit, isNew = st, false
			}
		}
	}
	depts, _ := c.Cases.AllDepartments(r.Context())
	byCode := make(map[string]models.Department, len(depts))
	for _, d := range depts {
		byCode[d.Code] = d
	}
	p.Title = "工作人员"
	p.Data = staffView{List: list, Edit: edit, Roles: models.Roles, Depts: byCode, New: isNew}
	c.render(w, status, "console-staff.html", p)
}

func (c *Console) saveStaff(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	st := models.Staff{ID: f.Get("id"), Name: f.Get("name"), Role: models.Role(f.Get("role")), DepartmentCode: f.Get("department"),
		WeComUserID: f.Get("wecom_user_id"), DingTalkUserID: f.Get("dingtalk_user_id"), Mobile: f.Get("mobile"), Active: f.Get("active") == "1"}
	var err error
	if f.Get("password") != "" && c.Passwords[st.ID] != "" {
		// Config's hash wins at sign-in: a password set here would
		// silently not work.
		err = models.Errorf(models.ErrConflict, "%s 的密码由配置文件管理（staff[].password_hash 或环境变量），请在配置中修改", st.ID)
	} else {
		_, err = c.Cases.SaveStaff(r.Context(), p.Me, casework.StaffChange{Staff: st, Password: f.Get("password")})
	}
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.showStaff(w, statusOf(models.ErrorCode(err)), r, p, st, f.Get("new") == "1")
		return
	}
	redirectDone(w, r, "/admin/staff", "已保存 "+st.Name)
}

type rosterDay struct {
	Date       string
	Label      string
	Specialist string
	Leader     string
}

type rosterView struct {
	Days        []rosterDay
	Specialists []models.Staff
	Leaders     []models.Staff
	Turn        map[string]int    // a specialist's place in the rotation, from 1
	Rotation    []string          // the rotation's names, in turn order
	CanEdit     bool              // administrators edit; the others read
	Names       map[string]string // staff names by id
	NoRotation  bool              // it could not be read: no form to clear it with
}

// roster shows the next 20 working days and the rotation; a day nobody
// is named for falls to the rotation.
func (c *Console) roster(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.showRoster(w, http.StatusOK, r, p)
}

func (c *Console) showRoster(w http.ResponseWriter, status int, r *http.Request, p consolePage) {
	cal := c.Cases.Calendar()
	from := c.Clock.Now().In(cal.Location())
	if d, err := cal.ParseDate(r.URL.Query().Get("from")); err == nil {
		from = d
	}
	var days []rosterDay
	day := from
	if !cal.IsWorkday(day) {
		day = cal.AddWorkdays(day, 1)
	}
	for len(days) < 20 {
		days = append(days, rosterDay{Date: day.Format(time.DateOnly), Label: models.FormatDate(day)})
		day = cal.AddWorkdays(day, 1)
	}
	set, err := c.Cases.Roster(r.Context(), days[0].Date, days[len(days)-1].Date)
	if err != nil {
		p.Error = models.ErrorMessage(err)
	}
	for i := range days {
		for _, s := range set {
			if s.Date == days[i].Date {
				days[i].Specialist, days[i].Leader = s.SpecialistID, s.LeaderID
			}
		}
	}
	v := rosterView{Days: days, Turn: map[string]int{}, CanEdit: p.Me.Role == models.RoleAdmin, Names: map[string]string{}}
	s, err := c.Cases.Settings(r.Context())
	if err != nil {
		// Shown empty, the rotation would be cleared by the next save.
		p.Error = models.ErrorMessage(err)
		v.NoRotation = true
	}
	for i, id := range s.Rotation {
		v.Turn[id] = i + 1
	}
	staff, _ := c.Cases.AllStaff(r.Context())
	for _, st := range staff {
		v.Names[st.ID] = st.Name
	}
	for _, id := range s.Rotation {
		if name, ok := v.Names[id]; ok {
			v.Rotation = append(v.Rotation, name)
		}
	}
	for _, st := range staff {
		switch {
		case !st.Active:
		case st.Role == models.RoleSpecialist:
			v.Specialists = append(v.Specialists, st)
		case st.Role == models.RoleLeader || st.Role == models.RolePrincipalLeader || st.Role == models.RoleWindowHead:
			v.Leaders = append(v.Leaders, st)
		}
	}
	p.Title = "值班表"
	p.Data = v
	c.render(w, status, "console-roster.html", p)
}

func (c *Console) saveRoster(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	d := models.DutyDay{Date: f.Get("date"), SpecialistID: f.Get("specialist"), LeaderID: f.Get("leader")}
	if err := c.Cases.SaveDutyDay(r.Context(), p.Me, d); err != nil {
		p.Error = models.ErrorMessage(err)
		c.showRoster(w, statusOf(models.ErrorCode(err)), r, p)
		return
	}
	redirectDone(w, r, "/admin/roster", "已保存 "+d.Date+" 的值班安排")
}

type holidaysView struct {
	Years     []workday.YearInfo
	Overrides []models.CalendarOverride
	Year      int
	Data      string
	Holidays  []string
	// Preview is set once the year was checked: the open orders whose
	// deadlines saving it moves (maybe none), to confirm before it is saved.
	Preview   []casework.DeadlineMove
	Previewed bool
}

func (c *Console) holidays(w http.ResponseWriter, r *http.Request, p consolePage) {
	next := c.Clock.Now().In(models.Shanghai).Year() + 1
	c.showHolidays(w, http.StatusOK, r, p, next, "", nil, false)
}

func (c *Console) showHolidays(w http.ResponseWriter, status int, r *http.Request, p consolePage, year int, data string, preview []casework.DeadlineMove, previewed bool) {
	list, err := c.Cases.CalendarOverrides(r.Context())
	if err != nil {
		p.Error = models.ErrorMessage(err)
	}
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil {
		year = y
	}
	if data == "" {
		for _, o := range list {
			if o.Year == year {
				data = o.Data
			}
		}
	}
	p.Title = "节假日"
	p.Data = holidaysView{Years: c.Cases.Calendar().Years(), Overrides: list, Year: year, Data: data, Holidays: workday.Holidays, Preview: preview, Previewed: previewed}
	c.render(w, status, "console-holidays.html", p)
}

// saveHolidays checks a year and shows which open orders' deadlines it
// would move (预览); only the confirmation (确认保存, confirm=1) saves it.
// A year that is not whole is refused and changes nothing.
func (c *Console) saveHolidays(w http.ResponseWriter, r *http.Request, p consolePage) {
	f := r.PostForm
	year, err := strconv.Atoi(strings.TrimSpace(f.Get("year")))
	if err != nil || year < 2000 || year > 2100 {
		p.Error = "请填写年份，例如 2027。"
		c.showHolidays(w, http.StatusBadRequest, r, p, year, f.Get("data"), nil, false)
		return
	}
	if f.Get("confirm") == "" {
		moves, err := c.Cases.PreviewCalendarOverride(r.Context(), p.Me, year, f.Get("data"))
		if err != nil {
			p.Error = models.ErrorMessage(err)
			c.showHolidays(w, statusOf(models.ErrorCode(err)), r, p, year, f.Get("data"), nil, false)
			return
		}
		c.showHolidays(w, http.StatusOK, r, p, year, f.Get("data"), moves, true)
		return
	}
	moves, err := c.Cases.SaveCalendarOverride(r.Context(), p.Me, year, f.Get("data"))
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.showHolidays(w, statusOf(models.ErrorCode(err)), r, p, year, f.Get("data"), nil, false)
		return
	}
	done := "已保存 " + strconv.Itoa(year) + " 年节假日安排，新派发的工单按此计算时限"
	if len(moves) > 0 {
		done += "；" + strconv.Itoa(len(moves)) + " 张未办结工单的时限已随之调整，见各案件的办理过程"
	}
	redirectDone(w, r, "/admin/holidays?year="+strconv.Itoa(year), done)
}

package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The roles a staff member can have.
var roles = []string{"specialist", "window_staff", "window_head", "leader", "principal_leader", "supervisor", "admin"}

var (
	codePattern   = regexp.MustCompile(`^[a-z0-9_-]+$`)
	mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	prefixPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// minTokenLen is the shortest API token accepted.
const minTokenLen = 16

// aesKeyLen is the length of a WeChat/WeCom EncodingAESKey (base64 without "=").
const aesKeyLen = 43

// Validate checks the configuration and returns every problem as *Errors,
// each named by its key path, or nil. Load calls it; call it again after
// changing a Config by hand.
func (c *Config) Validate() error {
	v := &checker{c: c, staff: map[string]Staff{}, departments: map[string]bool{}}
	// Departments and staff first: later checks refer to them.
	v.indexDepartments()
	v.indexStaff()

	v.http()
	v.storage()
	v.workday()
	v.centre()
	v.platforms()
	v.departmentRules()
	v.staffRules()
	v.leaders()
	v.apiTokens()
	v.duty()
	v.log()
	if len(v.errs) == 0 {
		return nil
	}
	return &v.errs
}

type checker struct {
	c           *Config
	errs        Errors
	staff       map[string]Staff // by id, first of each id
	departments map[string]bool  // codes
}

func (v *checker) add(path, format string, args ...any) {
	v.errs = append(v.errs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *checker) indexDepartments() {
	for _, d := range v.c.Departments {
		if d.Code != "" {
			v.departments[d.Code] = true
		}
	}
}

func (v *checker) indexStaff() {
	for _, s := range v.c.Staff {
		if _, dup := v.staff[s.ID]; s.ID != "" && !dup {
			v.staff[s.ID] = s
		}
	}
}

// staffWithRole checks that id names a staff member whose role is one of want.
func (v *checker) staffWithRole(path, id string, want ...string) {
	s, ok := v.staff[id]
	if !ok {
		v.add(path, "no staff with id %q", id)
		return
	}
	if !slices.Contains(want, s.Role) {
		v.add(path, "staff %q has role %q, want %s", id, s.Role, quoteOr(want))
	}
}

func (v *checker) http() {
	if v.c.HTTP.Addr == "" {
		v.add("http.addr", "must not be empty (default \":8080\")")
	}
	if v.c.HTTP.PublicURL != "" {
		v.url("http.public_url", v.c.HTTP.PublicURL)
	}
}

func (v *checker) storage() {
	if v.c.Database.DSN == "" && v.c.Database.SQLitePath == "" {
		v.add("database.sqlite_path", "must not be empty when database.dsn is empty")
	}
	if v.c.Redis.DB < 0 {
		v.add("redis.db", "must not be negative, got %d", v.c.Redis.DB)
	}
}

func (v *checker) workday() {
	w := v.c.Workday
	if w.Timezone == "" {
		v.add("workday.timezone", "must not be empty (default \"Asia/Shanghai\")")
	} else if _, err := w.Location(); err != nil {
		v.add("workday.timezone", "unknown time zone %q", w.Timezone)
	}
	v.clock("workday.end_of_day", w.EndOfDay)
	v.clock("workday.reminder_time", w.ReminderTime)
	// 第十二条: a reply within 3 working days, an extension never past 10.
	// A centre may be stricter, never laxer.
	switch {
	case w.ReplyDays < 1:
		v.add("workday.reply_days", "must be at least 1, got %d", w.ReplyDays)
	case w.ReplyDays > PolicyReplyDays:
		v.add("workday.reply_days", "must be at most %d, got %d (第十二条：收到工单后3个工作日内回复 / Article 12: reply within 3 working days)", PolicyReplyDays, w.ReplyDays)
	}
	switch {
	case w.MaxDays < 1:
		v.add("workday.max_days", "must be at least 1, got %d", w.MaxDays)
	case w.MaxDays > PolicyMaxDays:
		v.add("workday.max_days", "must be at most %d, got %d (第十二条：延时办理最长不超过10个工作日 / Article 12: at most 10 working days with extensions)", PolicyMaxDays, w.MaxDays)
	case w.ReplyDays >= 1 && w.MaxDays < w.ReplyDays:
		v.add("workday.max_days", "must be at least workday.reply_days (%d), got %d", w.ReplyDays, w.MaxDays)
	}
}

// The limits of 第十二条: workday.reply_days and workday.max_days may be
// lower (a stricter centre), never higher.
const (
	PolicyReplyDays = 3  // 3个工作日内回复
	PolicyMaxDays   = 10 // 延时办理最长不超过10个工作日
)

func (v *checker) clock(path, s string) {
	if _, err := ParseClock(s); err != nil {
		v.add(path, "want a time of day as HH:MM, got %q", s)
	}
}

func (v *checker) centre() {
	ce := v.c.Centre
	if strings.TrimSpace(ce.Name) == "" {
		v.add("centre.name", "must not be empty")
	}
	for _, p := range []struct{ path, value string }{
		{"centre.case_prefix", ce.CasePrefix},
		{"centre.order_prefix", ce.OrderPrefix},
	} {
		if !prefixPattern.MatchString(p.value) {
			v.add(p.path, "want letters and digits only, got %q", p.value)
		}
	}
	if ce.CasePrefix != "" && ce.CasePrefix == ce.OrderPrefix {
		v.add("centre.order_prefix", "must differ from centre.case_prefix (both %q)", ce.CasePrefix)
	}
}

func (v *checker) platforms() {
	v.url("wechat.api_base", v.c.WeChat.APIBase)
	v.url("wecom.api_base", v.c.WeCom.APIBase)
	v.url("dingtalk.oapi_base", v.c.DingTalk.OAPIBase)
	v.url("dingtalk.api_base", v.c.DingTalk.APIBase)
	v.aesKey("wechat.encoding_aes_key", v.c.WeChat.EncodingAESKey)
	v.aesKey("wecom.encoding_aes_key", v.c.WeCom.EncodingAESKey)
	v.aesKey("wecom.bot_encoding_aes_key", v.c.WeCom.BotEncodingAESKey)
	for path, val := range map[string]string{
		"rating.remind_after": v.c.Rating.RemindAfter, "rating.close_after": v.c.Rating.CloseAfter, "rating.link_ttl": v.c.Rating.LinkTTL,
	} {
		if d, err := time.ParseDuration(val); err != nil || d <= 0 {
			v.add(path, "want a positive duration such as \"48h\", got %q", val)
		}
	}
	if r, c := v.c.Rating.RemindAfter, v.c.Rating.CloseAfter; r != "" && c != "" {
		if rd, err1 := time.ParseDuration(r); err1 == nil {
			if cd, err2 := time.ParseDuration(c); err2 == nil && cd <= rd {
				v.add("rating.close_after", "must be later than rating.remind_after (%s), got %s", r, c)
			}
		}
	}
	if d := v.c.Rating.RectifyDays; d < 1 || d > 30 {
		v.add("rating.rectify_days", "want 1–30 working days (local rules run 5–15), got %d", d)
	}
	if d := v.c.Rating.AppealDays; d < 1 || d > 30 {
		v.add("rating.appeal_days", "want 1–30 working days, got %d", d)
	}
	if p := v.c.Province; p.URL != "" {
		v.url("province.url", p.URL)
	}
	if p := v.c.Province; p.URL != "" && p.Secret == "" {
		v.add("province.secret", "required when province.url is set (the records are signed)")
	}
	v.provinceFields()
	if w := v.c.WeChat; w.AppID != "" {
		// A real account must not fall back to the development URL token.
		if w.Token == "" {
			v.add("wechat.token", "required when wechat.app_id is set (the URL token of the account's server settings)")
		}
		if w.AppSecret == "" {
			v.add("wechat.app_secret", "required when wechat.app_id is set")
		}
	}
	if v.c.WeChat.EncodingAESKey != "" && v.c.WeChat.AppID == "" {
		v.add("wechat.app_id", "required for safe mode: the encrypted messages carry it (wechat.encoding_aes_key is set)")
	}
}

func (v *checker) url(path, s string) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		v.add(path, "want an http or https URL, got %q", s)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(path, "want an http or https URL, got %q", s)
	case u.Host == "":
		v.add(path, "want a URL with a host, got %q", s)
	}
}

func (v *checker) aesKey(path, s string) {
	if s != "" && len(s) != aesKeyLen {
		// The value is a secret: say only how long it is.
		v.add(path, "must be %d characters, got %d", aesKeyLen, len(s))
	}
}

func (v *checker) departmentRules() {
	seen := map[string]int{}
	chats := map[string]int{} // platform+chat id → department index
	for i, d := range v.c.Departments {
		p := fmt.Sprintf("departments[%d]", i)
		switch first, dup := seen[d.Code]; {
		case d.Code == "":
			v.add(p+".code", "must not be empty")
		case !codePattern.MatchString(d.Code):
			v.add(p+".code", "want lower-case letters, digits, _ and - only, got %q", d.Code)
		case dup:
			v.add(p+".code", "%q is already the code of departments[%d]", d.Code, first)
		default:
			seen[d.Code] = i
		}
		if strings.TrimSpace(d.Name) == "" {
			v.add(p+".name", "must not be empty")
		}
		v.group(p+".group", d.Group, true)
		if d.Group.ChatID != "" {
			key := d.Group.Platform + "\x00" + d.Group.ChatID
			if first, dup := chats[key]; dup {
				v.add(p+".group.chat_id", "%q is already the chat of departments[%d]", d.Group.ChatID, first)
			} else {
				chats[key] = i
			}
		}
		if d.Leader != "" {
			v.staffWithRole(p+".leader", d.Leader, "leader")
		}
	}
}

// group checks a chat group. A department's group always needs its platform;
// the leaders' and supervision groups only once anything of them is set.
// Empty credentials are allowed: bbcs then only logs what it would send.
func (v *checker) group(path string, g Group, required bool) {
	if !required && g == (Group{}) {
		return
	}
	switch g.Platform {
	case "wecom":
		if g.AccessToken != "" {
			v.add(path+".access_token", "belongs to a DingTalk robot; a wecom group uses webhook_key")
		}
		if g.Secret != "" {
			v.add(path+".secret", "belongs to a DingTalk robot; a wecom group uses webhook_key")
		}
	case "dingtalk":
		if g.WebhookKey != "" {
			v.add(path+".webhook_key", "belongs to a WeCom robot; a dingtalk group uses access_token and secret")
		}
	default:
		v.add(path+".platform", `must be "wecom" or "dingtalk", got %q`, g.Platform)
	}
}

func (v *checker) staffRules() {
	seen := map[string]int{}
	wecomIDs := map[string]int{}
	dingIDs := map[string]int{}
	for i, s := range v.c.Staff {
		p := fmt.Sprintf("staff[%d]", i)
		if first, dup := seen[s.ID]; s.ID == "" {
			v.add(p+".id", "must not be empty")
		} else if dup {
			v.add(p+".id", "%q is already the id of staff[%d]", s.ID, first)
		} else {
			seen[s.ID] = i
		}
		if strings.TrimSpace(s.Name) == "" {
			v.add(p+".name", "must not be empty")
		}
		if !slices.Contains(roles, s.Role) {
			v.add(p+".role", "must be one of %s, got %q", strings.Join(roles, ", "), s.Role)
		}
		switch {
		case s.Department != "" && !v.departments[s.Department]:
			v.add(p+".department", "no department with code %q", s.Department)
		case s.Department == "" && (s.Role == "window_staff" || s.Role == "window_head"):
			v.add(p+".department", "a %s must belong to a department", s.Role)
		}
		if s.Mobile != "" && !mobilePattern.MatchString(s.Mobile) {
			v.add(p+".mobile", "want 11 digits starting with 13 to 19, got %q", s.Mobile)
		}
		unique(v, p+".wecom_user_id", s.WeComUserID, i, wecomIDs)
		unique(v, p+".dingtalk_user_id", s.DingTalkUserID, i, dingIDs)
	}
}

// unique checks that a platform user id belongs to one staff member only, so
// an inbound message maps to one person.
func unique(v *checker, path, id string, i int, seen map[string]int) {
	if id == "" {
		return
	}
	if first, dup := seen[id]; dup {
		v.add(path, "%q is already the user id of staff[%d]", id, first)
		return
	}
	seen[id] = i
}

func (v *checker) leaders() {
	if p := v.c.Leaders.Principal; p != "" {
		v.staffWithRole("leaders.principal", p, "principal_leader")
	}
	v.group("leaders.group", v.c.Leaders.Group, false)
	v.group("supervision.group", v.c.Supervision.Group, false)
}

func (v *checker) apiTokens() {
	seen := map[string]int{}
	for i, t := range v.c.API.Tokens {
		p := fmt.Sprintf("api.tokens[%d]", i)
		// The token is a secret: never repeat it in a message.
		switch first, dup := seen[t.Token]; {
		case t.Token == "":
			v.add(p+".token", "must not be empty")
		case len(t.Token) < minTokenLen:
			v.add(p+".token", "must be at least %d characters, got %d", minTokenLen, len(t.Token))
		case dup:
			v.add(p+".token", "same as api.tokens[%d].token", first)
		default:
			seen[t.Token] = i
		}
		if t.Staff == "" {
			v.add(p+".staff", "must name the staff member the token acts as")
		} else if _, ok := v.staff[t.Staff]; !ok {
			v.add(p+".staff", "no staff with id %q", t.Staff)
		}
	}
}

func (v *checker) duty() {
	d := v.c.Duty
	v.clock("duty.check_in", d.CheckIn)
	for i, id := range d.Rotation {
		v.staffWithRole(fmt.Sprintf("duty.rotation[%d]", i), id, "specialist")
	}
	dates := map[string]int{}
	for i, e := range d.Roster {
		p := fmt.Sprintf("duty.roster[%d]", i)
		if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
			v.add(p+".date", "want a date as YYYY-MM-DD, got %q", e.Date)
		} else if first, dup := dates[e.Date]; dup {
			v.add(p+".date", "%s is already duty.roster[%d]", e.Date, first)
		} else {
			dates[e.Date] = i
		}
		if e.Specialist == "" {
			v.add(p+".specialist", "must name the specialist on duty")
		} else {
			v.staffWithRole(p+".specialist", e.Specialist, "specialist")
		}
		if e.Leader != "" {
			v.staffWithRole(p+".leader", e.Leader, "leader", "principal_leader")
		}
	}
}

func (v *checker) log() {
	if l := v.c.Log.Level; !slices.Contains([]string{"debug", "info", "warn", "error"}, l) {
		v.add("log.level", "must be one of debug, info, warn, error, got %q", l)
	}
	if f := v.c.Log.Format; f != "text" && f != "json" {
		v.add("log.format", `must be "text" or "json", got %q`, f)
	}
}

// quoteOr renders ["a", "b"] as `"a" or "b"`.
func quoteOr(want []string) string {
	q := make([]string, len(want))
	for i, w := range want {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, " or ")
}

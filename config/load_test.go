package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// problems returns the problems of an error from Load or Validate.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not *Errors: %v", err, err)
	}
	out := make([]string, len(*errs))
	for i, p := range *errs {
		out[i] = p.String()
	}
	return out
}

// loadFull loads testdata/full.yaml, which must be valid.
func loadFull(t *testing.T) *Config {
	t.Helper()
	c, err := Load("testdata/full.yaml", nil)
	if err != nil {
		t.Fatalf("full.yaml: %v", err)
	}
	return c
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() does not validate:\n%v", err)
	}
	for _, tt := range []struct {
		key       string
		got, want any
	}{
		{"http.addr", c.HTTP.Addr, ":8080"},
		{"database.dsn", c.Database.DSN, ""},
		{"database.sqlite_path", c.Database.SQLitePath, "bbcs.db"},
		{"redis.addr", c.Redis.Addr, ""},
		{"redis.key_prefix", c.Redis.KeyPrefix, "bbcs"},
		{"clock.fake", c.Clock.Fake, false},
		{"workday.timezone", c.Workday.Timezone, "Asia/Shanghai"},
		{"workday.end_of_day", c.Workday.EndOfDay, "18:00"},
		{"workday.reminder_time", c.Workday.ReminderTime, "09:00"},
		{"workday.reply_days", c.Workday.ReplyDays, 3},
		{"workday.max_days", c.Workday.MaxDays, 10},
		{"centre.name", c.Centre.Name, "县政务服务中心"},
		{"centre.case_prefix", c.Centre.CasePrefix, "BB"},
		{"centre.order_prefix", c.Centre.OrderPrefix, "GD"},
		{"wechat.api_base", c.WeChat.APIBase, "https://api.weixin.qq.com"},
		{"wecom.api_base", c.WeCom.APIBase, "https://qyapi.weixin.qq.com"},
		{"dingtalk.oapi_base", c.DingTalk.OAPIBase, "https://oapi.dingtalk.com"},
		{"dingtalk.api_base", c.DingTalk.APIBase, "https://api.dingtalk.com"},
		{"duty.check_in", c.Duty.CheckIn, "08:30"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.key, tt.got, tt.want)
		}
	}
}

func TestLoadWithoutFile(t *testing.T) {
	for _, environ := range [][]string{nil, {"PATH=/bin", "BBCS_CONFIG=/nowhere.yaml"}} {
		c, err := Load("", environ)
		if err != nil {
			t.Fatalf("Load(\"\", %q): %v", environ, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load(\"\", %q) = %+v, want Default()", environ, c)
		}
	}
}

func TestLoadEmptyFile(t *testing.T) {
	c, err := Load("testdata/empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("empty file = %+v, want Default()", c)
	}
}

func TestLoadFull(t *testing.T) {
	c := loadFull(t)
	for _, tt := range []struct {
		key       string
		got, want any
	}{
		{"http.addr", c.HTTP.Addr, ":9090"},
		{"http.public_url", c.HTTP.PublicURL, "https://bbcs.example.gov.cn"},
		{"database.dsn", c.Database.DSN, "bbcs:dbpass@tcp(mysql:3306)/bbcs?parseTime=true&loc=Asia%2FShanghai"},
		{"redis.db", c.Redis.DB, 2},
		{"clock.fake", c.Clock.Fake, true},
		{"workday.end_of_day", c.Workday.EndOfDay, "17:30"},
		{"workday.after_hours_next_day", c.Workday.AfterHoursNextDay, true},
		{"centre.name", c.Centre.Name, "某某县政务服务中心"},
		{"wecom.agent_id", c.WeCom.AgentID, "1000002"},
		{"wechat.templates.case_closed", c.WeChat.Templates["case_closed"], "TPL-CLOSED-01"},
		{"departments", len(c.Departments), 3},
		{"departments[1].group.platform", c.Departments[1].Group.Platform, "dingtalk"},
		{"departments[1].group.secret", c.Departments[1].Group.Secret, "market-robot-secret"},
		{"departments[2].code", c.Departments[2].Code, "social-security"},
		{"staff[1].mobile", c.Staff[1].Mobile, "13900139000"},
		{"staff[1].dingtalk_user_id", c.Staff[1].DingTalkUserID, "0123456789"},
		{"api.tokens[1].staff", c.API.Tokens[1].Staff, "wang.wu"},
		{"leaders.principal", c.Leaders.Principal, "wu.principal"},
		{"supervision.group.platform", c.Supervision.Group.Platform, "dingtalk"},
		{"duty.rotation", strings.Join(c.Duty.Rotation, ","), "zhang.san,zhao.liu"},
		{"duty.roster[0].date", c.Duty.Roster[0].Date, "2026-10-08"},
		{"duty.roster[1].leader", c.Duty.Roster[1].Leader, "wu.principal"},
		{"log.format", c.Log.Format, "json"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.key, tt.got, tt.want)
		}
	}
	var seen []string
	for _, s := range c.Staff {
		seen = append(seen, s.Role)
	}
	for _, r := range roles {
		if !slices.Contains(seen, r) {
			t.Errorf("full.yaml has no staff with role %q", r)
		}
	}
}

func TestLoadYAMLFeatures(t *testing.T) {
	c, err := Load("testdata/anchors.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{
		{Platform: "wecom", WebhookKey: "shared-key"},
		{Platform: "wecom", WebhookKey: "shared-key"},
		{Platform: "wecom", WebhookKey: "own-key", ChatID: "wrC"},
	}
	for i, w := range want {
		if got := c.Departments[i].Group; got != w {
			t.Errorf("departments[%d].group = %+v, want %+v", i, got, w)
		}
	}
	if c.HTTP.Addr != ":8080" {
		t.Errorf("http.addr = %q, want the default kept by a null", c.HTTP.Addr)
	}
	if c.Workday.ReplyDays != 2 || c.Workday.MaxDays != 10 {
		t.Errorf("workday days = %d/%d, want 2/10", c.Workday.ReplyDays, c.Workday.MaxDays)
	}
	if !c.Clock.Fake {
		t.Error(`clock.fake: "true" not read as true`)
	}
}

func TestLoadFileProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, tt := range []struct {
		file string
		want []string
	}{
		{missing, []string{missing + ": cannot read the config file: no such file or directory"}},
		{"testdata/syntax.yaml", []string{"testdata/syntax.yaml: yaml: line 1: did not find expected key"}},
		{"testdata/toplist.yaml", []string{"testdata/toplist.yaml: want a mapping of keys at the top level, got a list"}},
		{"testdata/twodocs.yaml", []string{"testdata/twodocs.yaml: holds more than one YAML document; bbcs reads one"}},
		{"testdata/unknown_keys.yaml", []string{
			"http.adr: unknown key",
			"databse: unknown key",
			"departments[1].grp: unknown key",
			"departments[1].group.acess_token: unknown key",
			"staff[0].phone: unknown key",
			"duty.roster[0].note: unknown key",
			"log.level: duplicate key (first at line 29)",
		}},
		{"testdata/type_errors.yaml", []string{
			`http: want a mapping, got ":8080"`,
			`redis.db: want an integer, got "zero"`,
			`clock.fake: want true or false, got "maybe"`,
			`workday.reply_days: want an integer, got "three"`,
			`workday.max_days: want an integer, got "2.5"`,
			`workday.end_of_day: want a string, got a list`,
			`departments: want a list, got a mapping`,
			`staff[0]: want a mapping, got "just-a-name"`,
			`api.tokens[0].token: want a string, got a mapping`,
			`wechat.templates: want a mapping, got a list`,
			`duty.rotation: want a list, got "zhang.san"`,
			// Not hidden by a decoding problem: staff[0] is no one.
			`api.tokens[0].staff: no staff with id "admin"`,
		}},
	} {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			c, err := Load(tt.file, nil)
			if c != nil {
				t.Error("Load returned a config with its error")
			}
			if got := problems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestErrorsError(t *testing.T) {
	errs := &Errors{{"http.addr", "must not be empty"}, {"log.level", `must be one of debug, info, warn, error, got "x"`}}
	want := "http.addr: must not be empty\nlog.level: must be one of debug, info, warn, error, got \"x\""
	if got := errs.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestLoadCollectsAll checks that file, environment and validation problems
// come back together.
func TestLoadCollectsAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bbcs.yaml")
	data := "http:\n  adr: x\nlog:\n  level: loud\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, []string{"BBCS_WORKDAY_REPLY_DAYS=three"})
	want := []string{
		"http.adr: unknown key",
		`workday.reply_days: want an integer, got "three" (from BBCS_WORKDAY_REPLY_DAYS)`,
		`log.level: must be one of debug, info, warn, error, got "loud"`,
	}
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// secretFile writes a Docker-style secret (with its trailing newline).
func secretFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEnvOverrides(t *testing.T) {
	dsnFile := secretFile(t, "root:pw@tcp(db:3306)/bbcs\n")
	groupSecretFile := secretFile(t, "from-file\r\n")
	for _, tt := range []struct {
		name    string
		file    string
		environ []string
		get     func(c *Config) any
		want    any
	}{
		{"http.addr", "", []string{"BBCS_HTTP_ADDR=:18080"},
			func(c *Config) any { return c.HTTP.Addr }, ":18080"},
		{"database.dsn", "", []string{"BBCS_DATABASE_DSN=u:p@tcp(h)/d"},
			func(c *Config) any { return c.Database.DSN }, "u:p@tcp(h)/d"},
		{"database.dsn cleared", "testdata/full.yaml", []string{"BBCS_DATABASE_DSN="},
			func(c *Config) any { return c.Database.DSN }, ""},
		{"database.dsn from file", "", []string{"BBCS_DATABASE_DSN_FILE=" + dsnFile},
			func(c *Config) any { return c.Database.DSN }, "root:pw@tcp(db:3306)/bbcs"},
		{"redis.addr", "", []string{"BBCS_REDIS_ADDR=redis:6379"},
			func(c *Config) any { return c.Redis.Addr }, "redis:6379"},
		{"redis.db", "", []string{"BBCS_REDIS_DB= 3 "},
			func(c *Config) any { return c.Redis.DB }, 3},
		{"clock.fake", "", []string{"BBCS_CLOCK_FAKE=true"},
			func(c *Config) any { return c.Clock.Fake }, true},
		{"clock.fake off", "testdata/full.yaml", []string{"BBCS_CLOCK_FAKE=0"},
			func(c *Config) any { return c.Clock.Fake }, false},
		{"wechat.app_secret", "", []string{"BBCS_WECHAT_APP_SECRET=s3cret"},
			func(c *Config) any { return c.WeChat.AppSecret }, "s3cret"},
		{"wecom.bot_encoding_aes_key", "", []string{"BBCS_WECOM_BOT_ENCODING_AES_KEY=" + strings.Repeat("k", 43)},
			func(c *Config) any { return c.WeCom.BotEncodingAESKey }, strings.Repeat("k", 43)},
		{"workday.override_file is a key, not a _FILE", "", []string{"BBCS_WORKDAY_OVERRIDE_FILE=/etc/bbcs/holidays.yaml"},
			func(c *Config) any { return c.Workday.OverrideFile }, "/etc/bbcs/holidays.yaml"},
		{"department by code", "testdata/full.yaml", []string{"BBCS_DEPARTMENTS_MARKET_GROUP_SECRET=env-secret"},
			func(c *Config) any { return c.Departments[1].Group.Secret }, "env-secret"},
		{"department code with punctuation", "testdata/full.yaml", []string{"BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_WEBHOOK_KEY=ss-key"},
			func(c *Config) any { return c.Departments[2].Group.WebhookKey }, "ss-key"},
		{"department by code from file", "testdata/full.yaml", []string{"BBCS_DEPARTMENTS_REALESTATE_GROUP_WEBHOOK_KEY_FILE=" + groupSecretFile},
			func(c *Config) any { return c.Departments[0].Group.WebhookKey }, "from-file"},
		{"department code itself", "testdata/full.yaml", []string{
			"BBCS_DEPARTMENTS_SOCIAL_SECURITY_CODE=hrss",
			"BBCS_STAFF_QIAN_HEAD_DEPARTMENT=hrss",
			"BBCS_DEPARTMENTS_SOCIAL_SECURITY_NAME=人社局", // addressed as the file has it
		}, func(c *Config) any { return c.Departments[2].Code + " " + c.Departments[2].Name }, "hrss 人社局"},
		{"staff by id", "testdata/full.yaml", []string{"BBCS_STAFF_ZHANG_SAN_MOBILE=13700137000"},
			func(c *Config) any { return c.Staff[0].Mobile }, "13700137000"},
		{"api token by index", "testdata/full.yaml", []string{"BBCS_API_TOKENS_1_TOKEN=env-token-0123456789"},
			func(c *Config) any { return c.API.Tokens[1].Token }, "env-token-0123456789"},
		{"api token by index from file", "testdata/full.yaml", []string{"BBCS_API_TOKENS_0_TOKEN_FILE=" + secretFile(t, "file-token-0123456789\n")},
			func(c *Config) any { return c.API.Tokens[0].Token }, "file-token-0123456789"},
		{"rotation by index", "testdata/full.yaml", []string{"BBCS_DUTY_ROTATION_1=zhang.san"},
			func(c *Config) any { return strings.Join(c.Duty.Rotation, ",") }, "zhang.san,zhang.san"},
		{"roster by index", "testdata/full.yaml", []string{"BBCS_DUTY_ROSTER_2_LEADER=zhou.leader"},
			func(c *Config) any { return c.Duty.Roster[2].Leader }, "zhou.leader"},
		{"template by key", "testdata/full.yaml", []string{"BBCS_WECHAT_TEMPLATES_CASE_CLOSED=TPL-ENV"},
			func(c *Config) any { return c.WeChat.Templates["case_closed"] }, "TPL-ENV"},
		{"later entry wins", "", []string{"BBCS_HTTP_ADDR=:1", "BBCS_HTTP_ADDR=:2"},
			func(c *Config) any { return c.HTTP.Addr }, ":2"},
		{"absent element ignored", "testdata/full.yaml", []string{"BBCS_DEPARTMENTS_TAX_NAME=税务局", "BBCS_API_TOKENS_7_TOKEN=x"},
			func(c *Config) any { return len(c.Departments) + len(c.API.Tokens) }, 5},
		{"unrelated variables ignored", "", []string{"BBCS_NOPE=1", "HOME=/root", "BBCS_CONFIG=/x.yaml", "bbcs_http_addr=:1"},
			func(c *Config) any { return c.HTTP.Addr }, ":8080"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.file, tt.environ)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEnvProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tt := range []struct {
		name    string
		file    string
		environ []string
		want    []string
	}{
		{"bool", "", []string{"BBCS_CLOCK_FAKE=maybe"},
			[]string{`clock.fake: want true or false, got "maybe" (from BBCS_CLOCK_FAKE)`}},
		{"int", "", []string{"BBCS_WORKDAY_REPLY_DAYS=three"},
			[]string{`workday.reply_days: want an integer, got "three" (from BBCS_WORKDAY_REPLY_DAYS)`}},
		{"empty int", "", []string{"BBCS_REDIS_DB="},
			[]string{`redis.db: want an integer, got "" (from BBCS_REDIS_DB)`}},
		{"int from file", "", []string{"BBCS_WORKDAY_MAX_DAYS_FILE=" + secretFile(t, "ten\n")},
			[]string{`workday.max_days: want an integer, got "ten" (from BBCS_WORKDAY_MAX_DAYS_FILE)`}},
		{"unreadable file", "", []string{"BBCS_DATABASE_DSN_FILE=" + missing},
			[]string{`database.dsn: cannot read BBCS_DATABASE_DSN_FILE: open ` + missing + `: no such file or directory`}},
		{"both set", "", []string{"BBCS_DATABASE_DSN=a", "BBCS_DATABASE_DSN_FILE=" + missing},
			[]string{`database.dsn: both BBCS_DATABASE_DSN and BBCS_DATABASE_DSN_FILE are set; use one`}},
		{"value then validated", "", []string{"BBCS_LOG_LEVEL=loud"},
			[]string{`log.level: must be one of debug, info, warn, error, got "loud"`}},
		{"validated against the file", "testdata/full.yaml", []string{"BBCS_DEPARTMENTS_MARKET_GROUP_PLATFORM=weixin"},
			[]string{`departments[1].group.platform: must be "wecom" or "dingtalk", got "weixin"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file, tt.environ)
			if got := problems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestEnvAmbiguous: codes differing only in punctuation share a name.
func TestEnvAmbiguous(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bbcs.yaml")
	data := `departments:
  - {code: a-b, name: AB1, group: {platform: wecom}}
  - {code: a_b, name: AB2, group: {platform: wecom}}
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err != nil {
		t.Fatalf("without overrides: %v", err)
	}
	_, err := Load(path, []string{"BBCS_DEPARTMENTS_A_B_NAME=x"})
	want := []string{"departments[0].name: BBCS_DEPARTMENTS_A_B_NAME names several keys " +
		"(departments[0].name, departments[1].name); give them codes or ids that differ in more than punctuation and case"}
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEnvCoversEveryKey checks that every scalar key of full.yaml has its
// own override, named as documented, which UnknownEnv knows.
func TestEnvCoversEveryKey(t *testing.T) {
	names := map[string]string{}
	paths := map[string]string{}
	for _, k := range envKeys(loadFull(t)) {
		if other, dup := paths[k.name]; dup {
			t.Errorf("%s names both %s and %s", k.name, other, k.path)
		}
		paths[k.name] = k.path
		names[k.path] = k.name
		if u := UnknownEnv([]string{k.name + "=x", k.name + "_FILE=/x"}); len(u) != 0 {
			t.Errorf("UnknownEnv reports the override of %s as unknown: %q", k.path, u)
		}
	}
	for path, want := range map[string]string{
		"http.addr":                         "BBCS_HTTP_ADDR",
		"database.dsn":                      "BBCS_DATABASE_DSN",
		"redis.addr":                        "BBCS_REDIS_ADDR",
		"clock.fake":                        "BBCS_CLOCK_FAKE",
		"wechat.app_secret":                 "BBCS_WECHAT_APP_SECRET",
		"wecom.bot_encoding_aes_key":        "BBCS_WECOM_BOT_ENCODING_AES_KEY",
		"dingtalk.oapi_base":                "BBCS_DINGTALK_OAPI_BASE",
		"departments[0].group.secret":       "BBCS_DEPARTMENTS_REALESTATE_GROUP_SECRET",
		"departments[2].leader":             "BBCS_DEPARTMENTS_SOCIAL_SECURITY_LEADER",
		"staff[8].wecom_user_id":            "BBCS_STAFF_WU_PRINCIPAL_WECOM_USER_ID",
		"api.tokens[0].token":               "BBCS_API_TOKENS_0_TOKEN",
		"leaders.group.webhook_key":         "BBCS_LEADERS_GROUP_WEBHOOK_KEY",
		"supervision.group.access_token":    "BBCS_SUPERVISION_GROUP_ACCESS_TOKEN",
		"duty.rotation[0]":                  "BBCS_DUTY_ROTATION_0",
		"duty.roster[1].specialist":         "BBCS_DUTY_ROSTER_1_SPECIALIST",
		"wechat.templates.case_registered":  "BBCS_WECHAT_TEMPLATES_CASE_REGISTERED",
		"workday.after_hours_next_day":      "BBCS_WORKDAY_AFTER_HOURS_NEXT_DAY",
		"log.format":                        "BBCS_LOG_FORMAT",
		"centre.order_prefix":               "BBCS_CENTRE_ORDER_PREFIX",
		"departments[1].group.chat_id":      "BBCS_DEPARTMENTS_MARKET_GROUP_CHAT_ID",
		"staff[10].role":                    "BBCS_STAFF_ADMIN_ROLE",
		"duty.check_in":                     "BBCS_DUTY_CHECK_IN",
		"workday.override_file":             "BBCS_WORKDAY_OVERRIDE_FILE",
		"redis.key_prefix":                  "BBCS_REDIS_KEY_PREFIX",
		"http.public_url":                   "BBCS_HTTP_PUBLIC_URL",
		"database.sqlite_path":              "BBCS_DATABASE_SQLITE_PATH",
		"departments[1].group.access_token": "BBCS_DEPARTMENTS_MARKET_GROUP_ACCESS_TOKEN",
		"staff[4].dingtalk_user_id":         "BBCS_STAFF_SUN_HEAD_DINGTALK_USER_ID",
		"api.tokens[1].staff":               "BBCS_API_TOKENS_1_STAFF",
		"leaders.principal":                 "BBCS_LEADERS_PRINCIPAL",
		"duty.roster[2].date":               "BBCS_DUTY_ROSTER_2_DATE",
		"wecom.agent_id":                    "BBCS_WECOM_AGENT_ID",
		"dingtalk.robot_code":               "BBCS_DINGTALK_ROBOT_CODE",
		"workday.timezone":                  "BBCS_WORKDAY_TIMEZONE",
		"centre.name":                       "BBCS_CENTRE_NAME",
		"staff[0].mobile":                   "BBCS_STAFF_ZHANG_SAN_MOBILE",
		"supervision.group.platform":        "BBCS_SUPERVISION_GROUP_PLATFORM",
		"departments[0].group.webhook_key":  "BBCS_DEPARTMENTS_REALESTATE_GROUP_WEBHOOK_KEY",
		"departments[2].group.platform":     "BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_PLATFORM",
		"wecom.encoding_aes_key":            "BBCS_WECOM_ENCODING_AES_KEY",
		"wechat.encoding_aes_key":           "BBCS_WECHAT_ENCODING_AES_KEY",
		"redis.password":                    "BBCS_REDIS_PASSWORD",
		"redis.db":                          "BBCS_REDIS_DB",
		"workday.reply_days":                "BBCS_WORKDAY_REPLY_DAYS",
		"duty.roster[0].leader":             "BBCS_DUTY_ROSTER_0_LEADER",
		"staff[2].department":               "BBCS_STAFF_WANG_WU_DEPARTMENT",
		"departments[0].name":               "BBCS_DEPARTMENTS_REALESTATE_NAME",
		"leaders.group.chat_id":             "BBCS_LEADERS_GROUP_CHAT_ID",
		"dingtalk.app_secret":               "BBCS_DINGTALK_APP_SECRET",
		"wecom.secret":                      "BBCS_WECOM_SECRET",
		"wechat.app_id":                     "BBCS_WECHAT_APP_ID",
		"wechat.token":                      "BBCS_WECHAT_TOKEN",
		"wecom.token":                       "BBCS_WECOM_TOKEN",
		"wecom.bot_token":                   "BBCS_WECOM_BOT_TOKEN",
		"wecom.corp_id":                     "BBCS_WECOM_CORP_ID",
		"dingtalk.app_key":                  "BBCS_DINGTALK_APP_KEY",
		"dingtalk.api_base":                 "BBCS_DINGTALK_API_BASE",
		"wechat.api_base":                   "BBCS_WECHAT_API_BASE",
		"wecom.api_base":                    "BBCS_WECOM_API_BASE",
		"workday.end_of_day":                "BBCS_WORKDAY_END_OF_DAY",
		"workday.reminder_time":             "BBCS_WORKDAY_REMINDER_TIME",
		"workday.max_days":                  "BBCS_WORKDAY_MAX_DAYS",
		"centre.case_prefix":                "BBCS_CENTRE_CASE_PREFIX",
		"log.level":                         "BBCS_LOG_LEVEL",
		"departments[1].code":               "BBCS_DEPARTMENTS_MARKET_CODE",
		"staff[9].id":                       "BBCS_STAFF_ZHENG_SUPERVISOR_ID",
		"staff[1].name":                     "BBCS_STAFF_ZHAO_LIU_NAME",
		"supervision.group.secret":          "BBCS_SUPERVISION_GROUP_SECRET",
		"leaders.group.platform":            "BBCS_LEADERS_GROUP_PLATFORM",
		"departments[2].group.chat_id":      "BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_CHAT_ID",
		"supervision.group.webhook_key":     "BBCS_SUPERVISION_GROUP_WEBHOOK_KEY",
		"leaders.group.access_token":        "BBCS_LEADERS_GROUP_ACCESS_TOKEN",
		"departments[1].group.webhook_key":  "BBCS_DEPARTMENTS_MARKET_GROUP_WEBHOOK_KEY",
		"staff[3].wecom_user_id":            "BBCS_STAFF_CHEN_HEAD_WECOM_USER_ID",
		"wechat.templates.case_closed":      "BBCS_WECHAT_TEMPLATES_CASE_CLOSED",
		"departments[0].group.access_token": "BBCS_DEPARTMENTS_REALESTATE_GROUP_ACCESS_TOKEN",
		"duty.rotation[1]":                  "BBCS_DUTY_ROTATION_1",
		"staff[7].name":                     "BBCS_STAFF_ZHOU_LEADER_NAME",
		"staff[6].role":                     "BBCS_STAFF_LI_LEADER_ROLE",
		"staff[5].department":               "BBCS_STAFF_QIAN_HEAD_DEPARTMENT",
		"departments[2].group.secret":       "BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_SECRET",
		"departments[2].code":               "BBCS_DEPARTMENTS_SOCIAL_SECURITY_CODE",
		"departments[0].leader":             "BBCS_DEPARTMENTS_REALESTATE_LEADER",
		"departments[1].group.platform":     "BBCS_DEPARTMENTS_MARKET_GROUP_PLATFORM",
		"departments[2].group.access_token": "BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_ACCESS_TOKEN",
		"departments[2].group.webhook_key":  "BBCS_DEPARTMENTS_SOCIAL_SECURITY_GROUP_WEBHOOK_KEY",
		"departments[2].name":               "BBCS_DEPARTMENTS_SOCIAL_SECURITY_NAME",
		"departments[0].group.platform":     "BBCS_DEPARTMENTS_REALESTATE_GROUP_PLATFORM",
		"departments[0].group.chat_id":      "BBCS_DEPARTMENTS_REALESTATE_GROUP_CHAT_ID",
		"departments[0].code":               "BBCS_DEPARTMENTS_REALESTATE_CODE",
		"departments[1].name":               "BBCS_DEPARTMENTS_MARKET_NAME",
		"departments[1].leader":             "BBCS_DEPARTMENTS_MARKET_LEADER",
		"departments[1].group.secret":       "BBCS_DEPARTMENTS_MARKET_GROUP_SECRET",
		"supervision.group.chat_id":         "BBCS_SUPERVISION_GROUP_CHAT_ID",
		"leaders.group.secret":              "BBCS_LEADERS_GROUP_SECRET",
	} {
		if got := names[path]; got != want {
			t.Errorf("override of %s = %q, want %q", path, got, want)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin",
		"BBCS_CONFIG=/etc/bbcs.yaml",
		"BBCS_HTTP_ADDR=:1",
		"BBCS_HTTP_ADR=:1",
		"BBCS_HTTP_ADDR_FILE=/run/secrets/addr",
		"BBCS_HTTP=x",
		"BBCS_DATABASE_DSN_FILE=/run/secrets/dsn",
		"BBCS_DEPARTMENTS_ANY_CODE_AT_ALL_GROUP_SECRET=s",
		"BBCS_DEPARTMENTS_GROUP_SECRET=s", // no code
		"BBCS_DEPARTMENTS_X_GRP_SECRET=s",
		"BBCS_STAFF_ZHANG_SAN_MOBILE=13800138000",
		"BBCS_API_TOKENS_0_TOKEN=t",
		"BBCS_API_TOKENS_ADMIN_TOKEN=t", // tokens are addressed by index
		"BBCS_DUTY_ROTATION_3=a",
		"BBCS_DUTY_ROTATION=a",
		"BBCS_WECHAT_TEMPLATES_CASE_CLOSED=t",
		"BBCS_WECHAT_TEMPLATES=t",
		"BBCS_WORKDAY_OVERRIDE_FILE=/h.yaml",
		"BBCS_WORKDAY_OVERRIDE_FILE_FILE=/run/secrets/h",
		"BBCS_WORKDAY_OVERRIDE=/h.yaml",
		"BBCS_=x",
		"BBCS_DEBUG=1",
		"BBCS_DEBUG=2",
	}
	want := []string{
		"BBCS_",
		"BBCS_API_TOKENS_ADMIN_TOKEN",
		"BBCS_DEBUG",
		"BBCS_DEPARTMENTS_GROUP_SECRET",
		"BBCS_DEPARTMENTS_X_GRP_SECRET",
		"BBCS_DUTY_ROTATION",
		"BBCS_HTTP",
		"BBCS_HTTP_ADR",
		"BBCS_WECHAT_TEMPLATES",
		"BBCS_WORKDAY_OVERRIDE",
	}
	if got := UnknownEnv(environ); !slices.Equal(got, want) {
		t.Errorf("UnknownEnv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEnvSegment(t *testing.T) {
	for in, want := range map[string]string{
		"realestate":      "REALESTATE",
		"social-security": "SOCIAL_SECURITY",
		"zhang.san":       "ZHANG_SAN",
		"a_b2":            "A_B2",
		"张三":              "__",
	} {
		if got := EnvSegment(in); got != want {
			t.Errorf("EnvSegment(%q) = %q, want %q", in, got, want)
		}
	}
}

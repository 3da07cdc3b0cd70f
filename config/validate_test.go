package config

import (
	"strings"
	"testing"
)

// TestValidateRules breaks full.yaml one rule at a time; each must give
// exactly one problem, at the right path.
func TestValidateRules(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *Config)
		want   string // "path: message"
	}{
		{"empty http.addr", func(c *Config) { c.HTTP.Addr = "" },
			`http.addr: must not be empty (default ":8080")`},
		{"bad public_url", func(c *Config) { c.HTTP.PublicURL = "bbcs.example.gov.cn" },
			`http.public_url: want an http or https URL, got "bbcs.example.gov.cn"`},
		{"no database at all", func(c *Config) { c.Database = Database{} },
			`database.sqlite_path: must not be empty when database.dsn is empty`},
		{"negative redis db", func(c *Config) { c.Redis.DB = -1 },
			`redis.db: must not be negative, got -1`},
		{"unknown time zone", func(c *Config) { c.Workday.Timezone = "Mars/Olympus" },
			`workday.timezone: unknown time zone "Mars/Olympus"`},
		{"empty time zone", func(c *Config) { c.Workday.Timezone = "" },
			`workday.timezone: must not be empty (default "Asia/Shanghai")`},
		{"end_of_day", func(c *Config) { c.Workday.EndOfDay = "6pm" },
			`workday.end_of_day: want a time of day as HH:MM, got "6pm"`},
		{"reminder_time", func(c *Config) { c.Workday.ReminderTime = "24:00" },
			`workday.reminder_time: want a time of day as HH:MM, got "24:00"`},
		{"reply_days", func(c *Config) { c.Workday.ReplyDays = 0 },
			`workday.reply_days: must be at least 1, got 0`},
		{"max_days", func(c *Config) { c.Workday.MaxDays = 2 },
			`workday.max_days: must be at least workday.reply_days (3), got 2`},
		// 第十二条: 3个工作日内回复；延时办理最长不超过10个工作日. A centre may
		// be stricter, never laxer; nothing is zero or negative.
		{"reply_days past 第十二条", func(c *Config) { c.Workday.ReplyDays = 4 },
			`workday.reply_days: must be at most 3, got 4 (第十二条：收到工单后3个工作日内回复 / Article 12: reply within 3 working days)`},
		{"max_days past 第十二条", func(c *Config) { c.Workday.MaxDays = 15 },
			`workday.max_days: must be at most 10, got 15 (第十二条：延时办理最长不超过10个工作日 / Article 12: at most 10 working days with extensions)`},
		{"negative reply_days", func(c *Config) { c.Workday.ReplyDays = -3 },
			`workday.reply_days: must be at least 1, got -3`},
		{"zero max_days", func(c *Config) { c.Workday.MaxDays = 0 },
			`workday.max_days: must be at least 1, got 0`},
		{"negative max_days", func(c *Config) { c.Workday.MaxDays = -10 },
			`workday.max_days: must be at least 1, got -10`},
		{"centre name", func(c *Config) { c.Centre.Name = " " },
			`centre.name: must not be empty`},
		{"case prefix", func(c *Config) { c.Centre.CasePrefix = "B/B" },
			`centre.case_prefix: want letters and digits only, got "B/B"`},
		{"same prefixes", func(c *Config) { c.Centre.OrderPrefix = "BB" },
			`centre.order_prefix: must differ from centre.case_prefix (both "BB")`},
		{"wechat api_base scheme", func(c *Config) { c.WeChat.APIBase = "ftp://api.weixin.qq.com" },
			`wechat.api_base: want an http or https URL, got "ftp://api.weixin.qq.com"`},
		{"wecom api_base host", func(c *Config) { c.WeCom.APIBase = "http://" },
			`wecom.api_base: want a URL with a host, got "http://"`},
		{"dingtalk oapi_base", func(c *Config) { c.DingTalk.OAPIBase = "" },
			`dingtalk.oapi_base: want an http or https URL, got ""`},
		{"dingtalk api_base", func(c *Config) { c.DingTalk.APIBase = "https://api dingtalk.com" },
			`dingtalk.api_base: want an http or https URL, got "https://api dingtalk.com"`},
		{"wechat aes key", func(c *Config) { c.WeChat.EncodingAESKey = "short" },
			`wechat.encoding_aes_key: must be 43 characters, got 5`},
		{"wecom aes key", func(c *Config) { c.WeCom.EncodingAESKey += "=" },
			`wecom.encoding_aes_key: must be 43 characters, got 44`},
		{"wecom bot aes key", func(c *Config) { c.WeCom.BotEncodingAESKey = "x" },
			`wecom.bot_encoding_aes_key: must be 43 characters, got 1`},
		{"department code empty", func(c *Config) { c.Departments[2].Code = ""; c.Staff[5].Department = "realestate" },
			`departments[2].code: must not be empty`},
		{"department code charset", func(c *Config) {
			c.Departments[0].Code = "Real Estate"
			c.Staff[2].Department = "market"
			c.Staff[3].Department = "market"
		},
			`departments[0].code: want lower-case letters, digits, _ and - only, got "Real Estate"`},
		{"department code duplicate", func(c *Config) { c.Departments[2].Code = "realestate"; c.Staff[5].Department = "realestate" },
			`departments[2].code: "realestate" is already the code of departments[0]`},
		{"department name", func(c *Config) { c.Departments[1].Name = "" },
			`departments[1].name: must not be empty`},
		{"department platform", func(c *Config) { c.Departments[2].Group.Platform = "weixin" },
			`departments[2].group.platform: must be "wecom" or "dingtalk", got "weixin"`},
		{"department platform empty", func(c *Config) { c.Departments[2].Group = Group{} },
			`departments[2].group.platform: must be "wecom" or "dingtalk", got ""`},
		{"wecom group with dingtalk token", func(c *Config) { c.Departments[0].Group.AccessToken = "t" },
			`departments[0].group.access_token: belongs to a DingTalk robot; a wecom group uses webhook_key`},
		{"dingtalk group with webhook key", func(c *Config) { c.Departments[1].Group.WebhookKey = "k" },
			`departments[1].group.webhook_key: belongs to a WeCom robot; a dingtalk group uses access_token and secret`},
		{"department chat shared", func(c *Config) { c.Departments[2].Group.ChatID = "wrChatRealEstate" },
			`departments[2].group.chat_id: "wrChatRealEstate" is already the chat of departments[0]`},
		{"department leader unknown", func(c *Config) { c.Departments[1].Leader = "nobody" },
			`departments[1].leader: no staff with id "nobody"`},
		{"department leader role", func(c *Config) { c.Departments[1].Leader = "zhang.san" },
			`departments[1].leader: staff "zhang.san" has role "specialist", want "leader"`},
		{"staff id empty", func(c *Config) { c.Staff[10].ID = ""; c.API.Tokens[0].Staff = "wang.wu" },
			`staff[10].id: must not be empty`},
		{"staff id duplicate", func(c *Config) { c.Staff[10].ID = "zhang.san"; c.API.Tokens[0].Staff = "wang.wu" },
			`staff[10].id: "zhang.san" is already the id of staff[0]`},
		{"staff name", func(c *Config) { c.Staff[3].Name = "" },
			`staff[3].name: must not be empty`},
		{"staff role", func(c *Config) { c.Staff[10].Role = "boss" },
			`staff[10].role: must be one of specialist, window_staff, window_head, leader, principal_leader, supervisor, admin, got "boss"`},
		{"window staff without department", func(c *Config) { c.Staff[2].Department = "" },
			`staff[2].department: a window_staff must belong to a department`},
		{"window head without department", func(c *Config) { c.Staff[4].Department = "" },
			`staff[4].department: a window_head must belong to a department`},
		{"unknown department", func(c *Config) { c.Staff[4].Department = "tax" },
			`staff[4].department: no department with code "tax"`},
		{"unknown department of a leader", func(c *Config) { c.Staff[6].Department = "tax" },
			`staff[6].department: no department with code "tax"`},
		{"mobile digits", func(c *Config) { c.Staff[0].Mobile = "1380013800" },
			`staff[0].mobile: want 11 digits starting with 13 to 19, got "1380013800"`},
		{"mobile prefix", func(c *Config) { c.Staff[0].Mobile = "12800138000" },
			`staff[0].mobile: want 11 digits starting with 13 to 19, got "12800138000"`},
		{"wecom user id shared", func(c *Config) { c.Staff[3].WeComUserID = "WangWu" },
			`staff[3].wecom_user_id: "WangWu" is already the user id of staff[2]`},
		{"dingtalk user id shared", func(c *Config) { c.Staff[7].DingTalkUserID = "manager1234" },
			`staff[7].dingtalk_user_id: "manager1234" is already the user id of staff[4]`},
		{"principal unknown", func(c *Config) { c.Leaders.Principal = "nobody" },
			`leaders.principal: no staff with id "nobody"`},
		{"principal role", func(c *Config) { c.Leaders.Principal = "li.leader" },
			`leaders.principal: staff "li.leader" has role "leader", want "principal_leader"`},
		{"leaders group platform", func(c *Config) { c.Leaders.Group.Platform = "" },
			`leaders.group.platform: must be "wecom" or "dingtalk", got ""`},
		{"supervision group platform", func(c *Config) { c.Supervision.Group = Group{ChatID: "x"} },
			`supervision.group.platform: must be "wecom" or "dingtalk", got ""`},
		{"token empty", func(c *Config) { c.API.Tokens[1].Token = "" },
			`api.tokens[1].token: must not be empty`},
		{"token short", func(c *Config) { c.API.Tokens[1].Token = "secret" },
			`api.tokens[1].token: must be at least 16 characters, got 6`},
		{"token duplicate", func(c *Config) { c.API.Tokens[1].Token = c.API.Tokens[0].Token },
			`api.tokens[1].token: same as api.tokens[0].token`},
		{"token staff empty", func(c *Config) { c.API.Tokens[1].Staff = "" },
			`api.tokens[1].staff: must name the staff member the token acts as`},
		{"token staff unknown", func(c *Config) { c.API.Tokens[1].Staff = "nobody" },
			`api.tokens[1].staff: no staff with id "nobody"`},
		{"check_in", func(c *Config) { c.Duty.CheckIn = "8:30" },
			`duty.check_in: want a time of day as HH:MM, got "8:30"`},
		{"rotation unknown", func(c *Config) { c.Duty.Rotation[1] = "nobody" },
			`duty.rotation[1]: no staff with id "nobody"`},
		{"rotation role", func(c *Config) { c.Duty.Rotation[0] = "wang.wu" },
			`duty.rotation[0]: staff "wang.wu" has role "window_staff", want "specialist"`},
		{"roster date", func(c *Config) { c.Duty.Roster[2].Date = "2026-10-32" },
			`duty.roster[2].date: want a date as YYYY-MM-DD, got "2026-10-32"`},
		{"roster date duplicate", func(c *Config) { c.Duty.Roster[2].Date = "2026-10-08" },
			`duty.roster[2].date: 2026-10-08 is already duty.roster[0]`},
		{"roster specialist empty", func(c *Config) { c.Duty.Roster[1].Specialist = "" },
			`duty.roster[1].specialist: must name the specialist on duty`},
		{"roster specialist role", func(c *Config) { c.Duty.Roster[1].Specialist = "li.leader" },
			`duty.roster[1].specialist: staff "li.leader" has role "leader", want "specialist"`},
		{"roster leader unknown", func(c *Config) { c.Duty.Roster[0].Leader = "nobody" },
			`duty.roster[0].leader: no staff with id "nobody"`},
		{"roster leader role", func(c *Config) { c.Duty.Roster[0].Leader = "chen.head" },
			`duty.roster[0].leader: staff "chen.head" has role "window_head", want "leader" or "principal_leader"`},
		{"log level", func(c *Config) { c.Log.Level = "verbose" },
			`log.level: must be one of debug, info, warn, error, got "verbose"`},
		{"log format", func(c *Config) { c.Log.Format = "xml" },
			`log.format: must be "text" or "json", got "xml"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := loadFull(t)
			tt.change(c)
			got := problems(t, c.Validate())
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

// TestValidateAllowed lists settings that look odd but are fine.
func TestValidateAllowed(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *Config)
	}{
		{"no credentials anywhere", func(c *Config) {
			for i := range c.Departments {
				c.Departments[i].Group = Group{Platform: c.Departments[i].Group.Platform}
			}
			c.WeChat, c.WeCom, c.DingTalk = Default().WeChat, Default().WeCom, Default().DingTalk
		}},
		{"no leaders or supervision group", func(c *Config) { c.Leaders.Group, c.Supervision.Group = Group{}, Group{} }},
		{"no principal", func(c *Config) { c.Leaders.Principal = "" }},
		{"no department leader", func(c *Config) { c.Departments[0].Leader = "" }},
		{"http test server api bases", func(c *Config) {
			c.WeChat.APIBase = "http://127.0.0.1:41234"
			c.WeCom.APIBase = "http://127.0.0.1:41235/"
			c.DingTalk.OAPIBase = "http://fake-dingtalk:8080/oapi"
		}},
		{"sqlite path unused with a dsn", func(c *Config) { c.Database.SQLitePath = "" }},
		{"reply_days equal max_days", func(c *Config) { c.Workday.ReplyDays, c.Workday.MaxDays = 3, 3 }},
		{"stricter than 第十二条", func(c *Config) { c.Workday.ReplyDays, c.Workday.MaxDays = 1, 5 }},
		{"midnight and last minute", func(c *Config) { c.Workday.EndOfDay, c.Workday.ReminderTime = "23:59", "00:00" }},
		{"same chat on two platforms", func(c *Config) { c.Departments[1].Group.ChatID = "wrChatRealEstate" }},
		{"staff in no department", func(c *Config) { c.Staff[0].Department = "" }},
		{"no staff, no departments", func(c *Config) {
			c.Staff, c.Departments, c.API.Tokens, c.Duty = nil, nil, nil, Duty{CheckIn: "08:30"}
			c.Leaders.Principal = ""
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := loadFull(t)
			tt.change(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate:\n%v", err)
			}
		})
	}
}

// TestValidateCollectsAll checks that several problems come back together.
func TestValidateCollectsAll(t *testing.T) {
	c := Default()
	c.HTTP.Addr = ""
	c.Departments = []Department{{Code: "a", Name: "A", Group: Group{Platform: "slack"}}, {Code: "a"}}
	got := problems(t, c.Validate())
	want := []string{
		`http.addr: must not be empty (default ":8080")`,
		`departments[0].group.platform: must be "wecom" or "dingtalk", got "slack"`,
		`departments[1].code: "a" is already the code of departments[0]`,
		`departments[1].name: must not be empty`,
		`departments[1].group.platform: must be "wecom" or "dingtalk", got ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

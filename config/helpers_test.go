package config

import (
	"reflect"
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00", 0, true},
		{"08:30", 8*time.Hour + 30*time.Minute, true},
		{"18:00", 18 * time.Hour, true},
		{"23:59", 23*time.Hour + 59*time.Minute, true},
		{"24:00", 0, false},
		{"12:60", 0, false},
		{"8:30", 0, false},
		{"08:30:00", 0, false},
		{"0830", 0, false},
		{"ab:cd", 0, false},
		{"+8:30", 0, false},
		{"", 0, false},
	} {
		got, err := ParseClock(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseClock(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLocation(t *testing.T) {
	loc, err := Default().Workday.Location()
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2026, 10, 1, 12, 0, 0, 0, loc).Zone(); off != 8*3600 {
		t.Errorf("Asia/Shanghai offset = %d, want 8h", off)
	}
	if _, err := (Workday{Timezone: "Nowhere/Else"}).Location(); err == nil {
		t.Error("Location of an unknown zone: no error")
	}
}

func TestLookups(t *testing.T) {
	c := loadFull(t)
	if s, ok := c.StaffByID("chen.head"); !ok || s.Role != "window_head" || s.Department != "realestate" {
		t.Errorf("StaffByID(chen.head) = %+v, %v", s, ok)
	}
	if s, ok := c.StaffByID("nobody"); ok || s != (Staff{}) {
		t.Errorf("StaffByID(nobody) = %+v, %v", s, ok)
	}
	if d, ok := c.DepartmentByCode("market"); !ok || d.Group.Platform != "dingtalk" {
		t.Errorf("DepartmentByCode(market) = %+v, %v", d, ok)
	}
	if d, ok := c.DepartmentByCode("tax"); ok || d != (Department{}) {
		t.Errorf("DepartmentByCode(tax) = %+v, %v", d, ok)
	}
}

func TestRedacted(t *testing.T) {
	c := loadFull(t)
	c.Redis.Password = "" // an empty secret stays empty
	before := loadFull(t)
	before.Redis.Password = ""

	r := c.Redacted()
	if !reflect.DeepEqual(c, before) {
		t.Fatal("Redacted changed the original")
	}
	for _, tt := range []struct {
		key       string
		got, want string
	}{
		{"database.dsn", r.Database.DSN, "***"},
		{"redis.password", r.Redis.Password, ""},
		{"api.tokens[0].token", r.API.Tokens[0].Token, "***"},
		{"api.tokens[0].staff", r.API.Tokens[0].Staff, "admin"},
		{"wechat.app_id", r.WeChat.AppID, "wx1234567890abcdef"},
		{"wechat.app_secret", r.WeChat.AppSecret, "***"},
		{"wechat.token", r.WeChat.Token, "***"},
		{"wechat.encoding_aes_key", r.WeChat.EncodingAESKey, "***"},
		{"wecom.corp_id", r.WeCom.CorpID, "ww1234567890abcdef"},
		{"wecom.secret", r.WeCom.Secret, "***"},
		{"wecom.token", r.WeCom.Token, "***"},
		{"wecom.encoding_aes_key", r.WeCom.EncodingAESKey, "***"},
		{"wecom.bot_token", r.WeCom.BotToken, "***"},
		{"wecom.bot_encoding_aes_key", r.WeCom.BotEncodingAESKey, "***"},
		{"dingtalk.app_secret", r.DingTalk.AppSecret, "***"},
		{"departments[0].group.webhook_key", r.Departments[0].Group.WebhookKey, "***"},
		{"departments[0].group.chat_id", r.Departments[0].Group.ChatID, "wrChatRealEstate"},
		{"departments[1].group.access_token", r.Departments[1].Group.AccessToken, "***"},
		{"departments[1].group.secret", r.Departments[1].Group.Secret, "***"},
		{"departments[2].group.webhook_key", r.Departments[2].Group.WebhookKey, ""},
		{"leaders.group.webhook_key", r.Leaders.Group.WebhookKey, "***"},
		{"supervision.group.secret", r.Supervision.Group.Secret, "***"},
		{"http.addr", r.HTTP.Addr, ":9090"},
	} {
		if tt.got != tt.want {
			t.Errorf("redacted %s = %q, want %q", tt.key, tt.got, tt.want)
		}
	}

	// The copy shares nothing with the original.
	r.Staff[0].Name = "changed"
	r.Duty.Rotation[0] = "changed"
	r.WeChat.Templates["case_closed"] = "changed"
	if !reflect.DeepEqual(c, before) {
		t.Error("changing the redacted copy changed the original")
	}
	if (*Config)(nil).Redacted() != nil {
		t.Error("nil.Redacted() != nil")
	}
	if d := Default(); !reflect.DeepEqual(d.Redacted(), d) {
		t.Error("Default() has no secrets, yet Redacted changed it")
	}
}

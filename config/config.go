// Package config reads bbcs's one YAML file, applies environment overrides
// and defaults, and validates the result, naming every wrong key by its path.
//
// Nothing outside cmd/bbcs imports a *Config: the wiring copies the settings
// each component needs, so no package depends on the whole file.
package config

// Config is the whole configuration file. Every key is documented in
// README.md; the yaml tags are the black-box contract of REQUIREMENTS.md.
type Config struct {
	HTTP        HTTP         `yaml:"http"`
	Database    Database     `yaml:"database"`
	Redis       Redis        `yaml:"redis"`
	Clock       Clock        `yaml:"clock"`
	Workday     Workday      `yaml:"workday"`
	Centre      Centre       `yaml:"centre"`
	API         API          `yaml:"api"`
	WeChat      WeChat       `yaml:"wechat"`
	WeCom       WeCom        `yaml:"wecom"`
	DingTalk    DingTalk     `yaml:"dingtalk"`
	Departments []Department `yaml:"departments"`
	Staff       []Staff      `yaml:"staff"`
	Leaders     Leaders      `yaml:"leaders"`
	Supervision Supervision  `yaml:"supervision"`
	Duty        Duty         `yaml:"duty"`
	Rating      Rating       `yaml:"rating"`
	Province    Province     `yaml:"province"`
	Log         Log          `yaml:"log"`
}

// HTTP is the listening side of bbcs.
type HTTP struct {
	Addr string `yaml:"addr"` // default ":8080"
	// PublicURL is how citizens' and staff's phones reach bbcs (links in cards).
	PublicURL string `yaml:"public_url"`
	// SessionSecret signs the sessions of the staff action page. Every
	// replica needs the same one; empty → a random one per process.
	SessionSecret string `yaml:"session_secret" secret:"true"`
}

// Database selects MySQL (DSN set) or the embedded SQLite file.
type Database struct {
	DSN        string `yaml:"dsn" secret:"true"` // MySQL DSN; empty → SQLite
	SQLitePath string `yaml:"sqlite_path"`       // default "bbcs.db"
}

// Redis selects a Redis server (Addr set) or the in-process one.
type Redis struct {
	Addr     string `yaml:"addr"` // empty → in-process miniredis
	Password string `yaml:"password" secret:"true"`
	DB       int    `yaml:"db"`
	// KeyPrefix namespaces every key, so several centres or test runs can
	// share one Redis. Default "bbcs".
	KeyPrefix string `yaml:"key_prefix"`
}

// Clock enables the test clock of the black-box contract.
type Clock struct {
	Fake bool `yaml:"fake"` // enables POST /debug/clock; never in production
}

// Workday holds the deadline settings of 第十二条.
type Workday struct {
	Timezone     string `yaml:"timezone"`      // default "Asia/Shanghai"
	EndOfDay     string `yaml:"end_of_day"`    // "HH:MM", default "18:00"
	ReminderTime string `yaml:"reminder_time"` // "HH:MM", default "09:00"
	ReplyDays    int    `yaml:"reply_days"`    // default 3
	MaxDays      int    `yaml:"max_days"`      // default 10
	OverrideFile string `yaml:"override_file"` // administrator's holiday file
	// AfterHoursNextDay treats an order received after the end of a working
	// day, or on a day off, as received on the next working day (a local
	// variant; the legal reading, the default, does not).
	AfterHoursNextDay bool `yaml:"after_hours_next_day"`
}

// Centre names the service centre in messages people read.
type Centre struct {
	Name string `yaml:"name"` // default "县政务服务中心"
	// CasePrefix starts every case number (default "BB"); work orders use
	// OrderPrefix (default "GD").
	CasePrefix  string `yaml:"case_prefix"`
	OrderPrefix string `yaml:"order_prefix"`
}

// API lists the bearer tokens of /api/v1; each acts as one staff member.
type API struct {
	Tokens []APIToken `yaml:"tokens"`
}

// APIToken binds a bearer token to a staff id.
type APIToken struct {
	Token string `yaml:"token" secret:"true"`
	Staff string `yaml:"staff"`
}

// WeChat is the centre's service account.
type WeChat struct {
	APIBase        string            `yaml:"api_base"` // default https://api.weixin.qq.com
	AppID          string            `yaml:"app_id"`
	AppSecret      string            `yaml:"app_secret" secret:"true"`
	Token          string            `yaml:"token" secret:"true"`
	EncodingAESKey string            `yaml:"encoding_aes_key" secret:"true"`
	Templates      map[string]string `yaml:"templates"` // notice kind → template id
}

// WeCom is the centre's WeCom corp: a self-built app and a smart robot.
type WeCom struct {
	APIBase           string `yaml:"api_base"` // default https://qyapi.weixin.qq.com
	CorpID            string `yaml:"corp_id"`
	AgentID           string `yaml:"agent_id"`
	Secret            string `yaml:"secret" secret:"true"`
	Token             string `yaml:"token" secret:"true"`
	EncodingAESKey    string `yaml:"encoding_aes_key" secret:"true"`
	BotToken          string `yaml:"bot_token" secret:"true"`
	BotEncodingAESKey string `yaml:"bot_encoding_aes_key" secret:"true"`
}

// DingTalk is the centre's DingTalk internal app and its robot.
type DingTalk struct {
	OAPIBase  string `yaml:"oapi_base"` // default https://oapi.dingtalk.com
	APIBase   string `yaml:"api_base"`  // default https://api.dingtalk.com
	AppKey    string `yaml:"app_key"`
	AppSecret string `yaml:"app_secret" secret:"true"`
	RobotCode string `yaml:"robot_code"`
	// CorpID is the organisation's corpId, which the action page's in-app
	// sign-in (requestAuthCode) asks for.
	CorpID string `yaml:"corp_id"`
}

// Group is a chat group on WeCom or DingTalk and how bbcs posts into it.
type Group struct {
	Platform string `yaml:"platform"` // "wecom" or "dingtalk"
	// WebhookKey is the WeCom group robot's key.
	WebhookKey string `yaml:"webhook_key" secret:"true"`
	// AccessToken and Secret belong to a DingTalk custom robot (加签).
	AccessToken string `yaml:"access_token" secret:"true"`
	Secret      string `yaml:"secret" secret:"true"`
	// ChatID identifies the group in inbound callbacks (WeCom chatid,
	// DingTalk conversationId), so a command is tied to its department.
	ChatID string `yaml:"chat_id"`
}

// Department is a 进驻部门 with its window group.
type Department struct {
	Code   string `yaml:"code"`
	Name   string `yaml:"name"`
	Group  Group  `yaml:"group"`
	Leader string `yaml:"leader"` // staff id of its 分管领导
	// Parent is the department (单位) outside the centre the window
	// belongs to, to which its failures may be reported (第十七条).
	Parent string `yaml:"parent"`
}

// Staff is one person bbcs knows.
type Staff struct {
	ID             string `yaml:"id"`
	Name           string `yaml:"name"`
	Role           string `yaml:"role"`
	Department     string `yaml:"department"`
	WeComUserID    string `yaml:"wecom_user_id"`
	DingTalkUserID string `yaml:"dingtalk_user_id"`
	Mobile         string `yaml:"mobile"`
	// PasswordHash signs the person in to the admin console (bcrypt, as
	// `bbcs hash-password` prints it); empty: no console sign-in.
	PasswordHash string `yaml:"password_hash" secret:"true"`
}

// Leaders names the 主要负责领导 and the leaders' group for summaries.
type Leaders struct {
	Principal string `yaml:"principal"` // staff id of the 主要负责领导
	Group     Group  `yaml:"group"`
}

// Supervision is the 监督考核科: its group receives every reply and extension.
type Supervision struct {
	Group Group `yaml:"group"`
}

// Duty is the duty roster of 第四条.
type Duty struct {
	CheckIn string `yaml:"check_in"` // "HH:MM", default "08:30"
	// Rotation lists specialists who take working days in turn when the
	// roster names nobody for a day.
	Rotation []string    `yaml:"rotation"`
	Roster   []DutyEntry `yaml:"roster"`
}

// DutyEntry is one day of the roster.
type DutyEntry struct {
	Date       string `yaml:"date"`       // "YYYY-MM-DD"
	Specialist string `yaml:"specialist"` // staff id
	Leader     string `yaml:"leader"`     // staff id of the rotating department leader
}

// Rating is the rating of 第十三条: when an unrated answer is reminded and
// closed as 未评价, and how long a rating link works. Durations as Go
// writes them: "48h", "168h".
type Rating struct {
	RemindAfter string `yaml:"remind_after"` // default "48h"
	CloseAfter  string `yaml:"close_after"`  // default "168h"
	LinkTTL     string `yaml:"link_ttl"`     // default "168h"
	// RectifyDays is how many working days a unit has to verify a 差评,
	// put it right and report back (差评整改); local rules run 5–15.
	RectifyDays int `yaml:"rectify_days"` // default 5
	// AppealDays is how many working days a unit has to appeal a 差评 or a
	// deduction (申诉), from the rating or the deduction's proposal.
	AppealDays int `yaml:"appeal_days"` // default 5
	// UnratedAsSatisfied counts a case closed without a rating (未评价) as
	// 满意 in the figures, for a centre whose local rule says so. Off by
	// default: no rating is not satisfaction, and the figures say which
	// rule they follow.
	UnratedAsSatisfied bool `yaml:"unrated_as_satisfied"`
}

// Province is the provincial 好差评 platform that each rating's record is
// pushed to, where a centre configures it. No national API is published:
// bbcs posts each record as JSON, signed, through the outbox; Fields maps
// the record's field names to the platform's.
type Province struct {
	URL    string            `yaml:"url"`                  // empty: no push
	AppID  string            `yaml:"app_id"`               // the centre's id on the platform
	Secret string            `yaml:"secret" secret:"true"` // HMAC-SHA256 key of the signature
	Fields map[string]string `yaml:"fields"`               // record field → the platform's name; unnamed fields keep theirs
}

// Log controls slog.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error; default info
	Format string `yaml:"format"` // text or json; default text
}

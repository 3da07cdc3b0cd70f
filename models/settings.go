package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Setting is one of the centre's own settings that config and the console
// both manage (R10), as JSON: the duty rotation, the supervision section's
// and the leaders' groups, and the platform apps' credentials. Like a
// department, a setting from config is applied again only when config
// changed it (ConfigHash), so the newer change wins wherever it was made.
type Setting struct {
	Name       string `gorm:"primaryKey;size:64"`
	Value      string `gorm:"type:text;not null" json:"-"` // may hold secrets: never shown back or logged
	ConfigHash string `gorm:"size:64"`
	UpdatedAt  time.Time
}

// The settings' names.
const (
	SettingRotation    = "duty.rotation"
	SettingSupervision = "supervision.group"
	SettingLeaders     = "leaders.group"
	SettingWeChat      = "wechat"
	SettingWeCom       = "wecom"
	SettingDingTalk    = "dingtalk"
)

// Settings are the settings in force.
type Settings struct {
	// Rotation lists the specialists taking working days in turn when the
	// roster names nobody for the day.
	Rotation    []string
	Supervision CentreGroup // the 监督考核科's group
	Leaders     CentreGroup // the leaders' group
	WeChat      WeChatApp
	WeCom       WeComApp
	DingTalk    DingTalkApp
}

// CentreGroup is a group of the centre's own and the robot that posts
// into it: a WeCom webhook key, or a DingTalk access_token and 加签 secret.
type CentreGroup struct {
	Platform string `json:"platform,omitempty"`
	ChatID   string `json:"chat_id,omitempty"`
	Key      string `json:"key,omitempty"`
	Secret   string `json:"secret,omitempty"`
}

// WeChatApp is the service account's credentials.
type WeChatApp struct {
	AppID          string `json:"app_id,omitempty"`
	AppSecret      string `json:"app_secret,omitempty"`
	Token          string `json:"token,omitempty"`
	EncodingAESKey string `json:"encoding_aes_key,omitempty"`
}

// WeComApp is the WeCom self-built app's and intelligent robot's
// credentials.
type WeComApp struct {
	CorpID            string `json:"corp_id,omitempty"`
	AgentID           string `json:"agent_id,omitempty"`
	Secret            string `json:"secret,omitempty"`
	Token             string `json:"token,omitempty"`
	EncodingAESKey    string `json:"encoding_aes_key,omitempty"`
	BotToken          string `json:"bot_token,omitempty"`
	BotEncodingAESKey string `json:"bot_encoding_aes_key,omitempty"`
}

// DingTalkApp is the DingTalk app's credentials.
type DingTalkApp struct {
	AppKey    string `json:"app_key,omitempty"`
	AppSecret string `json:"app_secret,omitempty"`
	RobotCode string `json:"robot_code,omitempty"`
	CorpID    string `json:"corp_id,omitempty"`
}

// fields names each setting and where it lives in Settings.
func (s *Settings) fields() map[string]any {
	return map[string]any{
		SettingRotation: &s.Rotation, SettingSupervision: &s.Supervision, SettingLeaders: &s.Leaders,
		SettingWeChat: &s.WeChat, SettingWeCom: &s.WeCom, SettingDingTalk: &s.DingTalk,
	}
}

// Rows is s as the settings table keeps it, one row per setting.
func (s Settings) Rows() []Setting {
	if s.Rotation == nil {
		s.Rotation = []string{}
	}
	var rows []Setting
	for name, v := range s.fields() {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain strings only
		}
		rows = append(rows, Setting{Name: name, Value: string(b)})
	}
	return rows
}

// Row is the named setting as the settings table keeps it.
func (s Settings) Row(name string) Setting {
	for _, r := range s.Rows() {
		if r.Name == name {
			return r
		}
	}
	panic("models: no setting " + name)
}

// DecodeSettings reads the settings table's rows; a setting it lacks is
// left empty, and a row it does not know is ignored. A row that does not
// decode is left empty too and named in the error, so that one bad row
// neither silences every platform nor blocks saving the one that mends it.
func DecodeSettings(rows []Setting) (Settings, error) {
	var s Settings
	var errs []error
	fields := s.fields()
	for _, r := range rows {
		v, ok := fields[r.Name]
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(r.Value), v); err != nil {
			errs = append(errs, fmt.Errorf("setting %s does not decode: %w", r.Name, err))
		}
	}
	return s, errors.Join(errs...)
}

// CentreGroupLabels names the centre's own groups.
var CentreGroupLabels = map[string]string{SettingSupervision: "监督考核科群", SettingLeaders: "领导群"}

// Apply sets the named setting to next's. Secrets next leaves blank keep
// their values where they still belong — the same group platform and
// robot, the same app — since neither the console's forms (write-only)
// nor a config file that keeps secrets elsewhere gives them every time.
func (s *Settings) Apply(name string, next Settings) {
	switch name {
	case SettingRotation:
		s.Rotation = next.Rotation
	case SettingSupervision:
		s.Supervision = next.Supervision.Keeping(s.Supervision)
	case SettingLeaders:
		s.Leaders = next.Leaders.Keeping(s.Leaders)
	case SettingWeChat:
		s.WeChat = next.WeChat.keeping(s.WeChat)
	case SettingWeCom:
		s.WeCom = next.WeCom.keeping(s.WeCom)
	case SettingDingTalk:
		s.DingTalk = next.DingTalk.keeping(s.DingTalk)
	}
}

// keep is a write-only field's rule: left blank, it keeps its value.
func keep(field *string, old string) {
	if *field == "" {
		*field = old
	}
}

// Keeping is g with what it leaves blank taken from old, the robot it
// replaces: on the same platform a blank key keeps the key, and a blank
// 加签 secret the secret (DingTalk resets a robot's token without
// changing its secret). A group moved to another platform keeps nothing.
func (g CentreGroup) Keeping(old CentreGroup) CentreGroup {
	if g.Platform != old.Platform {
		return g
	}
	keep(&g.Key, old.Key)
	keep(&g.Secret, old.Secret)
	return g
}

// keeping keeps the secrets of the same account; another AppID, or none,
// keeps nothing.
func (w WeChatApp) keeping(old WeChatApp) WeChatApp {
	if w.AppID == old.AppID {
		keep(&w.AppSecret, old.AppSecret)
		keep(&w.Token, old.Token)
		keep(&w.EncodingAESKey, old.EncodingAESKey)
	}
	return w
}

// keeping keeps the robot's secrets within the same corp, and the app's
// within the same app.
func (w WeComApp) keeping(old WeComApp) WeComApp {
	if w.CorpID != old.CorpID {
		return w
	}
	keep(&w.BotToken, old.BotToken)
	keep(&w.BotEncodingAESKey, old.BotEncodingAESKey)
	if w.AgentID == old.AgentID {
		keep(&w.Secret, old.Secret)
		keep(&w.Token, old.Token)
		keep(&w.EncodingAESKey, old.EncodingAESKey)
	}
	return w
}

func (d DingTalkApp) keeping(old DingTalkApp) DingTalkApp {
	if d.AppKey == old.AppKey {
		keep(&d.AppSecret, old.AppSecret)
	}
	return d
}

// Complete reports whether the service account can send (customer-service
// and template messages): its AppID and AppSecret are set. Without them a
// citizen's notice is only logged.
func (w WeChatApp) Complete() bool { return w.AppID != "" && w.AppSecret != "" }

// Complete reports whether the WeCom app can send private messages: the
// corp, its AgentId and Secret are set together.
func (w WeComApp) Complete() bool { return w.CorpID != "" && w.AgentID != "" && w.Secret != "" }

// Complete reports whether the DingTalk app can send private messages:
// AppKey, AppSecret and RobotCode are set together.
func (d DingTalkApp) Complete() bool { return d.AppKey != "" && d.AppSecret != "" && d.RobotCode != "" }

// Check tells, in Chinese for the console, what a group still lacks.
func (g CentreGroup) Check(label string) error {
	if g.Platform != "" && g.Platform != "wecom" && g.Platform != "dingtalk" {
		return Errorf(ErrInvalid, "%s所在平台应为企业微信（wecom）或钉钉（dingtalk）", label)
	}
	if g.Platform == "" && (g.Key != "" || g.Secret != "" || g.ChatID != "") {
		return Errorf(ErrInvalid, "%s：设置了群或机器人，请选择所在平台（企业微信或钉钉）", label)
	}
	if g.Platform == "wecom" && g.Secret != "" {
		return Errorf(ErrInvalid, "%s：企业微信群机器人只需 webhook key，没有加签密钥", label)
	}
	return nil
}

// Check tells what the service account's credentials still lack.
func (w WeChatApp) Check() error {
	if w.AppID != "" && (!w.Complete() || w.Token == "") {
		return Errorf(ErrInvalid, "服务号：填写或更换 AppID 时，请同时填写 AppSecret 和令牌（Token）")
	}
	if w.AppID == "" && (w.AppSecret != "" || w.EncodingAESKey != "") {
		return Errorf(ErrInvalid, "服务号：AppSecret 和 EncodingAESKey 需要同时填写 AppID")
	}
	return nil
}

// Check tells what the WeCom credentials still lack.
func (w WeComApp) Check() error {
	// The smart robot stands alone; the app (private messages, its
	// callback) needs the corp, its AgentId and Secret together.
	if (w.AgentID != "" || w.Secret != "" || w.Token != "") && !w.Complete() {
		return Errorf(ErrInvalid, "企业微信：应用需要同时填写企业 ID（CorpID）、AgentId 和 Secret；更换 CorpID 或 AgentId 时请重新填写 Secret")
	}
	if (w.Token == "") != (w.EncodingAESKey == "") {
		return Errorf(ErrInvalid, "企业微信：应用回调的 Token 和 EncodingAESKey 要一起填写")
	}
	if (w.BotToken == "") != (w.BotEncodingAESKey == "") {
		return Errorf(ErrInvalid, "企业微信：智能机器人的 Token 和 EncodingAESKey 要一起填写")
	}
	return nil
}

// Check tells what the DingTalk credentials still lack.
func (d DingTalkApp) Check() error {
	if (d.AppKey != "" || d.AppSecret != "" || d.RobotCode != "") && !d.Complete() {
		return Errorf(ErrInvalid, "钉钉：需要同时填写 AppKey、AppSecret 和 RobotCode；更换 AppKey 时请重新填写 AppSecret")
	}
	return nil
}

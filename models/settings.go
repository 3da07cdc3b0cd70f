package models

import (
	"encoding/json"
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

// DecodeSettings reads the settings table's rows; a setting it lacks is
// left empty, and a row it does not know is ignored.
func DecodeSettings(rows []Setting) (Settings, error) {
	var s Settings
	fields := s.fields()
	for _, r := range rows {
		v, ok := fields[r.Name]
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(r.Value), v); err != nil {
			return s, fmt.Errorf("setting %s: %w", r.Name, err)
		}
	}
	return s, nil
}

package models

import "time"

// Department is a 进驻部门 (unit) with its window group, synced from config.
type Department struct {
	Code     string `gorm:"primaryKey;size:64"`
	Name     string `gorm:"size:128;not null"`
	Platform string `gorm:"size:16"` // wecom or dingtalk: where its window group is
	ChatID   string `gorm:"size:128;index"`
	LeaderID string `gorm:"size:64"` // its 分管领导
	// ParentUnit is the department (单位) the window belongs to outside the
	// centre, to which its failures may be reported (第十七条).
	ParentUnit string `gorm:"size:128"`
	Active     bool   `gorm:"not null"`
	// RobotKey and RobotSecret are the robot that posts into its window
	// group: a WeCom group robot's webhook key, or a DingTalk custom
	// robot's access_token and 加签 secret. Credentials: never shown back
	// or logged.
	RobotKey    string `gorm:"size:256" json:"-"`
	RobotSecret string `gorm:"size:256" json:"-"`
	// ConfigHash is the digest of the config entry last applied to the row,
	// "" for a department the console created. Start-up applies an entry
	// only when it changed, so the newer change, in config or in the
	// console, wins.
	ConfigHash string `gorm:"size:64"`
	UpdatedAt  time.Time
}

// Robot is the department's group and its robot, as the centre's own
// groups are kept.
func (d Department) Robot() CentreGroup {
	return CentreGroup{Platform: d.Platform, ChatID: d.ChatID, Key: d.RobotKey, Secret: d.RobotSecret}
}

package models

import "time"

// Staff is a person bbcs knows, synced from config. Rows are never deleted:
// old cases keep pointing at people who have left.
type Staff struct {
	ID             string `gorm:"primaryKey;size:64"`
	Name           string `gorm:"size:64;not null"`
	Role           Role   `gorm:"size:32;not null;index"`
	DepartmentCode string `gorm:"size:64;index"`
	WeComUserID    string `gorm:"size:128;index"`
	DingTalkUserID string `gorm:"size:128;index"`
	Mobile         string `gorm:"size:20"`
	Active         bool   `gorm:"not null"`
	// PasswordHash is a bcrypt hash set in the console for signing in to
	// it; a hash in config takes precedence.
	PasswordHash string `gorm:"size:100" json:"-"`
	ConfigHash   string `gorm:"size:64"` // as Department.ConfigHash
	UpdatedAt    time.Time
}

// TableName keeps the plural GORM would not guess.
func (Staff) TableName() string { return "staff" }

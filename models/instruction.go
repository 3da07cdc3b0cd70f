package models

import "time"

// Instruction is a 请示 to a leader about a grey-zone matter (第六条).
type Instruction struct {
	ID         uint64    `gorm:"primaryKey"`
	CaseID     uint64    `gorm:"index;not null"`
	LeaderID   string    `gorm:"size:64;not null"`
	AskedBy    string    `gorm:"size:64;not null"`
	Question   string    `gorm:"type:text;not null"`
	AskedAt    time.Time `gorm:"not null"`
	Answer     string    `gorm:"type:text"`
	AnsweredAt *time.Time
}

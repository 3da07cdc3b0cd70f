package models

import "time"

// FollowUp is a 跟踪回访 after a bad rating (第十三条): the owner calls the
// applicant about the re-handled matter and records what was said.
type FollowUp struct {
	ID      uint64    `gorm:"primaryKey"`
	CaseID  uint64    `gorm:"index;not null"`
	Round   int       `gorm:"not null"`
	DueAt   time.Time `gorm:"not null"`
	DoneAt  *time.Time
	DoneBy  string    `gorm:"size:64"`
	Note    string    `gorm:"type:text"`
	Created time.Time `gorm:"not null"`
}

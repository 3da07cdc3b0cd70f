package models

import "time"

// Rating is one round's rating (第十三条); the case keeps the last one too.
type Rating struct {
	ID      uint64      `gorm:"primaryKey"`
	CaseID  uint64      `gorm:"index;not null"`
	Round   int         `gorm:"not null"`
	Level   RatingLevel `gorm:"size:32;not null"`
	Comment string      `gorm:"type:text"`
	Via     string      `gorm:"size:32;not null"`
	At      time.Time   `gorm:"not null"`
}

// RatingLink is a one-time link to the rating page, for applicants outside
// WeChat's 48-hour window or without WeChat. Only its hash is stored.
type RatingLink struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	CaseID    uint64    `gorm:"index;not null"`
	Round     int       `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	Failures  int `gorm:"not null"`
}

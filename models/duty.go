package models

import "time"

// DutyDay is one day of the duty roster (第四条): the specialist on duty
// and the rotating department leader.
type DutyDay struct {
	Date         string `gorm:"primaryKey;size:10"` // YYYY-MM-DD
	SpecialistID string `gorm:"size:64;not null"`
	LeaderID     string `gorm:"size:64"`
	ConfigHash   string `gorm:"size:64"` // as Department.ConfigHash
}

// CheckIn records when the specialist on duty arrived (R2, feeds R9).
type CheckIn struct {
	ID      uint64    `gorm:"primaryKey"`
	Date    string    `gorm:"size:10;uniqueIndex:idx_checkin_day_staff"`
	StaffID string    `gorm:"size:64;uniqueIndex:idx_checkin_day_staff"`
	At      time.Time `gorm:"not null"`
	Late    bool      `gorm:"not null"`
}

// DutyMiss records that the specialist on duty had not checked in by the
// check-in time (第十七条: the unit loses a point, R9).
type DutyMiss struct {
	Date    string    `gorm:"primaryKey;size:10"`
	StaffID string    `gorm:"size:64;not null"`
	At      time.Time `gorm:"not null"`
}

package models

import "time"

// Summon records a department's window staff called to the complaint
// window (第十条) and when they arrived; a late arrival feeds R9.
type Summon struct {
	ID             uint64    `gorm:"primaryKey"`
	CaseID         uint64    `gorm:"index;not null"`
	DepartmentCode string    `gorm:"size:64;index;not null"`
	SummonedBy     string    `gorm:"size:64;not null"`
	SummonedAt     time.Time `gorm:"not null"`
	ArriveBy       time.Time `gorm:"not null"`
	ArrivedAt      *time.Time
	ArrivedBy      string `gorm:"size:64"`
	Late           bool   `gorm:"not null"`
	Note           string `gorm:"type:text"`
}

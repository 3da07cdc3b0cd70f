package models

import "time"

// TimelineEvent is one line of a case's history (第十五条: 事事可追溯).
type TimelineEvent struct {
	ID        uint64    `gorm:"primaryKey"`
	CaseID    uint64    `gorm:"index:idx_timeline_case_seq;not null"`
	Seq       int       `gorm:"index:idx_timeline_case_seq;not null"`
	At        time.Time `gorm:"not null"`
	ActorID   string    `gorm:"size:64;not null"`
	ActorName string    `gorm:"size:64;not null"`
	Action    string    `gorm:"size:32;not null"`
	OrderNo   string    `gorm:"size:40"`
	Note      string    `gorm:"type:text"`
}

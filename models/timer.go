package models

import "time"

// TimerFiring records that a timer has fired, in the transaction that
// wrote its notices: a timer engine may hand one timer out twice (a lease
// that ran out), the database lets it act once.
type TimerFiring struct {
	TimerID string    `gorm:"primaryKey;size:160"`
	FiredAt time.Time `gorm:"not null"`
}

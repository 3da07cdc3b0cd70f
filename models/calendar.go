package models

import "time"

// CalendarOverride is one year's holiday arrangement an administrator
// entered in the console, in the format of workday's override files. It is
// applied after the embedded tables and the override file.
type CalendarOverride struct {
	Year      int    `gorm:"primaryKey;autoIncrement:false"`
	Data      string `gorm:"type:text;not null"`
	UpdatedBy string `gorm:"size:64;not null"`
	UpdatedAt time.Time
}

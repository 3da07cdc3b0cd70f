package models

import "time"

// WorkOrder (工单) is one department's share of a case (第十一条, 第十二条).
type WorkOrder struct {
	ID             uint64      `gorm:"primaryKey"`
	No             string      `gorm:"size:40;uniqueIndex;not null"`
	CaseID         uint64      `gorm:"index;not null"`
	Round          int         `gorm:"not null"`
	DepartmentCode string      `gorm:"size:64;index;not null"`
	Status         OrderStatus `gorm:"size:16;index;not null"`
	// Joint marks an order dispatched by the 主要负责领导 to a 相关联办事窗口单位.
	Joint        bool      `gorm:"not null"`
	Note         string    `gorm:"type:text"`
	DispatchedBy string    `gorm:"size:64;not null"`
	ReceivedAt   time.Time `gorm:"index;not null"`
	// DueAt is the 3-working-day deadline, CapAt the 10-working-day limit
	// no extension may pass. Both are fixed at receipt.
	DueAt           time.Time `gorm:"index;not null"`
	CapAt           time.Time `gorm:"not null"`
	ExtendedDueAt   *time.Time
	ExtensionReason string `gorm:"type:text"`
	SignedAt        *time.Time
	SignedBy        string `gorm:"size:64"`
	RepliedAt       *time.Time
	RepliedBy       string `gorm:"size:64"`
	Result          string `gorm:"type:text"`
	EscalatedAt     *time.Time
	EscalatedTo     string `gorm:"size:64"`
	EscalationNote  string `gorm:"type:text"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Deadline is the due time now in force: the extension's if there is one.
func (o *WorkOrder) Deadline() time.Time {
	if o.ExtendedDueAt != nil {
		return *o.ExtendedDueAt
	}
	return o.DueAt
}

// Open reports whether the department still owes a reply.
func (o *WorkOrder) Open() bool { return o.Status != OrderReplied }

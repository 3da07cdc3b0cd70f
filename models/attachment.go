package models

import "time"

// Attachment is a file a citizen sent with a case (a photo on the service
// account), fetched from the platform into the database so it outlives the
// platform's retention (WeChat keeps media 3 days).
type Attachment struct {
	ID          uint64           `gorm:"primaryKey"`
	CaseID      uint64           `gorm:"index;not null"`
	MediaID     string           `gorm:"size:256;not null"`
	Status      AttachmentStatus `gorm:"size:16;index;not null"`
	ContentType string           `gorm:"size:64"`
	Data        []byte           `gorm:"type:mediumblob"`
	Attempts    int              `gorm:"not null"`
	LastError   string           `gorm:"size:512"`
	CreatedAt   time.Time        `gorm:"not null"`
	FetchedAt   *time.Time
}

// AttachmentStatus tracks fetching an attachment from its platform.
type AttachmentStatus string

const (
	AttachmentPending AttachmentStatus = "pending"
	AttachmentFetched AttachmentStatus = "fetched"
	AttachmentFailed  AttachmentStatus = "failed"
)

package models

import "time"

// Case is one “办不成事” matter: the registration form (登记表) of 第九条 and
// everything that followed.
type Case struct {
	ID              uint64        `gorm:"primaryKey"`
	No              string        `gorm:"size:32;uniqueIndex;not null"`
	Status          CaseStatus    `gorm:"size:16;index;not null"`
	Category        Category      `gorm:"size:32;index;not null"`
	Matter          string        `gorm:"type:text;not null"`
	ApplicantName   string        `gorm:"size:64;not null"`
	ApplicantKind   ApplicantKind `gorm:"size:16;not null"`
	ApplicantMobile string        `gorm:"size:20;not null"`
	Company         string        `gorm:"size:128"`
	// ApplicantOpenID is the citizen's service-account openid: the only key
	// by which a citizen may see a case.
	ApplicantOpenID string  `gorm:"size:64;index"`
	Channel         Channel `gorm:"size:16;not null"`
	// SourceID names the platform message that registered the case
	// ("wechat:" + MsgId), so that a message delivered again after a crash
	// finds its case instead of registering a second one. NULL for cases
	// registered by staff.
	SourceID *string `gorm:"size:96;uniqueIndex"`
	// Departments are the related departments named at registration or
	// triage, comma-separated codes.
	Departments string    `gorm:"size:512"`
	OwnerID     string    `gorm:"size:64;index;not null"`
	AcceptedAt  time.Time `gorm:"index;not null"`
	AnsweredAt  *time.Time
	ClosedAt    *time.Time
	Outcome     Outcome     `gorm:"size:32"`
	Result      string      `gorm:"type:text"`
	Rating      RatingLevel `gorm:"size:32"`
	RatingNote  string      `gorm:"type:text"`
	RatingVia   string      `gorm:"size:32"` // service_account, in_person, phone, link
	RatedAt     *time.Time
	// Round counts the handling rounds: 1, then one more per 退回重办.
	Round int `gorm:"not null"`
	// EventSeq and OrderSeq number the timeline and the work orders without
	// relying on auto-increment order (TiDB hands those out per node).
	EventSeq  int `gorm:"not null"`
	OrderSeq  int `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DepartmentCodes splits Departments.
func (c *Case) DepartmentCodes() []string { return splitCodes(c.Departments) }

// CaseCounter hands out the daily sequence of case numbers. One row per
// day, bumped under its row lock, so numbers stay unique under concurrency
// on any MySQL-compatible database.
type CaseCounter struct {
	Day  string `gorm:"primaryKey;size:8"` // YYYYMMDD
	Last int    `gorm:"not null"`
}

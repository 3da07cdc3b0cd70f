package models

import "time"

// Appeal is a unit's 申诉 against a 差评 it believes malicious or not of its
// making, or against a deduction proposed to it (好差评 rules; 第十七条).
// The supervision section upholds or rejects it with a reason. Upheld, a
// 差评 leaves the unit's figures (the rating stays in the ledger, marked)
// and a deduction is waived.
type Appeal struct {
	ID             uint64       `gorm:"primaryKey"`
	CaseID         uint64       `gorm:"index;not null"`
	RatingID       uint64       `gorm:"index"` // the 差评 appealed, or 0
	DeductionID    uint64       `gorm:"index"` // the deduction appealed, or 0
	DepartmentCode string       `gorm:"size:64;index;not null"`
	Ground         AppealGround `gorm:"size:32;not null"`
	Reason         string       `gorm:"type:text;not null"`
	FiledBy        string       `gorm:"size:64;not null"`
	FiledAt        time.Time    `gorm:"index;not null"`
	Status         AppealStatus `gorm:"size:16;index;not null"`
	DecidedBy      string       `gorm:"size:64"`
	DecidedAt      *time.Time
	Decision       string `gorm:"type:text"` // the supervision section's reason
}

// AppealGround is why a unit appeals.
type AppealGround string

const (
	GroundMalicious AppealGround = "malicious" // 恶意差评
	GroundUnrelated AppealGround = "unrelated" // 非本部门原因
	GroundDeduction AppealGround = "deduction" // 扣分有误
)

// Valid reports whether g is a known ground.
func (g AppealGround) Valid() bool {
	return g == GroundMalicious || g == GroundUnrelated || g == GroundDeduction
}

// Label is the ground in Chinese.
func (g AppealGround) Label() string {
	switch g {
	case GroundMalicious:
		return "恶意差评"
	case GroundUnrelated:
		return "非本部门原因"
	case GroundDeduction:
		return "扣分有误"
	}
	return string(g)
}

// AppealStatus is where an appeal stands.
type AppealStatus string

const (
	AppealPending  AppealStatus = "pending"
	AppealUpheld   AppealStatus = "upheld"
	AppealRejected AppealStatus = "rejected"
)

// Label is the status in Chinese.
func (s AppealStatus) Label() string {
	switch s {
	case AppealPending:
		return "待裁定"
	case AppealUpheld:
		return "申诉成立"
	case AppealRejected:
		return "申诉驳回"
	}
	return string(s)
}

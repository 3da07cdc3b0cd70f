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

// Excludes is the one rule of what an upheld appeal against a 差评 takes
// away (好差评 rules): the rating leaves the appealing department's figures
// (and its staff's), whatever the ground; a malicious rating (恶意差评) also
// leaves the centre's totals, since no one earned it, while one unrelated
// to the department (非本部门原因) still counts for the centre, where the
// cause lay. dept "" asks about the centre. Pending, rejected and deduction
// appeals exclude nothing. The rating stays in the ledger either way.
func (a Appeal) Excludes(ratingID uint64, dept string) bool {
	if a.Status != AppealUpheld || a.RatingID == 0 || a.RatingID != ratingID || a.Ground == GroundDeduction {
		return false
	}
	if dept == "" {
		return a.Ground == GroundMalicious
	}
	return a.DepartmentCode == dept
}

// RatingCounts says whether rating ratingID counts in dept's figures ("" =
// the centre's), given the appeals filed against it (any status; those of
// other ratings are ignored).
func RatingCounts(ratingID uint64, dept string, appeals []Appeal) bool {
	for _, a := range appeals {
		if a.Excludes(ratingID, dept) {
			return false
		}
	}
	return true
}

// AppealFile is a file a department sent with its appeal (a screenshot, a
// statement), kept in the database with it.
type AppealFile struct {
	ID          uint64    `gorm:"primaryKey"`
	AppealID    uint64    `gorm:"index;not null"`
	Name        string    `gorm:"size:255;not null"`
	ContentType string    `gorm:"size:128"`
	Data        []byte    `gorm:"type:mediumblob"`
	CreatedAt   time.Time `gorm:"not null"`
}

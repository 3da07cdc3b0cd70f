package models

import "time"

// Rectification is the 差评整改 of the 好差评 rules (第十三条; 国办发〔2019〕51号):
// every 差评 is verified by the unit it concerns, put right by a deadline
// and reported back to the applicant, who is asked again. A 差评 opens one
// for each unit of the rated round (the centre itself, DepartmentCode "",
// when the owner answered without orders), owned by its window head.
type Rectification struct {
	ID             uint64    `gorm:"primaryKey"`
	RatingID       uint64    `gorm:"index;not null"`
	CaseID         uint64    `gorm:"index;not null"`
	Round          int       `gorm:"not null"`       // the round the 差评 rated
	DepartmentCode string    `gorm:"size:64;index"`  // "" = the centre itself
	OwnerID        string    `gorm:"size:64;index"`  // the unit's window head (the case owner for the centre)
	DueAt          time.Time `gorm:"index;not null"` // rating.rectify_days working days after the 差评
	// Verdict is the unit's finding on the 差评: founded (属实) or not (不属实).
	Verdict    RectifyVerdict `gorm:"size:16"`
	Measures   string         `gorm:"type:text"` // what was verified and done (整改措施)
	ReportedAt *time.Time     `gorm:"index"`
	ReportedBy string         `gorm:"size:64"`
	Created    time.Time      `gorm:"not null"`
}

// CentreUnit names the centre itself as the unit of a rectification
// (DepartmentCode ""), the one verifying a 差评 of an answer given on the
// spot.
const CentreUnit = "“办不成事”反映窗口"

// RectifyUnit names a rectification's unit from its department code and
// that department's name: the centre for code "", else the department
// (by its code when its name is unknown).
func RectifyUnit(code, deptName string) string {
	switch {
	case code == "":
		return CentreUnit
	case deptName == "":
		return code
	}
	return deptName
}

// Open reports whether the rectification still waits for its report.
func (r *Rectification) Open() bool { return r.ReportedAt == nil }

// OnTime reports whether it was reported by its deadline (false while open).
func (r *Rectification) OnTime() bool { return r.ReportedAt != nil && !r.ReportedAt.After(r.DueAt) }

// RectifyVerdict is a unit's finding on a 差评 it was asked to verify.
type RectifyVerdict string

const (
	VerdictFounded   RectifyVerdict = "founded"   // 属实
	VerdictUnfounded RectifyVerdict = "unfounded" // 不属实
)

// Valid reports whether v is one of the two findings.
func (v RectifyVerdict) Valid() bool { return v == VerdictFounded || v == VerdictUnfounded }

// Label is the finding in Chinese.
func (v RectifyVerdict) Label() string {
	switch v {
	case VerdictFounded:
		return "属实"
	case VerdictUnfounded:
		return "不属实"
	}
	return string(v)
}

package models

import "time"

// Fault is what the supervision section verified went wrong on a case
// (第十七条). A staff fault (应办未办、业务不熟、审核不严、作为不实、服务态度差)
// names the person: the unit and the person each lose a point, and it
// counts towards R9's limits. A unit failure (重视不够、推脱责任、落实不力)
// has no StaffID: a related unit that did not get the matter finished as
// required loses a point.
type Fault struct {
	ID             uint64    `gorm:"primaryKey"`
	CaseID         uint64    `gorm:"index;not null"`
	Round          int       `gorm:"not null"`
	StaffID        string    `gorm:"size:64;index;not null"` // "" for a unit failure
	DepartmentCode string    `gorm:"size:64;index;not null"`
	Kind           FaultKind `gorm:"size:32;not null"`
	Note           string    `gorm:"type:text"`
	MarkedBy       string    `gorm:"size:64;not null"`
	At             time.Time `gorm:"index;not null"`
}

// FaultKind is one of the staff faults of 第十七条.
type FaultKind string

// The faults of 第十七条, with their Chinese names.
var FaultKinds = map[FaultKind]string{
	"not_done":      "应办未办",
	"unfamiliar":    "业务不熟",
	"careless":      "审核不严",
	"false_action":  "作为不实",
	"poor_attitude": "服务态度差",
}

// UnitFailures are the failures of a related unit (相关联办事窗口单位) that
// 第十七条 names, with their Chinese names.
var UnitFailures = map[FaultKind]string{
	"neglected":   "重视不够",
	"shirked":     "推脱责任",
	"ineffective": "落实不力",
}

// ComplaintKinds are the staff faults 第十七条 counts towards 服务明星:
// 业务不熟、审核不严、服务态度差.
var ComplaintKinds = []FaultKind{"unfamiliar", "careless", "poor_attitude"}

// ServiceStarComplaints is how many verified complaints (ComplaintKinds) in
// a year cost a person 服务明星 eligibility (第十七条).
const ServiceStarComplaints = 3

// ServiceStarEligible: 第十七条 — fewer than ServiceStarComplaints
// complaints in the year.
func ServiceStarEligible(complaints int) bool { return complaints < ServiceStarComplaints }

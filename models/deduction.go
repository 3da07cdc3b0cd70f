package models

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Deduction is a point deduction of 第十七条: proposed by a rule from what
// happened, then confirmed or waived (with a reason) by the supervision
// section (R9). SourceKey names what it came from, so a rule proposes it
// once.
type Deduction struct {
	ID             uint64          `gorm:"primaryKey"`
	Year           int             `gorm:"index;not null"`
	Rule           DeductionRule   `gorm:"size:32;not null"`
	SourceKey      string          `gorm:"size:96;uniqueIndex;not null"`
	DepartmentCode string          `gorm:"size:64;index"` // "" = the centre itself (its specialists)
	StaffID        string          `gorm:"size:64;index"` // set when the person loses the point too
	CaseNo         string          `gorm:"size:32"`
	Points         int             `gorm:"not null"`
	Reason         string          `gorm:"type:text;not null"`
	Status         DeductionStatus `gorm:"size:16;index;not null"`
	DecidedBy      string          `gorm:"size:64"`
	DecidedAt      *time.Time
	Note           string    `gorm:"type:text"`
	At             time.Time `gorm:"not null"`
	// ReportedAt is when the supervision section reported a confirmed
	// deduction to the unit's parent department (向进驻窗口原部门（单位）通报);
	// ReportedTo and ReportedUnit are the addressee and the window as the
	// letter named them, so a reprint is the letter that was sent.
	ReportedAt   *time.Time
	ReportedBy   string `gorm:"size:64"`
	ReportedTo   string `gorm:"size:128"`
	ReportedUnit string `gorm:"size:128"`
}

// RecurrenceReview is the supervision section's word on a problem the
// grouping found handed to a unit three times or more in a year (同类问题,
// 第十七条): confirmed, the unit loses 红旗窗口 eligibility; dismissed (with
// a reason), the cases are not one problem after all. Matching wording is a
// heuristic, and an annual award should not rest on it alone. Key is the
// unit and its exact cases: a problem that comes back again is a new one
// to review.
type RecurrenceReview struct {
	ID             uint64          `gorm:"primaryKey"`
	Year           int             `gorm:"uniqueIndex:idx_recurrence;not null"`
	Key            string          `gorm:"column:cases_key;size:64;uniqueIndex:idx_recurrence;not null"`
	DepartmentCode string          `gorm:"size:64;not null"`
	Cases          string          `gorm:"type:text;not null"` // case numbers, comma-separated
	Decision       DeductionStatus `gorm:"size:16;not null"`   // confirmed or waived (dismissed)
	Note           string          `gorm:"type:text"`
	DecidedBy      string          `gorm:"size:64;not null"`
	DecidedAt      time.Time       `gorm:"not null"`
}

// RecurrenceKey names a unit's recurring problem by its exact cases.
func RecurrenceKey(dept string, cases []string) string {
	h := sha256.Sum256([]byte(dept + "|" + strings.Join(cases, ",")))
	return hex.EncodeToString(h[:])
}

// RedFlagRecurrences is how many times the same problem (同类问题) handed
// to a unit in a year makes it recurring: confirmed, the unit loses
// 红旗窗口 eligibility (第十七条).
const RedFlagRecurrences = 3

// Recurring: 第十七条 — a problem handed to a unit RedFlagRecurrences times
// or more in the year.
func Recurring(cases int) bool { return cases >= RedFlagRecurrences }

// RedFlagStanding is a unit's 红旗窗口 standing from the supervision
// section's word on each of its recurring problems of the year: one
// confirmed settles it (not eligible); one still proposed holds it
// (pending); those waived are not one problem and do not count.
func RedFlagStanding(reviews []DeductionStatus) (eligible, pending bool) {
	confirmed, proposed := slices.Contains(reviews, DeductionConfirmed), slices.Contains(reviews, DeductionProposed)
	return !confirmed && !proposed, proposed && !confirmed
}

// The source keys of deductions (Deduction.SourceKey), one per source, so
// a rule proposes each once.

// DutyDeductionKey is a day of duty's: a missed or late check-in share it,
// one deduction per day, whichever came first.
func DutyDeductionKey(date string) string { return "duty:" + date }

// SummonDeductionKey is a summons answered late or not at all.
func SummonDeductionKey(id uint64) string { return "summon:" + strconv.FormatUint(id, 10) }

// FaultDeductionKey is a verified staff fault's.
func FaultDeductionKey(id uint64) string { return "fault:" + strconv.FormatUint(id, 10) }

// UnitDeductionKey is the related-unit rule's: a unit that did not get a
// case finished as required loses one point for it (第十七条, 各1分),
// whether its order ran late, in one round or two, or the supervision
// section found it shirked — the first of these proposes, the others add
// their reason.
func UnitDeductionKey(caseNo, dept string) string { return "unit:" + caseNo + ":" + dept }

// DeductionRule names the rule of 第十七条 a deduction comes from.
type DeductionRule string

const (
	RuleDutyLate     DeductionRule = "duty_late"     // specialist not on duty on time → the unit −1
	RuleSummonLate   DeductionRule = "summon_late"   // window staff not at the complaint window on time → their unit −1
	RuleStaffFault   DeductionRule = "staff_fault"   // verified staff fault → unit −1 and that person −1
	RuleOrderOverdue DeductionRule = "order_overdue" // a work order not finished as required → the unit −1
	RuleUnitFailure  DeductionRule = "unit_failure"  // a related unit verified to have shirked or neglected it → each −1
)

// DeductionStatus is where a deduction stands.
type DeductionStatus string

const (
	DeductionProposed  DeductionStatus = "proposed"
	DeductionConfirmed DeductionStatus = "confirmed"
	DeductionWaived    DeductionStatus = "waived"
)

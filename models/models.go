package models

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Department is a 进驻部门 (unit) with its window group, synced from config.
type Department struct {
	Code     string `gorm:"primaryKey;size:64"`
	Name     string `gorm:"size:128;not null"`
	Platform string `gorm:"size:16"` // wecom or dingtalk: where its window group is
	ChatID   string `gorm:"size:128;index"`
	LeaderID string `gorm:"size:64"` // its 分管领导
	// ParentUnit is the department (单位) the window belongs to outside the
	// centre, to which its failures may be reported (第十七条).
	ParentUnit string `gorm:"size:128"`
	Active     bool   `gorm:"not null"`
	// RobotKey and RobotSecret are the robot that posts into its window
	// group: a WeCom group robot's webhook key, or a DingTalk custom
	// robot's access_token and 加签 secret. Credentials: never shown back
	// or logged.
	RobotKey    string `gorm:"size:256" json:"-"`
	RobotSecret string `gorm:"size:256" json:"-"`
	// ConfigHash is the digest of the config entry last applied to the row,
	// "" for a department the console created. Start-up applies an entry
	// only when it changed, so the newer change, in config or in the
	// console, wins.
	ConfigHash string `gorm:"size:64"`
	UpdatedAt  time.Time
}

// Robot is the department's group and its robot, as the centre's own
// groups are kept.
func (d Department) Robot() CentreGroup {
	return CentreGroup{Platform: d.Platform, ChatID: d.ChatID, Key: d.RobotKey, Secret: d.RobotSecret}
}

// Staff is a person bbcs knows, synced from config. Rows are never deleted:
// old cases keep pointing at people who have left.
type Staff struct {
	ID             string `gorm:"primaryKey;size:64"`
	Name           string `gorm:"size:64;not null"`
	Role           Role   `gorm:"size:32;not null;index"`
	DepartmentCode string `gorm:"size:64;index"`
	WeComUserID    string `gorm:"size:128;index"`
	DingTalkUserID string `gorm:"size:128;index"`
	Mobile         string `gorm:"size:20"`
	Active         bool   `gorm:"not null"`
	// PasswordHash is a bcrypt hash set in the console for signing in to
	// it; a hash in config takes precedence.
	PasswordHash string `gorm:"size:100" json:"-"`
	ConfigHash   string `gorm:"size:64"` // as Department.ConfigHash
	UpdatedAt    time.Time
}

// TableName keeps the plural GORM would not guess.
func (Staff) TableName() string { return "staff" }

// DutyDay is one day of the duty roster (第四条): the specialist on duty
// and the rotating department leader.
type DutyDay struct {
	Date         string `gorm:"primaryKey;size:10"` // YYYY-MM-DD
	SpecialistID string `gorm:"size:64;not null"`
	LeaderID     string `gorm:"size:64"`
	ConfigHash   string `gorm:"size:64"` // as Department.ConfigHash
}

// CalendarOverride is one year's holiday arrangement an administrator
// entered in the console, in the format of workday's override files. It is
// applied after the embedded tables and the override file.
type CalendarOverride struct {
	Year      int    `gorm:"primaryKey;autoIncrement:false"`
	Data      string `gorm:"type:text;not null"`
	UpdatedBy string `gorm:"size:64;not null"`
	UpdatedAt time.Time
}

// CheckIn records when the specialist on duty arrived (R2, feeds R9).
type CheckIn struct {
	ID      uint64    `gorm:"primaryKey"`
	Date    string    `gorm:"size:10;uniqueIndex:idx_checkin_day_staff"`
	StaffID string    `gorm:"size:64;uniqueIndex:idx_checkin_day_staff"`
	At      time.Time `gorm:"not null"`
	Late    bool      `gorm:"not null"`
}

// DutyMiss records that the specialist on duty had not checked in by the
// check-in time (第十七条: the unit loses a point, R9).
type DutyMiss struct {
	Date    string    `gorm:"primaryKey;size:10"`
	StaffID string    `gorm:"size:64;not null"`
	At      time.Time `gorm:"not null"`
}

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

// TimelineEvent is one line of a case's history (第十五条: 事事可追溯).
type TimelineEvent struct {
	ID        uint64    `gorm:"primaryKey"`
	CaseID    uint64    `gorm:"index:idx_timeline_case_seq;not null"`
	Seq       int       `gorm:"index:idx_timeline_case_seq;not null"`
	At        time.Time `gorm:"not null"`
	ActorID   string    `gorm:"size:64;not null"`
	ActorName string    `gorm:"size:64;not null"`
	Action    string    `gorm:"size:32;not null"`
	OrderNo   string    `gorm:"size:40"`
	Note      string    `gorm:"type:text"`
}

// Summon records a department's window staff called to the complaint
// window (第十条) and when they arrived; a late arrival feeds R9.
type Summon struct {
	ID             uint64    `gorm:"primaryKey"`
	CaseID         uint64    `gorm:"index;not null"`
	DepartmentCode string    `gorm:"size:64;index;not null"`
	SummonedBy     string    `gorm:"size:64;not null"`
	SummonedAt     time.Time `gorm:"not null"`
	ArriveBy       time.Time `gorm:"not null"`
	ArrivedAt      *time.Time
	ArrivedBy      string `gorm:"size:64"`
	Late           bool   `gorm:"not null"`
	Note           string `gorm:"type:text"`
}

// Instruction is a 请示 to a leader about a grey-zone matter (第六条).
type Instruction struct {
	ID         uint64    `gorm:"primaryKey"`
	CaseID     uint64    `gorm:"index;not null"`
	LeaderID   string    `gorm:"size:64;not null"`
	AskedBy    string    `gorm:"size:64;not null"`
	Question   string    `gorm:"type:text;not null"`
	AskedAt    time.Time `gorm:"not null"`
	Answer     string    `gorm:"type:text"`
	AnsweredAt *time.Time
}

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

// FollowUp is a 跟踪回访 after a bad rating (第十三条): the owner calls the
// applicant about the re-handled matter and records what was said.
type FollowUp struct {
	ID      uint64    `gorm:"primaryKey"`
	CaseID  uint64    `gorm:"index;not null"`
	Round   int       `gorm:"not null"`
	DueAt   time.Time `gorm:"not null"`
	DoneAt  *time.Time
	DoneBy  string    `gorm:"size:64"`
	Note    string    `gorm:"type:text"`
	Created time.Time `gorm:"not null"`
}

// Rating is one round's rating (第十三条); the case keeps the last one too.
type Rating struct {
	ID      uint64      `gorm:"primaryKey"`
	CaseID  uint64      `gorm:"index;not null"`
	Round   int         `gorm:"not null"`
	Level   RatingLevel `gorm:"size:32;not null"`
	Comment string      `gorm:"type:text"`
	Via     string      `gorm:"size:32;not null"`
	At      time.Time   `gorm:"not null"`
}

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

// RatingLink is a one-time link to the rating page, for applicants outside
// WeChat's 48-hour window or without WeChat. Only its hash is stored.
type RatingLink struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	CaseID    uint64    `gorm:"index;not null"`
	Round     int       `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	Failures  int `gorm:"not null"`
}

// TimerFiring records that a timer has fired, in the transaction that
// wrote its notices: a timer engine may hand one timer out twice (a lease
// that ran out), the database lets it act once.
type TimerFiring struct {
	TimerID string    `gorm:"primaryKey;size:160"`
	FiredAt time.Time `gorm:"not null"`
}

// CaseCounter hands out the daily sequence of case numbers. One row per
// day, bumped under its row lock, so numbers stay unique under concurrency
// on any MySQL-compatible database.
type CaseCounter struct {
	Day  string `gorm:"primaryKey;size:8"` // YYYYMMDD
	Last int    `gorm:"not null"`
}

// All lists every model, for migrations.
func All() []any {
	return []any{
		&Department{}, &Staff{}, &DutyDay{}, &CheckIn{}, &DutyMiss{},
		&Case{}, &WorkOrder{}, &TimelineEvent{}, &Summon{}, &Instruction{},
		&CaseCounter{}, &Notice{}, &Attachment{}, &TimerFiring{}, &FollowUp{}, &RatingLink{}, &Rating{}, &Fault{}, &Deduction{}, &RecurrenceReview{}, &Setting{},
		&CalendarOverride{},
	}
}

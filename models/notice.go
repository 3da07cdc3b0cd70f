package models

import (
	"cmp"
	"encoding/json"
	"fmt"
	"time"
)

// NoticeKind names what a notice tells its reader; each platform renders
// each kind in its own best form.
type NoticeKind string

const (
	NoticeCaseReceived     NoticeKind = "case_received"     // applicant: case number, owner, promise
	NoticeOwnerAssigned    NoticeKind = "owner_assigned"    // owner: a case is yours (首接负责)
	NoticeHandedOver       NoticeKind = "handed_over"       // new owner: a case was handed to you
	NoticeOrderDispatched  NoticeKind = "order_dispatched"  // applicant: departments are on it
	NoticeWorkOrder        NoticeKind = "work_order"        // window group: the card of 第十一条
	NoticeSummon           NoticeKind = "summon"            // window group: come to the complaint window
	NoticeOrderSigned      NoticeKind = "order_signed"      // owner and group: signed for
	NoticeOrderReplied     NoticeKind = "order_replied"     // applicant, owner, supervision (第十二条)
	NoticeOrderExtended    NoticeKind = "order_extended"    // applicant, owner, supervision (第十二条)
	NoticeEscalation       NoticeKind = "escalation"        // 分管领导 / 主要负责领导, window head
	NoticeCaseAnswered     NoticeKind = "case_answered"     // applicant: the answer (incl. 第六条's)
	NoticeInstructionAsked NoticeKind = "instruction_asked" // leader: a 请示 awaits
	NoticeInstructionFiled NoticeKind = "instruction_filed" // supervision: 报备 of the leader's answer
	NoticeCaseClosed       NoticeKind = "case_closed"       // applicant
	NoticeCaseReopened     NoticeKind = "case_reopened"     // owner: 退回重办
	NoticeDialogMenu       NoticeKind = "dialog_menu"       // applicant: a clickable menu of the service-account dialog
	NoticeReminder         NoticeKind = "reminder"          // window group: due today, not yet answered (第十二条)
	NoticeOverdue          NoticeKind = "overdue"           // window group, window head, 分管领导, owner: past due
	NoticeCapReached       NoticeKind = "cap_reached"       // 主要负责领导, supervision: 10 working days passed
	NoticeSummonOverdue    NoticeKind = "summon_overdue"    // owner: summoned staff have not arrived
	NoticeDutyMissed       NoticeKind = "duty_missed"       // supervision: the specialist on duty has not checked in
	NoticeDialogExpired    NoticeKind = "dialog_expired"    // applicant: an unfinished report was ended
	NoticeRatingRequest    NoticeKind = "rating_request"    // applicant (or owner, for walk-ins): please rate (第十三条)
	NoticeRatingReminder   NoticeKind = "rating_reminder"   // applicant: not rated yet
	NoticeRated            NoticeKind = "rated"             // owner: the applicant's rating
	NoticeFollowUpDue      NoticeKind = "follow_up_due"     // owner: call the applicant (跟踪回访)
	NoticeMonthly          NoticeKind = "monthly_summary"   // leaders' group: last month's summary (第十四条)
	NoticeWaitReminder     NoticeKind = "wait_reminder"     // owner, or the leader asked: a case not handled, a 退回重办 without orders, a 请示 unanswered
	NoticeWaitEscalated    NoticeKind = "wait_escalated"    // owner's 分管领导, duty leader, supervision (a 请示: 主要负责领导): the wait ran out
	NoticeOrderDelayed     NoticeKind = "order_delayed"     // applicant (owner, for walk-ins): an order is late or escalated, and the latest date
	NoticeFollowUpOverdue  NoticeKind = "follow_up_overdue" // owner's department leader, leader on duty, supervision: a visit not made (第十三条)
	// The 差评整改 (第十三条): the card that opens one, its reminder on the
	// due day, its escalation past the deadline, the unit's report to the
	// supervision section, and the outcome told to the applicant.
	NoticeRectifyOpened   NoticeKind = "rectify_opened"   // unit's owner and window group: verify and report by the date
	NoticeRectifyReminder NoticeKind = "rectify_reminder" // unit's owner and window group: due today
	NoticeRectifyOverdue  NoticeKind = "rectify_overdue"  // 分管领导, supervision: not reported by the deadline
	NoticeRectifyReported NoticeKind = "rectify_reported" // supervision: the unit's verdict and measures
	NoticeRectified       NoticeKind = "rectified"        // applicant (owner, for walk-ins): the outcome, and a new rating request
	// NoticeLeaderInstruction is a leader's answer to a 请示 made while
	// orders were out: an instruction to the owner and the departments'
	// window groups, not the case's answer (第七条, 第十一条).
	NoticeLeaderInstruction NoticeKind = "leader_instruction"
	// NoticeRatingRecord is a rating's 好差评 record (NoticeData.Record)
	// for the provincial platform (bot/province, docs/province.md).
	NoticeRatingRecord NoticeKind = "rating_record"
	// NoticeAppealFiled tells the supervision section a department appeals a
	// 差评 or a deduction; NoticeAppealDecided tells the department (its
	// window group and window head) what the section decided.
	NoticeAppealFiled   NoticeKind = "appeal_filed"
	NoticeAppealDecided NoticeKind = "appeal_decided"
)

// Audience says who a notice is for; Target says which one of them.
type Audience string

const (
	AudienceApplicant   Audience = "applicant"   // Target: openid, or "" for walk-in and phone cases
	AudienceStaff       Audience = "staff"       // Target: staff id (private message)
	AudienceDepartment  Audience = "department"  // Target: department code (its window group)
	AudienceSupervision Audience = "supervision" // the 监督考核科 group
	AudienceLeaders     Audience = "leaders"     // the leaders' group
	AudienceProvince    Audience = "province"    // the provincial 好差评 platform; Target: the record id
)

// Label names the audience in Chinese, for the console.
func (a Audience) Label() string {
	switch a {
	case AudienceApplicant:
		return "反映人"
	case AudienceStaff:
		return "工作人员"
	case AudienceDepartment:
		return "部门窗口群"
	case AudienceSupervision:
		return "监督考核科群"
	case AudienceLeaders:
		return "领导群"
	case AudienceProvince:
		return "省好差评平台"
	}
	return string(a)
}

// NoticeStatus tracks delivery through the outbox.
type NoticeStatus string

const (
	NoticePending NoticeStatus = "pending"
	NoticeSent    NoticeStatus = "sent"
	NoticeFailed  NoticeStatus = "failed" // gave up after many tries; kept for an operator
)

// Notice is an outbox row: written in the same transaction as the change it
// reports, delivered later by the sender, never sent twice.
type Notice struct {
	ID       uint64       `gorm:"primaryKey"`
	Kind     NoticeKind   `gorm:"size:32;not null;index"`
	Audience Audience     `gorm:"size:16;not null;index:idx_notice_recipient,priority:2"`
	Target   string       `gorm:"size:128;index:idx_notice_recipient,priority:3"`
	CaseNo   string       `gorm:"size:32;index"`
	OrderNo  string       `gorm:"size:40"`
	Payload  string       `gorm:"type:text;not null"`
	Status   NoticeStatus `gorm:"size:16;not null;index:idx_notice_due;index:idx_notice_recipient,priority:1"`
	// NextAttemptAt is when the sender may try (again); ClaimedUntil is the
	// lease of the replica sending it now.
	NextAttemptAt time.Time `gorm:"not null;index:idx_notice_due"`
	ClaimedUntil  *time.Time
	ClaimToken    string `gorm:"size:32"` // the pass that claimed it last
	// OnceKey names what made the notice where that may happen twice (a
	// message handled again after a crash): the notice is written once.
	OnceKey   *string `gorm:"size:100;uniqueIndex"`
	Attempts  int     `gorm:"not null"`
	LastError string  `gorm:"size:512"`
	Receipt   string  `gorm:"size:256"` // the platform's answer, e.g. a msgid
	SentAt    *time.Time
	CreatedAt time.Time `gorm:"not null"`
}

// NoticeData is the payload of every notice kind. Fields a kind does not
// use stay empty. It never holds a full mobile number: group and private
// messages show MaskedMobile only.
type NoticeData struct {
	CaseNo         string        `json:"case_no,omitempty"`
	OrderNo        string        `json:"order_no,omitempty"`
	Category       Category      `json:"category,omitempty"`
	Matter         string        `json:"matter,omitempty"`
	ApplicantName  string        `json:"applicant_name,omitempty"`
	ApplicantKind  ApplicantKind `json:"applicant_kind,omitempty"`
	Company        string        `json:"company,omitempty"`
	MaskedMobile   string        `json:"masked_mobile,omitempty"`
	OwnerID        string        `json:"owner_id,omitempty"`
	OwnerName      string        `json:"owner_name,omitempty"`
	Department     string        `json:"department,omitempty"`      // department code
	DepartmentName string        `json:"department_name,omitempty"` // as people read it
	DueAt          *time.Time    `json:"due_at,omitempty"`
	CapAt          *time.Time    `json:"cap_at,omitempty"`
	ArriveBy       *time.Time    `json:"arrive_by,omitempty"`
	Round          int           `json:"round,omitempty"`
	Joint          bool          `json:"joint,omitempty"`
	Reopened       bool          `json:"reopened,omitempty"`
	ActorName      string        `json:"actor_name,omitempty"`
	Outcome        Outcome       `json:"outcome,omitempty"`
	Result         string        `json:"result,omitempty"`
	Reason         string        `json:"reason,omitempty"`
	Note           string        `json:"note,omitempty"`
	// Mentions are staff ids to @ in a group message.
	Mentions []string `json:"mentions,omitempty"`
	// Departments lists the department names involved (escalations).
	Departments []string `json:"departments,omitempty"`
	// Text and Menu carry a dialog message: the head text and the items a
	// citizen can click (a typed number works as well).
	Text string `json:"text,omitempty"`
	// Link is a page for the reader (a rating link).
	Link string     `json:"link,omitempty"`
	Menu []MenuItem `json:"menu,omitempty"`
	Tail string     `json:"tail,omitempty"`
	// AppealBy is the last moment a department may appeal the 差评 its
	// 差评整改 notice is about (rating.appeal_days).
	AppealBy *time.Time `json:"appeal_by,omitempty"`
	// LateDays is how many working days past its time a deadline is
	// when its notice goes (a timer that fired late says so).
	LateDays int `json:"late_days,omitempty"`
	// Wait names a wait outside work orders (triage, reopen, instruction);
	// Since is when it began and WaitedDays the working days since.
	Wait       string     `json:"wait,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	WaitedDays int        `json:"waited_days,omitempty"`
	// Delay says why an applicant hears of a delay (overdue, escalated, cap).
	Delay string `json:"delay,omitempty"`
	// ByOwner: the complaint window's owner, not the department, escalated
	// the order (第七条, 第十一条); ActorName is who.
	ByOwner bool `json:"by_owner,omitempty"`
	// ReplyDays and MaxDays are 第十二条's deadlines as the centre
	// configured them (workday.reply_days, workday.max_days) when the
	// notice was written; read them with ReplyWorkdays and MaxWorkdays.
	ReplyDays int `json:"reply_days,omitempty"`
	MaxDays   int `json:"max_days,omitempty"`
	// Record is the 好差评 record a NoticeRatingRecord pushes, as it stood
	// when the change that made it committed.
	Record *RatingRecord `json:"record,omitempty"`
}

// 第十二条: a work order is answered within 3 working days of receipt, and
// an extension never passes 10. The configuration may only shorten them.
const (
	DefaultReplyDays = 3
	DefaultMaxDays   = 10
)

// ReplyWorkdays is the working days a department has to answer an order:
// the configured days, or 第十二条's 3 for a notice written before the
// payload carried them.
func (d NoticeData) ReplyWorkdays() int { return cmp.Or(d.ReplyDays, DefaultReplyDays) }

// MaxWorkdays is the longest an order may take, extensions included: the
// configured days, or 第十二条's 10.
func (d NoticeData) MaxWorkdays() int { return cmp.Or(d.MaxDays, DefaultMaxDays) }

// MenuItem is one clickable line of a menu message. WeChat returns the id
// as a number (bizmsgmenuid), so ids are numeric. An item of a rating
// menu has no id of its own but the rating it gives (Rates); the platform
// numbers it (bot/wechat.RatingMenuID).
type MenuItem struct {
	ID    int64         `json:"id,omitempty"`
	Label string        `json:"label"`
	Rates *RatingChoice `json:"rates,omitempty"`
}

// RatingChoice is one level for one round of a case: what an item of a
// rating menu rates. CaseID 0 names no case nor round: a click on a menu
// of before, which carried the level alone.
type RatingChoice struct {
	CaseID uint64      `json:"case_id,omitempty"`
	Round  int         `json:"round,omitempty"`
	Level  RatingLevel `json:"level"`
}

// EncodeNoticeData renders a payload for the outbox.
func EncodeNoticeData(d NoticeData) string {
	b, err := json.Marshal(d)
	if err != nil {
		// NoticeData has only plain fields; failing here is a programming error.
		panic(fmt.Sprintf("models: encode notice data: %v", err))
	}
	return string(b)
}

// Data decodes the payload.
func (n *Notice) Data() (NoticeData, error) {
	var d NoticeData
	if err := json.Unmarshal([]byte(n.Payload), &d); err != nil {
		return d, fmt.Errorf("models: decode notice %d payload: %w", n.ID, err)
	}
	return d, nil
}

// Why an applicant hears of a delay (NoticeData.Delay).
const (
	DelayOverdue   = "overdue"   // the order passed its deadline
	DelayEscalated = "escalated" // the department took it to a leader
	DelayCap       = "cap"       // the 10-working-day limit passed
)

// DelayText tells the applicant, in plain words, that their matter is
// late and why, and by when they will have an answer at the latest
// (casework sets CapAt only while that date is still ahead). The service
// account and the owner's ready-to-send SMS say the same.
func (d NoticeData) DelayText() string {
	s := fmt.Sprintf("您好！您反映的事项 %s，", d.CaseNo)
	switch d.Delay {
	case DelayEscalated:
		s += d.DepartmentName + "无权单独办理，已报请领导协调解决"
	case DelayCap:
		s += d.DepartmentName + "已超过最长办理时限仍未办结，我们已报告主要负责领导督办"
	default:
		s += d.DepartmentName + "未能在承诺时限内答复，我们已督促其加快办理"
	}
	if d.CapAt != nil {
		s += "，最迟将于 " + FormatTime(*d.CapAt) + " 前答复您"
	} else {
		s += "，我们将尽快答复您"
	}
	return s + "。给您带来不便，敬请谅解。"
}

// Package models holds bbcs's GORM models, its enums and the pure rules of
// which state change is legal. It knows nothing of HTTP, Redis or platforms.
package models

import (
	"strconv"
	"strings"
)

// CaseStatus is where a case stands (black-box contract codes).
type CaseStatus string

const (
	CaseRegistered CaseStatus = "registered" // accepted, owner assigned, nothing sent out yet
	CaseDispatched CaseStatus = "dispatched" // work orders are with departments
	CaseAnswered   CaseStatus = "answered"   // the applicant has the result, rating awaited
	CaseReopened   CaseStatus = "reopened"   // 退回重办 after a bad rating
	CaseClosed     CaseStatus = "closed"
)

// Label is the status in words a citizen understands.
func (s CaseStatus) Label() string {
	switch s {
	case CaseRegistered:
		return "已受理"
	case CaseDispatched:
		return "部门办理中"
	case CaseAnswered:
		return "已答复，待评价"
	case CaseReopened:
		return "退回重办中"
	case CaseClosed:
		return "已办结"
	}
	return string(s)
}

// Open reports whether the case still needs work or a rating.
func (s CaseStatus) Open() bool { return s != CaseClosed }

// OrderStatus is where a work order stands (black-box contract codes).
type OrderStatus string

const (
	OrderPending  OrderStatus = "pending"  // sent to the window group, nobody signed yet
	OrderAccepted OrderStatus = "accepted" // signed for (签收)
	OrderExtended OrderStatus = "extended" // extension granted (延期)
	OrderReplied  OrderStatus = "replied"  // result given
)

// Label is the order status in Chinese.
func (s OrderStatus) Label() string {
	switch s {
	case OrderPending:
		return "待签收"
	case OrderAccepted:
		return "已签收"
	case OrderExtended:
		return "已延期"
	case OrderReplied:
		return "已答复"
	}
	return string(s)
}

// Category is the scope category of 第八条, plus "other" for 第十条's triage.
type Category string

const (
	CategoryNotAccepted  Category = "not_accepted_in_time"  // ① 超时未受理
	CategoryNotCompleted Category = "not_completed_in_time" // ② 超时未办结
	CategoryRepeated     Category = "repeated_visits"       // ③ 多次未办成
	CategoryAttitude     Category = "poor_attitude"         // ④ 服务态度差
	CategorySlow         Category = "slow_action"           // ⑤ 慢作为
	CategoryInaction     Category = "inaction"              // ⑥ 不作为
	CategoryOther        Category = "other"
)

// Categories lists the categories in the order citizens see them.
var Categories = []Category{
	CategoryNotAccepted, CategoryNotCompleted, CategoryRepeated,
	CategoryAttitude, CategorySlow, CategoryInaction, CategoryOther,
}

var categoryLabels = map[Category]string{
	CategoryNotAccepted:  "提交材料后超时未受理",
	CategoryNotCompleted: "受理后超时未办结",
	CategoryRepeated:     "多次到中心未办成",
	CategoryAttitude:     "服务态度差",
	CategorySlow:         "慢作为",
	CategoryInaction:     "不作为",
	CategoryOther:        "其他",
}

// Label is the category as the registration form writes it.
func (c Category) Label() string {
	if l, ok := categoryLabels[c]; ok {
		return l
	}
	return string(c)
}

// Valid reports whether c is one of the known codes.
func (c Category) Valid() bool { _, ok := categoryLabels[c]; return ok }

// ParseCategory accepts a code, its menu number (1–7) or its Chinese label.
func ParseCategory(s string) (Category, bool) {
	s = strings.TrimSpace(s)
	if c := Category(s); c.Valid() {
		return c, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(Categories) {
		return Categories[n-1], true
	}
	for c, l := range categoryLabels {
		if s == l {
			return c, true
		}
	}
	return "", false
}

// RatingLevel is one of the five levels of 好差评 (第十三条).
type RatingLevel string

const (
	RatingVerySatisfied  RatingLevel = "very_satisfied"
	RatingSatisfied      RatingLevel = "satisfied"
	RatingBasically      RatingLevel = "basically_satisfied"
	RatingDissatisfied   RatingLevel = "dissatisfied"
	RatingVeryDissatisfy RatingLevel = "very_dissatisfied"
)

// RatingLevels lists the levels from best to worst, as the menu shows them.
var RatingLevels = []RatingLevel{
	RatingVerySatisfied, RatingSatisfied, RatingBasically, RatingDissatisfied, RatingVeryDissatisfy,
}

var ratingLabels = map[RatingLevel]string{
	RatingVerySatisfied:  "非常满意",
	RatingSatisfied:      "满意",
	RatingBasically:      "基本满意",
	RatingDissatisfied:   "不满意",
	RatingVeryDissatisfy: "非常不满意",
}

// Label is the level in Chinese.
func (r RatingLevel) Label() string {
	if l, ok := ratingLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is one of the five levels.
func (r RatingLevel) Valid() bool { _, ok := ratingLabels[r]; return ok }

// Score is the level's score in the 好差评 record: 10, 8, 6, 3 and 0
// from 非常满意 down; -1 for no level.
func (r RatingLevel) Score() int {
	switch r {
	case RatingVerySatisfied:
		return 10
	case RatingSatisfied:
		return 8
	case RatingBasically:
		return 6
	case RatingDissatisfied:
		return 3
	case RatingVeryDissatisfy:
		return 0
	}
	return -1
}

// Bad reports a 差评: 第十三条 sends these back for re-handling.
func (r RatingLevel) Bad() bool { return r == RatingDissatisfied || r == RatingVeryDissatisfy }

// Channel is how a case reached the centre.
type Channel string

const (
	ChannelWalkIn         Channel = "walk_in"
	ChannelPhone          Channel = "phone"
	ChannelServiceAccount Channel = "service_account"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == ChannelWalkIn || c == ChannelPhone || c == ChannelServiceAccount
}

// Label is the channel in Chinese.
func (c Channel) Label() string {
	switch c {
	case ChannelWalkIn:
		return "现场"
	case ChannelPhone:
		return "电话"
	case ChannelServiceAccount:
		return "服务号"
	}
	return string(c)
}

// ApplicantKind tells a citizen (群众) from a company (企业).
type ApplicantKind string

const (
	ApplicantPerson  ApplicantKind = "person"
	ApplicantCompany ApplicantKind = "company"
)

// Valid reports whether k is a known kind.
func (k ApplicantKind) Valid() bool { return k == ApplicantPerson || k == ApplicantCompany }

// Label is the kind as the registration form writes it.
func (k ApplicantKind) Label() string {
	if k == ApplicantCompany {
		return "企业"
	}
	return "群众"
}

// Role is what a staff member may do (R10).
type Role string

const (
	RoleSpecialist      Role = "specialist"       // 接诉即办专员, first-contact owner
	RoleWindowStaff     Role = "window_staff"     // 进驻部门窗口工作人员
	RoleWindowHead      Role = "window_head"      // 首席审批员, the unit's first responsible person
	RoleLeader          Role = "leader"           // 分管领导
	RolePrincipalLeader Role = "principal_leader" // 主要负责领导
	RoleSupervisor      Role = "supervisor"       // 监督考核科
	RoleAdmin           Role = "admin"
)

// Roles lists every role, in the order forms offer them.
var Roles = []Role{RoleSpecialist, RoleWindowStaff, RoleWindowHead, RoleLeader, RolePrincipalLeader, RoleSupervisor, RoleAdmin}

// Label is the role in Chinese.
func (r Role) Label() string {
	switch r {
	case RoleSpecialist:
		return "接诉即办专员"
	case RoleWindowStaff:
		return "窗口工作人员"
	case RoleWindowHead:
		return "首席审批员"
	case RoleLeader:
		return "分管领导"
	case RolePrincipalLeader:
		return "主要负责领导"
	case RoleSupervisor:
		return "监督考核科"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// Outcome is how a case was answered: by departments or by one of the
// answers of 第六条 and 第十条.
type Outcome string

const (
	OutcomeOnTheSpot    Outcome = "on_the_spot"        // 当场协调解决 (第十条)
	OutcomeWorkOrders   Outcome = "work_orders"        // 部门工单答复 (第十二条)
	OutcomeOutOfScope   Outcome = "out_of_scope"       // 不属于受理范围，告知方法路径 (第六条)
	OutcomeNotQualified Outcome = "conditions_not_met" // 不符合条件，列明补充内容 (第六条)
	OutcomeInstruction  Outcome = "instruction"        // 模糊地带，请示后答复 (第六条)
)

// Label is the outcome in Chinese.
func (o Outcome) Label() string {
	switch o {
	case OutcomeOnTheSpot:
		return "当场解决"
	case OutcomeWorkOrders:
		return "部门答复"
	case OutcomeOutOfScope:
		return "不属于受理范围（已告知办理方法、路径）"
	case OutcomeNotQualified:
		return "不符合申请条件（已列明需补充内容）"
	case OutcomeInstruction:
		return "请示后答复"
	}
	return string(o)
}

// eventLabels name the steps of a case's timeline as the console and the
// ledger show them.
var eventLabels = map[string]string{
	"registered": "受理登记", "owner_assigned": "确定首接负责人", "triaged": "研判", "reclassified": "调整类别",
	"handed_over": "工作交接", "summoned": "通知窗口到场", "arrived": "窗口人员到场", "summon_overdue": "到场超时",
	"dispatched": "派发工单", "signed": "签收", "replied": "部门答复", "extended": "延期", "reminded": "到期提醒",
	"overdue": "超期", "cap_reached": "达到最长办理时限", "escalated": "上报", "answered": "答复反映人",
	"instruction_requested": "请示领导", "instruction_answered": "领导批示", "instructed": "领导批示（工单办理中）", "rated": "评价",
	"rating_reminded": "提醒评价", "commented": "补充意见", "reopened": "退回重办", "follow_up_planned": "安排回访",
	"follow_up_due": "回访到期", "followed_up": "回访", "follow_up_overdue": "回访逾期", "follow_up_superseded": "回访并入新一轮", "awaiting_follow_up": "待回访办结", "not_rated": "未评价", "fault_marked": "认定过错", "unit_failure_marked": "认定单位责任", "closed": "办结",
	"deadline_moved": "办理时限调整",
	"appeal_filed":   "提出申诉", "appeal_decided": "申诉裁定",
	"rectify_opened": "差评整改", "rectify_reminded": "整改到期提醒", "rectify_overdue": "整改逾期", "rectified": "整改报告",
}

// EventLabel is a timeline step in Chinese; an unknown one shows as is.
func EventLabel(action string) string {
	if l, ok := eventLabels[action]; ok {
		return l
	}
	return action
}

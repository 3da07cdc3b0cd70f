package models

import "time"

// RatingRecord is one rating as the 好差评 record keeps it (国办发〔2019〕51号;
// GB/T 39734/39735-2020): one per rating and unit rated (a joint round
// gives one per department; a round answered without orders, one for the
// centre, DepartmentCode ""). It is what the monthly export lists and
// what is pushed to the provincial platform; the JSON names are the
// defaults that province.fields renames.
type RatingRecord struct {
	RecordID       string    `json:"record_id"` // stable across updates: <case no>-<round>-<department code or "centre">
	CaseNo         string    `json:"case_no"`
	Round          int       `json:"round"`
	Category       string    `json:"category"`      // the case's category code
	CategoryName   string    `json:"category_name"` // …in Chinese
	Matter         string    `json:"matter"`        // the matter, shortened, mobiles masked
	DepartmentCode string    `json:"department_code"`
	DepartmentName string    `json:"department_name"`
	ApplicantName  string    `json:"applicant_name"`   // masked: 李** / the company's name
	ApplicantKind  string    `json:"applicant_kind"`   // person or company
	ApplicantPhone string    `json:"applicant_mobile"` // masked: 138****5678
	Channel        string    `json:"channel"`          // where the rating was given: 公众号, 窗口, 电话, 评价页面, 未评价
	Level          string    `json:"level"`            // very_satisfied … very_dissatisfied, or not_rated
	LevelName      string    `json:"level_name"`
	Score          *int      `json:"score"` // 10/8/6/3/0; null when not rated
	Comment        string    `json:"comment"`
	RatedAt        time.Time `json:"rated_at"`
	// The 差评's rectification (差评整改), where there is one.
	RectifyDueAt    *time.Time `json:"rectify_due_at,omitempty"`
	RectifyVerdict  string     `json:"rectify_verdict,omitempty"` // founded / unfounded
	RectifyMeasures string     `json:"rectify_measures,omitempty"`
	RectifiedAt     *time.Time `json:"rectified_at,omitempty"`
	RectifiedOnTime *bool      `json:"rectified_on_time,omitempty"`
	// The unit's appeal (申诉) against the 差评, where there is one.
	AppealStatus   string `json:"appeal_status,omitempty"` // pending, upheld, rejected
	AppealGround   string `json:"appeal_ground,omitempty"`
	AppealDecision string `json:"appeal_decision,omitempty"`
	// Excluded: an upheld appeal took the rating out of the unit's figures;
	// the record stays, marked.
	Excluded bool `json:"excluded"`
}

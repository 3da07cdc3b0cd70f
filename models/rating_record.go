package models

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	// Defaulted marks a round closed 未评价 that the centre's local rule
	// counts as 满意 (rating.unrated_as_satisfied): level satisfied, score
	// 8, and this flag, so the figures can say the level was not given.
	Defaulted bool `json:"defaulted"`
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

// LevelNotRated is the record's level of a round closed 未评价.
const LevelNotRated = "not_rated"

// recordMatterRunes is how much of the matter a record carries: enough to
// recognise it, not the applicant's whole story.
const recordMatterRunes = 60

// RatingRecordsOf builds the 好差评 records of one rated round of c: one
// per unit rated — units, the departments of the round's work orders in
// dispatch order — or, when the round had no orders, one for the centre
// (DepartmentCode "", DepartmentName centre).
//
// r is the round's rating; nil for c's present round closed as 未评价
// (level not_rated, score null), which with unratedAsSatisfied, a local
// rule, counts as 满意: level satisfied, score 8, Defaulted. A round
// without a rating has no moment of its own: RatedAt is when the case
// closed (c.ClosedAt); a round marked 未评价 while a follow-up visit is
// still owed has not closed, and the caller sets RatedAt to when it was
// marked (the timer's now; the export reads it off the timeline).
//
// rects and appeals may hold those of other ratings and units: each
// record takes its unit's rectification of r and its unit's latest appeal
// on r. Times are in Asia/Shanghai, as the API writes them.
func RatingRecordsOf(c *Case, r *Rating, units []Department, rects []Rectification, appeals []Appeal, centre string, unratedAsSatisfied bool) []RatingRecord {
	base := RatingRecord{
		CaseNo:         c.No,
		Round:          c.Round,
		Category:       string(c.Category),
		CategoryName:   c.Category.Label(),
		Matter:         Shorten(MaskMobilesIn(c.Matter), recordMatterRunes), // masked first: a cut must not leave a mobile's digits unmasked
		ApplicantName:  recordApplicant(c),
		ApplicantKind:  string(cmp.Or(c.ApplicantKind, ApplicantPerson)),
		ApplicantPhone: MaskMobile(c.ApplicantMobile),
	}
	if r != nil {
		score := r.Level.Score()
		base.Round = r.Round
		base.Channel = RatingChannel(r.Via)
		base.Level, base.LevelName, base.Score = string(r.Level), r.Level.Label(), &score
		base.Comment = MaskMobilesIn(r.Comment)
		base.RatedAt = r.At.In(Shanghai)
	} else {
		base.Channel = "未评价"
		base.Level, base.LevelName = LevelNotRated, "未评价"
		if c.ClosedAt != nil {
			base.RatedAt = c.ClosedAt.In(Shanghai)
		}
		if unratedAsSatisfied {
			score := RatingSatisfied.Score()
			base.Level, base.LevelName, base.Score, base.Defaulted = string(RatingSatisfied), RatingSatisfied.Label(), &score, true
		}
	}
	if len(units) == 0 {
		units = []Department{{Code: "", Name: centre}}
	}
	out := make([]RatingRecord, 0, len(units))
	seen := map[string]bool{}
	for _, u := range units {
		if seen[u.Code] {
			continue
		}
		seen[u.Code] = true
		rec := base
		rec.DepartmentCode, rec.DepartmentName = u.Code, cmp.Or(u.Name, u.Code)
		rec.RecordID = RatingRecordID(c.No, rec.Round, u.Code)
		if r != nil {
			rec.rectification(r.ID, u.Code, rects)
			rec.appeal(r.ID, u.Code, appeals)
			if rec.Excluded {
				// The upheld appeal took the 差评 out of the unit's figures,
				// and its rectification with it (closed excused, if still
				// open): neither on time nor late, as the figures count it.
				rec.RectifiedOnTime = nil
			}
		}
		out = append(out, rec)
	}
	return out
}

// RatingRecordID is the record's stable id: the same round and unit keep
// it however often the record is rebuilt or pushed again.
func RatingRecordID(caseNo string, round int, department string) string {
	return caseNo + "-" + strconv.Itoa(round) + "-" + cmp.Or(department, "centre")
}

// RatingChannel is where a rating was given (Rating.Via) as the 好差评
// record names its channels.
func RatingChannel(via string) string {
	switch via {
	case "service_account":
		return "公众号"
	case "in_person":
		return "窗口"
	case "phone":
		return "电话"
	case "link":
		return "评价页面"
	case "not_rated", "":
		return "未评价"
	}
	return via
}

// recordApplicant is the applicant as the record may show them: a
// company by its name (a company's name is public), a person by surname.
func recordApplicant(c *Case) string {
	if c.ApplicantKind == ApplicantCompany && c.Company != "" {
		return c.Company
	}
	return MaskPersonName(c.ApplicantName)
}

// rectification fills the record from its unit's 差评整改 of the rating.
func (rec *RatingRecord) rectification(ratingID uint64, unit string, rects []Rectification) {
	for i := range rects {
		x := &rects[i]
		if x.RatingID != ratingID || x.DepartmentCode != unit {
			continue
		}
		due := x.DueAt.In(Shanghai)
		rec.RectifyDueAt = &due
		rec.RectifyVerdict = string(x.Verdict)
		rec.RectifyMeasures = MaskMobilesIn(x.Measures)
		if x.ReportedAt != nil {
			at, onTime := x.ReportedAt.In(Shanghai), x.OnTime()
			rec.RectifiedAt, rec.RectifiedOnTime = &at, &onTime
		}
		return
	}
}

// appeal fills the record from its unit's latest 申诉 on the rating, and
// marks it excluded when an upheld appeal takes the rating out of the
// unit's figures (RatingCounts, the one rule): it stays on record.
func (rec *RatingRecord) appeal(ratingID uint64, unit string, appeals []Appeal) {
	var latest *Appeal
	for i := range appeals {
		a := &appeals[i]
		if a.RatingID != ratingID || ratingID == 0 || a.DepartmentCode != unit {
			continue
		}
		if latest == nil || a.FiledAt.After(latest.FiledAt) || a.FiledAt.Equal(latest.FiledAt) && a.ID > latest.ID {
			latest = a
		}
	}
	rec.Excluded = ratingID != 0 && !RatingCounts(ratingID, unit, appeals)
	if latest != nil {
		rec.AppealStatus, rec.AppealGround, rec.AppealDecision = string(latest.Status), string(latest.Ground), latest.Decision
	}
}

// RatingRecordFields lists the record's JSON names, in the record's order:
// the names a provincial platform's field mapping (province.fields) may
// rename.
func RatingRecordFields() []string {
	t := reflect.TypeFor[RatingRecord]()
	var out []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// FieldProblem is what is wrong with one key of a field mapping.
type FieldProblem struct{ Key, Problem string }

// CheckRecordRenames checks a mapping of record fields to a platform's
// names — every key a record field, every name non-empty, no two fields
// sent under one name (a renamed field may not take the name of one left
// as it is) — and returns the problems by key. Names are read trimmed.
func CheckRecordRenames(rename map[string]string) []FieldProblem {
	known := RatingRecordFields()
	keys := slices.Sorted(maps.Keys(rename))
	sent := map[string]string{}
	for _, k := range known {
		if _, renamed := rename[k]; !renamed {
			sent[k] = k
		}
	}
	var out []FieldProblem
	for _, k := range keys {
		to := strings.TrimSpace(rename[k])
		switch {
		case !slices.Contains(known, k):
			out = append(out, FieldProblem{k, "not a field of the 好差评 record; the fields are " + strings.Join(known, ", ")})
		case to == "":
			out = append(out, FieldProblem{k, "the platform's name is empty"})
		case sent[to] != "":
			out = append(out, FieldProblem{k, strconv.Quote(to) + " is already the name of " + sent[to]})
		default:
			sent[to] = k
		}
	}
	return out
}

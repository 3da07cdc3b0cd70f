package models

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// recordCase is a case as a specialist registers it: a person whose
// matter quotes the mobile to call back.
func recordCase() *Case {
	closed := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	return &Case{
		ID: 7, No: "BB20260310-001", Round: 1, Category: CategoryNotCompleted,
		Matter:        "不动产登记过户超期一个月还没办好，窗口说资料在审核，请回电13800138000告知进度。我已经来过三次，每次都说还要等，影响了我办理贷款，请尽快处理，谢谢",
		ApplicantName: "李小明", ApplicantKind: ApplicantPerson, ApplicantMobile: "13912345678",
		ClosedAt: &closed,
	}
}

func rating(level RatingLevel, via string) *Rating {
	return &Rating{ID: 11, CaseID: 7, Round: 1, Level: level, Comment: "有事请打 139 1234 5678", Via: via,
		At: time.Date(2026, 3, 18, 2, 30, 0, 0, time.UTC)}
}

var landRegistry = Department{Code: "bdc", Name: "不动产登记中心"}
var taxBureau = Department{Code: "tax", Name: "税务局"}

// The five levels of 好差评 score 10, 8, 6, 3 and 0, whatever the channel.
func TestRatingRecordScoreTable(t *testing.T) {
	want := map[RatingLevel]int{RatingVerySatisfied: 10, RatingSatisfied: 8, RatingBasically: 6, RatingDissatisfied: 3, RatingVeryDissatisfy: 0}
	for level, score := range want {
		recs := RatingRecordsOf(recordCase(), rating(level, "service_account"), []Department{landRegistry}, nil, nil, "县政务服务中心", false)
		if len(recs) != 1 {
			t.Fatalf("%s: %d records, want 1", level, len(recs))
		}
		r := recs[0]
		if r.Score == nil || *r.Score != score {
			t.Errorf("%s scores %v, want %d", level, r.Score, score)
		}
		if r.Level != string(level) || r.LevelName != level.Label() || r.Defaulted {
			t.Errorf("%s recorded as %q %q defaulted=%v", level, r.Level, r.LevelName, r.Defaulted)
		}
	}
}

// What the record shows of the applicant and the matter: the rules allow
// the surname, a masked mobile, a company's name; a mobile typed into the
// matter or the comment is masked too, and the matter is cut to a line.
func TestRatingRecordMasksTheApplicant(t *testing.T) {
	c := recordCase()
	r := RatingRecordsOf(c, rating(RatingSatisfied, "phone"), []Department{landRegistry}, nil, nil, "县政务服务中心", false)[0]
	if r.ApplicantName != "李**" || r.ApplicantKind != "person" {
		t.Errorf("applicant = %q (%s), want 李** (person)", r.ApplicantName, r.ApplicantKind)
	}
	if r.ApplicantPhone != "139****5678" {
		t.Errorf("mobile = %q, want 139****5678", r.ApplicantPhone)
	}
	if strings.Contains(r.Matter, "13800138000") || !strings.Contains(r.Matter, "138****8000") {
		t.Errorf("matter's mobile not masked: %q", r.Matter)
	}
	if !strings.HasPrefix(r.Matter, "不动产登记过户超期一个月") || !strings.HasSuffix(r.Matter, "……") || len([]rune(r.Matter)) > recordMatterRunes+2 {
		t.Errorf("matter not cut to a line: %q", r.Matter)
	}
	if r.Comment != "有事请打 139****5678" {
		t.Errorf("comment = %q, want its mobile masked", r.Comment)
	}
	// A mobile where the matter is cut leaves none of its hidden digits.
	cut := *c
	cut.Matter = strings.Repeat("办", recordMatterRunes-6) + "请回电13800138000"
	if m := RatingRecordsOf(&cut, nil, nil, nil, nil, "中心", false)[0].Matter; strings.Contains(m, "0013") {
		t.Errorf("a mobile cut by the shortening shows its middle: %q", m)
	}
	raw, _ := json.Marshal(r)
	for _, full := range []string{"13912345678", "13800138000", "李小明", "1234 5678"} {
		if strings.Contains(string(raw), full) {
			t.Errorf("the record's JSON holds %q: %s", full, raw)
		}
	}

	for name, want := range map[string]string{"李四": "李*", "欧阳小明": "欧***", "王": "王*", "": ""} {
		c.ApplicantName = name
		if got := RatingRecordsOf(c, rating(RatingSatisfied, "phone"), nil, nil, nil, "中心", false)[0].ApplicantName; got != want {
			t.Errorf("person %q shows as %q, want %q", name, got, want)
		}
	}

	c.ApplicantKind, c.ApplicantName, c.Company = ApplicantCompany, "王五", "县宏达建材有限公司"
	r = RatingRecordsOf(c, rating(RatingSatisfied, "phone"), nil, nil, nil, "中心", false)[0]
	if r.ApplicantName != "县宏达建材有限公司" || r.ApplicantKind != "company" {
		t.Errorf("company shows as %q (%s), want its name", r.ApplicantName, r.ApplicantKind)
	}
}

// The channel is where the rating was given, in the record's words.
func TestRatingRecordChannel(t *testing.T) {
	for via, want := range map[string]string{"service_account": "公众号", "in_person": "窗口", "phone": "电话", "link": "评价页面"} {
		if got := RatingRecordsOf(recordCase(), rating(RatingSatisfied, via), nil, nil, nil, "中心", false)[0].Channel; got != want {
			t.Errorf("rated via %s: channel %q, want %q", via, got, want)
		}
	}
}

// 未评价 is its own outcome: no level, no score; a centre whose local rule
// counts it as 满意 gets 8 points, flagged as defaulted, never a silent 满意.
func TestRatingRecordNotRated(t *testing.T) {
	c := recordCase()
	c.Round = 2
	r := RatingRecordsOf(c, nil, []Department{landRegistry}, nil, nil, "中心", false)[0]
	if r.Level != "not_rated" || r.LevelName != "未评价" || r.Score != nil || r.Defaulted || r.Channel != "未评价" {
		t.Errorf("not rated: level %q %q score %v defaulted %v channel %q", r.Level, r.LevelName, r.Score, r.Defaulted, r.Channel)
	}
	if r.Round != 2 || r.RecordID != "BB20260310-001-2-bdc" {
		t.Errorf("not rated: round %d id %q, want the present round 2", r.Round, r.RecordID)
	}
	if !r.RatedAt.Equal(*c.ClosedAt) || r.RatedAt.Location() != Shanghai {
		t.Errorf("not rated at %v, want the close %v in Shanghai", r.RatedAt, c.ClosedAt)
	}
	raw, _ := json.Marshal(r)
	if !strings.Contains(string(raw), `"score":null`) {
		t.Errorf("not rated: score not null in %s", raw)
	}

	d := RatingRecordsOf(c, nil, []Department{landRegistry}, nil, nil, "中心", true)[0]
	if d.Level != "satisfied" || d.LevelName != "满意" || d.Score == nil || *d.Score != 8 || !d.Defaulted || d.Channel != "未评价" {
		t.Errorf("counted as satisfied: level %q %q score %v defaulted %v channel %q", d.Level, d.LevelName, d.Score, d.Defaulted, d.Channel)
	}
	// The switch never touches a real rating.
	g := RatingRecordsOf(c, rating(RatingDissatisfied, "phone"), nil, nil, nil, "中心", true)[0]
	if g.Defaulted || g.Level != "dissatisfied" {
		t.Errorf("a real 不满意 with the switch on: %q defaulted %v", g.Level, g.Defaulted)
	}
}

// A joint round is rated once and recorded for each department; a round
// answered without orders is recorded for the centre.
func TestRatingRecordJointRoundAndCentre(t *testing.T) {
	recs := RatingRecordsOf(recordCase(), rating(RatingVeryDissatisfy, "in_person"), []Department{landRegistry, taxBureau}, nil, nil, "县政务服务中心", false)
	if len(recs) != 2 {
		t.Fatalf("joint round: %d records, want 2", len(recs))
	}
	for i, want := range []Department{landRegistry, taxBureau} {
		r := recs[i]
		if r.DepartmentCode != want.Code || r.DepartmentName != want.Name || r.RecordID != "BB20260310-001-1-"+want.Code {
			t.Errorf("record %d: %s %s %s", i, r.DepartmentCode, r.DepartmentName, r.RecordID)
		}
		if r.Level != "very_dissatisfied" || *r.Score != 0 || r.CaseNo != "BB20260310-001" || r.Round != 1 {
			t.Errorf("record %d: %s %v %s round %d", i, r.Level, r.Score, r.CaseNo, r.Round)
		}
		if r.Category != "not_completed_in_time" || r.CategoryName != "受理后超时未办结" {
			t.Errorf("record %d: category %s %s", i, r.Category, r.CategoryName)
		}
		if want := time.Date(2026, 3, 18, 10, 30, 0, 0, Shanghai); !r.RatedAt.Equal(want) || r.RatedAt.Location() != Shanghai {
			t.Errorf("record %d: rated at %v, want %v", i, r.RatedAt, want)
		}
	}
	centre := RatingRecordsOf(recordCase(), rating(RatingSatisfied, "in_person"), nil, nil, nil, "县政务服务中心", false)
	if len(centre) != 1 || centre[0].DepartmentCode != "" || centre[0].DepartmentName != "县政务服务中心" || centre[0].RecordID != "BB20260310-001-1-centre" {
		t.Errorf("no orders: %+v, want one record for the centre", centre)
	}
}

// Each department's record carries its own rectification and appeal of
// this 差评; an upheld appeal marks the record excluded, one rejected or a
// deduction waived does not.
func TestRatingRecordRectificationAndAppeal(t *testing.T) {
	due := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	early := due.Add(-48 * time.Hour)
	late := due.Add(24 * time.Hour)
	rects := []Rectification{
		{RatingID: 11, DepartmentCode: "bdc", DueAt: due, Verdict: VerdictFounded, Measures: "已约谈窗口人员，联系人 13700001111", ReportedAt: &early},
		{RatingID: 11, DepartmentCode: "tax", DueAt: due, Verdict: VerdictUnfounded, Measures: "材料不全", ReportedAt: &late},
		{RatingID: 99, DepartmentCode: "bdc", DueAt: due, Verdict: VerdictUnfounded}, // another rating's
	}
	appeals := []Appeal{
		{ID: 1, RatingID: 11, DepartmentCode: "tax", Ground: GroundUnrelated, Status: AppealRejected, FiledAt: early, Decision: "理由不充分"},
		{ID: 2, RatingID: 11, DepartmentCode: "tax", Ground: GroundMalicious, Status: AppealUpheld, FiledAt: due, Decision: "反映人事后承认误评"},
		{ID: 3, RatingID: 11, DepartmentCode: "bdc", DeductionID: 5, Ground: GroundDeduction, Status: AppealUpheld, FiledAt: due},
		{ID: 4, RatingID: 99, DepartmentCode: "bdc", Ground: GroundMalicious, Status: AppealUpheld, FiledAt: due},
	}
	recs := RatingRecordsOf(recordCase(), rating(RatingDissatisfied, "phone"), []Department{landRegistry, taxBureau, {Code: "gone"}}, rects, appeals, "中心", false)
	bdc, tax, gone := recs[0], recs[1], recs[2]

	if bdc.RectifyVerdict != "founded" || bdc.RectifyDueAt == nil || !bdc.RectifyDueAt.Equal(due) || bdc.RectifiedAt == nil || !bdc.RectifiedAt.Equal(early) ||
		bdc.RectifiedOnTime == nil || !*bdc.RectifiedOnTime || bdc.RectifyMeasures != "已约谈窗口人员，联系人 137****1111" {
		t.Errorf("bdc rectification: %+v", bdc)
	}
	// Reported late, then the 差评 was appealed away: the report stays on
	// record, but, as in the figures, it is neither on time nor late.
	if tax.RectifyVerdict != "unfounded" || tax.RectifiedAt == nil || !tax.RectifiedAt.Equal(late) || tax.RectifiedOnTime != nil {
		t.Errorf("tax reported late, its 差评 appealed away: verdict %q at %v on time %v", tax.RectifyVerdict, tax.RectifiedAt, tax.RectifiedOnTime)
	}
	if tax.AppealStatus != "upheld" || tax.AppealGround != "malicious" || tax.AppealDecision != "反映人事后承认误评" || !tax.Excluded {
		t.Errorf("tax's upheld appeal: %q %q %q excluded %v", tax.AppealStatus, tax.AppealGround, tax.AppealDecision, tax.Excluded)
	}
	if bdc.Excluded || bdc.AppealGround != "deduction" {
		t.Errorf("a waived deduction took bdc's rating out of its figures (excluded %v, ground %q)", bdc.Excluded, bdc.AppealGround)
	}
	if gone.DepartmentName != "gone" || gone.RectifyDueAt != nil || gone.AppealStatus != "" || gone.Excluded {
		t.Errorf("a unit with neither: %+v", gone)
	}
	raw, _ := json.Marshal(gone)
	if strings.Contains(string(raw), "rectify_") || strings.Contains(string(raw), "appeal_") {
		t.Errorf("empty rectification or appeal fields written: %s", raw)
	}

	// Open: the deadline shows, the outcome does not yet.
	open := []Rectification{{RatingID: 11, DepartmentCode: "bdc", DueAt: due}}
	r := RatingRecordsOf(recordCase(), rating(RatingDissatisfied, "phone"), []Department{landRegistry}, open, nil, "中心", false)[0]
	if r.RectifyDueAt == nil || r.RectifiedAt != nil || r.RectifiedOnTime != nil || r.RectifyVerdict != "" {
		t.Errorf("open rectification: %+v", r)
	}
}

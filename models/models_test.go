package models

import (
	"strings"
	"testing"
	"time"
)

func TestMaskMobile(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000": "138****8000",
		"19912345678": "199****5678",
		// A landline keeps its area code and last four digits, as a
		// mobile keeps its last four (issue 14: “尾号1234” at the window).
		"0739-5551234": "0739-***1234",
		"010-12345678": "010-****5678",
		"123":          "***",
	} {
		if got := MaskMobile(in); got != want {
			t.Errorf("MaskMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000": "13800138000", "+86 138 0013 8000": "13800138000", "86-138-0013-8000": "13800138000",
		"0086 13800138000": "13800138000", "１３８００１３８０００": "13800138000",
		"0739-1234567": "0739-1234567", "07391234567": "0739-1234567", "(0739)1234567": "0739-1234567",
		"+86 739 1234567": "0739-1234567", "010 1234 5678": "010-12345678", "021-87654321": "021-87654321",
		"12345": "", "23800138000": "", "0739-12": "", "00739-1234567": "", "0739-01234567": "", "abc": "", "": "",
		"138001380001": "", "12800138000": "",
	} {
		got, ok := NormalisePhone(in)
		if ok != (want != "") || got != want {
			t.Errorf("NormalisePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestValidMobile(t *testing.T) {
	for in, want := range map[string]bool{
		"13800138000": true, "19912345678": true, "16612345678": true,
		"1380013800": false, "138001380001": false, "12800138000": false, "23800138000": false,
		"1380013800a": false, "": false, "+8613800138": false,
	} {
		if got := ValidMobile(in); got != want {
			t.Errorf("ValidMobile(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseCategory(t *testing.T) {
	for in, want := range map[string]Category{
		"2": CategoryNotCompleted, "7": CategoryOther, "poor_attitude": CategoryAttitude,
		"受理后超时未办结": CategoryNotCompleted, " 1 ": CategoryNotAccepted,
	} {
		if got, ok := ParseCategory(in); !ok || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"0", "8", "态度", ""} {
		if got, ok := ParseCategory(in); ok {
			t.Errorf("ParseCategory(%q) = %q, want no match", in, got)
		}
	}
}

func TestRatingBad(t *testing.T) {
	for _, r := range RatingLevels {
		want := r == RatingDissatisfied || r == RatingVeryDissatisfy
		if r.Bad() != want {
			t.Errorf("%s.Bad() = %v", r, r.Bad())
		}
	}
}

func TestCaseTransitions(t *testing.T) {
	all := []CaseStatus{CaseRegistered, CaseDispatched, CaseAnswered, CaseReopened, CaseClosed}
	allowed := map[string]map[CaseStatus]bool{
		"dispatch": {CaseRegistered: true, CaseDispatched: true, CaseReopened: true},
		"answer":   {CaseRegistered: true, CaseReopened: true},
		"close":    {}, // 第十三条: a case closes on its rating, never by hand
		"open":     {CaseRegistered: true, CaseDispatched: true, CaseAnswered: true, CaseReopened: true},
	}
	checks := map[string]func(*Case) error{
		"dispatch": CheckDispatch, "answer": CheckDirectAnswer, "open": CheckOpen,
		"close": func(c *Case) error { return CheckClose(c, "7天", false) },
	}
	for name, check := range checks {
		for _, st := range all {
			err := check(&Case{No: "BB1", Status: st})
			if allowed[name][st] != (err == nil) {
				t.Errorf("%s from %s: err = %v", name, st, err)
			}
			if err != nil && ErrorCode(err) != ErrConflict {
				t.Errorf("%s from %s: code %s, want conflict", name, st, ErrorCode(err))
			}
		}
	}
}

func TestOrderTransitions(t *testing.T) {
	signed := time.Date(2026, 3, 11, 9, 30, 0, 0, Shanghai)
	for _, tc := range []struct {
		status                        OrderStatus
		sign, reply, escalate, extend bool
	}{
		{OrderPending, true, true, true, true},
		{OrderAccepted, false, true, true, true},
		{OrderExtended, false, true, true, true},
		{OrderReplied, false, false, false, false},
	} {
		o := &WorkOrder{No: "GD1", Status: tc.status, RepliedAt: &signed,
			DueAt: signed.Add(48 * time.Hour), CapAt: signed.Add(14 * 24 * time.Hour)}
		if tc.status != OrderPending {
			o.SignedAt = &signed
		}
		if (CheckSign(o) == nil) != tc.sign || (CheckReply(o) == nil) != tc.reply ||
			(CheckEscalate(o) == nil) != tc.escalate || (CheckExtend(o, signed, o.DueAt.Add(24*time.Hour), DefaultMaxDays) == nil) != tc.extend {
			t.Errorf("order %s: sign %v reply %v escalate %v extend %v", tc.status,
				CheckSign(o), CheckReply(o), CheckEscalate(o), CheckExtend(o, signed, o.DueAt.Add(24*time.Hour), DefaultMaxDays))
		}
	}
}

// 第十二条: an extension is later than the present due time and never past
// the cap; the refusal names the latest date allowed.
func TestCheckExtend(t *testing.T) {
	due := time.Date(2026, 3, 13, 18, 0, 0, 0, Shanghai)
	capAt := time.Date(2026, 3, 24, 18, 0, 0, 0, Shanghai)
	o := &WorkOrder{No: "GD20260310-001-1", Status: OrderAccepted, DueAt: due, CapAt: capAt}
	before := due.Add(-time.Hour)
	if err := CheckExtend(o, before, capAt, DefaultMaxDays); err != nil {
		t.Errorf("extending to the cap itself: %v", err)
	}
	err := CheckExtend(o, before, capAt.Add(24*time.Hour), DefaultMaxDays)
	if ErrorCode(err) != ErrLimit || ErrorMessage(err) != "延时办理最长不超过10个工作日：工单 GD20260310-001-1 最晚只能延至 2026年3月24日（周二）" {
		t.Errorf("past the cap: %v", err)
	}
	if err := CheckExtend(o, before, due, DefaultMaxDays); ErrorCode(err) != ErrInvalid {
		t.Errorf("extending to the present due time: %v", err)
	}
	if err := CheckExtend(o, due.Add(time.Minute), capAt, DefaultMaxDays); ErrorCode(err) != ErrConflict || !strings.Contains(ErrorMessage(err), "已超过办理时限") {
		t.Errorf("extending once overdue: %v", err)
	}
}

func TestFormatTime(t *testing.T) {
	at := time.Date(2026, 10, 10, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai
	if got := FormatTime(at); got != "2026年10月10日（周六）18:00" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := FormatTime(time.Time{}); got != "—" {
		t.Errorf("zero time = %q", got)
	}
}

// 第六条: an on-the-spot answer that reads as a refusal is refused; one
// that says the matter was done passes, whatever else it mentions.
func TestCheckOnTheSpot(t *testing.T) {
	for result, refused := range map[string]bool{
		"不符合条件，无法办理":    true,
		"该事项不属于本中心受理范围": true,
		"窗口拒绝办理":        true,
		"这个办不了":         true,
		"不予受理":          true,
		"经核实，不能办":       true,
		"已补办，不需要再跑":     false,
		"已当场办结过户":       false,
		"此前窗口以不符合条件为由拒绝受理，现已纠正并办结": false,
		"已协调税务窗口补开完税证明":            false,
		"当场协调解决": false,
		// A bare “no” in other words.
		"这个不行":     true,
		"办不到":      true,
		"没办法":      true,
		"不可以":      true,
		"请自行到市局咨询": true,
		// A “done” word elsewhere does not excuse the refusal.
		"已完成审核，不予办理": true,
		"已协调，仍无法办理":  true,
		"已受理，但无法办理":  true,
		// A refusal reported, then corrected or done, is a solution.
		"窗口曾说不予办理，现已办结":     false,
		"原窗口无法出具，已协调税务窗口补开": false,
		"不需要再跑，已补办":         false,
	} {
		err := CheckOnTheSpot(result)
		if (err != nil) != refused {
			t.Errorf("%q: err = %v, want refused %v", result, err, refused)
		}
		if err != nil && (ErrorCode(err) != ErrInvalid || !strings.Contains(ErrorMessage(err), "请示")) {
			t.Errorf("%q: %v", result, err)
		}
	}
}

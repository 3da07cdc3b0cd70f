package models

import "testing"

// The assessment's thresholds of 第十七条: three of the same problem lose
// 红旗窗口, three complaints lose 服务明星.
func TestAssessmentThresholds(t *testing.T) {
	for cases, want := range map[int]bool{0: false, 2: false, 3: true, 7: true} {
		if got := Recurring(cases); got != want {
			t.Errorf("Recurring(%d) = %v, want %v", cases, got, want)
		}
	}
	for complaints, want := range map[int]bool{0: true, 2: true, 3: false, 5: false} {
		if got := ServiceStarEligible(complaints); got != want {
			t.Errorf("ServiceStarEligible(%d) = %v, want %v", complaints, got, want)
		}
	}
	for _, k := range ComplaintKinds {
		if _, ok := FaultKinds[k]; !ok {
			t.Errorf("complaint kind %q is no staff fault", k)
		}
	}
}

// Source keys are stored: a deduction proposed again must find its row.
func TestDeductionKeys(t *testing.T) {
	for got, want := range map[string]string{
		DutyDeductionKey("2026-03-10"):               "duty:2026-03-10",
		SummonDeductionKey(42):                       "summon:42",
		FaultDeductionKey(7):                         "fault:7",
		UnitDeductionKey("20260310-0001", "housing"): "unit:20260310-0001:housing",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
}

// 红旗窗口 under review: one confirmed recurring problem loses it, one
// awaiting the supervision section's word holds it, waived ones do not count.
func TestRedFlagStanding(t *testing.T) {
	for _, tc := range []struct {
		name              string
		reviews           []DeductionStatus
		eligible, pending bool
	}{
		{"no recurring problem", nil, true, false},
		{"all waived", []DeductionStatus{DeductionWaived, DeductionWaived}, true, false},
		{"one awaiting review", []DeductionStatus{DeductionWaived, DeductionProposed}, false, true},
		{"one confirmed", []DeductionStatus{DeductionProposed, DeductionConfirmed}, false, false},
	} {
		eligible, pending := RedFlagStanding(tc.reviews)
		if eligible != tc.eligible || pending != tc.pending {
			t.Errorf("%s: eligible %v, pending %v; want %v, %v", tc.name, eligible, pending, tc.eligible, tc.pending)
		}
	}
}

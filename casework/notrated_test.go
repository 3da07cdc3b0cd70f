package casework_test

import (
	"strings"
	"testing"

	"bbcs/models"
)

// A case the applicant did not rate in time closes by itself (未评价): the
// applicant hears that it closed, and that it closed unrated.
func TestTheApplicantHearsAnUnratedCaseClosed(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	c := h.serviceAccountCase("realestate")
	h.clock.Set(at("2026-03-11 10:00"))
	_, err := h.svc.Reply(h.ctx, h.as("zhang"), h.orderOf(c.No, "realestate").No, "已完成过户登记")
	must(t, "reply", err)
	before := len(h.notices(c.No))
	h.clock.Set(at("2026-04-30 10:00"))
	h.fireDue("rate:")
	if st := h.get(c.No).Case.Status; st != models.CaseClosed {
		t.Fatalf("status %s, want closed", st)
	}
	var closed []string
	for _, s := range citizenTexts(t, h.since(c.No, before)) {
		if strings.Contains(s, "已办结") {
			closed = append(closed, s)
		}
	}
	if len(closed) != 1 || !strings.Contains(closed[0], c.No) || !strings.Contains(closed[0], "未评价") {
		t.Errorf("the applicant read %q, want one message: %s closed, unrated", closed, c.No)
	}
}

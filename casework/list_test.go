package casework_test

import (
	"testing"

	"bbcs/casework"
	"bbcs/models"
)

// TestListTotal: the total is how many cases match, whatever the page —
// full or not, the first or past the last (List counts only when the
// page cannot tell).
func TestListTotal(t *testing.T) {
	h := newHarness(t, "2026-03-10 09:30")
	var nos []string
	for range 5 {
		nos = append(nos, h.walkIn().No)
	}
	for _, f := range []casework.Filter{{}, {Status: models.CaseRegistered}, {Category: models.CategoryNotCompleted}} {
		for limit := 1; limit <= 7; limit++ {
			for offset := 0; offset <= 7; offset++ {
				f.Limit, f.Offset = limit, offset
				list, total, err := h.svc.List(h.ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				want := min(limit, max(len(nos)-offset, 0))
				if total != int64(len(nos)) || len(list) != want {
					t.Fatalf("%+v: %d cases, total %d; want %d, total %d", f, len(list), total, want, len(nos))
				}
				for i, c := range list { // newest first
					if c.No != nos[len(nos)-1-offset-i] {
						t.Fatalf("%+v: case %d is %s, want %s", f, i, c.No, nos[len(nos)-1-offset-i])
					}
				}
			}
		}
	}
	_, total, err := h.svc.List(h.ctx, casework.Filter{Status: models.CaseClosed, Limit: 3})
	if err != nil || total != 0 {
		t.Fatalf("no closed case: total %d, %v", total, err)
	}
}

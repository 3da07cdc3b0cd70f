package models

import "testing"

// An upheld appeal takes the 差评 out of the appealing department's figures;
// malicious also out of the centre's; nothing else excludes.
func TestAppealExcludes(t *testing.T) {
	up := func(g AppealGround) Appeal {
		return Appeal{RatingID: 7, DepartmentCode: "D", Ground: g, Status: AppealUpheld}
	}
	cases := []struct {
		name   string
		a      Appeal
		rating uint64
		dept   string
		want   bool
	}{
		{"unrelated upheld: out of D", up(GroundUnrelated), 7, "D", true},
		{"unrelated upheld: still the centre's", up(GroundUnrelated), 7, "", false},
		{"unrelated upheld: other departments keep it", up(GroundUnrelated), 7, "E", false},
		{"malicious upheld: out of D", up(GroundMalicious), 7, "D", true},
		{"malicious upheld: out of the centre", up(GroundMalicious), 7, "", true},
		{"malicious upheld: another department keeps it", up(GroundMalicious), 7, "E", false},
		{"another rating", up(GroundMalicious), 8, "D", false},
		{"pending", Appeal{RatingID: 7, DepartmentCode: "D", Ground: GroundMalicious, Status: AppealPending}, 7, "D", false},
		{"rejected", Appeal{RatingID: 7, DepartmentCode: "D", Ground: GroundMalicious, Status: AppealRejected}, 7, "", false},
		{"deduction appeal", Appeal{DeductionID: 3, DepartmentCode: "D", Ground: GroundDeduction, Status: AppealUpheld}, 0, "D", false},
	}
	for _, c := range cases {
		if got := c.a.Excludes(c.rating, c.dept); got != c.want {
			t.Errorf("%s: Excludes = %v, want %v", c.name, got, c.want)
		}
		if got := RatingCounts(c.rating, c.dept, []Appeal{c.a}); got == c.want {
			t.Errorf("%s: RatingCounts = %v, want %v", c.name, got, !c.want)
		}
	}
}

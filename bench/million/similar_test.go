package million

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"bbcs/reports"
)

func similarItems(t testing.TB, cases int) []reports.Item {
	g := testGenerator(t, 1_000_000)
	var items []reports.Item
	for i := range cases {
		s := g.gen(400_000 + i) // one stretch of days, as a month is
		seen := map[string]bool{}
		for _, o := range s.orders {
			if !seen[o.DepartmentCode] {
				seen[o.DepartmentCode] = true
				items = append(items, reports.Item{CaseNo: s.c.No, Department: o.DepartmentCode, Category: string(s.c.Category), Matter: s.c.Matter})
			}
		}
	}
	return items
}

// The prototype finds exactly the groups reports.GroupSimilar finds.
func TestGroupSimilarFastMatchesReports(t *testing.T) {
	items := similarItems(t, 1500)
	items = append(items,
		reports.Item{CaseNo: "X1", Department: "tax", Category: "other", Matter: ""},
		reports.Item{CaseNo: "X2", Department: "tax", Category: "other", Matter: "。"},
		reports.Item{CaseNo: "X3", Department: "tax", Category: "other", Matter: "ABC abc"},
		reports.Item{CaseNo: "X4", Department: "tax", Category: "other", Matter: "abcd"},
		reports.Item{CaseNo: "X5", Department: "x", Category: "y", Matter: "退税款一直没有到账"},
		reports.Item{CaseNo: "X6", Department: "x", Category: "y", Matter: "退税款一直没到账，请协调"},
	)
	want := reports.GroupSimilar(items)
	got := GroupSimilarFast(items)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GroupSimilarFast differs from reports.GroupSimilar on %d items:\ngot  %d groups\nwant %d groups", len(items), len(got), len(want))
	}
	if len(want) < 5 {
		t.Fatalf("only %d groups in %d items: the generated matters do not recur", len(want), len(items))
	}
	t.Logf("%d items, %d groups, the largest %d cases", len(items), len(want), len(want[0].Cases))
}

// Short random matters over a small alphabet make many small groups,
// singletons and items that join two groups at once.
func TestGroupSimilarFastMatchesReportsOnRandomMatters(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	alphabet := []rune("不动产过户税务窗口退回Ab1，。 ")
	groups, grouped := 0, 0
	for round := range 20 {
		var items []reports.Item
		for i := range 300 {
			n := 1 + r.IntN(8)
			m := make([]rune, n)
			for j := range m {
				m[j] = alphabet[r.IntN(len(alphabet))]
			}
			items = append(items, reports.Item{CaseNo: fmt.Sprintf("C%03d", i), Department: []string{"a", "b"}[r.IntN(2)],
				Category: "c", Matter: string(m)})
		}
		want, got := reports.GroupSimilar(items), GroupSimilarFast(items)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: GroupSimilarFast differs from reports.GroupSimilar:\ngot  %v\nwant %v", round, got, want)
		}
		groups += len(want)
		for _, g := range want {
			grouped += len(g.Cases)
		}
	}
	if groups < 20*10 || grouped > 20*300*9/10 {
		t.Fatalf("%d groups of %d cases in 6000: too few groups to test the linking", groups, grouped)
	}
	t.Logf("%d groups of %d cases in 6000 items", groups, grouped)
}

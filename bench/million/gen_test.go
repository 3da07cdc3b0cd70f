package million

import (
	"reflect"
	"testing"
	"time"

	"bbcs/models"
)

// testGenerator spreads n cases over the whole period, as Seed does with
// a million.
func testGenerator(t testing.TB, n int) *generator {
	t.Helper()
	dir, err := Directory(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Calendar()
	if err != nil {
		t.Fatal(err)
	}
	g, err := generatorFor(cal, n, dir)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The generated cases are well-formed, deterministic and ordered by
// acceptance like production ids; the shares the benchmarks rely on hold.
func TestGeneratedCases(t *testing.T) {
	const n = 20_000
	g := testGenerator(t, n)
	nos := map[string]bool{}
	orderNos := map[string]bool{}
	var prev time.Time
	cats := map[models.Category]int{}
	statuses := map[models.CaseStatus]int{}
	ordersPerCase := map[int]int{}
	for i := range n {
		s := g.gen(i)
		c := s.c
		if i%997 == 0 && !reflect.DeepEqual(s, g.gen(i)) {
			t.Fatalf("case %d is not deterministic", i)
		}
		if c.ID != uint64(i+1) || nos[c.No] {
			t.Fatalf("case %d: id %d, number %s (seen: %v)", i, c.ID, c.No, nos[c.No])
		}
		nos[c.No] = true
		if c.AcceptedAt.Before(prev) {
			t.Fatalf("case %d accepted %v before case %d (%v)", i, c.AcceptedAt, i-1, prev)
		}
		prev = c.AcceptedAt
		if c.AcceptedAt.Before(First) || c.AcceptedAt.After(Snapshot) || c.Matter == "" || !c.Category.Valid() {
			t.Fatalf("case %d: %+v", i, c)
		}
		cats[c.Category]++
		statuses[c.Status]++
		first := 0
		for _, o := range s.orders {
			if orderNos[o.No] || o.CaseID != c.ID || o.DueAt.Before(o.ReceivedAt) || o.CapAt.Before(o.DueAt) {
				t.Fatalf("case %d order %+v", i, o)
			}
			orderNos[o.No] = true
			if o.Round == 1 {
				first++
			}
			if (o.Status == models.OrderReplied) != (o.RepliedAt != nil) {
				t.Fatalf("case %d order %s: status %s, replied %v", i, o.No, o.Status, o.RepliedAt)
			}
		}
		ordersPerCase[first]++
		if c.Status == models.CaseClosed && c.ClosedAt == nil || c.Status != models.CaseClosed && c.AcceptedAt.Before(Snapshot.AddDate(0, -1, 0)) {
			t.Fatalf("case %d: status %s, accepted %v, closed %v", i, c.Status, c.AcceptedAt, c.ClosedAt)
		}
		if (len(s.ratings) > 0) != (c.RatedAt != nil) {
			t.Fatalf("case %d: %d ratings, rated at %v", i, len(s.ratings), c.RatedAt)
		}
		if i < 3 || i == n-1 {
			t.Logf("%s %s %s %s orders %d: %s", c.No, c.AcceptedAt.In(models.Shanghai).Format("2006-01-02 15:04"), c.Status, c.Category, len(s.orders), c.Matter)
		}
	}
	if share := float64(cats[models.CategoryAttitude]) / n; share < 0.09 || share > 0.11 {
		t.Errorf("poor_attitude share %.3f, want about 0.10 (the export benchmark's 100 000 of 1 000 000)", share)
	}
	if ordersPerCase[1] < ordersPerCase[2]*3 || ordersPerCase[2] == 0 {
		t.Errorf("first-round orders per case: %v", ordersPerCase)
	}
	if statuses[models.CaseDispatched] == 0 || statuses[models.CaseAnswered] == 0 {
		t.Errorf("no open case at the snapshot: %v", statuses)
	}
	t.Logf("categories %v, statuses %v, first-round orders per case %v", cats, statuses, ordersPerCase)
}

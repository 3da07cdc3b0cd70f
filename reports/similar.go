package reports

import (
	"sort"
	"strings"
	"unicode"
)

// Similar problems (举一反三, 第十四条): matters written by different people
// about the same thing share many character pairs, even with no spaces to
// split words on. Cases of one department and category whose matters are
// alike by the Jaccard index of their character bigrams are joined into one
// recurring problem (single link).

// SimilarThreshold is the bigram Jaccard index from which two matters count
// as the same problem.
const SimilarThreshold = 0.25

// Item is one case as grouping sees it.
type Item struct {
	CaseNo     string
	Department string
	Category   string
	Matter     string
}

// Group is one recurring problem: its cases, newest matter as the sample.
type Group struct {
	Department string   `json:"department"`
	Category   string   `json:"category"`
	Sample     string   `json:"sample"`
	Cases      []string `json:"cases"`
}

// GroupSimilar groups items into recurring problems of two cases or more,
// largest first.
func GroupSimilar(items []Item) []Group {
	byKey := map[[2]string][]int{}
	for i, it := range items {
		k := [2]string{it.Department, it.Category}
		byKey[k] = append(byKey[k], i)
	}
	grams := make([]map[string]bool, len(items))
	for i, it := range items {
		grams[i] = bigrams(it.Matter)
	}
	var out []Group
	for k, idx := range byKey {
		parent := make([]int, len(idx))
		for i := range parent {
			parent[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			for parent[i] != i {
				parent[i] = parent[parent[i]]
				i = parent[i]
			}
			return i
		}
		for a := 0; a < len(idx); a++ {
			for b := a + 1; b < len(idx); b++ {
				if jaccard(grams[idx[a]], grams[idx[b]]) >= SimilarThreshold {
					parent[find(a)] = find(b)
				}
			}
		}
		clusters := map[int][]int{}
		for i := range idx {
			r := find(i)
			clusters[r] = append(clusters[r], idx[i])
		}
		for _, members := range clusters {
			if len(members) < 2 {
				continue
			}
			g := Group{Department: k[0], Category: k[1], Sample: items[members[0]].Matter}
			for _, m := range members {
				g.Cases = append(g.Cases, items[m].CaseNo)
			}
			sort.Strings(g.Cases)
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Cases) != len(out[j].Cases) {
			return len(out[i].Cases) > len(out[j].Cases)
		}
		return out[i].Cases[0] < out[j].Cases[0]
	})
	return out
}

// bigrams are the character pairs of s's letters and digits (punctuation
// and spaces dropped, Latin letters lowered).
func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	out := make(map[string]bool, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for g := range a {
		if b[g] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

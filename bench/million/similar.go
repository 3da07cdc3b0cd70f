package million

import (
	"slices"
	"sort"
	"unicode"

	"bbcs/reports"
)

// GroupSimilarFast is the prototype of the fix proposed for
// reports.GroupSimilar: the same groups (the tests compare them), without
// its cost of one map-based Jaccard index per pair of items.
//
//   - A pair whose items are already in one group is not compared: single
//     link only needs to know whether an item touches a group, so a new
//     item is compared with a group's members only until one is similar
//     (linkSingle), and once a problem recurs most of the n²/2
//     comparisons are skipped.
//   - Bigrams are sorted []uint64 (two runes in one word), intersected by a
//     merge instead of map lookups with string keys.
//   - A pair whose sizes alone rule the threshold out (|a∩b|/|a∪b| is at
//     most min/max) is not intersected.
func GroupSimilarFast(items []reports.Item) []reports.Group {
	byKey := map[[2]string][]int{}
	for i, it := range items {
		k := [2]string{it.Department, it.Category}
		byKey[k] = append(byKey[k], i)
	}
	grams := make([][]uint64, len(items))
	for i, it := range items {
		grams[i] = bigramKeys(it.Matter)
	}
	var out []reports.Group
	for k, idx := range byKey {
		for _, members := range linkSingle(idx, grams) {
			if len(members) < 2 {
				continue
			}
			g := reports.Group{Department: k[0], Category: k[1], Sample: items[members[0]].Matter}
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

// linkSingle returns the connected components of the graph on idx whose
// edges join items with similar bigrams, each as item indexes in idx's
// order. Items are added one at a time; a new item is compared with the
// members of each group found so far only until one is similar, since one
// edge is enough to join it to that group. Every edge (a, b) is thus either
// tested or joins two items already connected, so the components are
// exactly those of comparing every pair.
func linkSingle(idx []int, grams [][]uint64) [][]int {
	type group struct {
		members []int // positions in idx, ascending once sorted at the end
		merged  bool
	}
	var groups []*group
	for b := range idx {
		gb := grams[idx[b]]
		var into *group
		if len(gb) > 0 {
			live := groups[:0]
			for _, g := range groups {
				if g.merged {
					continue
				}
				live = append(live, g)
				if g == into {
					continue
				}
				for _, m := range g.members {
					if !similar(grams[idx[m]], gb) {
						continue
					}
					if into == nil {
						into = g
						g.members = append(g.members, b)
					} else {
						// b links two groups: the smaller joins the larger.
						big, small := into, g
						if len(small.members) > len(big.members) {
							big, small = small, big
						}
						big.members = append(big.members, small.members...)
						small.merged, small.members = true, nil
						into = big
					}
					break
				}
			}
			groups = live
		}
		if into == nil && len(gb) > 0 { // no bigrams: alone for good
			groups = append(groups, &group{members: []int{b}})
		}
	}
	var out [][]int
	for _, g := range groups {
		if g.merged {
			continue
		}
		slices.Sort(g.members)
		members := make([]int, len(g.members))
		for i, m := range g.members {
			members[i] = idx[m]
		}
		out = append(out, members)
	}
	return out
}

// bigramKeys are reports' bigrams as sorted, distinct uint64s: the two
// runes of a pair in one word (strings.ToLower lowers rune by rune with
// unicode.ToLower, as here).
func bigramKeys(s string) []uint64 {
	var out []uint64
	var prev rune = -1
	for _, r := range s {
		r = unicode.ToLower(r)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if prev >= 0 {
			out = append(out, uint64(uint32(prev))<<32|uint64(uint32(r)))
		}
		prev = r
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// similar is jaccard(a, b) >= reports.SimilarThreshold, computed as
// reports computes it.
func similar(a, b []uint64) bool {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return false
	}
	if float64(min(la, lb)) < reports.SimilarThreshold*float64(max(la, lb)) {
		return false
	}
	inter := 0
	for i, j := 0, 0; i < la && j < lb; {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter)/float64(la+lb-inter) >= reports.SimilarThreshold
}

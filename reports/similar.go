package reports

import (
	"slices"
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

// Group is one recurring problem: its cases, the first one's matter as the
// sample.
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
	grams := make([][]uint64, len(items))
	for i, it := range items {
		grams[i] = bigrams(it.Matter)
	}
	var out []Group
	for k, idx := range byKey {
		for _, members := range linkSingle(idx, grams) {
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

// linkSingle returns the groups of single link among the items idx names
// (each as item indexes, ascending). Items join one at a time: a new item
// is compared with a group's members only until one is similar, since one
// is enough to join that group. Every pair is thus either compared or
// already in one group, so the groups are those of comparing every pair,
// at a fraction of the n²/2 comparisons once problems recur.
func linkSingle(idx []int, grams [][]uint64) [][]int {
	type group struct {
		members []int // positions in idx
		merged  bool  // joined into another group
	}
	var groups []*group
	for b := range idx {
		gb := grams[idx[b]]
		if len(gb) == 0 {
			continue // similar to nothing: alone for good
		}
		var into *group
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
		if into == nil {
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

// stock are the words a complaint uses for what went wrong rather than
// for the matter: 超期未办结 is in most matters of its category, and two
// matters sharing only it are not the same problem. They are cut out
// before the pairs are made.
var stock = func() *strings.Replacer {
	var pairs []string
	for _, w := range []string{
		"超期未办结", "超时未办结", "超期未受理", "超时未受理", "没有办结", "没有受理", "没有办好", "没办好", "还没办",
		"未办结", "未受理", "未办成", "没办成", "办不成", "超期", "超时", "逾期", "一直", "至今", "工作人员", "窗口", "办理",
	} {
		pairs = append(pairs, w, " ")
	}
	return strings.NewReplacer(pairs...)
}()

// maxMatter bounds the runes of a matter that are compared: enough to
// say what it is about, and the cost of a long one stays that of a
// paragraph.
const maxMatter = 200

// bigrams are the character pairs of s's letters and digits (letters
// lowered), sorted and distinct, each pair of runes in one word:
// punctuation, spaces and stock words end a word.
func bigrams(s string) []uint64 {
	if r := []rune(s); len(r) > maxMatter {
		s = string(r[:maxMatter])
	}
	s = stock.Replace(s)
	var out []uint64
	prev := rune(-1)
	for _, r := range s {
		r = unicode.ToLower(r)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			prev = -1
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

// similar is jaccard(a, b) >= SimilarThreshold. The index is at most
// min/max of the sizes, which rules most pairs out without a merge.
func similar(a, b []uint64) bool {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 || float64(min(la, lb)) < SimilarThreshold*float64(max(la, lb)) {
		return false
	}
	return jaccard(a, b) >= SimilarThreshold
}

// jaccard is |a∩b| / |a∪b| of two sorted sets.
func jaccard(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
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
	return float64(inter) / float64(len(a)+len(b)-inter)
}

package reports

import (
	"reflect"
	"testing"
)

func TestGroupSimilarFindsRecurringProblems(t *testing.T) {
	items := []Item{
		{"BB1", "realestate", "not_completed_in_time", "不动产过户缺完税证明被退回，说要先去税务窗口"},
		{"BB2", "realestate", "not_completed_in_time", "办理不动产过户时因缺少完税证明被退回"},
		{"BB3", "realestate", "not_completed_in_time", "过户材料缺完税证明，窗口退回了两次"},
		{"BB4", "realestate", "not_completed_in_time", "抵押登记注销超过承诺时限没有办好"},
		{"BB5", "market", "not_accepted_in_time", "营业执照变更线上提交后超时未受理"},
		{"BB6", "market", "not_accepted_in_time", "网上提交营业执照变更申请后一直未受理"},
		{"BB7", "tax", "not_completed_in_time", "不动产过户缺完税证明被退回"}, // another department: not the same problem
		// Matters that share only the words for what went wrong are not
		// one problem.
		{"BB8", "realestate", "slow_action", "房产证过户超期未办结"},
		{"BB9", "realestate", "slow_action", "抵押登记超期未办结"},
		{"BB10", "realestate", "slow_action", "查封解除登记超期未办结"},
		{"BB11", "realestate", "slow_action", "不动产首次登记超期未办结"},
	}
	got := GroupSimilar(items)
	want := []Group{
		{Department: "realestate", Category: "not_completed_in_time", Cases: []string{"BB1", "BB2", "BB3"}},
		{Department: "market", Category: "not_accepted_in_time", Cases: []string{"BB5", "BB6"}},
	}
	if len(got) != len(want) {
		t.Fatalf("groups = %+v", got)
	}
	for i := range want {
		if got[i].Department != want[i].Department || got[i].Category != want[i].Category || !reflect.DeepEqual(got[i].Cases, want[i].Cases) {
			t.Errorf("group %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestJaccardOfBigrams(t *testing.T) {
	if j := jaccard(bigrams("缺完税证明"), bigrams("缺完税证明！")); j != 1 {
		t.Errorf("punctuation changed the index: %v", j)
	}
	if j := jaccard(bigrams("营业执照"), bigrams("抵押登记")); j != 0 {
		t.Errorf("unrelated matters: %v", j)
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"
)

// A citizen who asks after a case whose department missed its deadline
// (Fri 03-13 18:00) is not promised that date again: the case is overdue
// and pressed (督办), answered by the cap (Tue 03-24 18:00) while that is
// ahead; past the cap, reported to the 主要负责领导, with no date gone.
func TestProgressOfAnOverdueCaseSaysSo(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenLate01"
	ca.report(openid, "李女士", "13800138000")
	ca.say(openid, "确认")
	var list struct{ Cases []caseJSON }
	ca.must(http.StatusOK, "admin", "GET", "/api/v1/cases?status=registered", nil, &list)
	c := list.Cases[0]
	ca.must(http.StatusOK, c.Owner.ID, "POST", "/api/v1/cases/"+c.No+"/dispatch", map[string]any{"departments": []string{"realestate"}}, nil)
	wantContains(t, ca.say(openid, c.No), "将于 2026年3月13日（周五）18:00 前答复您")

	notAgain := func(got string) {
		t.Helper()
		if strings.Contains(got, "3月13日") {
			t.Errorf("the citizen is still promised the deadline gone: %q", got)
		}
	}
	ca.setClock("2026-03-16T10:00:00+08:00")
	got := ca.say(openid, c.No)
	wantContains(t, got, "超期", "督办", "2026年3月24日（周二）18:00")
	notAgain(got)

	ca.fireDueTimers("wo:")
	got = ca.say(openid, c.No)
	wantContains(t, got, "超期", "督办", "2026年3月24日（周二）18:00")
	notAgain(got)

	ca.setClock("2026-03-27T10:00:00+08:00")
	ca.fireDueTimers("wo:")
	got = ca.say(openid, c.No)
	wantContains(t, got, "最长办理时限", "督办")
	notAgain(got)
	if strings.Contains(got, "3月24日") {
		t.Errorf("past the cap the citizen is given its date: %q", got)
	}
}

package handlers

import "testing"

// The matter is the citizen's own words: a label inside it is part of it,
// and must not replace the applicant's number or make them a company.
func TestChatRegistrationKeepsLabelsInsideTheMatter(t *testing.T) {
	r, missing, bad := chatRegistration("姓名：李四 电话：0739-1234567 类别：服务态度差 事项：窗口态度差，电话：13912345678，单位：某公司")
	if len(missing) > 0 || bad {
		t.Fatalf("missing %v, bad phone %v", missing, bad)
	}
	if r.ApplicantMobile != "0739-1234567" {
		t.Errorf("the applicant's number %q, want the labelled 0739-1234567", r.ApplicantMobile)
	}
	if r.Matter != "窗口态度差，电话：13912345678，单位：某公司" {
		t.Errorf("the matter %q, want it whole", r.Matter)
	}
	if r.Company != "" {
		t.Errorf("a 单位 inside the matter made the applicant the company %q", r.Company)
	}
}

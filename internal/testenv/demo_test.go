package testenv

import "testing"

// The demo centre is config.example.yaml's: the departments and people
// the tests name.
func TestDemoIsTheExampleCentre(t *testing.T) {
	dir := Demo(t)
	var codes []string
	for _, d := range dir.Departments {
		codes = append(codes, d.Code+"/"+d.Platform)
	}
	if got, want := len(dir.Staff), 12; got != want {
		t.Errorf("%d staff, want %d", got, want)
	}
	if want := []string{"realestate/wecom", "market/dingtalk", "tax/wecom"}; len(codes) != 3 || codes[0] != want[0] || codes[1] != want[1] || codes[2] != want[2] {
		t.Errorf("departments %v, want %v", codes, want)
	}
	if len(dir.Settings.Rotation) != 2 || dir.Settings.Rotation[0] != "wang" {
		t.Errorf("rotation %v, want [wang li]", dir.Settings.Rotation)
	}
}

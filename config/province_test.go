package config

import (
	"strings"
	"testing"
)

// A wrong province.fields is named by `bbcs config check`, key by key; a
// good one passes.
func TestProvinceFieldsAreChecked(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fields map[string]string
		want   string
	}{
		{"not a record field", map[string]string{"caseno": "bjbh"}, "province.fields.caseno: not a field of the 好差评 record"},
		{"empty name", map[string]string{"case_no": " "}, "province.fields.case_no: the platform's name is empty"},
		{"onto a field kept", map[string]string{"case_no": "round"}, `province.fields.case_no: "round" is already the name of round`},
		{"two onto one", map[string]string{"case_no": "x", "round": "x"}, `province.fields.round: "x" is already the name of case_no`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := loadFull(t)
			c.Province = Province{URL: "https://hcp.example.gov.cn/records", Secret: "s", Fields: tt.fields}
			got := problems(t, c.Validate())
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("problems:\n%s\nwant one starting:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
	c := loadFull(t)
	c.Province = Province{URL: "https://hcp.example.gov.cn/records", Secret: "s",
		Fields: map[string]string{"case_no": "bjbh", "round": "case_no", "score": "pjfs"}}
	if err := c.Validate(); err != nil {
		t.Errorf("a good mapping (a swap included): %v", err)
	}
}

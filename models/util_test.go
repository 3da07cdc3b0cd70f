package models

import "testing"

// Shorten counts characters, not bytes, and says where it cut.
func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"过户超期", 4, "过户超期"},
		{"过户超期未办", 4, "过户超期……"},
		{"", 3, ""},
		{"abc", 2, "ab……"},
	} {
		if got := Shorten(tc.s, tc.n); got != tc.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

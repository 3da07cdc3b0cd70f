package models

import "testing"

// Shorten counts characters, not bytes, and says where it cut.
func TestShorten(t *testing.T) {
	if got := Shorten("过户超期", 4); got != "过户超期" {
		t.Errorf("a text as long as the limit became %q", got)
	}
	if got := Shorten("过户超期未办", 4); got != "过户超期……" {
		t.Errorf("four characters of 过户超期未办 = %q, want 过户超期……", got)
	}
	if got := Shorten("abc", 2); got != "ab……" {
		t.Errorf("two characters of abc = %q, want ab……", got)
	}
}

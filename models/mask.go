package models

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// typedMobile is a mainland mobile inside free text, with an optional +86
// and the spaces, dots or dashes people type, in ASCII or full-width
// digits (a phone's keyboard): not part of a longer number.
var typedMobile = regexp.MustCompile(`(^|[^0-9０-９])((?:[+＋]?[8８][6６][ .-]?)?[1１][3-9３-９][0-9０-９](?:[ .-]?[0-9０-９]){8})([^0-9０-９]|$)`)

// mobileNoise is what typedMobile allows between a mobile's digits.
var mobileNoise = strings.NewReplacer(" ", "", "-", "", ".", "", "+", "")

// MaskMobilesIn masks every mobile typed into free text (a matter, a
// comment: “请回电13800138000”) as 138****5678; the rest of s stays as
// typed. Cards and the 好差评 record both show text this way.
func MaskMobilesIn(s string) string {
	return typedMobile.ReplaceAllStringFunc(s, func(m string) string {
		sub := typedMobile.FindStringSubmatch(m)
		digits := mobileNoise.Replace(HalfWidthDigits(sub[2]))
		digits = digits[len(digits)-11:]
		return sub[1] + MaskMobile(digits) + sub[3]
	})
}

// MaskPersonName keeps a person's surname and hides the given name, one
// star a character (李小明 → 李**, 李四 → 李*), as the 好差评 record may show
// an applicant. Only the first character is kept: a compound surname
// (欧阳) shows as 欧**, revealing less, never more.
func MaskPersonName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	first, size := utf8.DecodeRuneInString(name)
	rest := utf8.RuneCountInString(name[size:])
	return string(first) + strings.Repeat("*", max(rest, 1))
}

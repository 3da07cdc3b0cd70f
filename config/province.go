package config

import (
	"reflect"
	"sort"
	"strings"

	"bbcs/models"
)

// provinceFields checks province.fields, so that `bbcs config check`
// names a wrong mapping: every key a field of the 好差评 record, every
// name non-empty, no two fields sent under one name (bot/province checks
// the same when it is built).
func (v *checker) provinceFields() {
	var known []string
	t := reflect.TypeFor[models.RatingRecord]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			known = append(known, name)
		}
	}
	fields := v.c.Province.Fields
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sent := map[string]string{}
	for _, k := range known {
		if _, renamed := fields[k]; !renamed {
			sent[k] = k
		}
	}
	for _, k := range keys {
		to := strings.TrimSpace(fields[k])
		switch {
		case !contains(known, k):
			v.add("province.fields."+k, "not a field of the 好差评 record; the fields are %s", strings.Join(known, ", "))
		case to == "":
			v.add("province.fields."+k, "the platform's name is empty")
		case sent[to] != "":
			v.add("province.fields."+k, "%q is already the name of %s", to, sent[to])
		default:
			sent[to] = k
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

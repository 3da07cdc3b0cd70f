package province

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"bbcs/models"
)

// Names is province.fields checked: each record field's name on the
// platform.
type Names struct {
	rename map[string]string
}

// RecordFields lists the record's JSON names, in the record's order: the
// names province.fields may rename.
func RecordFields() []string {
	t := reflect.TypeFor[models.RatingRecord]()
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// NewNames checks a mapping: every key a record field, every new name
// non-empty and no two fields under one name (a renamed field may not
// take the name of one left as it is).
func NewNames(fields map[string]string) (Names, error) {
	known := RecordFields()
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(known, k) {
			return Names{}, fmt.Errorf("province.fields: %q is not a record field (fields: %s)", k, strings.Join(known, ", "))
		}
		if strings.TrimSpace(fields[k]) == "" {
			return Names{}, fmt.Errorf("province.fields.%s: the platform's name is empty", k)
		}
	}
	n := Names{rename: fields}
	seen := map[string]string{}
	for _, k := range known {
		to := n.Of(k)
		if prev, ok := seen[to]; ok {
			return Names{}, fmt.Errorf("province.fields: %q and %q would both be sent as %q", prev, k, to)
		}
		seen[to] = k
	}
	return n, nil
}

// Of is a record field's name on the platform.
func (n Names) Of(field string) string {
	if to, ok := n.rename[field]; ok {
		return to
	}
	return field
}

// Body is a record as the platform reads it: its JSON with the names
// renamed, the fields in the record's order (fields left out when empty
// stay out).
func (n Names) Body(rec models.RatingRecord) ([]byte, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("province: encode record %s: %w", rec.RecordID, err)
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byName); err != nil {
		return nil, fmt.Errorf("province: encode record %s: %w", rec.RecordID, err)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range RecordFields() {
		v, ok := byName[k]
		if !ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(n.Of(k))
		b.Write(name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

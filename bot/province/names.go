package province

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"bbcs/models"
)

// Names is province.fields checked: each record field's name on the
// platform.
type Names struct {
	rename map[string]string
	order  []string // the record's fields, in its order
}

// NewNames checks a mapping (models.CheckRecordRenames) and keeps it,
// each name trimmed as it was checked.
func NewNames(fields map[string]string) (Names, error) {
	if problems := models.CheckRecordRenames(fields); len(problems) > 0 {
		p := problems[0]
		return Names{}, fmt.Errorf("province.fields.%s: %s", p.Key, p.Problem)
	}
	rename := make(map[string]string, len(fields))
	for k, to := range fields {
		rename[k] = strings.TrimSpace(to)
	}
	return Names{rename: rename, order: models.RatingRecordFields()}, nil
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
	for _, k := range n.order {
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

package outbox

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"bbcs/models"
)

// noticeColumns is written by hand (scanNotices skips GORM's reflection):
// a column added to models.Notice must be added there too, or the claims
// read notices without it. The columns are those GORM maps the model to
// (store.OpenDatabase sets no naming strategy: GORM's default), the order
// aside, each either bare or wrapped in a COALESCE to read NULL as "".
func TestNoticeColumnsAreTheModels(t *testing.T) {
	s, err := schema.Parse(&models.Notice{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	bare := regexp.MustCompile(`COALESCE\((\w+), ''\)`).ReplaceAllString(noticeColumns, "$1")
	var listed []string
	for _, c := range strings.Split(bare, ",") {
		listed = append(listed, strings.TrimSpace(c))
	}
	for _, name := range s.DBNames {
		if !slices.Contains(listed, name) {
			t.Errorf("column %s of models.Notice is missing from noticeColumns", name)
		}
	}
	for _, c := range listed {
		if !slices.Contains(s.DBNames, c) {
			t.Errorf("noticeColumns reads %q, not a column of models.Notice", c)
		}
	}
}

package tripcount

import (
	"strings"
	"testing"
)

// The outbox's statements are told from the requests' whether GORM wrote
// them (quoted table) or the outbox did by hand (claims and batched
// outcomes); an insert of a notice is the request's own.
func TestOutboxDeliveryTellsTheOutboxsStatements(t *testing.T) {
	columns := strings.Repeat("id, kind, audience, target, ", 8)
	for sql, want := range map[string]bool{
		"UPDATE `notices` SET `status`=? WHERE id = ?":                                    true,
		"SELECT * FROM `notices` WHERE status = ?":                                        true,
		"SELECT " + columns + "payload FROM notices WHERE status = ? ORDER BY id LIMIT ?": true,
		"UPDATE notices SET claimed_until = ?, claim_token = ? WHERE id IN (?,?)":         true,
		"UPDATE notices SET status = CASE id WHEN ? THEN ? END WHERE id IN (?)":           true,
		"INSERT INTO `notices` (`kind`,`audience`) VALUES (?,?)":                          false,
		"SELECT * FROM `cases` WHERE no = ?":                                              false,
		"UPDATE `cases` SET `status`=? WHERE id = ?":                                      false,
	} {
		if got := outboxDelivery([]byte(sql)); got != want {
			t.Errorf("outboxDelivery(%.60q) = %v, want %v", sql, got, want)
		}
	}
}

package wechat

import (
	"testing"

	"bbcs/models"
)

// The rule, worked by hand: id = (case × 1000 + round) × 10 + level, the
// level counted 1 非常满意 … 5 非常不满意. These ids are on the wire and in
// menus already sent, so they are written out here, not computed.
func TestRatingMenuIDs(t *testing.T) {
	for id, want := range map[int64]models.RatingChoice{
		10011:        {CaseID: 1, Round: 1, Level: models.RatingVerySatisfied},
		10012:        {CaseID: 1, Round: 1, Level: models.RatingSatisfied},
		10013:        {CaseID: 1, Round: 1, Level: models.RatingBasically},
		10014:        {CaseID: 1, Round: 1, Level: models.RatingDissatisfied},
		10015:        {CaseID: 1, Round: 1, Level: models.RatingVeryDissatisfy},
		10025:        {CaseID: 1, Round: 2, Level: models.RatingVeryDissatisfy},
		420032:       {CaseID: 42, Round: 3, Level: models.RatingSatisfied},
		79991:        {CaseID: 7, Round: 999, Level: models.RatingVerySatisfied},
		1234567_0011: {CaseID: 1234567, Round: 1, Level: models.RatingVerySatisfied},
	} {
		if got := RatingMenuID(want); got != id {
			t.Errorf("RatingMenuID(%+v) = %d, want %d", want, got, id)
		}
		if got, ok := ParseRatingMenuID(id); !ok || got != want {
			t.Errorf("ParseRatingMenuID(%d) = %+v, %v; want %+v", id, got, ok, want)
		}
		item := models.MenuItem{Label: "x", Rates: &want}
		if got := MenuItemID(item); got != id {
			t.Errorf("MenuItemID(rates %+v) = %d, want %d", want, got, id)
		}
	}
	// Round 1000 is round 0 again: the round is counted modulo 1000.
	if got := RatingMenuID(models.RatingChoice{CaseID: 2, Round: 1001, Level: models.RatingSatisfied}); got != 20012 {
		t.Errorf("round 1001 of case 2, level 2 = %d, want 20012", got)
	}
}

// The menus sent before the ids named their case carried 500 + level: a
// click on one gives a level and no case nor round.
func TestLegacyRatingMenuIDsNameTheLevelOnly(t *testing.T) {
	for i, level := range models.RatingLevels {
		id := int64(501 + i)
		got, ok := ParseRatingMenuID(id)
		if want := (models.RatingChoice{Level: level}); !ok || got != want {
			t.Errorf("ParseRatingMenuID(%d) = %+v, %v; want %+v", id, got, ok, want)
		}
	}
}

// Ids that are no rating menu's read as none: the dialog's own (categories
// 101…107, person/company 201/202), the numbers round the legacy range, a
// level digit of 0 or 6–9, no case, no round, and zero or negative ids.
func TestOtherMenuIDsAreNoRating(t *testing.T) {
	for _, id := range []int64{
		0, -1, -10011, -501,
		1, 5, 9, 10, 100, 101, 104, 107, 201, 202,
		499, 500, 506, 507, 510, 1005,
		10010, 10016, 10017, 10019, // level 0, 6, 7, 9
		10001, 10005, // case 1, round 0
		9991, 9995, // case 0, round 999
	} {
		if got, ok := ParseRatingMenuID(id); ok {
			t.Errorf("ParseRatingMenuID(%d) = %+v, want no rating", id, got)
		}
	}
}

// A menu item that rates nothing keeps its own id on the wire; one that
// rates gets the rating's id, however it is labelled.
func TestMenuItemIDs(t *testing.T) {
	if got := MenuItemID(models.MenuItem{ID: 102, Label: "2 受理后超时未办结"}); got != 102 {
		t.Errorf("dialog item: %d, want 102", got)
	}
	msg := menuMessage("oCitizen", models.NoticeData{Text: "请评价：", Menu: []models.MenuItem{
		{ID: 201, Label: "1 个人（群众）"},
		{Label: "2 满意", Rates: &models.RatingChoice{CaseID: 3, Round: 2, Level: models.RatingSatisfied}},
	}})
	if got := msg.Msgmenu.List; len(got) != 2 || got[0].ID != "201" || got[1].ID != "30022" || got[1].Content != "2 满意" {
		t.Errorf("menu on the wire: %+v", got)
	}
}

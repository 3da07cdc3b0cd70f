package wechat

import (
	"slices"

	"bbcs/models"
)

// The numbering of rating menus. WeChat echoes a clicked menu item's id as
// a number (bizmsgmenuid, an int64) and nothing else of the menu, so the id
// itself names what the item rates — the case, the round and the level —
// and a click rates what its menu asked about, never another case or a
// later round:
//
//	id = (caseID × 1000 + round) × 10 + level
//
// level is the level's place in models.RatingLevels, 1 非常满意 … 5 非常不满意;
// round is counted modulo 1000 (round 0 is none). Case 1, round 1 gives
// 10011 and up, clear of the dialog's own small ids (101…107, 201, 202).
//
// Menus sent before this numbering carried LegacyRatingMenuBase+level
// (501…505): they name the level only, no case nor round.
//
// The ids are on the wire and in menus already sent: they never change.
const (
	ratingMenuRounds     = 1000
	ratingMenuLevels     = 10 // the last decimal digit holds the level
	LegacyRatingMenuBase = 500
)

// RatingMenuID is the id of the rating menu item that gives r (a case, a
// round and a level; see the rule above). A level not in models.RatingLevels
// gives an id that rates nothing.
func RatingMenuID(r models.RatingChoice) int64 {
	return int64((r.CaseID*ratingMenuRounds+uint64(r.Round%ratingMenuRounds))*ratingMenuLevels + uint64(slices.Index(models.RatingLevels, r.Level)+1))
}

// ParseRatingMenuID reads the id of a clicked menu item: the rating it
// gives, with CaseID 0 (and Round 0) for an item of a menu of before
// (501…505); false when the id is no rating menu's.
func ParseRatingMenuID(id int64) (models.RatingChoice, bool) {
	if id > LegacyRatingMenuBase && id <= LegacyRatingMenuBase+int64(len(models.RatingLevels)) {
		return models.RatingChoice{Level: models.RatingLevels[id-LegacyRatingMenuBase-1]}, true
	}
	level := int(id % ratingMenuLevels)
	rest := id / ratingMenuLevels
	caseID, round := uint64(rest/ratingMenuRounds), int(rest%ratingMenuRounds)
	if id <= 0 || level < 1 || level > len(models.RatingLevels) || caseID == 0 || round == 0 {
		return models.RatingChoice{}, false
	}
	return models.RatingChoice{CaseID: caseID, Round: round, Level: models.RatingLevels[level-1]}, true
}

// MenuItemID is the id WeChat is sent for a menu item: the rating menu id
// of what it rates, else its own.
func MenuItemID(it models.MenuItem) int64 {
	if it.Rates != nil {
		return RatingMenuID(*it.Rates)
	}
	return it.ID
}

package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bbcs/bot/wechat"
	"bbcs/casework"
	"bbcs/models"
)

// rating takes a rating (a menu click, a digit 1–5 or a level's words)
// for the citizen's case awaiting one, and then a comment (第十三条). It
// reports false when the message is not about a rating. d is the report
// in progress, if any.
//
// A menu names its case and round: a click rates that round of that case
// or nothing. A typed rating is taken only when one case awaits a rating;
// with more the citizen is asked which (“编号 数字”). A click on a menu of
// before (501…505) names no case nor round — the case may be in a later
// round than the menu was sent for — so it never rates: the citizen is
// asked to use the latest rating message or “编号 数字”.
func (c *Citizens) rating(ctx context.Context, t *turn, d *dialog, text, button string) (string, bool) {
	pick, isLevel := ratingOf(text, button)
	commentKey := c.commentKey(t.openid)
	if !isLevel {
		no, err := t.comment.Result()
		if err != nil || text == "" || isStart(text) || text == "查询" || caseNoRE.MatchString(text) {
			return "", false
		}
		if d != nil {
			return "", false // a text in the middle of a report belongs to the report
		}
		// At once, not with the message's answer: the comment is recorded
		// now, and a redelivery must not record it again.
		c.Redis.Del(ctx, commentKey)
		if _, err := c.Cases.Comment(ctx, casework.Applicant(""), no, text); err != nil {
			if outage(err) {
				c.Redis.Set(ctx, commentKey, no, 30*time.Minute) // for WeChat's next delivery
				return c.busy(t, "record comment", err), true
			}
			return "抱歉，意见没有记录成功：" + models.ErrorMessage(err), true
		}
		return "您的意见已记录，我们会认真改进。谢谢！", true
	}
	if button == "" && d != nil {
		return "", false // a digit in the middle of a report belongs to the report
	}
	var cs *models.Case
	var err error
	switch {
	case pick.CaseID != 0:
		cs, err = c.Cases.RateMenuChoice(ctx, t.openid, pick.RatingChoice)
	case pick.no != "":
		cs, err = c.Cases.RateOwnCase(ctx, t.openid, pick.no, 0, pick.Level)
	default:
		awaiting, aerr := c.Cases.AwaitingRating(ctx, t.openid)
		if aerr != nil {
			return c.busy(t, "find case to rate", aerr), true
		}
		switch {
		case len(awaiting) == 0 && button != "":
			return "您的事项已经评价过或已办结，感谢您的评价！", true
		case len(awaiting) == 0:
			return "", false
		case pick.legacy:
			return whichCase(awaiting, true), true
		case len(awaiting) > 1:
			return whichCase(awaiting, button != ""), true
		}
		cs, err = c.Cases.RateOwnCase(ctx, t.openid, awaiting[0].No, awaiting[0].Round, pick.Level)
	}
	if outage(err) {
		return c.busy(t, "record rating", err), true
	}
	if err != nil {
		return models.ErrorMessage(err), true
	}
	c.Redis.Set(ctx, commentKey, cs.No, 30*time.Minute) // at once: the rating is recorded
	if pick.Level.Bad() {
		return fmt.Sprintf("已记录您对 %s 的评价：%s。我们将退回重新办理，并安排专人回访您。\n如有具体意见，请直接回复文字告诉我们。", cs.No, pick.Level.Label()), true
	}
	return fmt.Sprintf("已记录您对 %s 的评价：%s。感谢您的支持！\n如有意见或建议，可以直接回复文字（可选）。", cs.No, pick.Level.Label()), true
}

// whichCase asks a citizen which case (and, after a menu of before, which
// result) a rating is for, rather than guessing.
func whichCase(awaiting []models.Case, oldMenu bool) string {
	var b strings.Builder
	if oldMenu {
		b.WriteString("您点击的是较早的评价消息，它没有写明是哪一件事项、哪一次处理结果的评价，为了不记错，还没有记录。")
	} else {
		b.WriteString("为了不记错，这次评价还没有记录。")
	}
	fmt.Fprintf(&b, "您有 %d 件事项在等待评价：\n", len(awaiting))
	for _, cs := range awaiting {
		fmt.Fprintf(&b, "%s｜%s｜%s\n", cs.No, cs.Category.Label(), models.Shorten(cs.Result, 20))
	}
	fmt.Fprintf(&b, "请点击对应事项最新一条评价消息中的选项，或回复“编号 数字”，例如“%s 2”（1 非常满意 … 5 非常不满意）。", awaiting[0].No)
	return b.String()
}

// ratingPick is a rating read from a message: a menu's choice, or a typed
// level with the case it names (no), if any.
type ratingPick struct {
	models.RatingChoice
	no     string
	legacy bool // a click on a menu of before, naming no case nor round
}

// ratingOf reads a rating from a menu click or a typed answer: “2”,
// “满意”, or “BB20260310-004 2”.
func ratingOf(text, button string) (ratingPick, bool) {
	if id, err := strconv.ParseInt(button, 10, 64); err == nil {
		if choice, ok := wechat.ParseRatingMenuID(id); ok {
			return ratingPick{RatingChoice: choice, legacy: choice.CaseID == 0}, true
		}
	}
	no := ""
	if loc := caseNoRE.FindStringIndex(text); loc != nil && loc[0] == 0 {
		no, text = strings.ToUpper(text[:loc[1]]), strings.TrimLeft(text[loc[1]:], " ：:，,")
	}
	level, ok := levelOf(text)
	if !ok {
		return ratingPick{}, false
	}
	return ratingPick{RatingChoice: models.RatingChoice{Level: level}, no: no}, true
}

// levelOf reads a typed level: a digit 1–5 or the level's words.
func levelOf(text string) (models.RatingLevel, bool) {
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(models.RatingLevels) {
		return models.RatingLevels[n-1], true
	}
	for _, l := range models.RatingLevels {
		if text == l.Label() {
			return l, true
		}
	}
	return "", false
}

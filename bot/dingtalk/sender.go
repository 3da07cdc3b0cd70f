package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"bbcs/bot"
	"bbcs/models"
)

// Send delivers a notice to a DingTalk group (custom robot) or person (the
// robot's one-to-one message). It implements bot.Sender.
func (c *Client) Send(ctx context.Context, n *models.Notice) (string, error) {
	d, err := n.Data()
	if err != nil {
		return "", bot.Permanent(err)
	}
	card := bot.RenderCard(n.Kind, d)
	if n.Kind == models.NoticeWorkOrder {
		card.Link = bot.ActionLink(c.cfg.PublicURL, d.OrderNo, bot.DingTalk)
	}
	ids, err := bot.UserIDs(ctx, c.cfg.Users, bot.Addressees(n, card))
	if err != nil {
		return "", fmt.Errorf("dingtalk: %w", err)
	}
	// mention is DingTalk's @ of a user: the text must name the user id,
	// and the message's at.atUserIds must list it.
	mention := func(staffID string) string {
		if u := ids[staffID]; u != "" {
			return "@" + strings.TrimSpace(u)
		}
		return ""
	}
	if target, ok := bot.GroupTarget(n); ok {
		robot, err := c.cfg.Groups(ctx, target)
		if err != nil {
			return "", fmt.Errorf("dingtalk: find the robot of %s: %w", target, err)
		}
		if robot.AccessToken == "" {
			return "", bot.Permanent(fmt.Errorf("dingtalk: no group robot configured for %s", target))
		}
		var at []string
		for _, id := range card.Mentions {
			if u := ids[id]; u != "" {
				at = append(at, u)
			}
		}
		msg := map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"title": card.Title, "text": card.Markdown(mention)},
			"at":       map[string]any{"atUserIds": at, "isAtAll": false},
		}
		if card.Link != "" {
			// A card with forms behind it: an actionCard whose button opens
			// the action page inside DingTalk (in-app sign-in works there).
			link := card.Link
			card.Link = ""
			msg = map[string]any{"msgtype": "actionCard", "actionCard": map[string]string{
				"title": card.Title, "text": card.Markdown(mention),
				"singleTitle": "在页面中签收、答复、延期或上报",
				"singleURL":   "dingtalk://dingtalkclient/page/link?pc_slide=false&url=" + url.QueryEscape(link),
			}}
		}
		if err := c.SendGroup(ctx, robot, msg); err != nil {
			return "", err
		}
		return "group:" + target, nil
	}
	if n.Audience == models.AudienceStaff {
		user := ids[n.Target]
		if user == "" {
			return "", bot.Permanent(fmt.Errorf("dingtalk: staff %s has no dingtalk_user_id", n.Target))
		}
		return c.SendPrivate(ctx, []string{user}, "sampleMarkdown",
			map[string]string{"title": card.Title, "text": card.Markdown(mention)})
	}
	return "", bot.Permanent(errors.New("dingtalk: cannot reach audience " + string(n.Audience)))
}

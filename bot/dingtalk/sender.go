package dingtalk

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"bbcs/bot"
	"bbcs/models"
)

// Send delivers a notice to a DingTalk group (custom robot) or person (the
// robot's one-to-one message). It implements bot.Sender.
func (c *Client) Send(ctx context.Context, n *models.Notice) (string, error) {
	out, err := bot.PrepareStaff(ctx, n, bot.DingTalk, c.cfg.PublicURL, c.cfg.Users)
	if err != nil {
		return "", err
	}
	// mention is DingTalk's @ of a user: the text must name the user id,
	// and the message's at.atUserIds must list it.
	mention := func(staffID string) string {
		if u := out.IDs[staffID]; u != "" {
			return "@" + strings.TrimSpace(u)
		}
		return ""
	}
	card := out.Card
	if out.Group == "" {
		return c.SendPrivate(ctx, []string{out.User}, "sampleMarkdown",
			map[string]string{"title": card.Title, "text": card.Markdown(mention)})
	}
	robot, err := c.cfg.Groups(ctx, out.Group)
	if err != nil {
		return "", fmt.Errorf("dingtalk: find the robot of %s: %w", out.Group, err)
	}
	if robot.AccessToken == "" {
		return "", bot.Permanent(fmt.Errorf("dingtalk: no group robot configured for %s", out.Group))
	}
	var at []string
	for _, id := range card.Mentions {
		if u := out.IDs[id]; u != "" {
			at = append(at, u)
		}
	}
	msg := map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": card.Title, "text": card.Markdown(mention)},
		"at":       map[string]any{"atUserIds": at, "isAtAll": false},
	}
	if card.Link != "" {
		// A card with a page behind it (the order's forms, the 月报, the
		// appeals): an actionCard whose button opens it inside DingTalk,
		// where in-app sign-in works.
		link, label := card.Link, card.LinkText()
		card.Link = ""
		msg = map[string]any{"msgtype": "actionCard", "actionCard": map[string]string{
			"title": card.Title, "text": card.Markdown(mention),
			"singleTitle": label,
			"singleURL":   "dingtalk://dingtalkclient/page/link?pc_slide=false&url=" + url.QueryEscape(link),
		}}
	}
	if err := c.SendGroup(ctx, robot, msg); err != nil {
		return "", err
	}
	return "group:" + out.Group, nil
}

package wecom

import (
	"context"
	"errors"
	"fmt"

	"bbcs/bot"
	"bbcs/models"
)

// Send delivers a notice to a WeCom group (robot webhook) or person (app
// message). It implements bot.Sender.
func (c *Client) Send(ctx context.Context, n *models.Notice) (string, error) {
	d, err := n.Data()
	if err != nil {
		return "", bot.Permanent(err)
	}
	card := bot.RenderCard(n.Kind, d)
	if n.Kind == models.NoticeWorkOrder {
		card.Link = bot.ActionLink(c.cfg.PublicURL, d.OrderNo, bot.WeCom)
	}
	ids, err := bot.UserIDs(ctx, c.cfg.Users, bot.Addressees(n, card))
	if err != nil {
		return "", fmt.Errorf("wecom: %w", err)
	}
	// mention is WeCom's markdown @ of a staff member.
	mention := func(staffID string) string {
		if u := ids[staffID]; u != "" {
			return "<@" + u + ">"
		}
		return ""
	}
	if target, ok := bot.GroupTarget(n); ok {
		key, err := c.cfg.Groups(ctx, target)
		if err != nil {
			return "", fmt.Errorf("wecom: find the robot of %s: %w", target, err)
		}
		if key == "" {
			return "", bot.Permanent(fmt.Errorf("wecom: no group robot configured for %s", target))
		}
		msg := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": card.Markdown(mention)}}
		if err := c.SendGroup(ctx, key, msg); err != nil {
			return "", err
		}
		return "group:" + target, nil
	}
	if n.Audience == models.AudienceStaff {
		user := ids[n.Target]
		if user == "" {
			return "", bot.Permanent(fmt.Errorf("wecom: staff %s has no wecom_user_id", n.Target))
		}
		msg := map[string]any{"touser": user, "msgtype": "markdown", "markdown": map[string]string{"content": card.Markdown(mention)}}
		return c.SendApp(ctx, msg)
	}
	return "", bot.Permanent(errors.New("wecom: cannot reach audience " + string(n.Audience)))
}

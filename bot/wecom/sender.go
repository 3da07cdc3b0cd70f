package wecom

import (
	"context"
	"fmt"

	"bbcs/bot"
	"bbcs/models"
)

// Send delivers a notice to a WeCom group (robot webhook) or person (app
// message). It implements bot.Sender.
func (c *Client) Send(ctx context.Context, n *models.Notice) (string, error) {
	out, err := bot.PrepareStaff(ctx, n, bot.WeCom, c.cfg.PublicURL, c.cfg.Users)
	if err != nil {
		return "", err
	}
	// mention is WeCom's markdown @ of a staff member.
	mention := func(staffID string) string {
		if u := out.IDs[staffID]; u != "" {
			return "<@" + u + ">"
		}
		return ""
	}
	content := out.Card.Markdown(mention)
	if out.Group == "" {
		return c.SendApp(ctx, map[string]any{"touser": out.User, "msgtype": "markdown", "markdown": map[string]string{"content": content}})
	}
	key, err := c.cfg.Groups(ctx, out.Group)
	if err != nil {
		return "", fmt.Errorf("wecom: find the robot of %s: %w", out.Group, err)
	}
	if key == "" {
		return "", bot.Permanent(fmt.Errorf("wecom: no group robot configured for %s", out.Group))
	}
	if err := c.SendGroup(ctx, key, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}}); err != nil {
		return "", err
	}
	return "group:" + out.Group, nil
}

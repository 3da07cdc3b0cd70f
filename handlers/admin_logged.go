package handlers

import (
	"cmp"
	"context"
	"time"

	"bbcs/bot"
	"bbcs/bot/wechat"
	"bbcs/models"
)

// LoggedNotices is the outbox's record of the notices that were only
// logged (no platform credentials, or no group robot yet).
type LoggedNotices interface {
	Logged(ctx context.Context, caseNo string, limit int) ([]models.Notice, error)
}

// loggedNotice is one notice that was only logged, rendered as its
// platform would have sent it: a centre with no accounts yet sees its
// cards, menus and links (demo mode).
type loggedNotice struct {
	ID     uint64
	At     time.Time
	Kind   models.NoticeKind
	CaseNo string
	To     string // who would read it, and where
	Form   string // what sort of message it would be
	Text   string // the text as sent: a card's markdown, a citizen's message
	Links  []string
	Error  string // the notice could not be read
}

type loggedView struct {
	Notices []loggedNotice
	Case    string // the case filter, "" for all
	Limit   int
}

// loggedLimit is how many logged notices the page shows at most.
const loggedLimit = 200

// renderLogged renders notices with the same renderers the platform
// senders use: bot.RenderCard(...).Markdown for staff, groups and leaders
// (WeCom and DingTalk read the same markdown), bot/wechat's Text for
// citizens. Only the @-mentions differ: a sender writes the platform's
// user id, the console the person's name.
func (c *Console) renderLogged(ctx context.Context, list []models.Notice) []loggedNotice {
	depts, _ := c.Cases.Departments(ctx)
	people, _ := c.Cases.AllStaff(ctx)
	settings, _ := c.Cases.Settings(ctx)
	staff := make(map[string]models.Staff, len(people))
	for _, st := range people {
		staff[st.ID] = st
	}
	mention := func(id string) string {
		if st, ok := staff[id]; ok {
			return "@" + st.Name
		}
		return "@" + id
	}
	out := make([]loggedNotice, 0, len(list))
	for _, n := range list {
		v := loggedNotice{ID: n.ID, At: n.CreatedAt, Kind: n.Kind, CaseNo: n.CaseNo}
		if n.SentAt != nil {
			v.At = *n.SentAt
		}
		d, err := n.Data()
		if err != nil {
			v.Error = "通知内容无法读取"
			out = append(out, v)
			continue
		}
		if n.Audience == models.AudienceApplicant {
			v.To, v.Form, v.Text = "反映人（服务号）", "客服消息", wechat.Text(n.Kind, d)
			if n.Target == "" {
				v.To = "反映人（未使用服务号，不会发送）"
			}
			if len(d.Menu) > 0 {
				v.Form = "可点击的菜单消息"
			}
			if d.Link != "" {
				v.Links = append(v.Links, d.Link)
			}
			out = append(out, v)
			continue
		}
		platform := ""
		switch n.Audience {
		case models.AudienceDepartment:
			dept := depts[n.Target]
			platform = dept.Platform
			v.To = models.AudienceDepartment.Label() + " " + cmp.Or(dept.Name, n.Target)
		case models.AudienceSupervision:
			platform, v.To = settings.Supervision.Platform, n.Audience.Label()
		case models.AudienceLeaders:
			platform, v.To = settings.Leaders.Platform, n.Audience.Label()
		case models.AudienceStaff:
			st := staff[n.Target]
			v.To = "工作人员 " + cmp.Or(st.Name, n.Target) + "（私信）"
			switch {
			case st.WeComUserID != "":
				platform = string(bot.WeCom)
			case st.DingTalkUserID != "":
				platform = string(bot.DingTalk)
			}
		default:
			v.To = n.Audience.Label() + " " + n.Target
		}
		v.Form = platformLabel(platform) + "卡片（Markdown）"
		if platform == "" {
			v.Form = "卡片（Markdown；未设置企业微信或钉钉）"
		}
		card := bot.RenderCard(n.Kind, d)
		if n.Kind == models.NoticeWorkOrder && platform != "" {
			card.Link = bot.ActionLink(c.Cases.PublicURL(), d.OrderNo, bot.Platform(platform))
		}
		v.Text = card.Markdown(mention)
		if card.Link != "" {
			v.Links = append(v.Links, card.Link)
		}
		out = append(out, v)
	}
	return out
}

func platformLabel(p string) string {
	switch bot.Platform(p) {
	case bot.WeCom:
		return "企业微信"
	case bot.DingTalk:
		return "钉钉"
	}
	return ""
}

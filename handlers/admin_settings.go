package handlers

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"bbcs/models"
)

// The centre's own settings (R10): the duty rotation, the supervision
// section's and leaders' groups and the apps' credentials. Config manages
// them too; whichever changed one last wins. Secrets are write-only: the
// page says whether each is set, never what it is.

// settingsView is the settings page. It holds no secret: only whether
// each is set.
type settingsView struct {
	Groups   []groupView
	WeChat   models.WeChatApp // identifiers only
	WeCom    models.WeComApp
	DingTalk models.DingTalkApp
	Set      map[string]bool // which secrets are set, by form field name
}

type groupView struct {
	Name, Label, Platform, ChatID string
	RobotSet, SecretSet           bool
}

func (c *Console) settings(w http.ResponseWriter, r *http.Request, p consolePage) {
	c.showSettings(w, http.StatusOK, r, p)
}

func (c *Console) showSettings(w http.ResponseWriter, status int, r *http.Request, p consolePage) {
	s, err := c.Cases.Settings(r.Context())
	if err != nil {
		// Every field would show as unset: no forms to save that with.
		c.failed(w, p, "中心设置", err)
		return
	}
	v := settingsView{
		WeChat:   models.WeChatApp{AppID: s.WeChat.AppID},
		WeCom:    models.WeComApp{CorpID: s.WeCom.CorpID, AgentID: s.WeCom.AgentID},
		DingTalk: models.DingTalkApp{AppKey: s.DingTalk.AppKey, RobotCode: s.DingTalk.RobotCode, CorpID: s.DingTalk.CorpID},
		Set: map[string]bool{
			"wechat.app_secret": s.WeChat.AppSecret != "", "wechat.token": s.WeChat.Token != "", "wechat.encoding_aes_key": s.WeChat.EncodingAESKey != "",
			"wecom.secret": s.WeCom.Secret != "", "wecom.token": s.WeCom.Token != "", "wecom.encoding_aes_key": s.WeCom.EncodingAESKey != "",
			"wecom.bot_token": s.WeCom.BotToken != "", "wecom.bot_encoding_aes_key": s.WeCom.BotEncodingAESKey != "",
			"dingtalk.app_secret": s.DingTalk.AppSecret != "",
		},
	}
	for _, g := range []struct {
		name  string
		group models.CentreGroup
	}{{models.SettingSupervision, s.Supervision}, {models.SettingLeaders, s.Leaders}} {
		v.Groups = append(v.Groups, groupView{Name: g.name, Label: models.CentreGroupLabels[g.name], Platform: g.group.Platform,
			ChatID: g.group.ChatID, RobotSet: g.group.Key != "", SecretSet: g.group.Secret != ""})
	}
	p.Title = "中心设置"
	p.Data = v
	c.render(w, status, "console-settings.html", p)
}

// saveSetting saves one form of the settings page.
func (c *Console) saveSetting(w http.ResponseWriter, r *http.Request, p consolePage) {
	ctx, f, name := r.Context(), r.PostForm, r.PathValue("name")
	var err error
	var done string
	switch name {
	case models.SettingSupervision, models.SettingLeaders:
		err = c.Cases.SaveCentreGroup(ctx, p.Me, name, models.CentreGroup{Platform: f.Get("platform"), ChatID: f.Get("chat_id"),
			Key: f.Get("robot_key"), Secret: f.Get("robot_secret")})
		done = "已保存" + models.CentreGroupLabels[name]
	case models.SettingWeChat:
		err = c.Cases.SaveWeChatApp(ctx, p.Me, models.WeChatApp{AppID: f.Get("app_id"), AppSecret: f.Get("app_secret"),
			Token: f.Get("token"), EncodingAESKey: f.Get("encoding_aes_key")})
		done = "已保存服务号凭据"
	case models.SettingWeCom:
		err = c.Cases.SaveWeComApp(ctx, p.Me, models.WeComApp{CorpID: f.Get("corp_id"), AgentID: f.Get("agent_id"), Secret: f.Get("secret"),
			Token: f.Get("token"), EncodingAESKey: f.Get("encoding_aes_key"), BotToken: f.Get("bot_token"), BotEncodingAESKey: f.Get("bot_encoding_aes_key")})
		done = "已保存企业微信凭据"
	case models.SettingDingTalk:
		err = c.Cases.SaveDingTalkApp(ctx, p.Me, models.DingTalkApp{AppKey: f.Get("app_key"), AppSecret: f.Get("app_secret"),
			RobotCode: f.Get("robot_code"), CorpID: f.Get("corp_id")})
		done = "已保存钉钉凭据"
	default:
		c.failed(w, p, "中心设置", models.Errorf(models.ErrNotFound, "没有这项设置。"))
		return
	}
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.showSettings(w, statusOf(models.ErrorCode(err)), r, p)
		return
	}
	redirectDone(w, r, "/admin/settings", done+"，已生效")
}

// saveRotation sets the rotation from the roster page: each specialist
// with a turn number takes part, in the order of the numbers.
func (c *Console) saveRotation(w http.ResponseWriter, r *http.Request, p consolePage) {
	type turn struct {
		id string
		n  int
	}
	var turns []turn
	for field, vals := range r.PostForm {
		id, ok := strings.CutPrefix(field, "turn:")
		if !ok || strings.TrimSpace(vals[0]) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(vals[0]))
		if err != nil || n < 1 {
			p.Error = "轮值顺序请填写从 1 开始的数字，不参加轮值的留空。"
			c.showRoster(w, http.StatusBadRequest, r, p)
			return
		}
		turns = append(turns, turn{id, n})
	}
	slices.SortFunc(turns, func(a, b turn) int { return cmp.Or(cmp.Compare(a.n, b.n), strings.Compare(a.id, b.id)) })
	ids := make([]string, len(turns))
	for i, t := range turns {
		ids[i] = t.id
	}
	if err := c.Cases.SaveRotation(r.Context(), p.Me, ids); err != nil {
		p.Error = models.ErrorMessage(err)
		c.showRoster(w, statusOf(models.ErrorCode(err)), r, p)
		return
	}
	redirectDone(w, r, "/admin/roster", "已保存轮值顺序")
}

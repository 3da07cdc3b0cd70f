package config

import "bbcs/models"

// Robot is the group's robot as the directory keeps it: a WeCom webhook
// key, or a DingTalk access_token and 加签 secret.
func (g Group) Robot() (key, secret string) {
	switch g.Platform {
	case "wecom":
		return g.WebhookKey, ""
	case "dingtalk":
		return g.AccessToken, g.Secret
	}
	return "", ""
}

// Directory is the organisation the file describes — departments, staff
// and duty roster — as the database keeps it (casework.SyncDirectory).
func (c *Config) Directory() (departments []models.Department, staff []models.Staff, roster []models.DutyDay) {
	for _, d := range c.Departments {
		key, secret := d.Group.Robot()
		departments = append(departments, models.Department{
			Code: d.Code, Name: d.Name, Platform: d.Group.Platform, ChatID: d.Group.ChatID, LeaderID: d.Leader, ParentUnit: d.Parent,
			RobotKey: key, RobotSecret: secret,
		})
	}
	for _, s := range c.Staff {
		staff = append(staff, models.Staff{
			ID: s.ID, Name: s.Name, Role: models.Role(s.Role), DepartmentCode: s.Department,
			WeComUserID: s.WeComUserID, DingTalkUserID: s.DingTalkUserID, Mobile: s.Mobile,
		})
	}
	for _, e := range c.Duty.Roster {
		roster = append(roster, models.DutyDay{Date: e.Date, SpecialistID: e.Specialist, LeaderID: e.Leader})
	}
	return departments, staff, roster
}

// Settings are the centre's own settings the file gives — the duty
// rotation, the supervision section's and leaders' groups, the apps'
// credentials — as the database keeps them (casework.SyncDirectory).
func (c *Config) Settings() models.Settings {
	group := func(g Group) models.CentreGroup {
		key, secret := g.Robot()
		return models.CentreGroup{Platform: g.Platform, ChatID: g.ChatID, Key: key, Secret: secret}
	}
	w, wc, d := c.WeChat, c.WeCom, c.DingTalk
	return models.Settings{
		Rotation:    c.Duty.Rotation,
		Supervision: group(c.Supervision.Group),
		Leaders:     group(c.Leaders.Group),
		WeChat:      models.WeChatApp{AppID: w.AppID, AppSecret: w.AppSecret, Token: w.Token, EncodingAESKey: w.EncodingAESKey},
		WeCom: models.WeComApp{CorpID: wc.CorpID, AgentID: wc.AgentID, Secret: wc.Secret, Token: wc.Token,
			EncodingAESKey: wc.EncodingAESKey, BotToken: wc.BotToken, BotEncodingAESKey: wc.BotEncodingAESKey},
		DingTalk: models.DingTalkApp{AppKey: d.AppKey, AppSecret: d.AppSecret, RobotCode: d.RobotCode, CorpID: d.CorpID},
	}
}

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

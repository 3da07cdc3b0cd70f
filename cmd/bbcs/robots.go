package main

import (
	"context"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wecom"
	"bbcs/casework"
	"bbcs/config"
	"bbcs/models"
)

// Where notices go. A department's window group and a person's platform
// user ids live in the directory, which config and the console both
// manage (R10), so they are read at each send: a robot or a user id set
// in the console is used at once, on every replica. The supervision
// section's and the leaders' groups are the centre's own and come from
// config.

// robotOf is a config group's robot as the directory keeps it: a WeCom
// webhook key, or a DingTalk access_token and 加签 secret.
func robotOf(g config.Group) (key, secret string) {
	switch g.Platform {
	case "wecom":
		return g.WebhookKey, ""
	case "dingtalk":
		return g.AccessToken, g.Secret
	}
	return "", ""
}

// groupRobots finds the robot that posts into a notice target's group.
type groupRobots struct {
	cases *casework.Service
	own   map[string]config.Group // "supervision", "leaders"
}

func newGroupRobots(cfg *config.Config, cases *casework.Service) groupRobots {
	return groupRobots{cases: cases, own: map[string]config.Group{
		"supervision": cfg.Supervision.Group, "leaders": cfg.Leaders.Group,
	}}
}

// robot is target's platform and robot; a target without one answers
// "" (an unknown department too: its notices go to the log).
func (g groupRobots) robot(ctx context.Context, target string) (platform, key, secret string, err error) {
	if grp, ok := g.own[target]; ok {
		key, secret := robotOf(grp)
		return grp.Platform, key, secret, nil
	}
	d, err := g.cases.Department(ctx, target)
	if models.ErrorCode(err) == models.ErrNotFound {
		return "", "", "", nil
	}
	if err != nil {
		return "", "", "", err
	}
	return d.Platform, d.RobotKey, d.RobotSecret, nil
}

func (g groupRobots) wecomKey(ctx context.Context, target string) (string, error) {
	platform, key, _, err := g.robot(ctx, target)
	if err != nil || platform != "wecom" {
		return "", err
	}
	return key, nil
}

func (g groupRobots) dingtalkRobot(ctx context.Context, target string) (dingtalk.Robot, error) {
	platform, key, secret, err := g.robot(ctx, target)
	if err != nil || platform != "dingtalk" {
		return dingtalk.Robot{}, err
	}
	return dingtalk.Robot{AccessToken: key, Secret: secret}, nil
}

// wecomConfig copies what the WeCom side needs: the app's credentials;
// robots and user ids come from the directory.
func wecomConfig(cfg *config.Config, cases *casework.Service) wecom.Config {
	w := cfg.WeCom
	return wecom.Config{
		CorpID: w.CorpID, AgentID: w.AgentID, Secret: w.Secret, Token: w.Token, EncodingAESKey: w.EncodingAESKey,
		BotToken: w.BotToken, BotEncodingAESKey: w.BotEncodingAESKey, PublicURL: cfg.HTTP.PublicURL,
		Groups: newGroupRobots(cfg, cases).wecomKey,
		Users:  directoryUsers{cases, func(st models.Staff) string { return st.WeComUserID }},
	}
}

func dingtalkConfig(cfg *config.Config, cases *casework.Service) dingtalk.Config {
	d := cfg.DingTalk
	return dingtalk.Config{AppKey: d.AppKey, AppSecret: d.AppSecret, RobotCode: d.RobotCode, PublicURL: cfg.HTTP.PublicURL,
		Groups: newGroupRobots(cfg, cases).dingtalkRobot,
		Users:  directoryUsers{cases, func(st models.Staff) string { return st.DingTalkUserID }}}
}

// routeNotices decides each notice's platform. A reader whose platform has
// no credentials gets "" — the log-only sender — so a demo or a
// half-configured centre logs instead of failing.
func routeNotices(cfg *config.Config, cases *casework.Service, wechatOn bool) func(context.Context, *models.Notice) (bot.Platform, error) {
	robots := newGroupRobots(cfg, cases)
	wecomApp := cfg.WeCom.CorpID != "" && cfg.WeCom.Secret != "" && cfg.WeCom.AgentID != ""
	dingApp := cfg.DingTalk.AppKey != "" && cfg.DingTalk.AppSecret != "" && cfg.DingTalk.RobotCode != ""
	return func(ctx context.Context, n *models.Notice) (bot.Platform, error) {
		switch n.Audience {
		case models.AudienceApplicant:
			if n.Target != "" && wechatOn {
				return bot.WeChat, nil
			}
		case models.AudienceDepartment, models.AudienceSupervision, models.AudienceLeaders:
			target, _ := bot.GroupTarget(n)
			platform, key, _, err := robots.robot(ctx, target)
			if err != nil || key == "" {
				return "", err
			}
			switch platform {
			case "wecom":
				return bot.WeCom, nil
			case "dingtalk":
				return bot.DingTalk, nil
			}
		case models.AudienceStaff:
			st, err := cases.Staff(ctx, n.Target)
			if models.ErrorCode(err) == models.ErrNotFound {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			if st.WeComUserID != "" && wecomApp {
				return bot.WeCom, nil
			}
			if st.DingTalkUserID != "" && dingApp {
				return bot.DingTalk, nil
			}
		}
		return "", nil
	}
}

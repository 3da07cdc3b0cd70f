package live

import (
	"context"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/province"
	"bbcs/models"
)

// Routes resolves where a notice goes, for the router and the senders.
type Routes struct {
	dir *snapshot
}

// NewRoutes reads the recipients from dir.
func NewRoutes(dir Directory) *Routes { return &Routes{dir: &snapshot{dir: dir}} }

// Robot is target's platform and robot; a target without one answers ""
// (an unknown department too: its notices go to the log).
func (r *Routes) Robot(ctx context.Context, target string) (platform, key, secret string, err error) {
	v, err := r.dir.get(ctx)
	if err != nil {
		return "", "", "", err
	}
	if g, ok := v.ownGroup(target); ok {
		return g.Platform, g.Key, g.Secret, nil
	}
	d, ok := v.depts[target]
	if !ok {
		if v, err = r.dir.fresh(ctx); err != nil {
			return "", "", "", err
		}
		d = v.depts[target]
	}
	if !d.Active {
		return "", "", "", nil
	}
	return d.Platform, d.RobotKey, d.RobotSecret, nil
}

func (r *Routes) wecomKey(ctx context.Context, target string) (string, error) {
	platform, key, _, err := r.Robot(ctx, target)
	if err != nil || platform != "wecom" {
		return "", err
	}
	return key, nil
}

func (r *Routes) dingtalkRobot(ctx context.Context, target string) (dingtalk.Robot, error) {
	platform, key, secret, err := r.Robot(ctx, target)
	if err != nil || platform != "dingtalk" {
		return dingtalk.Robot{}, err
	}
	return dingtalk.Robot{AccessToken: key, Secret: secret}, nil
}

// users is bot.Users for one platform's user ids.
func (r *Routes) users(id func(models.Staff) string) bot.Users {
	return func(ctx context.Context, staffID string) (string, error) {
		st, ok, err := r.dir.person(ctx, staffID)
		if err != nil || !ok {
			return "", err
		}
		return id(st), nil
	}
}

// Route decides a notice's platform. A reader whose platform has no
// credentials gets "" — the log-only sender — so a demo or a
// half-configured centre logs instead of failing.
func (r *Routes) Route(ctx context.Context, n *models.Notice) (bot.Platform, error) {
	switch n.Audience {
	case models.AudienceApplicant:
		v, err := r.dir.get(ctx)
		if err != nil {
			return "", err
		}
		if n.Target != "" && v.settings.WeChat.Complete() {
			return bot.WeChat, nil
		}
	case models.AudienceDepartment, models.AudienceSupervision, models.AudienceLeaders:
		target, _ := bot.GroupTarget(n)
		platform, key, _, err := r.Robot(ctx, target)
		if err != nil || key == "" {
			return "", err
		}
		switch platform {
		case "wecom":
			return bot.WeCom, nil
		case "dingtalk":
			return bot.DingTalk, nil
		}
	case models.AudienceProvince:
		// Always its own sender, configured or not: a 好差评 record is
		// never only logged (bot/province.Unconfigured).
		return province.Platform, nil
	case models.AudienceStaff:
		st, ok, err := r.dir.person(ctx, n.Target)
		if err != nil || !ok {
			return "", err
		}
		v, err := r.dir.get(ctx)
		if err != nil {
			return "", err
		}
		if st.WeComUserID != "" && v.settings.WeCom.Complete() {
			return bot.WeCom, nil
		}
		if st.DingTalkUserID != "" && v.settings.DingTalk.Complete() {
			return bot.DingTalk, nil
		}
	}
	return "", nil
}

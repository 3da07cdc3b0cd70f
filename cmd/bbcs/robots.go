package main

import (
	"context"
	"sync"
	"time"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wecom"
	"bbcs/casework"
	"bbcs/config"
	"bbcs/models"
)

// Where notices go. A department's window group and a person's platform
// user ids live in the directory, which config and the console both
// manage (R10), so the senders read them from the database, not from
// config: a robot or a user id set in the console is used from the next
// notice on its replica, and within snapshotTTL on the others. The supervision section's and the
// leaders' groups are the centre's own and come from config.

// snapshotTTL bounds how stale the senders' view of the directory may be.
// One notice reads it three times or more (its route, its robot, each
// @-mention), and an outbox pass sends up to a hundred. A recipient the
// copy does not know, which would send the notice to the log, is looked
// for again in a fresh copy: a department added on another replica a
// moment ago is not lost.
const snapshotTTL = 2 * time.Second

// directorySnapshot is the departments and staff, read at most once per
// snapshotTTL.
type directorySnapshot struct {
	cases *casework.Service
	mu    sync.Mutex
	read  time.Time
	edits uint64 // cases.DirectoryEdits() when read
	depts map[string]models.Department
	staff map[string]models.Staff
}

func (d *directorySnapshot) get(ctx context.Context) (map[string]models.Department, map[string]models.Staff, error) {
	return d.load(ctx, false)
}

// fresh is get with a copy read now, unless one was read this instant.
func (d *directorySnapshot) fresh(ctx context.Context) (map[string]models.Department, map[string]models.Staff, error) {
	return d.load(ctx, true)
}

func (d *directorySnapshot) load(ctx context.Context, fresh bool) (map[string]models.Department, map[string]models.Staff, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	edits := d.cases.DirectoryEdits()
	maxAge := snapshotTTL
	if fresh {
		maxAge = 50 * time.Millisecond
	}
	if time.Since(d.read) < maxAge && edits == d.edits {
		return d.depts, d.staff, nil
	}
	depts, err := d.cases.Departments(ctx)
	if err != nil {
		return nil, nil, err
	}
	list, err := d.cases.AllStaff(ctx)
	if err != nil {
		return nil, nil, err
	}
	staff := make(map[string]models.Staff, len(list))
	for _, st := range list {
		staff[st.ID] = st
	}
	d.depts, d.staff, d.read, d.edits = depts, staff, time.Now(), edits
	return depts, staff, nil
}

// person is an active staff member by id, false when there is none.
func (d *directorySnapshot) person(ctx context.Context, id string) (models.Staff, bool, error) {
	_, staff, err := d.get(ctx)
	if st, ok := staff[id]; err != nil || ok && st.Active {
		return st, ok, err
	}
	_, staff, err = d.fresh(ctx)
	st, ok := staff[id]
	return st, ok && st.Active, err
}

// users is bot.Users for one platform's user ids.
func (d *directorySnapshot) users(id func(models.Staff) string) bot.Users {
	return func(ctx context.Context, staffID string) (string, error) {
		st, ok, err := d.person(ctx, staffID)
		if err != nil || !ok {
			return "", err
		}
		return id(st), nil
	}
}

// recipients resolves where a notice goes, for the router and senders.
type recipients struct {
	dir               *directorySnapshot
	own               map[string]config.Group // "supervision", "leaders"
	wecomApp, dingApp bool
	wechatOn          bool
}

func newRecipients(cfg *config.Config, cases *casework.Service, wechatOn bool) *recipients {
	return &recipients{
		dir:      &directorySnapshot{cases: cases},
		own:      map[string]config.Group{"supervision": cfg.Supervision.Group, "leaders": cfg.Leaders.Group},
		wecomApp: cfg.WeCom.CorpID != "" && cfg.WeCom.Secret != "" && cfg.WeCom.AgentID != "",
		dingApp:  cfg.DingTalk.AppKey != "" && cfg.DingTalk.AppSecret != "" && cfg.DingTalk.RobotCode != "",
		wechatOn: wechatOn,
	}
}

// robot is target's platform and robot; a target without one answers
// "" (an unknown department too: its notices go to the log).
func (r *recipients) robot(ctx context.Context, target string) (platform, key, secret string, err error) {
	if grp, ok := r.own[target]; ok {
		key, secret := grp.Robot()
		return grp.Platform, key, secret, nil
	}
	depts, _, err := r.dir.get(ctx)
	if d := depts[target]; err != nil || d.Active && d.RobotKey != "" {
		return d.Platform, d.RobotKey, d.RobotSecret, err
	}
	depts, _, err = r.dir.fresh(ctx)
	if d := depts[target]; err == nil && d.Active {
		return d.Platform, d.RobotKey, d.RobotSecret, nil
	}
	return "", "", "", err
}

func (r *recipients) wecomKey(ctx context.Context, target string) (string, error) {
	platform, key, _, err := r.robot(ctx, target)
	if err != nil || platform != "wecom" {
		return "", err
	}
	return key, nil
}

func (r *recipients) dingtalkRobot(ctx context.Context, target string) (dingtalk.Robot, error) {
	platform, key, secret, err := r.robot(ctx, target)
	if err != nil || platform != "dingtalk" {
		return dingtalk.Robot{}, err
	}
	return dingtalk.Robot{AccessToken: key, Secret: secret}, nil
}

// route decides a notice's platform. A reader whose platform has no
// credentials gets "" — the log-only sender — so a demo or a
// half-configured centre logs instead of failing.
func (r *recipients) route(ctx context.Context, n *models.Notice) (bot.Platform, error) {
	switch n.Audience {
	case models.AudienceApplicant:
		if n.Target != "" && r.wechatOn {
			return bot.WeChat, nil
		}
	case models.AudienceDepartment, models.AudienceSupervision, models.AudienceLeaders:
		target, _ := bot.GroupTarget(n)
		platform, key, _, err := r.robot(ctx, target)
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
		st, ok, err := r.dir.person(ctx, n.Target)
		if err != nil || !ok {
			return "", err
		}
		if st.WeComUserID != "" && r.wecomApp {
			return bot.WeCom, nil
		}
		if st.DingTalkUserID != "" && r.dingApp {
			return bot.DingTalk, nil
		}
	}
	return "", nil
}

// wecomConfig copies what the WeCom side needs: the app's credentials;
// robots and user ids come from the directory.
func wecomConfig(cfg *config.Config, to *recipients) wecom.Config {
	w := cfg.WeCom
	return wecom.Config{
		CorpID: w.CorpID, AgentID: w.AgentID, Secret: w.Secret, Token: w.Token, EncodingAESKey: w.EncodingAESKey,
		BotToken: w.BotToken, BotEncodingAESKey: w.BotEncodingAESKey, PublicURL: cfg.HTTP.PublicURL,
		Groups: to.wecomKey,
		Users:  to.dir.users(func(st models.Staff) string { return st.WeComUserID }),
	}
}

func dingtalkConfig(cfg *config.Config, to *recipients) dingtalk.Config {
	d := cfg.DingTalk
	return dingtalk.Config{AppKey: d.AppKey, AppSecret: d.AppSecret, RobotCode: d.RobotCode, PublicURL: cfg.HTTP.PublicURL,
		Groups: to.dingtalkRobot,
		Users:  to.dir.users(func(st models.Staff) string { return st.DingTalkUserID })}
}

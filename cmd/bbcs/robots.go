package main

import (
	"context"
	"sync"
	"time"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wecom"
	"bbcs/casework"
	"bbcs/models"
)

// Where notices go. A department's window group, a person's platform user
// ids, the supervision section's and leaders' groups and the apps'
// credentials live in the database, which config and the console both
// manage (R10), so the senders read them from there, not from config: a
// change made in the console is used from the next notice on its replica,
// and within snapshotTTL on the others.

// snapshotTTL bounds how stale the senders' view of the directory may be.
// One notice reads it three times or more (its route, its robot, each
// @-mention), and an outbox pass sends up to a hundred. A recipient the
// copy does not know, which would send the notice to the log, is looked
// for again in a fresh copy: a department added on another replica a
// moment ago is not lost.
const snapshotTTL = 2 * time.Second

// directorySnapshot is the departments, staff and settings, read at most
// once per snapshotTTL.
type directorySnapshot struct {
	cases *casework.Service
	mu    sync.Mutex
	read  time.Time
	edits uint64 // cases.DirectoryEdits() when read
	view  *directoryView
	gen   uint64 // of the last view read
}

// directoryView is one reading of the directory. It is never changed
// once read: holders may keep it.
type directoryView struct {
	depts    map[string]models.Department
	staff    map[string]models.Staff
	settings models.Settings
	gen      uint64 // counts the readings: a later one is newer
}

func (d *directorySnapshot) get(ctx context.Context) (*directoryView, error) {
	return d.load(ctx, false)
}

// fresh is get with a copy read now, unless one was read this instant.
func (d *directorySnapshot) fresh(ctx context.Context) (*directoryView, error) {
	return d.load(ctx, true)
}

func (d *directorySnapshot) load(ctx context.Context, fresh bool) (*directoryView, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	edits := d.cases.DirectoryEdits()
	maxAge := snapshotTTL
	if fresh {
		maxAge = 50 * time.Millisecond
	}
	if d.view != nil && time.Since(d.read) < maxAge && edits == d.edits {
		return d.view, nil
	}
	depts, err := d.cases.Departments(ctx)
	var list []models.Staff
	if err == nil {
		list, err = d.cases.AllStaff(ctx)
	}
	var settings models.Settings
	if err == nil {
		settings, err = d.cases.Settings(ctx)
	}
	if err != nil {
		if d.view == nil {
			return nil, err
		}
		// Serve the copy in hand for another TTL rather than queue every
		// send and callback behind a database that is not answering.
		d.read = time.Now()
		return d.view, nil
	}
	staff := make(map[string]models.Staff, len(list))
	for _, st := range list {
		staff[st.ID] = st
	}
	d.gen++
	d.view, d.read, d.edits = &directoryView{depts: depts, staff: staff, settings: settings, gen: d.gen}, time.Now(), edits
	return d.view, nil
}

// person is an active staff member by id, false when there is none.
func (d *directorySnapshot) person(ctx context.Context, id string) (models.Staff, bool, error) {
	v, err := d.get(ctx)
	if err != nil {
		return models.Staff{}, false, err
	}
	st, ok := v.staff[id]
	if !ok {
		if v, err = d.fresh(ctx); err != nil {
			return models.Staff{}, false, err
		}
		st, ok = v.staff[id]
	}
	return st, ok && st.Active, nil
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
	dir *directorySnapshot
}

// ownGroup is the centre's own group a notice target names, if it does.
func (v *directoryView) ownGroup(target string) (models.CentreGroup, bool) {
	switch target {
	case "supervision":
		return v.settings.Supervision, true
	case "leaders":
		return v.settings.Leaders, true
	}
	return models.CentreGroup{}, false
}

// robot is target's platform and robot; a target without one answers
// "" (an unknown department too: its notices go to the log).
func (r *recipients) robot(ctx context.Context, target string) (platform, key, secret string, err error) {
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

// The apps a private message or a citizen's notice needs, complete.
func wechatOn(s models.Settings) bool { return s.WeChat.AppID != "" && s.WeChat.AppSecret != "" }
func wecomOn(s models.Settings) bool {
	return s.WeCom.CorpID != "" && s.WeCom.Secret != "" && s.WeCom.AgentID != ""
}
func dingtalkOn(s models.Settings) bool {
	return s.DingTalk.AppKey != "" && s.DingTalk.AppSecret != "" && s.DingTalk.RobotCode != ""
}

// route decides a notice's platform. A reader whose platform has no
// credentials gets "" — the log-only sender — so a demo or a
// half-configured centre logs instead of failing.
func (r *recipients) route(ctx context.Context, n *models.Notice) (bot.Platform, error) {
	switch n.Audience {
	case models.AudienceApplicant:
		v, err := r.dir.get(ctx)
		if err != nil {
			return "", err
		}
		if n.Target != "" && wechatOn(v.settings) {
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
		v, err := r.dir.get(ctx)
		if err != nil {
			return "", err
		}
		if st.WeComUserID != "" && wecomOn(v.settings) {
			return bot.WeCom, nil
		}
		if st.DingTalkUserID != "" && dingtalkOn(v.settings) {
			return bot.DingTalk, nil
		}
	}
	return "", nil
}

// wecomConfig is what the WeCom side needs: the app's credentials in
// force; robots and user ids come from the directory at each send.
func wecomConfig(app models.WeComApp, publicURL string, to *recipients) wecom.Config {
	return wecom.Config{
		CorpID: app.CorpID, AgentID: app.AgentID, Secret: app.Secret, Token: app.Token, EncodingAESKey: app.EncodingAESKey,
		BotToken: app.BotToken, BotEncodingAESKey: app.BotEncodingAESKey, PublicURL: publicURL,
		Groups: to.wecomKey,
		Users:  to.dir.users(func(st models.Staff) string { return st.WeComUserID }),
	}
}

func dingtalkConfig(app models.DingTalkApp, publicURL string, to *recipients) dingtalk.Config {
	return dingtalk.Config{AppKey: app.AppKey, AppSecret: app.AppSecret, RobotCode: app.RobotCode, PublicURL: publicURL,
		Groups: to.dingtalkRobot,
		Users:  to.dir.users(func(st models.Staff) string { return st.DingTalkUserID })}
}

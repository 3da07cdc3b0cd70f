package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/live"
	"bbcs/bot/province"
	"bbcs/bot/wechat"
	"bbcs/bot/wecom"
	"bbcs/casework"
	"bbcs/clock"
	"bbcs/config"
	"bbcs/handlers"
	"bbcs/jobs"
	"bbcs/outbox"
	"bbcs/reports"
	"bbcs/store"
	"bbcs/timers"
	"bbcs/workday"
)

// app is bbcs wired together.
type app struct {
	log       *slog.Logger
	db        *gorm.DB
	redis     *store.Redis
	cases     *casework.Service
	reports   *reports.Reports
	timers    *timers.Engine
	account   *wechat.Account // the service account without credentials
	platforms *live.Platforms // the platforms' clients, as the credentials in force make them
	outbox    *outbox.Dispatcher
	citizens  *handlers.Citizens
	staff     *handlers.Staff
	jobs      *jobs.Jobs

	handler  http.Handler
	fake     *clock.Fake
	metrics  *metrics
	addr     string
	shutdown []func()
}

func (a *app) close() {
	for i := len(a.shutdown) - 1; i >= 0; i-- {
		a.shutdown[i]()
	}
}

// build wires every component from the config. Each gets only the settings
// it needs.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	return buildWith(ctx, cfg, log, clock.Real{})
}

// buildWith is build on the wall clock wall: clock.Real, but for tests
// that let a platform's real time pass (a rate limit's minute) faster.
//
// clk is business time: deadlines, timers, rating clocks, the 48-hour
// window, dialog expiry. wall is what the platforms check: signatures and
// their timestamps, callback freshness, token lifetimes, rate limits. The
// test clock moves clk only, so a centre can rehearse on its real groups
// (REQUIREMENTS.md, "Test clock").
func buildWith(ctx context.Context, cfg *config.Config, log *slog.Logger, wall clock.Wall) (_ *app, err error) {
	a := &app{log: log, addr: cfg.HTTP.Addr, metrics: newMetrics()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	clk := a.newClock(cfg.Clock)
	if err = a.openStores(ctx, cfg); err != nil {
		return nil, err
	}
	if err = a.newCasework(ctx, cfg, clk); err != nil {
		return nil, err
	}
	if err = a.newPlatforms(cfg, clk, wall); err != nil {
		return nil, err
	}
	if err = a.newOutbox(cfg, clk, wall); err != nil {
		return nil, err
	}
	if err = a.newInbound(ctx, cfg, clk); err != nil {
		return nil, err
	}
	a.newJobs(cfg)
	a.newHTTP(cfg, clk)
	return a, nil
}

// newClock is business time: the wall clock, or the test clock when
// config turns it on.
func (a *app) newClock(c config.Clock) clock.Clock {
	if !c.Fake {
		return clock.Real{}
	}
	a.fake = clock.NewFake(time.Now())
	a.log.Warn("test clock enabled: POST /debug/clock moves bbcs's time; never use this in production")
	return a.fake
}

func (a *app) openStores(ctx context.Context, cfg *config.Config) (err error) {
	if a.db, err = store.OpenDatabase(cfg.Database.DSN, cfg.Database.SQLitePath, a.log); err != nil {
		return err
	}
	a.shutdown = append(a.shutdown, func() { store.CloseDatabase(a.db) })
	if a.redis, err = store.OpenRedis(ctx, cfg.Redis.Addr, cfg.Redis.Password, cfg.Redis.DB, a.log); err != nil {
		return err
	}
	a.shutdown = append(a.shutdown, func() { a.redis.Close() })
	return nil
}

// newCasework is the use cases, the reports and the timer index, on the
// calendar and the directory config names (with the console's on top).
func (a *app) newCasework(ctx context.Context, cfg *config.Config, clk clock.Clock) error {
	buildCalendar, err := calendarBuilder(cfg.Workday)
	if err != nil {
		return err
	}
	cal, err := buildCalendar(nil)
	if err != nil {
		return err
	}
	a.cases = casework.New(a.db, clk, cal, caseworkOptions(cfg), a.log)
	a.cases.SetCalendarBuilder(buildCalendar)
	a.timers = timers.New(a.redis.Client, cfg.Redis.KeyPrefix, clk, timers.Options{}, a.log)
	a.cases.SetTimers(a.timers)
	a.reports = reports.New(a.db, cal.Location(), clk.Now)
	a.reports.Centre = cfg.Centre.Name
	a.reports.UnratedAsSatisfied = cfg.Rating.UnratedAsSatisfied // issue 16: the figures say so
	return a.syncDirectory(ctx, cfg)
}

func caseworkOptions(cfg *config.Config) casework.Options {
	checkIn, _ := config.ParseClock(cfg.Duty.CheckIn)
	return casework.Options{
		CasePrefix: cfg.Centre.CasePrefix, OrderPrefix: cfg.Centre.OrderPrefix,
		ReplyDays: cfg.Workday.ReplyDays, MaxDays: cfg.Workday.MaxDays,
		CheckIn: checkIn, Principal: cfg.Leaders.Principal,
		RateRemindAfter: mustDuration(cfg.Rating.RemindAfter), RateCloseAfter: mustDuration(cfg.Rating.CloseAfter),
		RatingLinkTTL: mustDuration(cfg.Rating.LinkTTL), PublicURL: cfg.HTTP.PublicURL,
		Province: casework.ProvinceOptions{Push: cfg.Province.URL != "", Centre: cfg.Centre.Name,
			UnratedAsSatisfied: cfg.Rating.UnratedAsSatisfied},
		AppealDays:  cfg.Rating.AppealDays,
		RectifyDays: cfg.Rating.RectifyDays,
	}
}

// syncDirectory writes config's departments and staff into the database,
// then reads the console's holidays.
func (a *app) syncDirectory(ctx context.Context, cfg *config.Config) error {
	departments, staff, roster := cfg.Directory()
	if err := a.cases.SyncDirectory(ctx, casework.Directory{Departments: departments, Staff: staff, Roster: roster,
		Settings: cfg.Settings()}); err != nil {
		return err
	}
	if err := a.cases.ReloadCalendar(ctx); err != nil {
		return err
	}
	logCalendar(a.log, a.cases.Calendar(), a.cases.Clock().Now()) // with the console's holidays
	a.log.Info("directory synced", "departments", len(cfg.Departments), "staff", len(cfg.Staff))
	if len(cfg.Staff) == 0 {
		a.log.Warn("no staff configured: cases cannot be registered until config names at least one specialist")
	}
	return nil
}

// newPlatforms is the platforms' clients, on the hosts config names.
func (a *app) newPlatforms(cfg *config.Config, clk clock.Clock, wall clock.Wall) error {
	hosts, err := platformHosts(cfg)
	if err != nil {
		return err
	}
	a.account = wechat.New(wechat.Config{Templates: cfg.WeChat.Templates, CentreName: cfg.Centre.Name},
		a.redis.Client, cfg.Redis.KeyPrefix, clk, wall, hosts.Client(10*time.Second), a.log)
	a.platforms = live.New(a.cases, live.Config{Account: a.account,
		WeComHTTP: hosts.Client(10 * time.Second), DingTalkHTTP: hosts.Client(10 * time.Second),
		Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Wall: wall, PublicURL: cfg.HTTP.PublicURL, Log: a.log})
	return nil
}

// platformHosts sends each platform's requests to the base config gives
// it (a fake's, in tests).
func platformHosts(cfg *config.Config) (*bot.Hosts, error) {
	hosts := bot.NewHosts(nil)
	for _, r := range []struct{ key, host, base string }{
		{"wechat.api_base", wechat.PublicHost, cfg.WeChat.APIBase},
		{"wecom.api_base", wecom.PublicHost, cfg.WeCom.APIBase},
		{"dingtalk.oapi_base", dingtalk.OAPIHost, cfg.DingTalk.OAPIBase},
		{"dingtalk.api_base", dingtalk.APIHost, cfg.DingTalk.APIBase},
	} {
		if err := hosts.Route(r.host, r.base); err != nil {
			return nil, fmt.Errorf("%s: %w", r.key, err)
		}
	}
	return hosts, nil
}

func (a *app) newOutbox(cfg *config.Config, clk clock.Clock, wall clock.Wall) error {
	router := a.platforms.Router(a.metrics.measure)
	// The provincial 好差评 platform (province.*): signed on the wall clock.
	p := cfg.Province
	push, err := province.NewSender(province.Config{URL: p.URL, AppID: p.AppID, Secret: p.Secret, Fields: p.Fields}, nil, wall)
	if err != nil {
		return err
	}
	router.Senders[province.Platform] = a.metrics.measure(province.Platform, push)
	a.outbox = outbox.New(a.db, clk, router, a.log)
	a.outbox.ClockGoesBack = cfg.Clock.Fake
	return nil
}

// newInbound is what answers the citizens and the staff, and the
// platforms' callbacks that hand them their messages.
func (a *app) newInbound(ctx context.Context, cfg *config.Config, clk clock.Clock) error {
	a.staff = &handlers.Staff{Cases: a.cases, Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Kick: a.outbox.Kick, Log: a.log}
	a.citizens = &handlers.Citizens{
		Cases: a.cases, Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Clock: clk, Centre: cfg.Centre.Name,
		Touch: a.account.Touch, Kick: a.outbox.Kick, Timers: a.timers, Log: a.log,
	}
	return a.platforms.Start(ctx, a.citizens.Handle, a.staff.Handle)
}

// newJobs is the background work, with each timer namespace's owner
// registered on the mux the engine fires through.
func (a *app) newJobs(cfg *config.Config) {
	mux := timers.NewMux(a.log)
	a.jobs = &jobs.Jobs{Cases: a.cases, Reports: a.reports, Outbox: a.outbox, Timers: a.timers, Mux: mux,
		Measure: a.timed, Account: func(ctx context.Context) jobs.Media { return a.platforms.WeChat(ctx) },
		PublicURL: cfg.HTTP.PublicURL, Log: a.log}
	a.cases.HandleTimers(mux)
	a.citizens.HandleTimers(mux)
	a.jobs.HandleTimers(mux)
	mux.AfterFiring(a.outbox.Kick) // the notices a timer wrote go at once
}

func (a *app) newHTTP(cfg *config.Config, clk clock.Clock) {
	secret := sessionSecret(cfg.HTTP.SessionSecret, a.log)
	reg := handlers.NewRegistry()
	a.registerMetrics(reg)
	a.handler = handlers.New(handlers.Deps{
		Registry: reg, Log: a.log,
		Cases: a.cases, Reports: a.reports, Tokens: apiTokens(cfg),
		FakeClock: a.fake, ClockMoved: a.jobs.ClockMoved,
		WeChat:      a.platforms.WeChatCallback(),
		WeComBot:    a.platforms.WeComBotCallback(),
		WeComApp:    a.platforms.WeComAppCallback(),
		DingTalkBot: a.platforms.DingTalkCallback(),
		Rating:      &handlers.RatingPage{Cases: a.cases, Kick: a.outbox.Kick},
		Console: &handlers.Console{Cases: a.cases, Reports: a.reports, Clock: clk, Secret: secret,
			Passwords: passwords(cfg), Kick: a.outbox.Kick, Log: a.log, Notices: a.outbox, Centre: cfg.Centre.Name},
		Actions: &handlers.Actions{Cases: a.cases, Clock: clk, Secret: secret, Kick: a.outbox.Kick,
			Platforms:      map[string]handlers.Identity{"wecom": a.platforms.WeComIdentity(), "dingtalk": a.platforms.DingTalkIdentity()},
			SignIn:         map[string]func(context.Context, string) string{"wecom": a.platforms.WeComSignIn},
			DingTalkCorpID: a.platforms.DingTalkCorpID,
		},
		Checks: a.checks(),
	})
}

// checks are what /readyz asks.
func (a *app) checks() []handlers.Check {
	return []handlers.Check{
		{Name: "database", Ping: func(ctx context.Context) error {
			sqlDB, err := a.db.DB()
			if err != nil {
				return err
			}
			return sqlDB.PingContext(ctx)
		}},
		{Name: "redis", Ping: func(ctx context.Context) error { return a.redis.Ping(ctx).Err() }},
	}
}

// calendarBuilder builds the calendars config describes, with the console's
// holiday overrides on top.
func calendarBuilder(c config.Workday) (casework.CalendarBuilder, error) {
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	end, _ := config.ParseClock(c.EndOfDay)
	morning, _ := config.ParseClock(c.ReminderTime)
	override, err := workday.LoadOverrideFile(c.OverrideFile) // read once: an edit to the file needs a restart
	if err != nil {
		return nil, err
	}
	return func(more []workday.Source) (*workday.Calendar, error) {
		cal, err := workday.New(workday.Options{
			Location: loc, EndOfDay: end, Morning: morning,
			AfterHoursNextDay: c.AfterHoursNextDay, Override: override, OverrideName: c.OverrideFile, More: more,
		})
		if err != nil {
			return nil, fmt.Errorf("workday calendar: %w", err)
		}
		return cal, nil
	}, nil
}

// logCalendar says which years' official holiday tables are loaded, and
// warns from 1 November when next year's is missing (calendar.md).
func logCalendar(log *slog.Logger, cal *workday.Calendar, now time.Time) {
	var years []string
	for _, y := range cal.Years() {
		years = append(years, fmt.Sprint(y.Year))
	}
	log.Info("working-day calendar loaded", "years", strings.Join(years, ","))
	if y, missing := cal.MissingNextYear(now); missing {
		log.Warn("next year's official holiday arrangement is not loaded; deadlines in it are estimated from statutory holidays until an administrator adds it (workday.override_file)", "year", y)
	}
}

// sessionSecret is the configured one, or a random one for this process
// (then sessions do not survive a restart or cross replicas).
func sessionSecret(configured string, log *slog.Logger) []byte {
	if configured != "" {
		return []byte(configured)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	log.Info("http.session_secret is not set: action-page sessions last until this process stops")
	return b
}

// mustDuration reads a duration config.Validate has checked.
func mustDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// apiTokens maps each API bearer token to the staff id it acts as.
func apiTokens(cfg *config.Config) map[string]string {
	tokens := make(map[string]string, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		tokens[t.Token] = t.Staff
	}
	return tokens
}

// passwords are the console's bcrypt hashes by staff id.
func passwords(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, st := range cfg.Staff {
		if st.PasswordHash != "" {
			out[st.ID] = st.PasswordHash
		}
	}
	return out
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/bot/dingtalk"
	"bbcs/bot/wechat"
	"bbcs/bot/wecom"
	"bbcs/casework"
	"bbcs/clock"
	"bbcs/config"
	"bbcs/handlers"
	"bbcs/models"
	"bbcs/outbox"
	"bbcs/reports"
	"bbcs/store"
	"bbcs/timers"
	"bbcs/workday"
)

func checkConfig(path string, environ []string, stdout io.Writer) error {
	if path == "" {
		return usageError{"bbcs config check: --config FILE is required"}
	}
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%w", path, err)
	}
	// The holiday file is part of the configuration: a year it adds must
	// be whole, and the check says so before a start would.
	build, err := calendarBuilder(cfg.Workday)
	if err == nil {
		_, err = build(nil)
	}
	if err != nil {
		return fmt.Errorf("%s is not valid:\nworkday.override_file: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

func migrate(ctx context.Context, path string, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("config:\n%w", err)
	}
	log := newLogger(cfg.Log, os.Stderr)
	db, err := store.OpenDatabase(cfg.Database.DSN, cfg.Database.SQLitePath, log)
	if err != nil {
		return err
	}
	defer store.CloseDatabase(db)
	fmt.Fprintln(stdout, "schema is up to date")
	return nil
}

// app is bbcs wired together.
type app struct {
	log     *slog.Logger
	db      *gorm.DB
	redis   *store.Redis
	cases   *casework.Service
	outbox  *outbox.Dispatcher
	apps    *liveApps // the platforms' clients, as the credentials in force make them
	timers  *timers.Engine
	reports *reports.Reports

	publicURL string
	citizens  *handlers.Citizens

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
func buildWith(ctx context.Context, cfg *config.Config, log *slog.Logger, wall clock.Wall) (*app, error) {
	a := &app{log: log, addr: cfg.HTTP.Addr, metrics: newMetrics()}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()

	buildCalendar, err := calendarBuilder(cfg.Workday)
	if err != nil {
		return nil, err
	}
	cal, err := buildCalendar(nil)
	if err != nil {
		return nil, err
	}
	// clk is business time: deadlines, timers, rating clocks, the 48-hour
	// window, dialog expiry. wall is what the platforms check: signatures
	// and their timestamps, callback freshness, token lifetimes, rate
	// limits. The test clock moves clk only, so a centre can rehearse on
	// its real groups (REQUIREMENTS.md, "Test clock").
	var clk clock.Clock = clock.Real{}
	if cfg.Clock.Fake {
		a.fake = clock.NewFake(time.Now())
		clk = a.fake
		log.Warn("test clock enabled: POST /debug/clock moves bbcs's time; never use this in production")
	}

	a.db, err = store.OpenDatabase(cfg.Database.DSN, cfg.Database.SQLitePath, log)
	if err != nil {
		return nil, err
	}
	a.shutdown = append(a.shutdown, func() { store.CloseDatabase(a.db) })
	a.redis, err = store.OpenRedis(ctx, cfg.Redis.Addr, cfg.Redis.Password, cfg.Redis.DB, log)
	if err != nil {
		return nil, err
	}
	a.shutdown = append(a.shutdown, func() { a.redis.Close() })

	checkIn, _ := config.ParseClock(cfg.Duty.CheckIn)
	a.cases = casework.New(a.db, clk, cal, casework.Options{
		CasePrefix: cfg.Centre.CasePrefix, OrderPrefix: cfg.Centre.OrderPrefix,
		ReplyDays: cfg.Workday.ReplyDays, MaxDays: cfg.Workday.MaxDays,
		CheckIn: checkIn, Principal: cfg.Leaders.Principal,
		RateRemindAfter: mustDuration(cfg.Rating.RemindAfter), RateCloseAfter: mustDuration(cfg.Rating.CloseAfter),
		RatingLinkTTL: mustDuration(cfg.Rating.LinkTTL), PublicURL: cfg.HTTP.PublicURL,
	}, log)
	a.reports = reports.New(a.db, cal.Location(), clk.Now)
	a.reports.Centre = cfg.Centre.Name
	a.publicURL = cfg.HTTP.PublicURL
	a.timers = timers.New(a.redis.Client, cfg.Redis.KeyPrefix, clk, timers.Options{}, log)
	a.cases.SetTimers(a.timers)
	a.cases.SetCalendarBuilder(buildCalendar)
	if err := a.cases.SyncDirectory(ctx, directory(cfg)); err != nil {
		return nil, err
	}
	if err := a.cases.ReloadCalendar(ctx); err != nil {
		return nil, err
	}
	logCalendar(log, a.cases.Calendar(), clk.Now()) // with the console's holidays
	log.Info("directory synced", "departments", len(cfg.Departments), "staff", len(cfg.Staff))
	if len(cfg.Staff) == 0 {
		log.Warn("no staff configured: cases cannot be registered until config names at least one specialist")
	}

	hosts := bot.NewHosts(nil)
	if err := hosts.Route(wechat.PublicHost, cfg.WeChat.APIBase); err != nil {
		return nil, fmt.Errorf("wechat.api_base: %w", err)
	}
	if err := hosts.Route(wecom.PublicHost, cfg.WeCom.APIBase); err != nil {
		return nil, fmt.Errorf("wecom.api_base: %w", err)
	}
	if err := hosts.Route(dingtalk.OAPIHost, cfg.DingTalk.OAPIBase); err != nil {
		return nil, fmt.Errorf("dingtalk.oapi_base: %w", err)
	}
	if err := hosts.Route(dingtalk.APIHost, cfg.DingTalk.APIBase); err != nil {
		return nil, fmt.Errorf("dingtalk.api_base: %w", err)
	}
	to := &recipients{dir: &directorySnapshot{cases: a.cases}}
	// The account with no credentials: what does not need them (the
	// customer-service window's record, Touch) and what each set of
	// credentials shares (Redis, the HTTP client, templates).
	account := wechat.New(wechat.Config{Templates: cfg.WeChat.Templates, CentreName: cfg.Centre.Name},
		a.redis.Client, cfg.Redis.KeyPrefix, clk, wall, hosts.Client(10*time.Second), log)
	wecomHTTP, dingtalkHTTP := hosts.Client(10*time.Second), hosts.Client(10*time.Second)
	var staff *handlers.Staff
	a.apps = &liveApps{dir: to.dir, log: log, build: func(s models.Settings) *platformApps {
		w := s.WeChat
		p := &platformApps{settings: s, wechat: account.With(w.AppID, w.AppSecret, w.Token, w.EncodingAESKey)}
		p.wechatIn = p.wechat.Callback(a.citizens.Handle, log)
		wc := wecomConfig(s.WeCom, cfg.HTTP.PublicURL, to)
		p.wecom = wecom.NewClient(wc, wecomHTTP, wall)
		p.wecomBot, p.wecomApp = wecom.BotCallback(wc, wall, staff.Handle, log), wecom.AppCallback(wc, wall, staff.Handle, log)
		dc := dingtalkConfig(s.DingTalk, cfg.HTTP.PublicURL, to)
		p.dingtalk = dingtalk.NewClient(dc, dingtalkHTTP, wall)
		p.dingtalkIn = dingtalk.Callback(dc, wall, staff.Handle, log)
		return p
	}}
	throttled := func(p bot.Platform, next bot.Sender) bot.Sender {
		return &bot.Throttle{Next: next, Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Wall: wall,
			Limit: 20, Window: time.Minute, Key: func(n *models.Notice) string {
				if target, ok := bot.GroupTarget(n); ok {
					return string(p) + ":" + target
				}
				return "" // private messages have no per-group limit
			}}
	}
	router := bot.Router{
		Senders: map[bot.Platform]bot.Sender{
			bot.WeChat: measured{bot.WeChat, a.apps.sender(func(p *platformApps) bot.Sender { return p.wechat }), a.metrics.platformSends},
			bot.WeCom: measured{bot.WeCom, throttled(bot.WeCom, a.apps.sender(func(p *platformApps) bot.Sender { return p.wecom })),
				a.metrics.platformSends},
			bot.DingTalk: measured{bot.DingTalk, throttled(bot.DingTalk, a.apps.sender(func(p *platformApps) bot.Sender { return p.dingtalk })),
				a.metrics.platformSends},
		},
		Route:   to.route,
		Default: bot.LogSender{Log: log},
	}
	a.outbox = outbox.New(a.db, clk, router, log)
	a.outbox.ClockGoesBack = cfg.Clock.Fake
	staff = &handlers.Staff{Cases: a.cases, Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Kick: a.outbox.Kick, Log: log}
	a.citizens = &handlers.Citizens{
		Cases: a.cases, Redis: a.redis.Client, Prefix: cfg.Redis.KeyPrefix, Clock: clk, Centre: cfg.Centre.Name,
		Touch: account.Touch, Kick: a.outbox.Kick, Timers: a.timers, Log: log,
	}
	apps, err := a.apps.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("platform credentials: %w", err)
	}
	if apps.settings.WeChat.Token == "" {
		log.Warn("wechat.token is not set: /wechat/oa accepts messages signed with the development token", "token", wechat.DevToken)
	}
	if !wechatOn(apps.settings) {
		log.Info("service account not configured (wechat.app_id, wechat.app_secret, or the console): citizens' notices are only logged")
	}

	secret := sessionSecret(cfg.HTTP.SessionSecret, log)
	tokens := make(map[string]string, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		tokens[t.Token] = t.Staff
	}
	reg := handlers.NewRegistry()
	a.registerMetrics(reg)
	a.handler = handlers.New(handlers.Deps{
		Registry: reg,
		Cases:    a.cases, Tokens: tokens, FakeClock: a.fake, Log: log,
		Reports:     a.reports,
		ClockMoved:  a.clockMoved,
		WeChat:      a.apps.handler(func(p *platformApps) http.Handler { return p.wechatIn }),
		WeComBot:    a.apps.handler(func(p *platformApps) http.Handler { return p.wecomBot }),
		WeComApp:    a.apps.handler(func(p *platformApps) http.Handler { return p.wecomApp }),
		DingTalkBot: a.apps.handler(func(p *platformApps) http.Handler { return p.dingtalkIn }),
		Rating:      &handlers.RatingPage{Cases: a.cases, Kick: a.outbox.Kick},
		Console: &handlers.Console{Cases: a.cases, Reports: a.reports, Clock: clk, Secret: secret,
			Passwords: passwords(cfg), Kick: a.outbox.Kick, Log: log, Notices: a.outbox, Centre: cfg.Centre.Name},
		Actions: &handlers.Actions{
			Cases: a.cases, Clock: clk, Secret: secret, Kick: a.outbox.Kick,
			Platforms: map[string]handlers.Identity{
				"wecom":    a.apps.identity(func(p *platformApps) handlers.Identity { return p.wecom }),
				"dingtalk": a.apps.identity(func(p *platformApps) handlers.Identity { return p.dingtalk }),
			},
			SignIn: map[string]func(context.Context, string) string{"wecom": func(ctx context.Context, back string) string {
				w := a.apps.get(ctx).settings.WeCom
				return wecomSignIn(w.CorpID, w.AgentID, back)
			}},
			DingTalkCorpID: func(ctx context.Context) string { return a.apps.get(ctx).settings.DingTalk.CorpID },
		},
		Checks: []handlers.Check{
			{Name: "database", Ping: func(ctx context.Context) error {
				sqlDB, err := a.db.DB()
				if err != nil {
					return err
				}
				return sqlDB.PingContext(ctx)
			}},
			{Name: "redis", Ping: func(ctx context.Context) error { return a.redis.Ping(ctx).Err() }},
		},
	})
	ok = true
	return a, nil
}

func serve(ctx context.Context, path string, environ []string, stderr io.Writer) error {
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("config:\n%w", err)
	}
	log := newLogger(cfg.Log, stderr)
	if path == "" {
		log.Info("no config file: starting on embedded defaults (SQLite file, in-process Redis, messages only logged)")
	}
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("environment variable matches no config key", "name", name)
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.outbox.Run(ctx, time.Second)
	}()
	if err := a.reconcile(ctx); err != nil {
		log.Error("timers: first reconciliation failed; retrying in the background", "err", err)
	}
	caughtUp := make(chan struct{})
	go func() { // not in the way of serving
		defer close(caughtUp)
		a.catchUpDeductions(ctx)
	}()
	fire := make(chan struct{})
	go func() {
		defer close(fire)
		a.timers.Run(ctx, a.timed(a.fireTimer))
	}()
	reconciling := make(chan struct{})
	go func() {
		defer close(reconciling)
		a.reconcileEvery(ctx, 3*time.Minute)
	}()
	photos := make(chan struct{})
	go func() {
		defer close(photos)
		a.fetchPhotos(ctx, 5*time.Second)
	}()

	srv := &http.Server{
		Addr: a.addr, Handler: a.handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.signInNotice(ctx, cfg, log, stderr)
	log.Info("bbcs listening", "addr", a.addr)

	select {
	case err := <-errc:
		cancel()
		<-done
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer shutCancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http shutdown", "err", err)
	}
	cancel()
	<-done
	<-photos
	<-fire
	<-reconciling
	<-caughtUp
	return nil
}

// fireTimer is the timer engine's handler: casework decides, the outbox
// is woken to carry the notices at once.
func (a *app) fireTimer(ctx context.Context, id string, _ time.Time) error {
	if openid, ok := strings.CutPrefix(id, handlers.DialogTimerPrefix); ok {
		err := a.citizens.Expire(ctx, openid)
		if err == nil {
			a.outbox.Kick()
		}
		return err
	}
	if month, ok := strings.CutPrefix(id, "monthly:"); ok {
		return a.pushMonthly(ctx, id, month)
	}
	err := a.cases.FireTimer(ctx, id)
	if errors.Is(err, casework.ErrUnknownTimer) {
		a.log.Warn("timers: dropping a timer no handler knows", "timer", id)
		return nil
	}
	if err == nil {
		a.outbox.Kick()
	}
	return err
}

// pushMonthly sends last month's summary to the leaders' group on the
// first working day of the month (第十四条, R8).
func (a *app) pushMonthly(ctx context.Context, id, month string) error {
	m, err := a.reports.Monthly(ctx, month)
	if err != nil {
		return err
	}
	depts, err := a.cases.Departments(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for code, d := range depts {
		names[code] = d.Name
	}
	title, lines := m.Card(names)
	d := models.NoticeData{Note: title, Text: strings.Join(lines, "\n")}
	if a.publicURL != "" {
		d.Link = strings.TrimRight(a.publicURL, "/") + "/admin/reports?month=" + month
	}
	if err := a.cases.TellOnce(ctx, id, models.NoticeMonthly, models.AudienceLeaders, "", d); err != nil {
		return err
	}
	a.outbox.Kick()
	return nil
}

// clockMoved follows the test clock: timers and notices due at the new
// time go now.
func (a *app) clockMoved() {
	a.timers.Kick()
	a.outbox.Kick()
}

// reconcile makes Redis hold exactly the timers the database wants:
// missing ones (lost with a Redis restart or FLUSHALL) come back, stale
// ones (of answered or re-planned orders) go. Decision 3: Redis is an
// index; losing it loses nothing.
func (a *app) reconcile(ctx context.Context) error {
	want, err := a.cases.WantedTimers(ctx)
	if err != nil {
		return err
	}
	have, err := a.timers.List(ctx)
	if err != nil {
		return fmt.Errorf("timers: list: %w", err)
	}
	missing := map[string]time.Time{}
	for id, at := range want {
		if got, ok := have[id]; !ok || !got.Equal(at) {
			missing[id] = at
		}
	}
	var stale []string
	for id := range have {
		if _, ok := want[id]; !ok && casework.OwnsTimer(id) {
			// Only the database's timers: a dialog's expiry lives in Redis
			// with the dialog itself, and goes when it goes.
			stale = append(stale, id)
		}
	}
	if len(missing) > 0 {
		if err := a.timers.ScheduleMany(ctx, missing); err != nil {
			return fmt.Errorf("timers: restore: %w", err)
		}
		a.timers.Kick()
	}
	if len(stale) > 0 {
		if err := a.timers.Cancel(ctx, stale...); err != nil {
			return fmt.Errorf("timers: drop stale: %w", err)
		}
	}
	if len(missing)+len(stale) > 0 {
		a.log.Info("timers reconciled", "restored", len(missing), "dropped", len(stale), "total", len(want))
	}
	return nil
}

func (a *app) reconcileEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Another replica's console may have changed the holidays.
		if err := a.cases.ReloadCalendar(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("calendar: reload failed", "err", err)
		}
		if err := a.reconcile(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("timers: reconciliation failed", "err", err)
		}
	}
}

// catchUpDeductions runs the assessment's rules over this year and last,
// once at start: the use cases and timers propose deductions as things
// happen, and this proposes what happened before a rule existed (an
// upgrade, a restored backup). Proposing is idempotent.
func (a *app) catchUpDeductions(ctx context.Context) {
	year := a.cases.Clock().Now().In(a.cases.Calendar().Location()).Year()
	for y := year - 1; y <= year; y++ {
		if err := a.cases.ProposeDeductions(ctx, y); err != nil && ctx.Err() == nil {
			a.log.Error("assessment: proposing deductions failed", "year", y, "err", err)
		}
	}
}

// fetchPhotos keeps the photos citizens sent: WeChat deletes media after
// three days, so each is fetched into the case soon after it arrives.
func (a *app) fetchPhotos(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if wechat := a.apps.get(ctx).wechat; wechat.Configured() { // set in the console, maybe since start
			a.fetchPhotosOnce(ctx, wechat)
		}
	}
}

func (a *app) fetchPhotosOnce(ctx context.Context, account *wechat.Account) {
	pending, err := a.cases.PendingAttachments(ctx, 20)
	if err != nil {
		a.log.Error("list pending photos", "err", err)
		return
	}
	for _, p := range pending {
		ct, data, err := account.FetchMedia(ctx, p.MediaID)
		giveUpAfter := 10
		if bot.IsPermanent(err) {
			giveUpAfter = 0
		}
		if err := a.cases.StoreAttachment(ctx, p.ID, ct, data, err, giveUpAfter); err != nil {
			a.log.Error("store photo", "err", err)
		}
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

func directory(cfg *config.Config) casework.Directory {
	departments, staff, roster := cfg.Directory()
	return casework.Directory{Departments: departments, Staff: staff, Roster: roster, Settings: cfg.Settings()}
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

// wecomSignIn is WeCom's OAuth for pages opened inside WeCom: it comes back
// to back with a code that names the member (snsapi_base, no prompt).
func wecomSignIn(corpID, agentID, back string) string {
	q := url.Values{"appid": {corpID}, "redirect_uri": {back}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {"bbcs"}, "agentid": {agentID}}
	return "https://open.weixin.qq.com/connect/oauth2/authorize?" + q.Encode() + "#wechat_redirect"
}

// mustDuration reads a duration config.Validate has checked.
func mustDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
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

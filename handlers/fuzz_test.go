package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"bbcs/bot"
	"bbcs/casework"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/workday"
)

// Fuzz targets for the inbound text the handlers parse: the staff commands
// said in a window group (FuzzStaffCommand), the citizen dialog on the
// service account (FuzzCitizenDialog) and its pure answer step
// (FuzzCitizenAnswer). Their seed corpora (f.Add and testdata/fuzz) run
// with every go test. Fuzz one for a minute with
//
//	go test -run '^$' -fuzz '^FuzzCitizenDialog$' -fuzztime 60s -fuzzminimizetime 100x ./handlers/
//
// (an input takes milliseconds against the database: the default minute
// of minimising every new interesting input leaves no time for fuzzing).
//
// The two targets that need casework run every input inside a database
// transaction that is rolled back afterwards (casework's own transactions
// become savepoints in it), so each input starts from the same centre,
// whatever the inputs before it did.

// fuzzNow is a working Tuesday morning in the centre's zone.
var fuzzNow = time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai)

func fuzzService(db *gorm.DB, clk clock.Clock, cal *workday.Calendar, log *slog.Logger) *casework.Service {
	return casework.New(db, clk, cal, casework.Options{Principal: "zhou"}, log)
}

// fuzzCentre is a migrated database of the target's own with the demo
// centre of config.example.yaml (testenv.Demo) in it.
func fuzzCentre(tb testing.TB) (*gorm.DB, *workday.Calendar) {
	tb.Helper()
	cal := testenv.Calendar(tb)
	db := testenv.MySQL(tb)
	if err := fuzzService(db, clock.NewFrozen(fuzzNow), cal, testenv.Quiet()).SyncDirectory(context.Background(), testenv.Demo(tb)); err != nil {
		tb.Fatal(err)
	}
	return db, cal
}

// fuzzSetup runs one use case of a target's setup; it must succeed.
func fuzzSetup(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("setup: %s: %v", what, err)
	}
}

func fuzzStaff(tb testing.TB, svc *casework.Service, id string) models.Staff {
	tb.Helper()
	st, err := svc.Staff(context.Background(), id)
	fuzzSetup(tb, "staff "+id, err)
	return st
}

func fuzzWantNo(tb testing.TB, c *models.Case, want string) {
	tb.Helper()
	if c.No != want {
		tb.Fatalf("setup: the case is %s, the seed corpus expects %s", c.No, want)
	}
}

// inRollback runs fn on a transaction rolled back afterwards.
func inRollback(tb testing.TB, db *gorm.DB, fn func(tx *gorm.DB)) {
	tx := db.Begin()
	if tx.Error != nil {
		tb.Fatalf("begin: %v", tx.Error)
	}
	defer tx.Rollback()
	fn(tx)
}

func count(tb testing.TB, q *gorm.DB) int64 {
	tb.Helper()
	var n int64
	if err := q.Count(&n).Error; err != nil {
		tb.Fatalf("count: %v", err)
	}
	return n
}

// fuzzLog keeps what is logged at Error level: an internal failure, which
// no input a person can type may cause.
type fuzzLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *fuzzLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }

func (l *fuzzLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, b.String())
	return nil
}

func (l *fuzzLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *fuzzLog) WithGroup(string) slog.Handler      { return l }

func (l *fuzzLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := l.errs
	l.errs = nil
	return errs
}

// leaks are what a reply to a person must never show: Go's formatting
// errors, internals of the database, Redis or casework, and the apology
// for an internal failure (the database and Redis are up here).
var leaks = []string{"%!", "casework:", "sql:", "Error 1", "gorm", "redis:", "<nil>", "panic", "系统繁忙"}

// checkPolite: a reply is readable Chinese with no internals in it (unless
// the person typed the very string, which a reply may quote).
func checkPolite(t *testing.T, reply, typed string) {
	t.Helper()
	if !utf8.ValidString(reply) {
		t.Fatalf("reply is not UTF-8: %q", reply)
	}
	if !strings.ContainsFunc(reply, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		t.Fatalf("reply has no Chinese in it: %q", reply)
	}
	for _, s := range leaks {
		if strings.Contains(reply, s) && !strings.Contains(typed, s) {
			t.Fatalf("reply shows %q: %q", s, reply)
		}
	}
}

// ---------------------------------------------------------------------------
// Staff commands

// fuzzActors are who may write to the bot: staff in every role on both
// platforms, and a stranger (no name).
var fuzzActors = []struct {
	platform   bot.Platform
	userID, id string
}{
	{bot.WeCom, "zhangwei", "zhang"}, // window staff, realestate
	{bot.WeCom, "liuqiang", "liu"},   // window head, realestate
	{bot.DingTalk, "zhaomin", "zhao"},
	{bot.DingTalk, "qianjin", "qian"},
	{bot.WeCom, "sunli", "sun"}, // window staff, tax
	{bot.WeCom, "zhouzr", "zhou"},
	{bot.WeCom, "chenfz", "chen"}, // 分管领导 of realestate
	{bot.WeCom, "stranger", ""},
	{bot.DingTalk, "zhangwei", ""}, // a WeCom id said on DingTalk is nobody
}

// staffSuccess is how each verb's answer starts, after the actor's name,
// when it did what it was told.
var staffSuccess = map[string]string{
	"签收": " 已签收 ", "回复": " 已答复 ", "答复": " 已答复 ", "延期": " 已将 ",
	"上报": " 已上报 ", "到达": " 已确认到达", "联办": " 已指派", "请示": " 已向", "批示": " 已批示",
}

var (
	// canonical numbers, ASCII only, as casework issues them
	strictOrderNo = regexp.MustCompile(`^[A-Z]{1,4}[0-9]{8}-[0-9]{3,}-[0-9]+$`)
	strictCaseNo  = regexp.MustCompile(`^[A-Z]{1,4}[0-9]{8}-[0-9]{3,}$`)
	anyNumber     = regexp.MustCompile(`[A-Z]{1,4}[0-9]{8}-[0-9]{3,}(?:-[0-9]+)?`)
	// the examples the usage hints give
	hintNumbers = []string{"GD20260310-004-1", "BB20260310-004", "BB20260312-011"}
)

// FuzzStaffCommand: whatever a member of a window group writes to the bot
// (after the platform decoder has stripped the @-mention, as bot/wecom and
// bot/dingtalk do) or whatever key a card button carries, the answer
//   - comes, in Chinese, with no internals in it, nothing logged as an
//     internal error and no outage reported by Staff.Handle (the webhook
//     would answer 503, and the platform deliver the message forever);
//   - is the same refusal for everyone not on the staff list, and help for
//     an empty message, 帮助 or an unknown verb;
//   - says the command was done exactly when the case's timeline grew, and
//     then names the sender, the verb's outcome and the canonical, existing
//     number the sender typed;
//   - never names an order or case the sender did not type;
//
// and afterwards every work order is within its 10-working-day cap, a
// replied order has its result and an extended one its reason.
func FuzzStaffCommand(f *testing.F) {
	for _, seed := range []struct {
		who         uint8
		raw, button string
	}{
		{0, "@办事不成bot 签收 GD20260310-001-1", ""},
		{0, "@办事不成bot 回复 GD20260310-001-1 材料缺少完税证明，已电话告知补交渠道", ""},
		{2, " 延期 GD20260310-001-2 2 需调取档案", ""},
		{2, "", "签收 GD20260310-001-2"},
		{5, "联办 BB20260310-003 市场监管窗口 税务窗口 请两部门联合核实", ""},
		{5, "联办 BB20260310-003 税务窗口 一个部门不是联合办理", ""},
		{6, "批示 BB20260310-001 按规定办理", ""},
		{7, "@bot 签收 GD20990101-001-1", ""},
		{0, "@办事不成bot 帮助", ""},
		{0, "@办事不成bot", ""},
	} {
		f.Add(seed.who, seed.raw, seed.button)
	}

	ctx := context.Background()
	db, cal := fuzzCentre(f)
	svc := fuzzService(db, clock.NewFrozen(fuzzNow), cal, testenv.Quiet())
	wang, zhang := fuzzStaff(f, svc, "wang"), fuzzStaff(f, svc, "zhang")
	walkIn := func(matter string) *models.Case {
		c, err := svc.Register(ctx, wang, casework.Registration{
			ApplicantName: "李女士", ApplicantMobile: "13800138000", Category: models.CategoryNotCompleted,
			Matter: matter, Channel: models.ChannelWalkIn,
		})
		fuzzSetup(f, "register", err)
		return c
	}
	// BB20260310-001: orders GD20260310-001-1 (realestate, signed) and -2 (market, pending)
	c1 := walkIn("3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。")
	fuzzWantNo(f, c1, "BB20260310-001")
	_, err := svc.Dispatch(ctx, wang, c1.No, []string{"realestate", "market"}, "请核实办理进度", false)
	fuzzSetup(f, "dispatch", err)
	_, err = svc.Sign(ctx, zhang, "GD20260310-001-1")
	fuzzSetup(f, "sign", err)
	// BB20260310-002: realestate and market summoned to the complaint window
	c2 := walkIn("营业执照变更提交一个月了还没有消息，窗口说在等审批。")
	fuzzWantNo(f, c2, "BB20260310-002")
	for _, dept := range []string{"realestate", "market"} {
		_, err = svc.Summon(ctx, wang, c2.No, dept, "请到“办不成事”反映窗口当面说明")
		fuzzSetup(f, "summon", err)
	}
	// BB20260310-003: registered, for 联办
	fuzzWantNo(f, walkIn("跑了三趟社保窗口都没办成，每次都说缺材料，需多个部门联合核实。"), "BB20260310-003")
	// BB20260310-004: GD20260310-004-1 (tax, pending)
	c4 := walkIn("完税证明开具一直显示系统故障，窗口让等通知。")
	fuzzWantNo(f, c4, "BB20260310-004")
	_, err = svc.Dispatch(ctx, wang, c4.No, []string{"tax"}, "", false)
	fuzzSetup(f, "dispatch", err)

	known := map[string]bool{}
	var nos []string
	fuzzSetup(f, "case numbers", db.Model(&models.Case{}).Pluck("no", &nos).Error)
	for _, no := range nos {
		known[no] = true
	}
	fuzzSetup(f, "order numbers", db.Model(&models.WorkOrder{}).Pluck("no", &nos).Error)
	for _, no := range nos {
		known[no] = true
	}
	names := map[string]string{}
	for _, st := range testenv.Demo(f).Staff {
		names[st.ID] = st.Name
	}

	logs := &fuzzLog{}
	log := slog.New(logs)
	rdb, prefix := testenv.Redis(f)
	ids := fuzzIDs()
	// run hands m to Staff.Handle, as the webhooks do, under an id of its
	// own; an error there is an outage, for the webhook to answer 503.
	run := func(t testing.TB, tx *gorm.DB, m bot.Message) string {
		m.ID = ids()
		defer rdb.Del(ctx, prefix+":"+string(m.Platform)+":seen:"+m.ID)
		h := &Staff{Cases: fuzzService(tx, clock.NewFrozen(fuzzNow), cal, log), Redis: rdb, Prefix: prefix, Log: log}
		reply, err := h.Handle(ctx, m)
		if err != nil {
			t.Fatalf("%q (from %s on %s) was taken for an outage, which the platform would deliver again and again: %v", m.Text+m.ButtonKey, m.UserID, m.Platform, err)
		}
		return reply
	}
	var notStaff string
	inRollback(f, db, func(tx *gorm.DB) {
		notStaff = run(f, tx, bot.Message{Platform: bot.WeCom, UserID: "stranger", Kind: bot.KindText, Text: "帮助"})
	})

	f.Fuzz(func(t *testing.T, who uint8, raw, button string) {
		a := fuzzActors[int(who)%len(fuzzActors)]
		// What the decoders hand over: valid UTF-8 (JSON decoding replaces
		// the rest), the mention stripped.
		m := bot.Message{
			Platform: a.platform, UserID: a.userID, GroupID: "chat", Kind: bot.KindText,
			Text: bot.TrimMention(strings.ToValidUTF8(raw, "\uFFFD")), ButtonKey: strings.ToValidUTF8(button, "\uFFFD"),
		}
		if m.ButtonKey != "" {
			m.Kind = bot.KindEvent
		}
		if strings.HasPrefix(m.Text, "@") {
			t.Fatalf("TrimMention left a mention: %q", m.Text)
		}
		// The command: a card button's key, else the text.
		cmd := strings.TrimSpace(m.Text)
		if m.ButtonKey != "" {
			cmd = m.ButtonKey
		}
		// The command's words, worked out here rather than by the splitVerb
		// under test: a verb written without a space or with a colon
		// ("签收GD…", "签收：GD…") is still that verb.
		fields := strings.Fields(cmd)
		for _, v := range append(slices.Collect(maps.Keys(staffSuccess)), "帮助") {
			if rest, ok := strings.CutPrefix(cmd, v); ok {
				fields = append([]string{v}, strings.Fields(strings.TrimLeft(rest, " :：,，"))...)
			}
		}
		verb := ""
		if len(fields) > 0 {
			verb = fields[0]
		}
		logs.take()

		inRollback(t, db, func(tx *gorm.DB) {
			events := func() int64 { return count(t, tx.Model(&models.TimelineEvent{})) }
			notices := func() int64 { return count(t, tx.Model(&models.Notice{})) }
			eventsBefore, noticesBefore := events(), notices()
			reply := run(t, tx, m)
			grew := events() > eventsBefore

			if errs := logs.take(); len(errs) > 0 {
				t.Fatalf("%q (from %s) logged an internal error: %v; reply %q", cmd, a.id, errs, reply)
			}
			if reply == "" {
				t.Fatalf("no answer to %q", cmd)
			}
			checkPolite(t, reply, cmd)

			if a.id == "" {
				if reply != notStaff || grew {
					t.Fatalf("a stranger's %q got %q", cmd, reply)
				}
				return
			}
			upper := strings.ToUpper(cmd)
			for _, no := range anyNumber.FindAllString(reply, -1) {
				if !strings.Contains(upper, no) && !slices.Contains(hintNumbers, no) {
					t.Fatalf("the answer to %q names %s, which the sender did not type: %q", cmd, no, reply)
				}
			}
			outcome, isVerb := staffSuccess[verb]
			switch {
			case verb == "" || verb == "帮助":
				if reply != fmt.Sprintf(staffHelp, models.DefaultMaxDays) {
					t.Fatalf("%q: want the help text, got %q", cmd, reply)
				}
			case !isVerb:
				if !strings.HasSuffix(reply, fmt.Sprintf(staffHelp, models.DefaultMaxDays)) || reply == fmt.Sprintf(staffHelp, models.DefaultMaxDays) {
					t.Fatalf("unknown verb %q: want “not understood” and the help text, got %q", verb, reply)
				}
			case len(fields) < 2:
				if !strings.HasPrefix(reply, "请写明") {
					t.Fatalf("%q without a number: want the usage hint, got %q", cmd, reply)
				}
			}
			done := isVerb && strings.HasPrefix(reply, names[a.id]+outcome)
			if done != grew {
				t.Fatalf("%q from %s: the answer %q says done=%v, the timeline grew=%v", cmd, a.id, reply, done, grew)
			}
			if !done && notices() != noticesBefore {
				t.Fatalf("%q was refused (%q) but notices were written", cmd, reply)
			}
			if done {
				no := strings.ToUpper(fields[1])
				strict := strictOrderNo
				if verb == "到达" || verb == "联办" || verb == "请示" || verb == "批示" {
					strict = strictCaseNo
				}
				if !strict.MatchString(no) || !known[no] {
					t.Fatalf("%q was done for %q, which is not a canonical number of an existing %s: %q", cmd, fields[1], map[bool]string{true: "case", false: "order"}[strict == strictCaseNo], reply)
				}
				if !strings.Contains(reply, no) {
					t.Fatalf("the answer to %q does not name %s: %q", cmd, no, reply)
				}
			}

			var orders []models.WorkOrder
			if err := tx.Find(&orders).Error; err != nil {
				t.Fatal(err)
			}
			for _, o := range orders {
				switch o.Status {
				case models.OrderPending, models.OrderAccepted, models.OrderExtended, models.OrderReplied:
				default:
					t.Fatalf("after %q order %s has status %q", cmd, o.No, o.Status)
				}
				if o.Deadline().After(o.CapAt) {
					t.Fatalf("after %q order %s is due %s, past its cap %s", cmd, o.No, o.Deadline(), o.CapAt)
				}
				if o.ExtendedDueAt != nil && !o.ExtendedDueAt.After(fuzzNow) {
					t.Fatalf("after %q order %s was extended into the past: %s", cmd, o.No, o.ExtendedDueAt)
				}
				if o.Status == models.OrderReplied && (strings.TrimSpace(o.Result) == "" || o.RepliedBy == "") {
					t.Fatalf("after %q order %s is replied without a result: %+v", cmd, o.No, o)
				}
				if o.Status == models.OrderExtended && strings.TrimSpace(o.ExtensionReason) == "" {
					t.Fatalf("after %q order %s is extended without a reason", cmd, o.No)
				}
			}
		})
	})
}

// ---------------------------------------------------------------------------
// The citizen dialog

// dialogSteps are the dialog's steps in order.
var dialogSteps = []string{stepCategory, stepMatter, stepKind, stepCompany, stepName, stepMobile, stepConfirm}

// checkDialog: a stored dialog is at a known step, reached by going
// forward through the steps in its Back list, with every answer it has
// passed on file and valid.
func checkDialog(d *dialog) error {
	at := slices.Index(dialogSteps, d.Step)
	if at < 0 {
		return fmt.Errorf("unknown step %q", d.Step)
	}
	prev := -1
	for _, s := range d.Back {
		i := slices.Index(dialogSteps, s)
		if i <= prev || i >= at {
			return fmt.Errorf("back path %v does not lead forward to %s", d.Back, d.Step)
		}
		prev = i
	}
	past := func(step string) bool { return at > slices.Index(dialogSteps, step) }
	runes := utf8.RuneCountInString
	switch {
	case past(stepCategory) && !d.Category.Valid():
		return fmt.Errorf("category %q", d.Category)
	case past(stepMatter) && (runes(d.Matter) < 5 || runes(d.Matter) > 1000):
		return fmt.Errorf("matter of %d characters", runes(d.Matter))
	case past(stepKind) && !d.Kind.Valid():
		return fmt.Errorf("kind %q", d.Kind)
	case d.Step == stepCompany && d.Kind != models.ApplicantCompany:
		return fmt.Errorf("asks the company of a %q applicant", d.Kind)
	case d.Kind == models.ApplicantPerson && d.Company != "":
		return fmt.Errorf("a person with a company %q", d.Company)
	case d.Kind == models.ApplicantCompany && past(stepCompany) && (runes(d.Company) < 2 || runes(d.Company) > 100):
		return fmt.Errorf("company %q", d.Company)
	case past(stepName) && (d.Name == "" || runes(d.Name) > 32):
		return fmt.Errorf("name %q", d.Name)
	case past(stepMobile) && !models.ValidMobile(d.Mobile):
		return fmt.Errorf("mobile %q", d.Mobile)
	case len(d.Photos) > maxPhotos:
		return fmt.Errorf("%d photos", len(d.Photos))
	}
	return nil
}

// fuzzIDs hands out message ids unique across the fuzzing processes: the
// workers share the database, where a message's id keys what it writes
// once (a menu), and two uncommitted writes under one key would make the
// second worker wait for the first's lock.
func fuzzIDs() func() string {
	base := fmt.Sprintf("fuzz-%d-", os.Getpid())
	var n atomic.Int64
	return func() string { return base + strconv.FormatInt(n.Add(1), 10) }
}

// fuzzTimers is the timer engine as the dialog sees it.
type fuzzTimers map[string]time.Time

func (ft fuzzTimers) Schedule(_ context.Context, id string, at time.Time) error {
	ft[id] = at
	return nil
}

const (
	fuzzOpenID     = "oFuzzCitizen00000000000001"
	fuzzNeighbour  = "oFuzzNeighbour000000000001"
	neighbourName  = "路人甲乙"
	neighbourWords = "机密甲乙丙"
)

// fuzzWords are the messages a line "#…" of a script stands for, one per
// byte (modulo their number): random bytes there are random walks through
// the dialog, which the fuzzer finds much sooner than the words themselves.
var fuzzWords = []string{
	"反映问题", "取消", "上一步", "确认", "1", "2", "5", "9", "帮助", "查询",
	"3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。", "隆回某某商贸有限公司", "李女士", "138 0013 8000",
	"[图片]", "[等待:20]", "[超时]", "基本满意", "BB20260310-001", "[菜单:REPORT]", "[点击:504]4 不满意", "退出", "太慢", "[等待:31]",
}

// fuzzScript splits a script into its lines, at most 30, expanding "#…".
func fuzzScript(script string) []string {
	var lines []string
	for _, line := range strings.Split(script, "\n") {
		if words, ok := strings.CutPrefix(line, "#"); ok {
			for i := 0; i < len(words); i++ {
				lines = append(lines, fuzzWords[int(words[i])%len(fuzzWords)])
			}
		} else {
			lines = append(lines, strings.ToValidUTF8(line, "\uFFFD"))
		}
	}
	return lines[:min(len(lines), 30)]
}

// fuzzMessage reads one line of a script as what the citizen did:
//
//	[图片]            sends a photo            [语音]          a voice message
//	[关注]            follows the account      [取消关注]      unfollows it
//	[菜单:KEY]        clicks an account menu   [点击:ID]文字   clicks a menu item of a message
//	[等待:N]          lets N minutes pass      [超时]          time runs to the dialog's timer, which fires
//
// and anything else as text.
func fuzzMessage(line string, n int) (m bot.Message, wait time.Duration, timer bool) {
	m = bot.Message{Platform: bot.WeChat, UserID: fuzzOpenID, Kind: bot.KindText, Text: line}
	directive := func(name string) (arg, rest string, ok bool) {
		s, ok := strings.CutPrefix(line, "["+name)
		if !ok {
			return "", "", false
		}
		if name != "" && strings.HasPrefix(s, ":") {
			s = s[1:]
		}
		arg, rest, ok = strings.Cut(s, "]")
		return arg, rest, ok
	}
	switch {
	case line == "[图片]":
		m.Kind, m.Text, m.MediaID = bot.KindImage, "", "media-"+strconv.Itoa(n)
	case line == "[语音]":
		m.Kind, m.Text = bot.KindOther, ""
	case line == "[关注]":
		m.Kind, m.Text, m.Event = bot.KindEvent, "", "subscribe"
	case line == "[取消关注]":
		m.Kind, m.Text, m.Event = bot.KindEvent, "", "unsubscribe"
	case line == "[超时]":
		return m, 0, true
	}
	if m.Kind != bot.KindText {
		return m, 0, false
	}
	if key, rest, ok := directive("菜单"); ok && rest == "" {
		m.Kind, m.Text, m.Event, m.ButtonKey = bot.KindEvent, "", "CLICK", key
	} else if id, rest, ok := directive("点击"); ok {
		m.ButtonKey, m.Text = id, rest
	} else if mins, rest, ok := directive("等待"); ok && rest == "" {
		n, err := strconv.Atoi(mins)
		if err == nil && n >= 0 {
			return m, time.Duration(min(n, 100000)) * time.Minute, false
		}
	}
	return m, 0, false
}

// FuzzCitizenDialog: a script of what a citizen does on the service
// account — texts, menu clicks, photos, pauses — drives the dialog
// (Citizens.Handle, with the real Redis and casework); a line "#…" is a
// walk through fuzzWords. After every step
//   - Handle reports no outage and logs no internal error, and the citizen
//     hears something: a reply, or a menu or receipt through the outbox
//     (only unfollowing and other events may go unanswered);
//   - a reply is readable Chinese with no internals in it, shows no mobile
//     number the citizen did not type (the summary masks even theirs), and
//     nothing of another citizen's case;
//   - a stored dialog is valid (checkDialog) and has its expiry timer, due
//     no later than the dialog's expiry (the timer moves on when it fires
//     and finds the dialog touched since);
//   - 反映问题 (or the REPORT menu) starts a clean dialog, 取消/退出 ends an
//     open one, 上一步/返回 goes back one step, 确认 at the summary
//     registers a case with exactly the dialog's answers and ends it;
//   - a dialog ends for being left alone only after 30 minutes without a
//     message from the citizen.
func FuzzCitizenDialog(f *testing.F) {
	for _, seed := range []string{
		"反映问题\n2\n3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。\n1\n李女士\n138 0013 8000\n确认\n查询",
		"[菜单:REPORT]\n9\n4\n上一步\n5\n太慢\n营业执照变更提交一个月了还没有消息，窗口说在等审批。\n2\n隆回某某商贸有限公司\n张先生\n12345\n138001380001\n电话\n139 1234 5678\n上一步\n+86 139-1234-5678\n确认",
		"反映问题\n1\n材料交了很久没人受理\n取消\n确认\n你好",
		"查询\nBB20260310-001\n2\n窗口态度很好，谢谢\n查询",
		"BB20260310-003\n[菜单:PROGRESS]",
		"反映问题\n1\n[等待:31]\n提交材料三周了没人受理",
		"#\x00\x04\x22\x04\x0c\x0d\x03\x09", // fuzzWords: 反映问题 1 <matter> 1 李女士 138… 确认 查询
	} {
		f.Add(seed)
	}

	ctx := context.Background()
	db, cal := fuzzCentre(f)
	rdb, prefix := testenv.Redis(f)
	svc := fuzzService(db, clock.NewFrozen(fuzzNow), cal, testenv.Quiet())
	register := func(name, mobile, openid, matter string) *models.Case {
		c, err := svc.Register(ctx, casework.Applicant(name), casework.Registration{
			ApplicantName: name, ApplicantMobile: mobile, Category: models.CategoryNotCompleted,
			Matter: matter, Channel: models.ChannelServiceAccount, OpenID: openid,
		})
		fuzzSetup(f, "register", err)
		return c
	}
	// BB20260310-001: the citizen's, answered and awaiting a rating
	own := register("李女士", "13912345678", fuzzOpenID, "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。")
	fuzzWantNo(f, own, "BB20260310-001")
	_, err := svc.Dispatch(ctx, fuzzStaff(f, svc, "zhou"), own.No, []string{"realestate"}, "", false)
	fuzzSetup(f, "dispatch", err)
	zhang := fuzzStaff(f, svc, "zhang")
	_, err = svc.Sign(ctx, zhang, "GD20260310-001-1")
	fuzzSetup(f, "sign", err)
	_, err = svc.Reply(ctx, zhang, "GD20260310-001-1", "已办结，请到3号窗口领取不动产权证书")
	fuzzSetup(f, "reply", err)
	// BB20260310-002: the citizen's, open; BB20260310-003: a neighbour's
	fuzzWantNo(f, register("李女士", "13912345678", fuzzOpenID, "营业执照变更提交一个月了还没有消息。"), "BB20260310-002")
	fuzzWantNo(f, register(neighbourName, "13700001111", fuzzNeighbour, neighbourWords+"：社保转移卡住了"), "BB20260310-003")

	logs := &fuzzLog{}
	log := slog.New(logs)
	const expiry = 30 * time.Minute
	ids := fuzzIDs()

	f.Fuzz(func(t *testing.T, script string) {
		lines := fuzzScript(script)
		logs.take()
		inRollback(t, db, func(tx *gorm.DB) {
			clk := clock.NewFrozen(fuzzNow)
			timers := fuzzTimers{}
			c := &Citizens{
				Cases: fuzzService(tx, clk, cal, log), Redis: rdb, Prefix: prefix, Clock: clk,
				Centre: "县政务服务中心", Timers: timers, Log: log, Expiry: expiry,
			}
			keys := []string{c.key(fuzzOpenID), c.commentKey(fuzzOpenID)}
			rdb.Del(ctx, keys...)
			defer rdb.Del(ctx, keys...)
			toCitizen := func() int64 {
				return count(t, tx.Model(&models.Notice{}).Where("audience = ? AND target = ?", models.AudienceApplicant, fuzzOpenID))
			}
			load := func() *dialog {
				raw, err := rdb.Get(ctx, c.key(fuzzOpenID)).Bytes()
				if errors.Is(err, redis.Nil) {
					return nil
				}
				if err != nil {
					t.Fatalf("load dialog: %v", err)
				}
				return decodeDialog(raw)
			}
			typed := ""             // everything the citizen has typed
			var lastWrote time.Time // when the citizen last wrote to an open dialog
			for i, line := range lines {
				m, wait, timer := fuzzMessage(line, i)
				prev := load()
				if wait > 0 {
					clk.Advance(wait)
					continue
				}
				if timer {
					at, ok := timers[DialogTimerPrefix+fuzzOpenID]
					if !ok {
						continue
					}
					if clk.Now().Before(at) {
						clk.Set(at) // the engine fires a timer at its time, never before
					}
					told := toCitizen()
					if err := c.Expire(ctx, fuzzOpenID); err != nil {
						t.Fatalf("expire: %v", err)
					}
					if timers[DialogTimerPrefix+fuzzOpenID].Equal(at) {
						// The engine's ack: a timer not set again, or set
						// again for the due time that fired, is removed.
						delete(timers, DialogTimerPrefix+fuzzOpenID)
					}
					d := load()
					stale := prev != nil && clk.Now().Sub(prev.Updated) >= expiry
					if stale != (d == nil && prev != nil) || stale != (toCitizen() == told+1) {
						t.Fatalf("step %d: the timer due %s fired at %s on %+v: dialog %+v, told %d", i, at, clk.Now(), prev, d, toCitizen()-told)
					}
					if next, ok := timers[DialogTimerPrefix+fuzzOpenID]; d != nil && (!ok || next.Before(d.Updated.Add(expiry))) {
						t.Fatalf("step %d: the timer found the dialog touched at %s and left it with timer %s (%v), want one at its expiry", i, d.Updated, next, ok)
					}
					if prev != nil && d == nil && clk.Now().Sub(lastWrote) < expiry {
						t.Fatalf("step %d: the timer ended the dialog as left alone, but the citizen last wrote to it at %s (now %s)", i, lastWrote, clk.Now())
					}
					continue
				}
				typed += "\n" + m.Text
				text := strings.TrimSpace(m.Text)
				told := toCitizen()
				cases := count(t, tx.Model(&models.Case{}).Where("applicant_open_id = ?", fuzzOpenID))

				// Citizens.Handle, as the webhook calls it, under an id of its own.
				m.ID = ids()
				reply, err := c.Handle(ctx, m)
				rdb.Del(ctx, prefix+":wechat:seen:"+m.ID)
				if err != nil {
					t.Fatalf("step %d %q was taken for an outage, which WeChat would deliver again and again: %v", i, line, err)
				}
				d := load()

				if errs := logs.take(); len(errs) > 0 {
					t.Fatalf("step %d %q logged an internal error: %v; reply %q", i, line, errs, reply)
				}
				heard := reply != "" || toCitizen() > told
				if !heard && !(m.Kind == bot.KindEvent && m.Event != "subscribe" && m.ButtonKey != menuReport && m.ButtonKey != menuProgress) {
					t.Fatalf("step %d %q: the citizen heard nothing", i, line)
				}
				if reply != "" {
					checkPolite(t, reply, typed)
					for _, mob := range digitRun.FindAllString(reply, -1) {
						if models.ValidMobile(mob) && !strings.Contains(typed, mob) {
							t.Fatalf("step %d %q: the reply shows the mobile %s: %q", i, line, mob, reply)
						}
					}
					for _, s := range []string{neighbourName, neighbourWords} {
						if strings.Contains(reply, s) && !strings.Contains(typed, s) {
							t.Fatalf("step %d %q: the reply shows another citizen's %q: %q", i, line, s, reply)
						}
					}
					if _, summary, ok := strings.Cut(reply, "联系人："); ok && d != nil && strings.Contains(summary, d.Mobile) {
						t.Fatalf("step %d %q: the summary shows the full mobile: %q", i, line, reply)
					}
				}
				if d != nil {
					if err := checkDialog(d); err != nil {
						t.Fatalf("step %d %q left an invalid dialog: %v: %+v", i, line, err, d)
					}
				}
				at, scheduled := timers[DialogTimerPrefix+fuzzOpenID]
				if d != nil && (!scheduled || at.After(d.Updated.Add(expiry))) {
					t.Fatalf("step %d %q: dialog %+v but timer %v (scheduled %v)", i, line, d, at, scheduled)
				}

				plain := m.Kind == bot.KindText && m.ButtonKey == ""
				expired := prev != nil && clk.Now().Sub(prev.Updated) > expiry
				if expired && clk.Now().Sub(lastWrote) <= expiry {
					// Only a dialog left alone may end: the citizen wrote to it within the expiry.
					if reply == c.expiredText() {
						t.Fatalf("step %d %q: the dialog ended as left alone, but the citizen last wrote to it at %s (now %s)", i, line, lastWrote, clk.Now())
					}
				}
				if prev != nil || d != nil {
					lastWrote = clk.Now()
				}
				switch {
				case expired && m.Kind != bot.KindEvent && reply == c.expiredText():
					if d != nil {
						t.Fatalf("step %d %q: the dialog expired but is still there: %+v", i, line, d)
					}
				case m.Kind == bot.KindEvent && m.Event == "CLICK" && m.ButtonKey == menuReport,
					plain && prev == nil && isStart(text):
					if d == nil || d.Step != stepCategory || len(d.Back) > 0 || len(d.Photos) > 0 ||
						d.Category != "" || d.Matter != "" || d.Kind != "" || d.Company != "" || d.Name != "" || d.Mobile != "" {
						t.Fatalf("step %d %q did not start a clean dialog: %+v (reply %q)", i, line, d, reply)
					}
				case plain && prev != nil && !expired && (text == "取消" || text == "退出"):
					if d != nil {
						t.Fatalf("step %d %q did not end the dialog: reply %q, dialog %+v", i, line, reply, d)
					}
				case plain && prev != nil && !expired && (text == "上一步" || text == "返回"):
					want := prev.Step
					if n := len(prev.Back); n > 0 {
						want = prev.Back[n-1]
					}
					if d == nil || d.Step != want {
						t.Fatalf("step %d %q at %s: want step %s, got %+v (reply %q)", i, line, prev.Step, want, d, reply)
					}
				case plain && prev != nil && !expired && prev.Step == stepConfirm && slices.Contains([]string{"确认", "确定", "提交", "是"}, text):
					if reply != "" || d != nil {
						t.Fatalf("step %d %q: the confirmed dialog %+v was not registered: reply %q", i, line, prev, reply)
					}
					var got models.Case
					if err := tx.Where("applicant_open_id = ?", fuzzOpenID).Order("id DESC").First(&got).Error; err != nil {
						t.Fatal(err)
					}
					if count(t, tx.Model(&models.Case{}).Where("applicant_open_id = ?", fuzzOpenID)) != cases+1 ||
						got.Category != prev.Category || got.Matter != prev.Matter || got.ApplicantKind != prev.Kind ||
						got.Company != prev.Company || got.ApplicantName != prev.Name || got.ApplicantMobile != prev.Mobile {
						t.Fatalf("step %d: the dialog %+v registered %+v", i, prev, got)
					}
				}
			}
		})
	})
}

// FuzzCitizenAnswer: the dialog's pure step, answer(dialog, text, button),
// at every step (on the person's and the company's path, and at a step
// that does not exist) either accepts the answer — moving to the step that
// follows, storing exactly what was typed, valid — or refuses it with a
// Chinese reply and leaves the dialog as it was; never both, never neither.
func FuzzCitizenAnswer(f *testing.F) {
	for _, seed := range []struct {
		step         uint8
		text, button string
	}{
		{0, "2", ""}, {0, "2 受理后超时未办结", "102"}, {0, "受理后超时未办结", ""}, {0, "9", ""},
		{1, "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。", ""}, {1, "太慢", ""},
		{2, "1", ""}, {2, "2 企业", "202"}, {2, "我是个人", ""},
		{3 | 0x80, "隆回某某商贸有限公司", ""}, {4, "李女士", ""},
		{5, "138 0013 8000", ""}, {5, "+86 139-1234-5678", ""}, {5, "12345", ""}, {5, "138001380001", ""},
		{6, "确认", ""}, {6, "好的", ""}, {7, "1", ""},
	} {
		f.Add(seed.step, seed.text, seed.button)
	}
	c := &Citizens{}
	f.Fuzz(func(t *testing.T, step uint8, text, button string) {
		// The dialog as it stands at this step: every answer before it given.
		company := step&0x80 != 0
		at := int(step&0x7f) % (len(dialogSteps) + 1)
		d := &dialog{Step: "bogus"}
		if at < len(dialogSteps) {
			d.Step = dialogSteps[at]
		}
		full := dialog{
			Category: models.CategoryNotCompleted, Matter: "3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。",
			Kind: models.ApplicantPerson, Name: "李女士", Mobile: "13800138000",
		}
		if company {
			full.Kind, full.Company = models.ApplicantCompany, "隆回某某商贸有限公司"
		}
		for _, s := range dialogSteps[:min(at, len(dialogSteps))] {
			if s == stepCompany && !company {
				continue
			}
			d.Back = append(d.Back, s)
			switch s {
			case stepCategory:
				d.Category = full.Category
			case stepMatter:
				d.Matter = full.Matter
			case stepKind:
				d.Kind, d.Company = full.Kind, full.Company
			case stepName:
				d.Name = full.Name
			case stepMobile:
				d.Mobile = full.Mobile
			}
		}
		if d.Step == stepCompany {
			d.Kind = models.ApplicantCompany
		}
		if err := checkDialog(d); d.Step != "bogus" && err != nil {
			t.Fatalf("the test built an invalid dialog: %v", err)
		}
		before := *d
		before.Back = slices.Clone(d.Back)

		text = strings.TrimSpace(text) // as Citizens.step gives it
		next, reply := c.answer(d, text, button)

		if (next == "") == (reply == "") {
			t.Fatalf("at %s, %q/%q: next %q and reply %q", before.Step, text, button, next, reply)
		}
		if reply != "" {
			checkPolite(t, reply, "")
			if !reflect.DeepEqual(*d, before) {
				t.Fatalf("at %s the refused answer %q changed the dialog: %+v → %+v", before.Step, text, before, *d)
			}
			return
		}
		want := map[string][]string{
			stepCategory: {stepMatter}, stepMatter: {stepKind}, stepKind: {stepName, stepCompany},
			stepCompany: {stepName}, stepName: {stepMobile}, stepMobile: {stepConfirm}, stepConfirm: {"submit"},
		}[before.Step]
		if !slices.Contains(want, next) {
			t.Fatalf("at %s, %q/%q leads to %q", before.Step, text, button, next)
		}
		if next != "submit" {
			d.Back, d.Step = append(d.Back, d.Step), next
			if err := checkDialog(d); err != nil {
				t.Fatalf("at %s, %q/%q leaves an invalid dialog: %v: %+v", before.Step, text, button, err, d)
			}
		}
		// Only this step's answer changed, and it is what was typed.
		after := *d
		after.Back, after.Step = before.Back, before.Step
		switch before.Step {
		case stepCategory:
			after.Category = before.Category
		case stepMatter:
			if d.Matter != text {
				t.Fatalf("matter %q stored as %q", text, d.Matter)
			}
			after.Matter = before.Matter
		case stepKind:
			if (next == stepCompany) != (d.Kind == models.ApplicantCompany) {
				t.Fatalf("kind %q leads to %s", d.Kind, next)
			}
			after.Kind, after.Company = before.Kind, before.Company
		case stepCompany:
			if d.Company != text {
				t.Fatalf("company %q stored as %q", text, d.Company)
			}
			after.Company = before.Company
		case stepName:
			if d.Name != text {
				t.Fatalf("name %q stored as %q", text, d.Name)
			}
			after.Name = before.Name
		case stepMobile:
			// The number typed, with spaces, dashes and a +86 in front left out.
			if dg := strings.Join(digitRun.FindAllString(text, -1), ""); dg != d.Mobile && dg != "86"+d.Mobile {
				t.Fatalf("mobile %q stored as %q", text, d.Mobile)
			}
			after.Mobile = before.Mobile
		}
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("at %s the answer %q/%q changed more than its own field: %+v → %+v", before.Step, text, button, before, *d)
		}
	})
}

package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"bbcs/bot"
	"bbcs/casework"
	"bbcs/clock"
	"bbcs/models"
)

// Citizens is the service-account dialog (R1): guided reporting, progress
// queries and help, with each citizen's dialog state in Redis.
type Citizens struct {
	Cases  *casework.Service
	Redis  *redis.Client
	Prefix string // Redis key prefix, e.g. "bbcs"
	Clock  clock.Clock
	Centre string // the centre's name, in greetings
	// Touch queues on p the record of a citizen's message (it opens
	// WeChat's customer-service window); Kick wakes the outbox so replies
	// leave at once. Both optional.
	Touch func(ctx context.Context, p redis.Pipeliner, openid string)
	Kick  func()
	// Timers ends a dialog left alone at its time (optional: without it a
	// stale dialog ends when the citizen next writes).
	Timers DialogTimers
	Log    *slog.Logger
	// Expiry ends a dialog left alone this long (default 30 minutes).
	Expiry time.Duration
}

// DialogTimers is the part of the timer engine the dialog uses.
type DialogTimers interface {
	Schedule(ctx context.Context, id string, at time.Time) error
}

// DialogTimerPrefix names the timer that ends a citizen's dialog.
const DialogTimerPrefix = "dialog:"

// The dialog's steps, in order.
const (
	stepCategory = "category"
	stepMatter   = "matter"
	stepKind     = "kind"
	stepCompany  = "company"
	stepName     = "name"
	stepMobile   = "mobile"
	stepConfirm  = "confirm"
)

// dialog is one citizen's report in progress.
type dialog struct {
	Step     string               `json:"step"`
	Back     []string             `json:"back"` // steps visited, for 上一步
	Category models.Category      `json:"category,omitempty"`
	Matter   string               `json:"matter,omitempty"`
	Photos   []string             `json:"photos,omitempty"`
	Kind     models.ApplicantKind `json:"kind,omitempty"`
	Company  string               `json:"company,omitempty"`
	Name     string               `json:"name,omitempty"`
	Mobile   string               `json:"mobile,omitempty"`
	Updated  time.Time            `json:"updated"`
	// Msg is the message that made the last change. Delivered again (the
	// process died before answering), it gets the present question again
	// rather than being taken as the answer to it.
	Msg string `json:"msg,omitempty"`
}

// Menu ids: WeChat returns them as numbers (bizmsgmenuid).
const (
	menuCategory = 100 // + 1…7
	menuPerson   = 201
	menuCompany  = 202
	menuReport   = "REPORT"   // the account menu's event key: start a report
	menuProgress = "PROGRESS" // the account menu's event key: my cases
)

const maxPhotos = 9

var caseNoRE = regexp.MustCompile(`(?i)\b[A-Z]{1,4}\d{8}-\d{3,}\b`)

// Handle answers one inbound message once: WeChat retries a message it got
// no answer to in 5 s, and a retry gets the first answer, not a second run.
// An outage of the database or Redis answers an error instead, for the
// webhook to ask WeChat to deliver the message again.
//
// Redis sees the message twice: once to mark it and read the citizen's
// dialog, once to commit what it changed with its answer (see once).
func (c *Citizens) Handle(ctx context.Context, m bot.Message) (string, error) {
	req := &request{msgID: m.ID}
	read := func(p redis.Pipeliner) {
		if m.Kind != bot.KindEvent && c.Touch != nil {
			c.Touch(ctx, p, m.UserID)
		}
		req.comment = p.Get(ctx, c.commentKey(m.UserID))
		req.found = p.Get(ctx, c.key(m.UserID))
	}
	reply, err := once(ctx, c.Redis, c.Prefix+":wechat:seen:"+m.ID, read, func(w redis.Pipeliner) (string, error) {
		for _, cmd := range []*redis.StringCmd{req.found, req.comment} {
			if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
				// Not "no dialog": a digit typed mid-report would be taken
				// for a rating.
				return "", unavailable(fmt.Errorf("read the dialog: %w", err))
			}
		}
		req.writes = w
		reply := c.handle(context.WithValue(ctx, requestKey{}, req), m)
		if req.outage != nil {
			return "", unavailable(req.outage)
		}
		return reply, nil
	})
	if err == nil && req.kick && c.Kick != nil {
		// Only now: a menu must not reach the citizen before the dialog
		// step that expects its click is stored.
		c.Kick()
	}
	return reply, err
}

// request is what the steps of the dialog share about the message being
// handled: its id, which makes a step safe to run again after a crash,
// and the first outage met, for Handle; the steps keep plain string
// answers.
type request struct {
	msgID  string
	outage error
	// found and comment are the citizen's dialog and pending comment as
	// the message found them, read with its de-duplication mark; writes
	// is where the steps queue their Redis writes, committed with the
	// message's answer.
	found, comment *redis.StringCmd
	writes         redis.Pipeliner
	kick           bool // the outbox has something to send once writes commit
}

type requestKey struct{}

func requestOf(ctx context.Context) *request {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		return r
	}
	return &request{}
}

// busy records an outage for Handle and says so, for callers without it.
func (c *Citizens) busy(ctx context.Context, what string, err error) string {
	c.Log.Error("wechat: "+what, "err", err)
	if r := requestOf(ctx); r.outage == nil {
		r.outage = fmt.Errorf("%s: %w", what, err)
	}
	return "系统繁忙，请稍后再试。"
}

func (c *Citizens) handle(ctx context.Context, m bot.Message) string {
	openid := m.UserID
	if m.Kind == bot.KindEvent {
		switch {
		case m.Event == "subscribe":
			return c.greeting()
		case m.Event == "CLICK" && m.ButtonKey == menuReport:
			return c.start(ctx, openid)
		case m.Event == "CLICK" && m.ButtonKey == menuProgress:
			return c.progress(ctx, openid)
		}
		return "" // unsubscribe, view, template delivery reports: nothing to say
	}
	text := strings.TrimSpace(m.Text)
	d := foundDialog(ctx)
	stale := d != nil && c.stale(d)
	switch {
	case stale:
		c.drop(ctx, openid)
	case d != nil:
		// Any message is the citizen at work — an answer, a refused one, a
		// rating — so the dialog lives on from now. A step that saves or
		// drops it later, in the same commit, has the last word.
		c.saveAs(ctx, openid, d, d.Msg)
	}
	if reply, ok := c.rating(ctx, openid, d, text, m.ButtonKey); ok {
		if stale {
			return reply + "\n\n" + c.expiredText()
		}
		return reply
	}
	if stale {
		return c.expiredText()
	}
	if d != nil && m.ID != "" && d.Msg == m.ID {
		return c.ask(ctx, openid, d)
	}
	if d != nil {
		return c.inDialog(ctx, openid, d, m, text)
	}
	switch {
	case m.Kind == bot.KindText && isStart(text):
		return c.start(ctx, openid)
	case m.Kind == bot.KindText && (text == "查询" || text == "进度" || text == "查询进度"):
		return c.progress(ctx, openid)
	case m.Kind == bot.KindText && caseNoRE.MatchString(text):
		return c.caseStatus(ctx, openid, strings.ToUpper(caseNoRE.FindString(text)))
	}
	return c.help()
}

// rating takes a rating (a menu click, a digit 1–5 or a level's words)
// for the citizen's case awaiting one, and then a comment (第十三条). It
// reports false when the message is not about a rating. d is the report
// in progress, if any.
//
// A menu names its case and round: a click rates that round of that case
// or nothing. A typed rating is taken only when one case awaits a rating;
// with more the citizen is asked which (“编号 数字”). A click on a menu of
// before (501…505) names no case nor round — the case may be in a later
// round than the menu was sent for — so it never rates: the citizen is
// asked to use the latest rating message or “编号 数字”.
func (c *Citizens) rating(ctx context.Context, openid string, d *dialog, text, button string) (string, bool) {
	pick, isLevel := ratingOf(text, button)
	commentKey := c.commentKey(openid)
	if !isLevel {
		no, err := requestOf(ctx).comment.Result()
		if err != nil || text == "" || isStart(text) || text == "查询" || caseNoRE.MatchString(text) {
			return "", false
		}
		if d != nil {
			return "", false // a text in the middle of a report belongs to the report
		}
		// At once, not with the message's answer: the comment is recorded
		// now, and a redelivery must not record it again.
		c.Redis.Del(ctx, commentKey)
		if _, err := c.Cases.Comment(ctx, casework.Applicant(""), no, text); err != nil {
			if outage(err) {
				c.Redis.Set(ctx, commentKey, no, 30*time.Minute) // for WeChat's next delivery
				return c.busy(ctx, "record comment", err), true
			}
			return "抱歉，意见没有记录成功：" + models.ErrorMessage(err), true
		}
		return "您的意见已记录，我们会认真改进。谢谢！", true
	}
	if button == "" && d != nil {
		return "", false // a digit in the middle of a report belongs to the report
	}
	var cs *models.Case
	var err error
	switch {
	case pick.CaseID != 0:
		cs, err = c.Cases.RateMenuChoice(ctx, openid, pick.RatingChoice)
	case pick.no != "":
		cs, err = c.Cases.RateOwnCase(ctx, openid, pick.no, 0, pick.Level)
	default:
		awaiting, aerr := c.Cases.AwaitingRating(ctx, openid)
		if aerr != nil {
			return c.busy(ctx, "find case to rate", aerr), true
		}
		switch {
		case len(awaiting) == 0 && button != "":
			return "您的事项已经评价过或已办结，感谢您的评价！", true
		case len(awaiting) == 0:
			return "", false
		case pick.legacy:
			return whichCase(awaiting, true), true
		case len(awaiting) > 1:
			return whichCase(awaiting, button != ""), true
		}
		cs, err = c.Cases.RateOwnCase(ctx, openid, awaiting[0].No, awaiting[0].Round, pick.Level)
	}
	if outage(err) {
		return c.busy(ctx, "record rating", err), true
	}
	if err != nil {
		return models.ErrorMessage(err), true
	}
	c.Redis.Set(ctx, commentKey, cs.No, 30*time.Minute) // at once: the rating is recorded
	if pick.Level.Bad() {
		return fmt.Sprintf("已记录您对 %s 的评价：%s。我们将退回重新办理，并安排专人回访您。\n如有具体意见，请直接回复文字告诉我们。", cs.No, pick.Level.Label()), true
	}
	return fmt.Sprintf("已记录您对 %s 的评价：%s。感谢您的支持！\n如有意见或建议，可以直接回复文字（可选）。", cs.No, pick.Level.Label()), true
}

// whichCase asks a citizen which case (and, after a menu of before, which
// result) a rating is for, rather than guessing.
func whichCase(awaiting []models.Case, oldMenu bool) string {
	var b strings.Builder
	if oldMenu {
		b.WriteString("您点击的是较早的评价消息，它没有写明是哪一件事项、哪一次处理结果的评价，为了不记错，还没有记录。")
	} else {
		b.WriteString("为了不记错，这次评价还没有记录。")
	}
	fmt.Fprintf(&b, "您有 %d 件事项在等待评价：\n", len(awaiting))
	for _, cs := range awaiting {
		fmt.Fprintf(&b, "%s｜%s｜%s\n", cs.No, cs.Category.Label(), models.Shorten(cs.Result, 20))
	}
	fmt.Fprintf(&b, "请点击对应事项最新一条评价消息中的选项，或回复“编号 数字”，例如“%s 2”（1 非常满意 … 5 非常不满意）。", awaiting[0].No)
	return b.String()
}

// ratingPick is a rating read from a message: a menu's choice, or a typed
// level with the case it names (no), if any.
type ratingPick struct {
	casework.RatingChoice
	no     string
	legacy bool // a click on a menu of before, naming no case nor round
}

// ratingOf reads a rating from a menu click or a typed answer: “2”,
// “满意”, or “BB20260310-004 2”.
func ratingOf(text, button string) (ratingPick, bool) {
	if id, err := strconv.ParseInt(button, 10, 64); err == nil {
		if choice, ok := casework.ParseRatingMenuID(id); ok {
			return ratingPick{RatingChoice: choice, legacy: choice.CaseID == 0}, true
		}
	}
	no := ""
	if loc := caseNoRE.FindStringIndex(text); loc != nil && loc[0] == 0 {
		no, text = strings.ToUpper(text[:loc[1]]), strings.TrimLeft(text[loc[1]:], " ：:，,")
	}
	level, ok := levelOf(text)
	if !ok {
		return ratingPick{}, false
	}
	return ratingPick{RatingChoice: casework.RatingChoice{Level: level}, no: no}, true
}

// levelOf reads a typed level: a digit 1–5 or the level's words.
func levelOf(text string) (models.RatingLevel, bool) {
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(models.RatingLevels) {
		return models.RatingLevels[n-1], true
	}
	for _, l := range models.RatingLevels {
		if text == l.Label() {
			return l, true
		}
	}
	return "", false
}

func isStart(text string) bool {
	switch text {
	case "反映问题", "反映", "我要反映", "办不成事", "投诉":
		return true
	}
	return false
}

// stale is a dialog left alone for expiry: it has ended, as its timer
// ends it at that moment.
func (c *Citizens) stale(d *dialog) bool { return c.Clock.Now().Sub(d.Updated) >= c.expiry() }

func (c *Citizens) expiry() time.Duration {
	if c.Expiry > 0 {
		return c.Expiry
	}
	return 30 * time.Minute
}

func (c *Citizens) greeting() string {
	return fmt.Sprintf("您好，欢迎关注%s！\n在中心办事遇到“办不成”的问题（超时未受理、超时未办结、多次跑腿未办成、态度差、慢作为、不作为），可以在这里反映，我们会有专人跟进到办结。\n回复“反映问题”开始反映，回复“查询”了解办理进度。", c.centre())
}

func (c *Citizens) help() string {
	return "您好！我可以帮您：\n· 回复“反映问题”：反映在中心办事遇到的问题\n· 回复“查询”：查看您反映事项的办理进度\n· 回复事项编号（如 BB20260310-004）：查看该事项详情"
}

func (c *Citizens) centre() string {
	if c.Centre == "" {
		return "县政务服务中心"
	}
	return c.Centre
}

// start opens a new report with the category menu.
func (c *Citizens) start(ctx context.Context, openid string) string {
	d := &dialog{Step: stepCategory}
	c.save(ctx, openid, d)
	if err := c.arm(ctx, openid, d.Updated.Add(c.expiry())); err != nil {
		// Without its timer the dialog still ends when the citizen next
		// writes after the expiry.
		c.Log.Warn("wechat: schedule dialog expiry", "err", err)
	}
	return c.ask(ctx, openid, d)
}

// ask puts the question of d's step: a clickable menu where there is a
// choice (with typed numbers as the fallback), else a text.
func (c *Citizens) ask(ctx context.Context, openid string, d *dialog) string {
	switch d.Step {
	case stepCategory:
		menu := make([]models.MenuItem, len(models.Categories))
		for i, cat := range models.Categories {
			menu[i] = models.MenuItem{ID: int64(menuCategory + i + 1), Label: fmt.Sprintf("%d %s", i+1, cat.Label())}
		}
		return c.menu(ctx, openid, fmt.Sprintf("您好！这里是%s“办不成事”反映窗口。请选择您遇到的情况：", c.centre()), menu,
			"点击选择，或回复数字 1–7。回复“取消”可随时退出。")
	case stepMatter:
		return "请简要描述您要办的事、在哪个窗口办理、卡在哪一步（可以发照片）。"
	case stepKind:
		return c.menu(ctx, openid, "请问您是以个人还是企业名义反映？", []models.MenuItem{
			{ID: menuPerson, Label: "1 个人（群众）"}, {ID: menuCompany, Label: "2 企业"},
		}, "点击选择，或回复数字 1 或 2。")
	case stepCompany:
		return "请告诉我们企业名称。"
	case stepName:
		return "请问怎么称呼您？"
	case stepMobile:
		return "请留一个能联系到您的手机号。"
	case stepConfirm:
		return c.summary(d)
	}
	return c.help()
}

// menu sends a clickable menu through the outbox (a customer-service
// message) and answers nothing passively: the menu is the reply.
func (c *Citizens) menu(ctx context.Context, openid, head string, items []models.MenuItem, tail string) string {
	data := models.NoticeData{Text: head, Menu: items, Tail: tail}
	// Once per message: asked again after a crash, the menu is not sent
	// twice.
	err := c.Cases.TellOnceFor(ctx, "menu:"+requestOf(ctx).msgID, models.NoticeDialogMenu, models.AudienceApplicant, openid, data)
	if err != nil {
		c.Log.Error("wechat: queue menu", "err", err)
		// Say it in words instead: the typed numbers work all the same.
		lines := []string{head}
		for _, it := range items {
			lines = append(lines, it.Label)
		}
		return strings.Join(append(lines, tail), "\n")
	}
	c.kick(ctx)
	return ""
}

// kick asks Handle to wake the outbox once the message's writes commit.
func (c *Citizens) kick(ctx context.Context) { requestOf(ctx).kick = true }

func (c *Citizens) summary(d *dialog) string {
	var b strings.Builder
	b.WriteString("请核对：\n")
	fmt.Fprintf(&b, "类别：%s\n", d.Category.Label())
	fmt.Fprintf(&b, "事项：%s\n", models.Shorten(d.Matter, 60))
	if len(d.Photos) > 0 {
		fmt.Fprintf(&b, "照片：%d 张\n", len(d.Photos))
	}
	if d.Kind == models.ApplicantCompany {
		fmt.Fprintf(&b, "企业：%s\n", d.Company)
	}
	fmt.Fprintf(&b, "联系人：%s %s\n", d.Name, models.MaskMobile(d.Mobile))
	b.WriteString("回复“确认”提交，回复“上一步”修改，回复“取消”放弃。")
	return b.String()
}

// step takes the answer to d's present step.
func (c *Citizens) step(ctx context.Context, openid string, d *dialog, m bot.Message) string {
	text := strings.TrimSpace(m.Text)
	if m.Kind == bot.KindImage {
		if d.Step != stepMatter {
			return "照片请在描述问题时发送。" + c.ask(ctx, openid, d)
		}
		if len(d.Photos) >= maxPhotos {
			return fmt.Sprintf("最多可以附 %d 张照片。请用文字简要描述一下情况。", maxPhotos)
		}
		d.Photos = append(d.Photos, m.MediaID)
		c.save(ctx, openid, d)
		if d.Matter == "" {
			return fmt.Sprintf("已收到照片（共 %d 张）。请再用文字简要描述一下情况。", len(d.Photos))
		}
		return fmt.Sprintf("已收到照片（共 %d 张）。", len(d.Photos))
	}
	if m.Kind != bot.KindText {
		return "暂时只能识别文字和照片。" + c.stepHelp(d)
	}
	if m.ButtonKey != "" && !isMenuOf(d.Step, m.ButtonKey) {
		// A click on another question's menu: an earlier one, or one that
		// went out for a step whose storing then failed. Taken as typed
		// words it could become the matter or a category.
		if q := c.ask(ctx, openid, d); q != "" {
			return "您点击的是之前的选项。" + q
		}
		return "您点击的是之前的选项，请在刚发送的选项中重新选择。"
	}
	next, reply := c.answer(d, text, m.ButtonKey)
	if reply != "" && next == "" {
		return reply // the answer was not accepted: ask again
	}
	if next == "submit" {
		return c.submit(ctx, openid, d, m.ID)
	}
	d.Back = append(d.Back, d.Step)
	d.Step = next
	c.save(ctx, openid, d)
	return c.ask(ctx, openid, d)
}

// isMenuOf reports whether a menu item id belongs to the menu of step.
func isMenuOf(step, button string) bool {
	id, err := strconv.Atoi(button)
	switch step {
	case stepCategory:
		return err == nil && id > menuCategory && id <= menuCategory+len(models.Categories)
	case stepKind:
		return err == nil && (id == menuPerson || id == menuCompany)
	}
	return false
}

// answer checks the answer to the present step and stores it in d. It
// returns the next step, or "" and what to say when the answer won't do.
func (c *Citizens) answer(d *dialog, text, button string) (next, reply string) {
	switch d.Step {
	case stepCategory:
		choice := text
		if id, err := strconv.Atoi(button); err == nil && id > menuCategory && id <= menuCategory+len(models.Categories) {
			choice = strconv.Itoa(id - menuCategory)
		} else if n, label, ok := strings.Cut(text, " "); ok && label != "" {
			choice = n // a clicked label arrives as "2 受理后超时未办结"
		}
		cat, ok := models.ParseCategory(choice)
		if !ok {
			return "", "请回复数字 1–7 选择您遇到的情况，或点击上面的选项。"
		}
		d.Category = cat
		return stepMatter, ""
	case stepMatter:
		if utf8.RuneCountInString(text) < 5 {
			return "", "请再多写几句：要办什么事、在哪个窗口、卡在哪一步。"
		}
		if utf8.RuneCountInString(text) > 1000 {
			return "", "内容有点长，请精简到 1000 字以内。"
		}
		d.Matter = text
		return stepKind, ""
	case stepKind:
		switch {
		case button == strconv.Itoa(menuPerson) || text == "1" || strings.Contains(text, "个人") || strings.Contains(text, "群众"):
			d.Kind, d.Company = models.ApplicantPerson, ""
			return stepName, ""
		case button == strconv.Itoa(menuCompany) || text == "2" || strings.Contains(text, "企业"):
			d.Kind = models.ApplicantCompany
			return stepCompany, ""
		}
		return "", "请回复 1（个人）或 2（企业）。"
	case stepCompany:
		if utf8.RuneCountInString(text) < 2 || utf8.RuneCountInString(text) > 100 {
			return "", "请告诉我们企业的全称（2–100 字）。"
		}
		d.Company = text
		return stepName, ""
	case stepName:
		if text == "" || utf8.RuneCountInString(text) > 32 {
			return "", "请告诉我们怎么称呼您（32 字以内），例如“李女士”。"
		}
		if hasMobile(text) {
			// A name is shown unmasked wherever the case goes.
			return "", "请先告诉我们怎么称呼您，例如“李女士”；手机号下一步再填。"
		}
		d.Name = text
		return stepMobile, ""
	case stepMobile:
		mobile := strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "").Replace(text), "+86")
		if !models.ValidMobile(mobile) {
			if digits(mobile) && len(mobile) < 11 {
				return "", "手机号好像少了一位，请再发一次（11位数字）。"
			}
			if digits(mobile) && len(mobile) > 11 {
				return "", "手机号好像多了一位，请再发一次（11位数字）。"
			}
			return "", "这不像是手机号，请发一个 11 位、以 1 开头的手机号码。"
		}
		d.Mobile = mobile
		return stepConfirm, ""
	case stepConfirm:
		switch text {
		case "确认", "确定", "提交", "是":
			return "submit", ""
		}
		return "", "回复“确认”提交，回复“上一步”修改，回复“取消”放弃。"
	}
	return "", c.help()
}

var digitRun = regexp.MustCompile(`[0-9]+`)

// hasMobile reports whether s holds a mobile number.
func hasMobile(s string) bool {
	for _, run := range digitRun.FindAllString(strings.NewReplacer(" ", "", "-", "").Replace(s), -1) {
		if models.ValidMobile(run) || (strings.HasPrefix(run, "86") && models.ValidMobile(run[2:])) {
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (c *Citizens) stepHelp(d *dialog) string {
	return "您正在反映问题。回复“上一步”修改上一项，回复“取消”放弃本次反映。"
}

// inDialog answers a message in the middle of a report.
func (c *Citizens) inDialog(ctx context.Context, openid string, d *dialog, m bot.Message, text string) string {
	switch text {
	case "取消", "退出":
		c.drop(ctx, openid)
		return "已取消本次反映，填写的内容没有提交。如需反映问题，随时回复“反映问题”。"
	case "上一步", "返回":
		return c.back(ctx, openid, d)
	case "帮助":
		return c.stepHelp(d)
	}
	return c.step(ctx, openid, d, m)
}

// back returns to the previous step (上一步).
func (c *Citizens) back(ctx context.Context, openid string, d *dialog) string {
	if len(d.Back) == 0 {
		return "已经是第一步了。" + c.ask(ctx, openid, d)
	}
	d.Step, d.Back = d.Back[len(d.Back)-1], d.Back[:len(d.Back)-1]
	c.save(ctx, openid, d)
	return c.ask(ctx, openid, d)
}

// submit registers the case. The receipt — number, owner and the promise
// of 第十二条 — leaves through the outbox, so it is never lost or doubled.
// msgID makes it idempotent: WeChat's redelivery after a crash finds the
// case the first delivery registered.
func (c *Citizens) submit(ctx context.Context, openid string, d *dialog, msgID string) string {
	_, err := c.Cases.Register(ctx, casework.Applicant(d.Name), casework.Registration{
		ApplicantName: d.Name, ApplicantMobile: d.Mobile, ApplicantKind: d.Kind, Company: d.Company,
		Category: d.Category, Matter: d.Matter, Channel: models.ChannelServiceAccount,
		OpenID: openid, Photos: d.Photos, SourceID: "wechat:" + msgID,
	})
	if err != nil {
		if outage(err) {
			c.busy(ctx, "register case", err)
			return "抱歉，系统暂时无法提交，您填写的内容已保留，请稍后回复“确认”再试。"
		}
		return "抱歉，暂时无法提交：" + models.ErrorMessage(err) + "\n您填写的内容已保留，可回复“上一步”修改。"
	}
	c.drop(ctx, openid)
	c.kick(ctx)
	return ""
}

// progress lists the citizen's open cases (查询).
func (c *Citizens) progress(ctx context.Context, openid string) string {
	list, _, err := c.Cases.List(ctx, casework.Filter{OpenID: openid, Limit: 20})
	if err != nil {
		return c.busy(ctx, "list cases", err)
	}
	var lines []string
	for _, cs := range list {
		if cs.Status.Open() {
			lines = append(lines, fmt.Sprintf("%s｜%s｜%s", cs.No, cs.Category.Label(), cs.Status.Label()))
		}
	}
	if len(lines) == 0 {
		return "您目前没有正在办理的事项。如需反映问题，请回复“反映问题”。"
	}
	return fmt.Sprintf("您有 %d 件正在办理的事项：\n%s\n回复编号可查看最新进展。", len(lines), strings.Join(lines, "\n"))
}

// caseStatus shows one case to its own applicant only.
func (c *Citizens) caseStatus(ctx context.Context, openid, no string) string {
	p, err := c.Cases.Progress(ctx, no)
	if err != nil && models.ErrorCode(err) != models.ErrNotFound {
		return c.busy(ctx, "get case", err)
	}
	if err != nil || p.Case.ApplicantOpenID != openid {
		// The same answer whether the case is someone else's or none at all.
		return fmt.Sprintf("没有找到您反映的编号为 %s 的事项，请核对编号，或回复“查询”查看您的全部事项。", no)
	}
	return fmt.Sprintf("编号 %s\n类别：%s\n状态：%s\n最新进展：%s", p.Case.No, p.Case.Category.Label(), p.Case.Status.Label(), lastStep(p, c.Clock.Now()))
}

// lastStep tells the latest step in words a citizen understands, without
// staff names or internal numbers. An open order past its deadline is
// not promised by that date again: it is overdue and pressed (督办), to be
// answered by the 10-working-day cap while that is ahead (第十二条).
func lastStep(p *casework.Progress, now time.Time) string {
	e := p.Last
	if e == nil {
		return "已受理"
	}
	when := e.At.In(models.Shanghai).Format("1月2日 15:04") + " "
	dept := cmp.Or(p.Department.Name, "相关部门")
	switch e.Action {
	case "dispatched", "signed", "extended", "reminded", "overdue", "cap_reached":
		if p.Order.No == "" || !p.Order.Open() || now.Before(p.Order.Deadline()) {
			break
		}
		if now.Before(p.Order.CapAt) {
			return fmt.Sprintf("%s办理已超期，我们已督办，最迟将于 %s 前答复您", dept, models.FormatTime(p.Order.CapAt))
		}
		return dept + "办理已超期，超过了最长办理时限，我们已报告主要负责领导督办，将尽快答复您"
	}
	switch e.Action {
	case "dispatched":
		return when + fmt.Sprintf("已转交%s办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "signed":
		return when + fmt.Sprintf("%s已签收，正在办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "reminded":
		return when + fmt.Sprintf("已提醒%s抓紧办理，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "extended":
		return when + fmt.Sprintf("%s申请延期，将于 %s 前答复您", dept, models.FormatTime(p.Order.Deadline()))
	case "replied":
		return when + dept + "已答复，其他部门仍在办理"
	case "escalated":
		return when + "已报请领导协调办理"
	case "instruction_requested":
		return when + "已请示领导，等待答复"
	case "summoned", "arrived":
		return when + "已通知相关窗口工作人员到现场协调"
	case "answered", "instruction_answered", "follow_up_planned", "rating_reminded", "follow_up_due", "follow_up_overdue":
		return when + "已答复：" + p.Case.Result
	case "rated":
		return when + "已收到您的评价"
	case "awaiting_follow_up":
		return when + "已收到您的评价，首接负责人将回访您后办结"
	case "not_rated":
		return when + "评价期限已过，首接负责人将回访您"
	case "followed_up":
		return when + "首接负责人已回访"
	case "reopened":
		return when + "已退回重新办理"
	case "closed":
		return when + "已办结"
	}
	return when + "已受理，首接负责人正在跟进"
}

func (c *Citizens) expiredText() string {
	return fmt.Sprintf("您上次的反映超过 %d 分钟没有继续，已自动结束，填写的内容没有提交。\n如需反映问题，请回复“反映问题”重新开始。", int(c.expiry().Minutes()))
}

// Expire ends a dialog its timer found left alone, and tells the citizen
// (inside the customer-service window: they wrote minutes ago). A dialog
// touched since gets its timer again, for the new time.
func (c *Citizens) Expire(ctx context.Context, openid string) error {
	for range 3 {
		raw, err := c.Redis.Get(ctx, c.key(openid)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		d := decodeDialog(raw)
		if d == nil {
			return nil // unreadable: the next message starts afresh
		}
		if !c.stale(d) {
			return c.arm(ctx, openid, d.Updated.Add(c.expiry()))
		}
		// Only the dialog as read: one a message moved on meanwhile lives.
		ended, err := dropIfUnchanged.Run(ctx, c.Redis, []string{c.key(openid)}, raw).Int()
		if err != nil {
			return err
		}
		if ended == 1 {
			return c.Cases.Tell(ctx, models.NoticeDialogExpired, models.AudienceApplicant, openid, models.NoticeData{Text: c.expiredText()})
		}
	}
	return nil
}

// dropIfUnchanged deletes KEYS[1] if it still holds ARGV[1].
var dropIfUnchanged = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// arm sets the timer that ends d when it is left alone. It is set when
// the dialog starts and moved on only when it fires (Expire), which spares
// every step of the dialog a write to the timers.
func (c *Citizens) arm(ctx context.Context, openid string, at time.Time) error {
	if c.Timers == nil {
		return nil
	}
	return c.Timers.Schedule(ctx, DialogTimerPrefix+openid, at)
}

func (c *Citizens) key(openid string) string { return c.Prefix + ":wechat:dialog:" + openid }

func (c *Citizens) commentKey(openid string) string { return c.Prefix + ":wechat:comment:" + openid }

// foundDialog is the citizen's dialog as the message being handled found
// it, read with its de-duplication mark (Handle answers 503 when that read
// failed); nil when there is none. The steps read it before they change
// it, never after.
func foundDialog(ctx context.Context) *dialog {
	raw, err := requestOf(ctx).found.Bytes()
	if err != nil {
		return nil
	}
	return decodeDialog(raw)
}

// decodeDialog reads a stored dialog; nil when it is unreadable, which is
// as good as none.
func decodeDialog(raw []byte) *dialog {
	var d dialog
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil
	}
	return &d
}

// save stores the dialog. Its staleness is judged by our Clock (the test
// clock included); the Redis expiry only clears what nobody came back to.
func (c *Citizens) save(ctx context.Context, openid string, d *dialog) {
	c.saveAs(ctx, openid, d, requestOf(ctx).msgID)
}

// saveAs queues d, as changed by message msg, on the message's writes:
// an error shows when they commit, and fails the message (see once).
func (c *Citizens) saveAs(ctx context.Context, openid string, d *dialog, msg string) {
	d.Updated, d.Msg = c.Clock.Now(), msg
	raw, _ := json.Marshal(d) // strings, slices and a time: nothing json refuses
	requestOf(ctx).writes.Set(ctx, c.key(openid), raw, 24*time.Hour)
}

func (c *Citizens) drop(ctx context.Context, openid string) {
	requestOf(ctx).writes.Del(ctx, c.key(openid)) // its timer, when it fires, finds nothing to end
}

package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bbcs/bot"
	"bbcs/casework"
	"bbcs/models"
)

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

// The dialog's menu ids: WeChat returns them as numbers (bizmsgmenuid).
// (A rating menu's ids are bot/wechat's: 501…505, and 10011 and up.)
const (
	menuCategory = 100 // + 1…7
	menuPerson   = 201
	menuCompany  = 202
	menuReport   = "REPORT"   // the account menu's event key: start a report
	menuProgress = "PROGRESS" // the account menu's event key: my cases
)

const maxPhotos = 9

// start opens a new report with the category menu.
func (c *Citizens) start(ctx context.Context, t *turn) string {
	d := &dialog{Step: stepCategory}
	c.save(ctx, t, d)
	if err := c.arm(ctx, t.openid, d.Updated.Add(c.expiry())); err != nil {
		// Without its timer the dialog still ends when the citizen next
		// writes after the expiry.
		c.Log.Warn("wechat: schedule dialog expiry", "err", err)
	}
	return c.ask(ctx, t, d)
}

// ask puts the question of d's step: a clickable menu where there is a
// choice (with typed numbers as the fallback), else a text.
func (c *Citizens) ask(ctx context.Context, t *turn, d *dialog) string {
	switch d.Step {
	case stepCategory:
		menu := make([]models.MenuItem, len(models.Categories))
		for i, cat := range models.Categories {
			menu[i] = models.MenuItem{ID: int64(menuCategory + i + 1), Label: fmt.Sprintf("%d %s", i+1, cat.Label())}
		}
		return c.menu(ctx, t, fmt.Sprintf("您好！这里是%s“办不成事”反映窗口。请选择您遇到的情况：", c.centre()), menu,
			"点击选择，或回复数字 1–7。回复“取消”可随时退出。")
	case stepMatter:
		return "请简要描述您要办的事、在哪个窗口办理、卡在哪一步（可以发照片）。"
	case stepKind:
		return c.menu(ctx, t, "请问您是以个人还是企业名义反映？", []models.MenuItem{
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
func (c *Citizens) menu(ctx context.Context, t *turn, head string, items []models.MenuItem, tail string) string {
	data := models.NoticeData{Text: head, Menu: items, Tail: tail}
	// Once per message: asked again after a crash, the menu is not sent
	// twice.
	err := c.Cases.TellOnceFor(ctx, "menu:"+t.msgID, models.NoticeDialogMenu, models.AudienceApplicant, t.openid, data)
	if err != nil {
		c.Log.Error("wechat: queue menu", "err", err)
		// Say it in words instead: the typed numbers work all the same.
		lines := []string{head}
		for _, it := range items {
			lines = append(lines, it.Label)
		}
		return strings.Join(append(lines, tail), "\n")
	}
	t.kick = true // Handle wakes the outbox once the message's writes commit
	return ""
}

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
func (c *Citizens) step(ctx context.Context, t *turn, d *dialog, m bot.Message) string {
	text := strings.TrimSpace(m.Text)
	if m.Kind == bot.KindImage {
		if d.Step != stepMatter {
			return "照片请在描述问题时发送。" + c.ask(ctx, t, d)
		}
		if len(d.Photos) >= maxPhotos {
			return fmt.Sprintf("最多可以附 %d 张照片。请用文字简要描述一下情况。", maxPhotos)
		}
		d.Photos = append(d.Photos, m.MediaID)
		c.save(ctx, t, d)
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
		if q := c.ask(ctx, t, d); q != "" {
			return "您点击的是之前的选项。" + q
		}
		return "您点击的是之前的选项，请在刚发送的选项中重新选择。"
	}
	next, reply := c.answer(d, text, m.ButtonKey)
	if reply != "" && next == "" {
		return reply // the answer was not accepted: ask again
	}
	if next == "submit" {
		return c.submit(ctx, t, d)
	}
	d.Back = append(d.Back, d.Step)
	d.Step = next
	c.save(ctx, t, d)
	return c.ask(ctx, t, d)
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
func (c *Citizens) inDialog(ctx context.Context, t *turn, d *dialog, m bot.Message, text string) string {
	switch text {
	case "取消", "退出":
		c.drop(ctx, t)
		return "已取消本次反映，填写的内容没有提交。如需反映问题，随时回复“反映问题”。"
	case "上一步", "返回":
		return c.back(ctx, t, d)
	case "帮助":
		return c.stepHelp(d)
	}
	return c.step(ctx, t, d, m)
}

// back returns to the previous step (上一步).
func (c *Citizens) back(ctx context.Context, t *turn, d *dialog) string {
	if len(d.Back) == 0 {
		return "已经是第一步了。" + c.ask(ctx, t, d)
	}
	d.Step, d.Back = d.Back[len(d.Back)-1], d.Back[:len(d.Back)-1]
	c.save(ctx, t, d)
	return c.ask(ctx, t, d)
}

// submit registers the case. The receipt — number, owner and the promise
// of 第十二条 — leaves through the outbox, so it is never lost or doubled.
// The message's id makes it idempotent: WeChat's redelivery after a crash
// finds the case the first delivery registered.
func (c *Citizens) submit(ctx context.Context, t *turn, d *dialog) string {
	_, err := c.Cases.Register(ctx, casework.Applicant(d.Name), casework.Registration{
		ApplicantName: d.Name, ApplicantMobile: d.Mobile, ApplicantKind: d.Kind, Company: d.Company,
		Category: d.Category, Matter: d.Matter, Channel: models.ChannelServiceAccount,
		OpenID: t.openid, Photos: d.Photos, SourceID: "wechat:" + t.msgID,
	})
	if err != nil {
		if outage(err) {
			c.busy(t, "register case", err)
			return "抱歉，系统暂时无法提交，您填写的内容已保留，请稍后回复“确认”再试。"
		}
		return "抱歉，暂时无法提交：" + models.ErrorMessage(err) + "\n您填写的内容已保留，可回复“上一步”修改。"
	}
	c.drop(ctx, t)
	t.kick = true
	return ""
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"bbcs/bot/dingtalk/dingtalktest"
	"bbcs/bot/wechat/wechattest"
	"bbcs/bot/wecom/wecomtest"
	"bbcs/internal/par"
	"bbcs/internal/testenv"
)

// A realistic day of the centre (issue #8): citizens on the service
// account, window staff in their WeCom and DingTalk groups, clicks on the
// work-order cards that open the action page, and the specialists'
// dispatches through the API. The day runs 09:00–17:00 and peaks
// mid-morning; its events are replayed at -day-speed times real speed
// against the real webhooks, each signed and encrypted as its platform
// does, each timed from its scheduled moment.

// Request kinds, as reported.
const (
	kindWeChat   = "service account  POST /wechat/oa"
	kindWeComBot = "WeCom group robot  POST /wecom/callback"
	kindWeComApp = "WeCom app (private)  POST /wecom/app"
	kindDing     = "DingTalk robot  POST /dingtalk/callback"
	kindAct      = "card → action page  GET|POST /act/{order}"
	kindAPI      = "specialist dispatch  POST /api/v1/cases/{no}/dispatch"
)

var dayStart = 9 * time.Hour // 09:00

// hourShare is the share of the day's traffic in each hour from 09:00: a
// morning peak at 10–11, a lunch dip, a smaller afternoon bump.
var hourShare = []float64{0.14, 0.22, 0.16, 0.05, 0.08, 0.14, 0.13, 0.08}

// daySize is the day at -day-scale 1: about 300 citizen messages and 150
// staff commands, plus card clicks and dispatches.
type daySize struct {
	reports, progress, greetings, ratings int // citizens
	signs, replies, extends, escalates    int // staff commands in groups
	helps, refused, private               int
	cardFlows                             int // card → action page (3 requests each)
	backlog                               int // cases open at the start of the day
}

func sizeFor(scale float64) daySize {
	n := func(x float64) int { return max(1, int(x*scale+0.5)) }
	return daySize{
		reports: n(25), progress: n(20), greetings: n(12), ratings: n(14),
		signs: n(58), replies: n(58), extends: n(8), escalates: n(3), helps: n(5), refused: n(6), private: n(12),
		cardFlows: n(15), backlog: n(40),
	}
}

// dayMsg is one timed request of the day.
type dayMsg struct {
	at time.Duration // time of day
	do func(d *dayRun, sched time.Time)
}

// dayFlow is a sequence of requests by one person (a dialog, a card
// click): run in order, each at its time, each timed from it.
type dayFlow struct {
	anchor time.Duration // when it starts
	// origin is when what it belongs to started (a dispatch or a later
	// progress query belongs to the report dialog it follows): a flow is
	// replayed with the window its origin is in.
	origin time.Duration
	msgs   []dayMsg
}

// dayPlan is the generated day.
type dayPlan struct {
	flows        []dayFlow
	citizenMsgs  int
	staffCmds    int
	cardRequests int
	dispatches   int
}

// window is the flows that start in [from, to), with what follows from
// them up to 10 minutes after to.
func (p *dayPlan) window(from, to time.Duration) (out []dayFlow) {
	for _, f := range p.flows {
		origin := f.anchor
		if f.origin != 0 {
			origin = f.origin
		}
		if origin < from || origin >= to || f.anchor >= to+10*time.Minute {
			continue
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b dayFlow) int { return int(a.anchor - b.anchor) })
	return out
}

func uniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// timeOfDay draws a moment of the day by hourShare.
func timeOfDay(r *rand.Rand) time.Duration {
	x := r.Float64()
	for h, s := range hourShare {
		if x < s || h == len(hourShare)-1 {
			return dayStart + time.Duration(h)*time.Hour + uniform(r, 0, time.Hour-time.Second)
		}
		x -= s
	}
	return dayStart
}

// planDay generates the day's events; seed makes it repeatable.
func planDay(size daySize, seed uint64) *dayPlan {
	r := rand.New(rand.NewPCG(seed, 8))
	p := &dayPlan{}
	add := func(f dayFlow) { p.flows = append(p.flows, f) }

	// Citizens reporting through the guided dialog.
	for i := range size.reports {
		t := timeOfDay(r)
		start := t
		f := dayFlow{anchor: t}
		cit := fmt.Sprintf("r%03d", i)
		say := func(text string, trigger bool) {
			f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenText(cit, text, trigger, s) }})
			p.citizenMsgs++
		}
		click := func(label string, id int64) {
			f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenClick(cit, label, id, s) }})
			p.citizenMsgs++
		}
		if r.IntN(2) == 0 {
			say("反映问题", true)
		} else {
			f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenEvent(cit, "CLICK", "REPORT", true, s) }})
			p.citizenMsgs++
		}
		t += uniform(r, 6*time.Second, 20*time.Second)
		cat := 1 + r.IntN(7)
		click(fmt.Sprintf("%d %s", cat, categoryLabels[cat-1]), int64(100+cat))
		t += uniform(r, 40*time.Second, 150*time.Second)
		say(matters[r.IntN(len(matters))], true)
		t += uniform(r, 5*time.Second, 15*time.Second)
		if r.IntN(100) < 15 {
			click("2 企业", 202)
			t += uniform(r, 15*time.Second, 40*time.Second)
			say("隆回某某商贸有限公司", false)
		} else {
			click("1 个人（群众）", 201)
		}
		t += uniform(r, 8*time.Second, 20*time.Second)
		say(names[r.IntN(len(names))], false)
		t += uniform(r, 10*time.Second, 25*time.Second)
		mobile := fmt.Sprintf("13%d%08d", 5+r.IntN(5), r.IntN(100_000_000))
		if r.IntN(100) < 10 {
			say(mobile[:10], false) // a digit short: asked again
			t += uniform(r, 8*time.Second, 15*time.Second)
		}
		say(mobile, false)
		t += uniform(r, 8*time.Second, 20*time.Second)
		say("确认", true)
		// The owner dispatches it after a look (the console or the API).
		dispatchAt := t + uniform(r, 10*time.Minute, 40*time.Minute)
		depts := pickDepartments(r)
		add(dayFlow{anchor: dispatchAt, origin: start, msgs: []dayMsg{{at: dispatchAt, do: func(d *dayRun, s time.Time) { d.dispatch(cit, depts, s) }}}})
		p.dispatches++
		if r.IntN(100) < 40 { // and asks how it goes, later
			t += uniform(r, 20*time.Minute, 120*time.Minute)
			g := dayFlow{anchor: t, origin: start}
			g.msgs = append(g.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenText(cit, "查询", false, s) }})
			t += uniform(r, 10*time.Second, 30*time.Second)
			g.msgs = append(g.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenCaseNo(cit, s) }})
			p.citizenMsgs += 2
			add(g)
		}
		add(f)
	}
	// Citizens of earlier days asking for progress.
	for range size.progress {
		t := timeOfDay(r)
		f := dayFlow{anchor: t}
		if r.IntN(2) == 0 {
			f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.backlogText("查询", s) }})
		} else {
			f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.backlogEvent("PROGRESS", s) }})
		}
		t += uniform(r, 10*time.Second, 30*time.Second)
		f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.backlogCaseNo(s) }})
		p.citizenMsgs += 2
		add(f)
	}
	// Newcomers: subscribe, then a greeting (help).
	for i := range size.greetings {
		t := timeOfDay(r)
		cit := fmt.Sprintf("g%03d", i)
		f := dayFlow{anchor: t}
		f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenEvent(cit, "subscribe", "", false, s) }})
		t += uniform(r, 5*time.Second, 30*time.Second)
		f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.citizenText(cit, "你好", false, s) }})
		p.citizenMsgs += 2
		add(f)
	}
	// Citizens rating an answer (a digit), some with a comment.
	for range size.ratings {
		t := timeOfDay(r)
		level := []string{"1", "2", "2", "3", "4"}[r.IntN(5)]
		comment := r.IntN(2) == 0
		gap := uniform(r, 20*time.Second, 60*time.Second)
		f := dayFlow{anchor: t}
		f.msgs = append(f.msgs, dayMsg{at: t, do: func(d *dayRun, s time.Time) { d.rate(level, comment, gap, s) }})
		p.citizenMsgs++
		if comment {
			p.citizenMsgs++
		}
		add(f)
	}
	// Window staff in their groups.
	staff := func(n int, do func(d *dayRun, s time.Time)) {
		for range n {
			t := timeOfDay(r)
			add(dayFlow{anchor: t, msgs: []dayMsg{{at: t, do: do}}})
			p.staffCmds++
		}
	}
	staff(size.signs, func(d *dayRun, s time.Time) { d.sign(s, false) })
	staff(size.replies, func(d *dayRun, s time.Time) { d.reply(s) })
	staff(size.extends, func(d *dayRun, s time.Time) { d.extend(s) })
	staff(size.escalates, func(d *dayRun, s time.Time) { d.escalate(s) })
	staff(size.helps, func(d *dayRun, s time.Time) { d.help(s) })
	staff(size.refused, func(d *dayRun, s time.Time) { d.refused(s) })
	staff(size.private, func(d *dayRun, s time.Time) { d.sign(s, true) })
	// Card clicks: the order card's link opens the action page, signed in
	// through the platform; a form is posted after a read.
	for range size.cardFlows {
		t := timeOfDay(r)
		read := uniform(r, 10*time.Second, 40*time.Second)
		add(dayFlow{anchor: t, msgs: []dayMsg{{at: t, do: func(d *dayRun, s time.Time) { d.cardFlow(s, read) }}}})
		p.cardRequests += 3
	}
	return p
}

var categoryLabels = []string{"提交材料后超时未受理", "受理后超时未办结", "多次到中心未办成", "服务态度差", "慢作为", "不作为", "其他"}

func pickDepartments(r *rand.Rand) []string {
	codes := []string{"realestate", "market", "tax"}
	if r.IntN(100) < 20 {
		i := r.IntN(3)
		return []string{codes[i], codes[(i+1)%3]}
	}
	return []string{codes[r.IntN(3)]}
}

// order is a work order the day's staff act on.
type order struct {
	no, dept, caseNo, openid string
	extended                 bool
}

// dayRun is the state of a replay: the clients, the orders in each state,
// the citizens.
type dayRun struct {
	ctx    context.Context
	base   string
	speed  float64
	rec    *recorder
	arr    *arrivals
	db     *database
	http   *http.Client
	wx     *wechattest.Client
	wxBot  *wecomtest.BotClient
	wxApp  *wecomtest.AppClient
	ding   *dingtalktest.Client
	plat   *platforms
	prefix string // openids of this run
	seq    int64

	mu       sync.Mutex
	r        *rand.Rand
	pending  []*order
	accepted []*order
	rateable []string          // openids whose case is answered, not yet rated
	backlog  map[string]string // openid → case no (earlier days' citizens)
	cases    map[string]string // day citizen → case no (from the progress reply)
}

func newDayRun(ctx context.Context, base string, speed float64, rec *recorder, arr *arrivals, db *database, hc *http.Client, plat *platforms, prefix string, plain bool) *dayRun {
	d := &dayRun{ctx: ctx, base: base, speed: speed, rec: rec, arr: arr, db: db, http: hc, plat: plat, prefix: prefix,
		r: rand.New(rand.NewPCG(42, 42)), backlog: map[string]string{}, cases: map[string]string{}}
	d.wx = newWeChatClient(base, hc, plain)
	d.wxBot = &wecomtest.BotClient{URL: base + "/wecom/callback", Token: botToken, EncodingAESKey: botAESKey, BotID: "aibotload", HTTP: hc, Fake: plat.wecom}
	d.wxApp = &wecomtest.AppClient{URL: base + "/wecom/app", Token: appToken, EncodingAESKey: appAESKey, CorpID: corpID, AgentID: agentID, HTTP: hc}
	d.ding = &dingtalktest.Client{URL: base + "/dingtalk/callback", AppSecret: dingSec, RobotCode: dingRobot, CorpID: dingCorp, Fake: plat.ding, HTTP: hc}
	return d
}

func (d *dayRun) openid(cit string) string { return "o" + d.prefix + "day" + cit }

func (d *dayRun) nextID() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	return time.Now().UnixMilli()%1_000_000_000*1000 + d.seq%1000
}

func (d *dayRun) msgID(what string) string {
	return fmt.Sprintf("load-%s-%d", what, d.nextID())
}

func (d *dayRun) record(kind string, sched time.Time, problem string) {
	d.rec.add(kind, sched, time.Now(), problem)
}

// ---- citizens ----

func (d *dayRun) citizenText(cit, text string, trigger bool, s time.Time) {
	openid := d.openid(cit)
	if trigger {
		d.arr.expect(openid, s)
	}
	r := d.wx.Text(openid, text, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
	if text == "查询" && r.Reply != nil {
		if no := caseNoRE.FindString(r.Reply.Content); no != "" {
			d.mu.Lock()
			d.cases[cit] = no
			d.mu.Unlock()
		}
	}
}

func (d *dayRun) citizenClick(cit, label string, id int64, s time.Time) {
	r := d.wx.MenuClick(d.openid(cit), label, id, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
}

func (d *dayRun) citizenEvent(cit, event, key string, trigger bool, s time.Time) {
	openid := d.openid(cit)
	if trigger {
		d.arr.expect(openid, s)
	}
	r := d.wx.Event(openid, event, key)
	d.record(kindWeChat, s, wechatProblem(r))
}

func (d *dayRun) citizenCaseNo(cit string, s time.Time) {
	d.mu.Lock()
	no := d.cases[cit]
	d.mu.Unlock()
	if no == "" {
		no = "BB" + time.Now().Format("20060102") + "-001"
	}
	r := d.wx.Text(d.openid(cit), no, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
}

func (d *dayRun) someBacklog() (openid, no string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.backlog))
	for k := range d.backlog {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return d.openid("nobody"), "BB20260101-001"
	}
	slices.Sort(keys)
	k := keys[d.r.IntN(len(keys))]
	return k, d.backlog[k]
}

// backlogText and backlogCaseNo: a citizen of an earlier day asks.
func (d *dayRun) backlogText(text string, s time.Time) {
	openid, _ := d.someBacklog()
	r := d.wx.Text(openid, text, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
}

func (d *dayRun) backlogEvent(key string, s time.Time) {
	openid, _ := d.someBacklog()
	r := d.wx.Event(openid, "CLICK", key)
	d.record(kindWeChat, s, wechatProblem(r))
}

func (d *dayRun) backlogCaseNo(s time.Time) {
	openid, no := d.someBacklog()
	r := d.wx.Text(openid, no, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
}

// rate: a citizen whose case was answered gives a level (and maybe a
// comment); when nobody waits to rate, someone asks for progress instead.
func (d *dayRun) rate(level string, comment bool, gap time.Duration, s time.Time) {
	d.mu.Lock()
	openid := ""
	if len(d.rateable) > 0 {
		i := d.r.IntN(len(d.rateable))
		openid = d.rateable[i]
		d.rateable = slices.Delete(d.rateable, i, i+1)
	}
	d.mu.Unlock()
	if openid == "" {
		d.backlogText("查询", s)
		return
	}
	r := d.wx.Text(openid, level, d.nextID())
	d.record(kindWeChat, s, wechatProblem(r))
	if comment {
		s2 := s.Add(time.Duration(float64(gap) / d.speed))
		d.sleepUntil(s2)
		r = d.wx.Text(openid, "窗口处理很及时，谢谢", d.nextID())
		d.record(kindWeChat, s2, wechatProblem(r))
	}
}

func (d *dayRun) sleepUntil(t time.Time) {
	if w := time.Until(t); w > 0 {
		select {
		case <-time.After(w):
		case <-d.ctx.Done():
		}
	}
}

// ---- the specialist ----

// dispatch: the owner sends the citizen's case to departments (API).
func (d *dayRun) dispatch(cit string, depts []string, s time.Time) {
	openid := d.openid(cit)
	no, owner, err := d.db.caseOf(d.ctx, openid)
	if err != nil {
		d.record(kindAPI, s, "the citizen's case was not registered")
		return
	}
	orders, problem := d.dispatchCase(no, owner, depts)
	d.record(kindAPI, s, problem)
	d.addPending(orders, no, openid)
}

func (d *dayRun) addPending(orders []order, caseNo, openid string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range orders {
		o.caseNo, o.openid = caseNo, openid
		d.pending = append(d.pending, &o)
	}
}

func (d *dayRun) dispatchCase(no, owner string, depts []string) ([]order, string) {
	body, _ := json.Marshal(map[string]any{"departments": depts})
	req, _ := http.NewRequestWithContext(d.ctx, http.MethodPost, d.base+"/api/v1/cases/"+no+"/dispatch", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiTokens[owner])
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, "transport: " + shortErr(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	var c struct {
		WorkOrders []struct {
			No         string `json:"no"`
			Department string `json:"department"`
			Status     string `json:"status"`
		} `json:"work_orders"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, "bad JSON"
	}
	var out []order
	for _, o := range c.WorkOrders {
		if o.Status == "pending" {
			out = append(out, order{no: o.No, dept: o.Department})
		}
	}
	return out, ""
}

// ---- window staff ----

// take removes a random order from pool; nil when empty.
func (d *dayRun) take(pool *[]*order) *order {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(*pool) == 0 {
		return nil
	}
	i := d.r.IntN(len(*pool))
	o := (*pool)[i]
	*pool = slices.Delete(*pool, i, i+1)
	return o
}

func (d *dayRun) put(pool *[]*order, o *order) {
	d.mu.Lock()
	defer d.mu.Unlock()
	*pool = append(*pool, o)
}

// say sends a command as the department's window staff (or its head) in
// the department's group, or privately to the WeCom app. It returns the
// answer's text.
func (d *dayRun) say(dept deptInfo, head, private bool, text string, s time.Time) string {
	u := dept.users[0]
	if head && len(dept.users) > 1 {
		u = dept.users[1]
	}
	switch {
	case dept.platform == "dingtalk":
		r := d.ding.GroupText(dept.chat, dept.name+"工作群", u.platformID, u.nick, text, d.msgID("dt"))
		problem := wireProblem(r.Status, r.Err)
		if problem == "" && r.Reply == nil {
			problem = "no answer"
		}
		d.record(kindDing, s, problem)
		if r.Reply != nil {
			return r.Reply.Text
		}
	case private:
		r := d.wxApp.Text(u.platformID, text, d.nextID())
		d.record(kindWeComApp, s, wecomProblem(r, true))
		if r.Reply != nil {
			return r.Reply.Content
		}
	default:
		r := d.wxBot.GroupText(dept.chat, u.platformID, "@办事不成bot "+text, d.msgID("wc"))
		d.record(kindWeComBot, s, wecomProblem(r, true))
		if r.Reply != nil {
			return r.Reply.Content
		}
	}
	return ""
}

func wecomProblem(r *wecomtest.Response, wantReply bool) string {
	if problem := wireProblem(r.Status, r.Err); problem != "" {
		return problem
	}
	switch {
	case wantReply && r.Reply == nil:
		return "no answer"
	case r.Reply != nil && r.Reply.Rejected != "":
		return "rejected: " + r.Reply.Rejected
	case r.Reply != nil && strings.Contains(r.Reply.Content, "系统繁忙"):
		return "系统繁忙"
	}
	return ""
}

func (d *dayRun) sign(s time.Time, private bool) {
	o := d.take(&d.pending)
	if o == nil {
		d.reply(s)
		return
	}
	dept := deptByCode(o.dept)
	if private && dept.platform != "wecom" {
		private = false
	}
	answer := d.say(dept, d.coin(20), private, "签收 "+o.no, s)
	if strings.Contains(answer, "已签收") {
		d.put(&d.accepted, o)
	}
}

func (d *dayRun) coin(percent int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.IntN(100) < percent
}

var results = []string{
	"已电话告知申请人补交完税证明，材料齐全后当日办结。",
	"经核实系系统数据同步延迟，已办结并通知申请人领取。",
	"已与申请人约定下周一到窗口现场办理，并一次性告知所需材料。",
	"已协调审批科室加急处理，今日内办结。",
}

func (d *dayRun) reply(s time.Time) {
	o := d.take(&d.accepted)
	if o == nil {
		if o = d.take(&d.pending); o == nil {
			d.help(s)
			return
		}
		d.put(&d.pending, o)
		d.sign(s, false)
		return
	}
	dept := deptByCode(o.dept)
	answer := d.say(dept, false, false, "回复 "+o.no+" "+results[len(o.no)%len(results)], s)
	switch {
	case strings.Contains(answer, "本案各部门均已答复"):
		d.mu.Lock()
		d.rateable = append(d.rateable, o.openid)
		d.mu.Unlock()
	case strings.Contains(answer, "已答复"):
	default:
		d.put(&d.accepted, o) // refused: try again later
	}
}

func (d *dayRun) extend(s time.Time) {
	o := d.take(&d.accepted)
	if o == nil || o.extended {
		if o != nil {
			d.put(&d.accepted, o)
		}
		d.help(s)
		return
	}
	o.extended = true
	d.say(deptByCode(o.dept), false, false, "延期 "+o.no+" 2 需调取历史档案核实", s)
	d.put(&d.accepted, o)
}

func (d *dayRun) escalate(s time.Time) {
	o := d.take(&d.accepted)
	if o == nil {
		d.help(s)
		return
	}
	d.say(deptByCode(o.dept), false, false, "上报 "+o.no+" 涉及其他部门职责，超出本窗口权限", s)
	d.put(&d.accepted, o)
}

func (d *dayRun) help(s time.Time) {
	d.mu.Lock()
	dept := departments[d.r.IntN(len(departments))]
	d.mu.Unlock()
	d.say(dept, false, false, "帮助", s)
}

// refused: someone of the tax window tries another department's order.
func (d *dayRun) refused(s time.Time) {
	d.mu.Lock()
	var no string
	for _, o := range d.pending {
		if o.dept == "realestate" {
			no = o.no
			break
		}
	}
	d.mu.Unlock()
	if no == "" {
		no = "GD20990101-001-1"
	}
	d.say(deptByCode("tax"), false, false, "签收 "+no, s)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// cardFlow: a click on an order card opens the action page inside WeCom
// or DingTalk (the platform's sign-in code, then the page); after a read,
// the officer signs or replies with the form.
func (d *dayRun) cardFlow(s time.Time, read time.Duration) {
	action := "sign"
	o := d.take(&d.accepted)
	if o != nil {
		action = "reply"
	} else if o = d.take(&d.pending); o == nil {
		d.help(s)
		return
	}
	dept := deptByCode(o.dept)
	u := dept.users[0]
	code := "LOADCODE" + testenv.RandomHex(8)
	if dept.platform == "wecom" {
		d.plat.wecom.AddCode(code, u.platformID)
	} else {
		d.plat.ding.AddCode(code, u.platformID)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: d.http.Transport, Jar: jar, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := d.base + "/act/" + o.no + "?platform=" + dept.platform
	get := func(u string, want int) (string, string) {
		resp, err := c.Get(u)
		if err != nil {
			return "", "transport: " + shortErr(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			return string(b), fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return string(b), ""
	}
	_, problem := get(page+"&code="+code, http.StatusFound)
	d.record(kindAct, s, problem)
	s2 := time.Now()
	body, problem := get(page, http.StatusOK)
	d.record(kindAct, s2, problem)
	m := csrfRE.FindStringSubmatch(body)
	s3 := time.Now().Add(time.Duration(float64(read) / d.speed))
	d.sleepUntil(s3)
	if m == nil {
		d.record(kindAct, s3, "no form on the page")
		d.put(&d.pending, o)
		return
	}
	form := url.Values{"action": {action}, "csrf": {m[1]}}
	if action == "reply" {
		form.Set("result", results[len(o.no)%len(results)])
	}
	resp, err := c.PostForm(page, form)
	if err != nil {
		d.record(kindAct, s3, "transport: "+shortErr(err))
		d.put(&d.pending, o)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	problem = ""
	if resp.StatusCode != http.StatusOK {
		problem = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	d.record(kindAct, s3, problem)
	switch {
	case problem != "":
		d.put(&d.pending, o)
	case action == "sign":
		d.put(&d.accepted, o)
	case strings.Contains(string(b), "已答复"):
		d.mu.Lock()
		d.rateable = append(d.rateable, o.openid) // rating only works once all orders are answered
		d.mu.Unlock()
	}
}

// ---- seeding: the cases open at the start of the day ----

// seed registers backlog cases through the service account (walking the
// dialog), dispatches them, and has some signed and a few answered: the
// work the day's staff find in their groups. Nothing here is measured.
func (d *dayRun) seed(n int) error {
	quiet := newRecorder()
	rec := d.rec
	d.rec = quiet
	defer func() { d.rec = rec }()
	errs := make([]error, n)
	par.Each(n, 6, func(i int) { errs[i] = d.seedCase(i) })
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Some were signed on earlier days, a few answered (awaiting a rating).
	signed := len(d.pending) * 2 / 5
	for range signed {
		d.sign(time.Now(), false)
	}
	for range max(1, n/8) {
		d.reply(time.Now())
	}
	if errs := quiet.total().errs; errs > 0 {
		return fmt.Errorf("seed: %d requests failed: %v", errs, quiet.problems(3))
	}
	return nil
}

// seedCase registers the backlog's case i through the dialog and
// dispatches it.
func (d *dayRun) seedCase(i int) error {
	cit := fmt.Sprintf("b%03d", i)
	openid := d.openid(cit)
	d.citizenText(cit, "反映问题", false, time.Now())
	d.citizenClick(cit, "2 受理后超时未办结", 102, time.Now())
	d.citizenText(cit, matters[i%len(matters)], false, time.Now())
	d.citizenClick(cit, "1 个人（群众）", 201, time.Now())
	d.citizenText(cit, names[i%len(names)], false, time.Now())
	d.citizenText(cit, fmt.Sprintf("139%08d", i), false, time.Now())
	d.citizenText(cit, "确认", false, time.Now())
	no, owner, err := d.db.caseOf(d.ctx, openid)
	if err != nil {
		return fmt.Errorf("seed: case of %s not registered: %w", openid, err)
	}
	depts := []string{departments[i%3].code}
	if i%5 == 0 {
		depts = append(depts, departments[(i+1)%3].code)
	}
	orders, problem := d.dispatchCase(no, owner, depts)
	if problem != "" {
		return fmt.Errorf("seed: dispatch %s: %s", no, problem)
	}
	d.mu.Lock()
	d.backlog[openid] = no
	d.mu.Unlock()
	d.addPending(orders, no, openid)
	return nil
}

// replay runs the flows at speed: a flow's requests go in order, each at
// its time (or as soon as the previous one answered), each timed from its
// time.
func (d *dayRun) replay(flows []dayFlow, from time.Duration) time.Duration {
	start := time.Now().Add(50 * time.Millisecond)
	wall := func(at time.Duration) time.Time {
		return start.Add(time.Duration(float64(at-from) / d.speed))
	}
	var wg sync.WaitGroup
	for _, f := range flows {
		d.sleepUntil(wall(f.anchor))
		if d.ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(f dayFlow) {
			defer wg.Done()
			for _, m := range f.msgs {
				s := wall(m.at)
				d.sleepUntil(s)
				m.do(d, s)
			}
		}(f)
	}
	wg.Wait()
	return time.Since(start)
}

package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bbcs/bot/wechat/wechattest"
)

// A citizen's conversation with the service account, as the open and
// closed loops send it: every cycle is a new citizen who subscribes,
// reports a matter through the guided dialog (clicking the menus bbcs
// sends, as WeChat delivers the clicks), confirms, then asks for progress
// and for the case by its number. Ten messages, one registration. The
// floor gets the very same messages.
var steps = []struct {
	name    string
	trigger bool // bbcs answers through its outbox (a customer-service message)
}{
	{"subscribe (event)", false},
	{"“反映问题” → category menu", true},
	{"category menu click", false},
	{"matter text → kind menu", true},
	{"kind menu click", false},
	{"name", false},
	{"mobile", false},
	{"“确认” → case registered", true},
	{"“查询” (list own cases)", false},
	{"case number (case status)", false},
}

var matters = []string{
	"3月2日在不动产窗口提交了过户材料，说5个工作日办好，现在还没办。",
	"营业执照变更提交一个月了还没有消息，窗口说在等审批。",
	"跑了三趟社保窗口都没办成，每次都说缺材料。",
	"公积金提取材料交齐了，窗口一直说系统有问题，让我下次再来。",
	"办理税务登记时窗口工作人员态度很差，不解释原因就让我回去。",
	"不动产抵押登记注销提交两周了没有进展，电话也打不通。",
	"食品经营许可证延续申请超过承诺时限还没有办结。",
	"医保异地备案在窗口排了两次队都说不能办，也不告诉怎么办。",
}

var names = []string{"李女士", "王先生", "张女士", "刘先生", "陈女士", "杨先生", "赵女士", "黄先生"}

var caseNoRE = regexp.MustCompile(`\b[A-Z]{1,4}\d{8}-\d{3,}\b`)

// citizens hands out the citizens of one run, with message ids and
// openids unique to it.
type citizens struct {
	prefix string
	ids    atomic.Int64
	people atomic.Int64
	arr    *arrivals // nil: nobody waits for customer-service messages (the floor)
}

func newCitizens(prefix string, arr *arrivals) *citizens {
	c := &citizens{prefix: prefix, arr: arr}
	c.ids.Store(time.Now().UnixMilli() % 1_000_000_000 * 1000)
	return c
}

// citizen is one slot of the loops: a citizen in the middle of a cycle.
type citizen struct {
	mu     sync.Mutex
	openid string
	n      int64
	step   int
	caseNo string
	// pad is how many plain messages (“查询”, “你好”) the citizen sends
	// before the first cycle: slots start out of step with each other, so
	// the mix is even from the first second instead of every citizen
	// subscribing at once, then every one registering at once.
	pad int
}

func (cs *citizens) newCitizen() *citizen {
	c := &citizen{}
	cs.renew(c)
	return c
}

func (cs *citizens) renew(c *citizen) {
	c.n = cs.people.Add(1)
	c.openid = fmt.Sprintf("o%s%07d", cs.prefix, c.n)
	c.step, c.caseNo = 0, ""
}

// outMsg is one message ready to go.
type outMsg struct {
	step   int
	openid string
	send   func(wx *wechattest.Client) *wechattest.Response
	after  func(r *wechattest.Response)
}

// next takes the citizen's next message (and starts a new citizen after
// the last one).
func (cs *citizens) next(c *citizen) outMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.step >= len(steps) {
		cs.renew(c)
	}
	if c.pad > 0 && c.step == 0 {
		c.pad--
		openid, id, text := c.openid, cs.ids.Add(1), []string{"查询", "你好"}[c.pad%2]
		return outMsg{step: -1, openid: openid, send: func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, text, id) }}
	}
	step, openid, n, caseNo := c.step, c.openid, c.n, c.caseNo
	c.step++
	id := cs.ids.Add(1)
	m := outMsg{step: step, openid: openid}
	switch step {
	case 0:
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Event(openid, "subscribe", "") }
	case 1:
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, "反映问题", id) }
	case 2:
		m.send = func(wx *wechattest.Client) *wechattest.Response {
			return wx.MenuClick(openid, "2 受理后超时未办结", 102, id)
		}
	case 3:
		text := matters[n%int64(len(matters))]
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, text, id) }
	case 4:
		m.send = func(wx *wechattest.Client) *wechattest.Response {
			return wx.MenuClick(openid, "1 个人（群众）", 201, id)
		}
	case 5:
		name := names[n%int64(len(names))]
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, name, id) }
	case 6:
		mobile := fmt.Sprintf("13%09d", n%1_000_000_000)
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, mobile, id) }
	case 7:
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, "确认", id) }
	case 8:
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, "查询", id) }
		m.after = func(r *wechattest.Response) {
			if r.Reply == nil {
				return
			}
			if no := caseNoRE.FindString(r.Reply.Content); no != "" {
				c.mu.Lock()
				if c.openid == openid {
					c.caseNo = no
				}
				c.mu.Unlock()
			}
		}
	case 9:
		if caseNo == "" {
			caseNo = "BB" + time.Now().Format("20060102") + "-001" // the floor echoes: no number to take
		}
		m.send = func(wx *wechattest.Client) *wechattest.Response { return wx.Text(openid, caseNo, id) }
	}
	return m
}

// deliver sends m, having told arrivals (when bbcs is measured) that a
// customer-service message should follow, and reports what went wrong
// ("" for nothing).
func (cs *citizens) deliver(wx *wechattest.Client, m outMsg, sched time.Time) string {
	if cs.arr != nil && m.step >= 0 && steps[m.step].trigger {
		cs.arr.expect(m.openid, sched)
	}
	r := m.send(wx)
	if m.after != nil {
		m.after(r)
	}
	return wechatProblem(r)
}

func wechatProblem(r *wechattest.Response) string {
	if problem := wireProblem(r.Status, r.Err); problem != "" {
		return problem
	}
	if r.Reply != nil && strings.Contains(r.Reply.Content, "系统繁忙") {
		return "系统繁忙"
	}
	return ""
}

// wireProblem is what went wrong with a request to bbcs on the wire, as a
// platform client saw it: no answer, an answer other than 200, or a reply
// that did not decode (or verify); "" when nothing did.
func wireProblem(status int, err error) string {
	switch {
	case err != nil && status == 0:
		return "transport: " + shortErr(err)
	case status != http.StatusOK:
		return fmt.Sprintf("HTTP %d", status)
	case err != nil:
		return "reply: " + shortErr(err)
	}
	return ""
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "Timeout") {
		return "timeout"
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// chromium finds Debian's Chromium; ./scripts/test installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BBCS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("Chromium is not installed: the browser tests need Debian's chromium package (./scripts/test installs it; or set BBCS_CHROMIUM)")
	return ""
}

// artifacts is where screenshots go: BBCS_ARTIFACTS, or a folder under
// the system's temporary directory — never the repository.
func artifacts(t *testing.T) string {
	dir := os.Getenv("BBCS_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "bbcs-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The console in a real browser on a 390-pixel-wide phone screen: sign in,
// filter the ledger, open a case, confirm a deduction, read the monthly
// summary, and find the export; a screenshot of each page, and the cells a
// decision needs in sight on each (keyCellsJS).
func TestConsoleInABrowser(t *testing.T) {
	exe := chromium(t)
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "ma", "admin"))
	c := overdueCase(ta, "不动产过户材料提交后超期未办结")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(390, 844),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	dir := artifacts(t)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// shown waits for an element through the page's own DOM, asking again
	// while a navigation is under way: chromedp's node tracking loses the
	// document after a navigation that a click starts.
	shown := func(sel string) chromedp.Action[chromedp.Void] {
		probe := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return !!e && e.offsetParent !== null })()`
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			for {
				if ok, err := chromedp.Evaluate[bool](probe)(ctx, tg); err == nil && ok {
					return chromedp.Void{}, nil
				}
				select {
				case <-ctx.Done():
					return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", sel, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	base := ta.srv.URL
	do("open the console", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/admin/cases"), shown(`input[name=staff]`))
	shot("login")
	do("sign in", chromedp.SendKeys(`input[name=staff]`, "ma"), chromedp.SendKeys(`input[name=password]`, "correct horse"),
		chromedp.Click(`button[type=submit]`), shown(`form.filters`))
	do("filter the ledger", chromedp.SetValue(`select[name=department]`, "tax"), chromedp.Submit(`select[name=department]`),
		shown(`#export`))
	ledger := text("main")
	exportAttr, err := chromedp.Run(ctx, chromedp.AttributeValue(`#export`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	export := exportAttr.Value
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	keyCellsVisible(t, ctx, "ledger", "#ledger » 类别", "#ledger » 事项", "#ledger » 状态", "#ledger » 评价")
	shot("ledger")
	do("open the case", chromedp.Click(`a[href="/admin/cases/`+c.No+`"]`), shown(`#timeline`))
	casePage := text("main")
	keyCellsVisible(t, ctx, "case", "#overdue", "#orders » 状态", "#orders » 延期至", "#timeline » 内容")
	shot("case")
	do("open the scores", chromedp.Navigate(base+"/admin/scores?year=2026"), shown(`#deductions`))
	keyCellsVisible(t, ctx, "scores", `#deductions button[value=confirm]`, `#deductions button[value=waive]`)
	shot("scores")
	do("confirm a deduction", chromedp.Click(`#deductions button[value=confirm]`), shown(`section.ok`))
	scores := text("main")
	do("open the monthly summary", chromedp.Navigate(base+"/admin/reports?month=2026-03"), shown(`.bars`))
	monthly := text("main")
	keyCellsVisible(t, ctx, "monthly", "#counts", "#by-department » 案件", "#by-department » 工单", "#by-department » 按时率")
	shot("monthly")
	do("open the notices", chromedp.Navigate(base+"/admin/notices"), shown(`#pending`))
	shot("notices")

	// The administrator's pages, each readable on the phone.
	do("sign out", chromedp.Click(`header form button`), shown(`input[name=staff]`))
	do("sign in as the administrator", chromedp.SendKeys(`input[name=staff]`, "admin"), chromedp.SendKeys(`input[name=password]`, "correct horse"),
		chromedp.Click(`button[type=submit]`), shown(`form.filters`))
	wide := map[string]int{}
	for _, page := range []string{"departments", "staff", "roster", "holidays", "settings"} {
		do("open "+page, chromedp.Navigate(base+"/admin/"+page), shown(`main section`))
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		wide[page] = w
		shot(page)
	}
	for page, w := range wide {
		if w > 400 {
			t.Errorf("the %s page is %d px wide on a 390 px screen", page, w)
		}
	}

	if !strings.Contains(ledger, c.No) || !strings.Contains(ledger, "李女士") {
		t.Errorf("the ledger page does not list the case:\n%s", ledger)
	}
	if width > 400 {
		t.Errorf("the ledger page is %d px wide on a 390 px screen", width) // tables scroll inside their section
	}
	if !strings.Contains(casePage, "派发工单至税务窗口") {
		t.Errorf("the case page lacks the timeline:\n%s", casePage)
	}
	if !strings.Contains(scores, "已确认扣分") || !strings.Contains(scores, "已确认") || strings.Contains(scores, "待确认\n") {
		t.Errorf("the deduction was not confirmed:\n%s", scores)
	}
	if !strings.Contains(monthly, "受理 1 件") {
		t.Errorf("the monthly page:\n%s", monthly)
	}
	if !strings.HasPrefix(export, "/admin/ledger.xlsx?") || !strings.Contains(export, "department=tax") {
		t.Errorf("the export link %q does not carry the filter", export)
	}
	// The browser downloads the export with its session; the file is read
	// back as a spreadsheet.
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+strconv.Quote(export)+`).then(r => {
		if (!r.ok || !r.headers.get("content-type").includes("spreadsheetml")) throw new Error("export: " + r.status + " " + r.headers.get("content-type"));
		return r.arrayBuffer();
	}).then(b => { let s = ""; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("downloading the export: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the export is not a workbook: %v", err)
	}
	rows, err := book.GetRows("台账")
	if err != nil || len(rows) != 2 || !slices.Contains(rows[1], c.No) || !slices.Contains(rows[1], "13800138000") {
		t.Errorf("the downloaded ledger: %v %q", err, rows)
	}
	t.Logf("screenshots in %s", dir)
}

// keyCellsJS reports each key cell that a person at this screen could not
// read: missing, display:none or invisible, outside the viewport's width,
// or clipped by a scrolling or hidden-overflow box around it. A key is a
// CSS selector, or "TABLE » 列名": the cells of the table's column headed
// 列名 (found by its header, which a phone's cards may hide).
const keyCellsJS = `((keys) => {
	const vw = document.documentElement.clientWidth, out = [];
	const cells = (key) => {
		const [tsel, col] = key.split(" » ");
		if (col === undefined) return [...document.querySelectorAll(key)];
		const t = document.querySelector(tsel);
		if (!t) return [];
		const i = [...t.querySelectorAll("thead th")].findIndex(th => th.textContent.trim() === col);
		if (i < 0) return [];
		return [...t.querySelectorAll("tbody tr")].map(tr => tr.children[i]).filter(td => td && !td.hasAttribute("colspan"));
	};
	for (const key of keys) {
		const els = cells(key);
		if (!els.length) { out.push(key + ": not on the page"); continue; }
		els.forEach((e, n) => {
			const name = key + " #" + n + " " + JSON.stringify(e.textContent.trim().slice(0, 24));
			const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
			if (cs.display === "none" || cs.visibility === "hidden" || r.width < 1 || r.height < 1) { out.push(name + ": hidden"); return; }
			if (r.left < -0.5 || r.right > vw + 0.5) { out.push(name + ": spans " + Math.round(r.left) + "–" + Math.round(r.right) + " px, the screen " + vw + " px"); return; }
			if (cs.overflowX !== "visible" && e.scrollWidth > e.clientWidth + 1) { out.push(name + ": its text is cut"); return; }
			for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
				const s = getComputedStyle(a);
				if (s.display === "none" || s.visibility === "hidden") { out.push(name + ": inside a hidden " + a.tagName); return; }
				if (s.overflowX !== "visible") {
					const q = a.getBoundingClientRect();
					if (r.left < q.left - 0.5 || r.right > q.right + 0.5) { out.push(name + ": clipped by " + a.tagName + (a.id ? "#" + a.id : "") + " (scroll sideways to see it)"); return; }
				}
			}
		});
	}
	if (document.documentElement.scrollWidth > vw + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide on a " + vw + " px screen");
	return out;
})`

// console is a browser on the console at one screen size.
type console struct {
	t      *testing.T
	ctx    context.Context
	base   string
	prefix string // of the screenshots
	dir    string
}

func openConsole(t *testing.T, ta *testApp, width, height int, mobile bool) *console {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(cancel)
	b := &console{t: t, ctx: ctx, base: ta.srv.URL, prefix: fmt.Sprintf("walk-%d-", width), dir: artifacts(t)}
	vp := chromedp.EmulateViewport(int64(width), int64(height))
	if mobile {
		vp = chromedp.EmulateViewport(int64(width), int64(height), chromedp.EmulateMobile)
	}
	b.do("set the screen", vp)
	return b
}

func (b *console) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// shown waits for an element through the page's own DOM (see
// TestConsoleInABrowser).
func (b *console) shown(sel string) chromedp.Action[chromedp.Void] {
	probe := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return !!e && e.offsetParent !== null })()`
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		for {
			if ok, err := chromedp.Evaluate[bool](probe)(ctx, tg); err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", sel, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// open goes to a console page and waits for sel.
func (b *console) open(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), b.shown(sel))
}

// opened unfolds the <details> holding the form with action suffix.
func (b *console) opened(action string) string {
	b.t.Helper()
	form := `form[action$="/` + action + `"]`
	b.eval(`document.querySelector(` + strconv.Quote(form) + `).closest("details").open = true`)
	return form
}

func (b *console) eval(js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js)); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
}

func (b *console) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *console) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, b.prefix+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// visible asserts that a person at this screen sees every key cell
// without scrolling sideways.
func (b *console) visible(page string, keys ...string) {
	b.t.Helper()
	keyCellsVisible(b.t, b.ctx, page, keys...)
	b.shot(page)
}

// keyCellsVisible fails the test for each key cell of the page in ctx
// that keyCellsJS finds out of sight.
func keyCellsVisible(t *testing.T, ctx context.Context, page string, keys ...string) {
	t.Helper()
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = strconv.Quote(k)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](keyCellsJS+`([`+strings.Join(quoted, ",")+`])`))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for _, s := range bad {
		t.Errorf("%s: %s", page, s)
	}
}

func (b *console) signIn(id string) {
	b.t.Helper()
	b.open("/admin/cases", `input[name=staff]`)
	b.do("sign in as "+id, chromedp.SendKeys(`input[name=staff]`, id), chromedp.SendKeys(`input[name=password]`, "correct horse"),
		chromedp.Click(`button[type=submit]`), b.shown(`form.filters`))
}

// The acceptance walk of issue 14, on a PC (1280 px) and on a phone
// (390 px): the demo's specialist 王芳 signs in, registers a walk-in,
// dispatches it, sees the order overdue, records a 差评 given by phone,
// sees the second round with the first labelled, and closes the case
// with the follow-up visit; then 马科长 of the supervision section reads
// the month and waives a proposed deduction. At each step the cells a
// decision needs are asserted visible.
func TestConsoleWalkOnAPCAndAPhone(t *testing.T) {
	for _, s := range []struct {
		name          string
		width, height int
		mobile        bool
	}{{"pc", 1280, 900, false}, {"phone", 390, 844, true}} {
		t.Run(s.name, func(t *testing.T) { consoleWalk(t, s.width, s.height, s.mobile) })
	}
}

func consoleWalk(t *testing.T, width, height int, mobile bool) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang", "ma"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	b := openConsole(t, ta, width, height, mobile)
	ledgerKeys := []string{"#ledger » 编号", "#ledger » 类别", "#ledger » 事项", "#ledger » 状态", "#ledger » 评价"}
	caseKeys := []string{"#orders » 状态", "#orders » 延期至", "#orders » 结果", "#timeline » 办理人", "#timeline » 内容"}

	// 王芳, on duty today, checks in from her first page (第四条, 第十七条),
	// then registers a walk-in and dispatches it to the real-estate window.
	b.signIn("wang")
	b.visible("duty", "#duty button")
	// The form's hint is .muted too: wait for the form to go, not for a hint.
	b.do("check in", chromedp.Click(`#duty button`), chromedp.WaitNotPresent(`#duty form`), b.shown(`#duty .muted`))
	if s := b.text(`#duty`); !strings.Contains(s, "已签到") {
		t.Errorf("after checking in: %q", s)
	}
	b.do("open the registration form", chromedp.Click(`header a[href="/admin/cases/new"]`), b.shown(`textarea[name=matter]`))
	b.do("register", chromedp.SendKeys(`input[name=name]`, "李女士"), chromedp.SendKeys(`input[name=mobile]`, "13800138000"),
		chromedp.SetValue(`select[name=category]`, "not_completed_in_time"),
		chromedp.SendKeys(`textarea[name=matter]`, "不动产过户材料提交后五个工作日仍未办结"),
		chromedp.Click(`form[action="/admin/cases"] > button`), b.shown(`#timeline`))
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	no := strings.TrimPrefix(strings.SplitN(strings.TrimPrefix(loc, b.base), "?", 2)[0], "/admin/cases/")
	if !strings.HasPrefix(no, "BB20260310-") {
		t.Fatalf("after registering: %s", loc)
	}
	page := "/admin/cases/" + no
	form := b.opened("dispatch")
	b.do("dispatch", chromedp.Click(form+` input[value=realestate]`), chromedp.Click(form+` button`), b.shown(`#orders td.status`))
	if s := b.text(`#orders td.status`); !strings.Contains(s, "待签收") || strings.Contains(s, "超期") {
		t.Errorf("a fresh order: %q", s)
	}
	b.visible("dispatched", caseKeys...)
	b.open("/admin/cases", `#ledger`)
	b.visible("ledger", ledgerKeys...)
	if s := b.text(`#ledger tbody tr`); !strings.Contains(s, "受理后超时未办结") || !strings.Contains(s, "不动产过户") || !strings.Contains(s, "部门办理中") {
		t.Errorf("the ledger row: %q", s)
	}

	// Ten days on, nobody at the real-estate window has signed: the page says so.
	ta.setClock("2026-03-20T10:00:00+08:00")
	ta.fireDueTimers("wo:")
	b.open(page, `#overdue`) // still signed in: a session lives by the wall clock
	b.visible("overdue", append(caseKeys, "#overdue")...)
	if s := b.text(`#overdue`); s != "已超期 5 个工作日" {
		t.Errorf("the overdue mark: %q", s)
	}
	if s := b.text(`#orders td.status`); !strings.Contains(s, "待签收") || !strings.Contains(s, "已超期 5 个工作日") {
		t.Errorf("the order's status: %q", s)
	}

	// The window answers; 李女士 phones in a 差评: round 2, sent back by 系统.
	var c caseJSON
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+c.WorkOrders[0].No+"/reply", map[string]string{"result": "已办结过户登记"}, nil)
	b.open(page, `#result`)
	form = b.opened("rate")
	b.do("record a rating given by phone", chromedp.SetValue(form+` select[name=level]`, "dissatisfied"),
		chromedp.SetValue(form+` select[name=via]`, "phone"), chromedp.SendKeys(form+` input[name=comment]`, "证书上的面积登记有误"),
		chromedp.Click(form+` button`), b.shown(`section.ok`))
	b.visible("re-handled", caseKeys...)
	// The 差评 opened the window's 差评整改, owned by its window head (第十三条).
	b.visible("rectification", "#rectifications » 单位", "#rectifications » 负责人", "#rectifications » 整改期限", "#rectifications » 报告时间")
	if s := b.text(`#rectifications tbody`); !strings.Contains(s, "不动产登记窗口") || !strings.Contains(s, "刘强") || !strings.Contains(s, "未报告") {
		t.Errorf("the rectification on the case page: %q", s)
	}
	if s := b.text(`#result`); !strings.Contains(s, "第 2 轮正在办理") || !strings.Contains(s, "第 1 轮结果（已退回重办）") || !strings.Contains(s, "已办结过户登记") {
		t.Errorf("处理结果 in round 2: %q", s)
	}
	actors, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#timeline tbody tr")].map(tr => tr.children[1].textContent + " " + tr.children[2].textContent + " " + tr.children[3].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"王芳 评价", "系统 退回重办", "系统 派发工单 派发工单（退回重办）", "系统 超期"} {
		if !slices.ContainsFunc(actors, func(s string) bool { return strings.HasPrefix(s, want) || strings.Contains(s, want) }) {
			t.Errorf("no timeline line %q in:\n%s", want, strings.Join(actors, "\n"))
		}
	}
	for _, s := range actors {
		if strings.HasPrefix(s, "李女士") {
			t.Errorf("a step shown as the applicant's: %q", s)
		}
	}

	// The second result, then the follow-up visit with the rating heard
	// in it: the case closes (第十三条).
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	ta.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+c.WorkOrders[1].No+"/reply", map[string]string{"result": "已更正面积并重新发证"}, nil)
	b.open(page, `#result`)
	if s := b.text(`#result`); !strings.HasPrefix(s, "【不动产登记窗口】已更正面积并重新发证") || !strings.Contains(s, "第 1 轮结果（已退回重办）") {
		t.Errorf("处理结果 once round 2 is answered: %q", s)
	}
	form = b.opened("follow-up")
	b.do("record the follow-up visit", chromedp.SendKeys(form+` textarea[name=note]`, "电话回访，李女士已取得更正后的证书"),
		chromedp.SetValue(form+` select[name=level]`, "satisfied"), chromedp.SetValue(form+` select[name=via]`, "phone"),
		chromedp.Click(form+` button`), b.shown(`section.ok`))
	b.visible("closed", caseKeys...)
	if s := b.text(`main h1`); !strings.Contains(s, "已办结") || strings.Contains(s, "超期") {
		t.Errorf("the closed case's heading: %q", s)
	}
	if s := b.text(`#rating`); !strings.HasPrefix(s, "满意") || !strings.Contains(s, "第 1 轮评价：不满意") {
		t.Errorf("评价: %q", s)
	}
	// The walk signs out.

	// 马科长: the month, and the deduction the late order proposed.
	b.do("sign out", chromedp.Click(`header form button`), b.shown(`input[name=staff]`))
	b.signIn("ma")
	b.open("/admin/reports?month=2026-03", `#counts`)
	b.visible("monthly", "#counts", "#by-department » 部门", "#by-department » 案件", "#by-department » 工单", "#by-department » 按时",
		"#by-department » 超期", "#by-department » 按时率")
	if s := b.text(`#counts`); !strings.Contains(s, "受理 1 件") || !strings.Contains(s, "超期") {
		t.Errorf("the month: %q", s)
	}
	b.open("/admin/scores?year=2026", `#deductions`)
	b.visible("scores", "#deductions » 单位", "#deductions » 事由", "#deductions » 扣分", "#deductions » 状态",
		`#deductions button[value=confirm]`, `#deductions button[value=waive]`)
	b.do("waive the deduction", chromedp.SendKeys(`#deductions input[name=note]`, "经核实系统故障所致，非窗口原因"),
		chromedp.Click(`#deductions button[value=waive]`), b.shown(`section.ok`))
	b.visible("waived", "#deductions » 单位", "#deductions » 状态")
	if s := b.text(`#deductions tbody`); !strings.Contains(s, "已免除") || !strings.Contains(s, "非窗口原因") {
		t.Errorf("the deduction after 免除: %q", s)
	}
}

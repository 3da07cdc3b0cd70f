package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
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
// summary, and find the export; a screenshot of each page.
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
	shot("ledger")
	do("open the case", chromedp.Click(`a[href="/admin/cases/`+c.No+`"]`), shown(`#timeline`))
	casePage := text("main")
	shot("case")
	do("open the scores", chromedp.Navigate(base+"/admin/scores?year=2026"), shown(`#deductions`))
	shot("scores")
	do("confirm a deduction", chromedp.Click(`#deductions button[value=confirm]`), shown(`section.ok`))
	scores := text("main")
	do("open the monthly summary", chromedp.Navigate(base+"/admin/reports?month=2026-03"), shown(`.bars`))
	monthly := text("main")
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

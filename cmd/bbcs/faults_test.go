package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"bbcs/bot/wechat/wechattest"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// The database unreachable in the middle of a citizen's report: WeChat is
// asked to deliver the message again (503), /readyz names the database,
// nothing is half-written, and when the database is back WeChat's next
// delivery of the same message registers the case, once.
func TestDatabaseOutage(t *testing.T) {
	dsn, err := mysqldrv.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewLink(t, dsn.Addr)
	dsn.Addr = proxy.Addr()
	ca := startCitizenApp(t, "BBCS_DATABASE_DSN="+dsn.FormatDSN())
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenOutage"
	ca.report(openid, "钱先生", "13500135000")

	proxy.Cut(testenv.Refused)
	confirm := nextID()
	for try := 1; try <= 3; try++ { // WeChat's first delivery and its retries
		r := ca.wx.Text(openid, "确认", confirm)
		if r.Status != http.StatusServiceUnavailable {
			t.Fatalf("delivery %d during the outage: %d %q, want 503 so that WeChat delivers it again", try, r.Status, r.Body)
		}
	}
	status, body := ca.get("/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unreachable`) || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("/readyz during the outage: %d %s", status, body)
	}

	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if status, _ := ca.get("/readyz"); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var cases int64
	ca.app.db.Model(&models.Case{}).Count(&cases)
	if cases != 0 {
		t.Fatalf("%d cases after the failed confirmations: something was half-written", cases)
	}
	// WeChat delivers the same message once more; now it goes through.
	ca.reply(ca.wx.Text(openid, "确认", confirm))
	ca.reply(ca.wx.Text(openid, "确认", confirm)) // and a late retry changes nothing
	ca.app.db.Model(&models.Case{}).Count(&cases)
	if cases != 1 {
		t.Errorf("%d cases after recovery, want 1", cases)
	}
	receipts := ca.receipts(openid, 20*time.Second)
	if receipts != 1 {
		t.Errorf("the citizen received the receipt %d times", receipts)
	}
}

// WeChat's retry storm: every message of a report delivered four times at
// once. Each step happens once — one menu, one answer, one case, one
// receipt — and all four deliveries get the same answer.
func TestRetryStormActsOnce(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenStorm"
	storm := func(send func(id int64) *wechattest.Response) string {
		t.Helper()
		id := nextID()
		replies := make([]string, 4)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() { replies[i] = ca.reply(send(id)) })
		}
		wg.Wait()
		for _, r := range replies[1:] {
			if r != replies[0] {
				t.Fatalf("the deliveries of message %d got different answers: %q", id, replies)
			}
		}
		return replies[0]
	}
	settled := func(want int) []wechattest.Custom {
		t.Helper()
		got := ca.customs(openid, want)
		time.Sleep(200 * time.Millisecond) // a second copy would have come by now
		if got = ca.fake.CustomsTo(openid); len(got) != want {
			t.Fatalf("%d messages to the citizen, want %d", len(got), want)
		}
		return got
	}
	storm(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "反映问题", id) })
	menu := settled(1)[0]
	wantContains(t, storm(func(id int64) *wechattest.Response {
		return ca.wx.MenuClick(openid, menu.Menu.Items[1].Content, 102, id)
	}), "请简要描述")
	storm(func(id int64) *wechattest.Response {
		return ca.wx.Text(openid, "过户材料提交后超期未办结", id)
	})
	kind := settled(2)[1]
	wantContains(t, storm(func(id int64) *wechattest.Response {
		return ca.wx.MenuClick(openid, kind.Menu.Items[0].Content, 201, id)
	}), "怎么称呼")
	got := storm(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "钱先生", id) })
	if !strings.Contains(got, "手机号") || strings.Contains(got, "不正确") {
		t.Fatalf("after the name: %q (a second run of the step would take the name for a mobile)", got)
	}
	wantContains(t, storm(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "13500135000", id) }), "请核对")
	storm(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "确认", id) })
	receipt := settled(3)[2]
	if !strings.Contains(receipt.Text, "已受理") {
		t.Errorf("the third message is not the receipt: %q", receipt.Text)
	}
	var cases int64
	ca.app.db.Model(&models.Case{}).Count(&cases)
	if cases != 1 {
		t.Errorf("%d cases from one report delivered four times", cases)
	}
}

// bbcs dies after a step's work but before its answer is stored: the
// menu it queued or the case it registered is in the database, the
// dialog's change is not (it commits with the answer). The message is
// handled again once its in-flight mark has lapsed (the test takes the
// mark away; WeChat's own retries within those 30 s are answered 503),
// and the citizen still gets one menu, one case and one receipt.
func TestAMessageHandledAgainAfterACrashTellsOnce(t *testing.T) {
	ca := startCitizenApp(t)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const openid = "oCitizenCrash"
	// crash sends message id, then takes back what it stored in Redis as
	// though the process had died before the answer's MULTI/EXEC.
	crash := func(send func(id int64) *wechattest.Response, dialogBefore string) {
		t.Helper()
		id := nextID()
		ca.reply(send(id))
		seen, _ := ca.app.redis.Keys(ca.ctx, fmt.Sprintf("*wechat:seen:%d", id)).Result()
		if len(seen) != 1 {
			t.Fatalf("message %d left seen %v", id, seen)
		}
		ca.app.redis.Del(ca.ctx, seen...)
		dialog := strings.Replace(seen[0], fmt.Sprintf(":seen:%d", id), ":dialog:"+openid, 1)
		if dialogBefore == "" {
			ca.app.redis.Del(ca.ctx, dialog)
		} else {
			ca.app.redis.Set(ca.ctx, dialog, dialogBefore, time.Hour)
		}
		ca.reply(send(id))
	}
	dialogNow := func() string {
		t.Helper()
		keys, _ := ca.app.redis.Keys(ca.ctx, "*wechat:dialog:"+openid).Result()
		if len(keys) != 1 {
			t.Fatalf("dialog keys %v", keys)
		}
		return ca.app.redis.Get(ca.ctx, keys[0]).Val()
	}
	// The answers go as customer-service messages (no passive reply to
	// compare): what counts is that each went once, checked below.
	crash(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "反映问题", id) }, "")
	menu := ca.customs(openid, 1)[0]
	ca.click(openid, menu.Menu.Items[1].Content, 102)
	ca.say(openid, "过户材料提交后超期未办结")
	kind := ca.customs(openid, 2)[1]
	ca.click(openid, kind.Menu.Items[0].Content, 201)
	ca.say(openid, "钱先生")
	wantContains(t, ca.say(openid, "13500135000"), "请核对")
	before := dialogNow()
	crash(func(id int64) *wechattest.Response { return ca.wx.Text(openid, "确认", id) }, before)
	ca.customs(openid, 3)
	time.Sleep(300 * time.Millisecond) // a second copy would have come by now
	got := ca.fake.CustomsTo(openid)
	if len(got) != 3 || got[0].Menu == nil || got[1].Menu == nil || !strings.Contains(got[2].Text, "已受理") {
		t.Fatalf("the citizen received %+v, want the two menus and the receipt, once each", got)
	}
	var cases int64
	ca.app.db.Model(&models.Case{}).Where("applicant_open_id = ?", openid).Count(&cases)
	if cases != 1 {
		t.Errorf("%d cases from one report handled twice", cases)
	}
	if keys, _ := ca.app.redis.Keys(ca.ctx, "*wechat:dialog:"+openid).Result(); len(keys) != 0 {
		t.Errorf("the registered report's dialog is still there: %v", keys)
	}
}

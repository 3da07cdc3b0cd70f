package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"bbcs/bot/province/provincetest"
	"bbcs/bot/wechat/wechattest"
	"bbcs/internal/testenv"
	"bbcs/models"
)

const (
	provinceAppID  = "county-centre-001"
	provinceSecret = "province-hmac-secret-0001"
)

// provinceFields is the centre's province.fields: the platform reads these
// record fields under its own names.
var provinceFields = map[string]string{"case_no": "bjbh", "department_name": "bmmc", "score": "pjfs"}

// startProvinceApp is startCitizenApp with the push to the provincial
// 好差评 platform configured to fake (nil: not configured).
func startProvinceApp(t *testing.T, fake *provincetest.Fake) *citizenApp {
	t.Helper()
	wx := wechattest.NewFake(t, wxAppID, wxSecret)
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(example)
	env := []string{
		"BBCS_DATABASE_DSN=" + testenv.MySQLDSN(t), "BBCS_REDIS_ADDR=" + testenv.RedisAddr(),
		"BBCS_REDIS_KEY_PREFIX=" + redisPrefix(t), "BBCS_CLOCK_FAKE=true",
		"BBCS_WECHAT_APP_SECRET=" + wxSecret, "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn", "BBCS_WECHAT_TOKEN=" + wxToken, "BBCS_WECHAT_ENCODING_AES_KEY=" + wxAESKey,
		"BBCS_STAFF_MA_PASSWORD_HASH=" + consoleHash,
	}
	if fake != nil {
		const none = "  fields: {}"
		if !strings.Contains(text, none) {
			t.Fatal("config.example.yaml has no province.fields line to replace")
		}
		text = strings.Replace(text, none, "  fields: {case_no: bjbh, department_name: bmmc, score: pjfs}", 1)
		env = append(env, "BBCS_PROVINCE_URL="+fake.URL(), "BBCS_PROVINCE_APP_ID="+provinceAppID, "BBCS_PROVINCE_SECRET="+provinceSecret)
	}
	cfg := writeFile(t, "bbcs.yaml", text+`
wechat:
  api_base: `+wx.URL()+`
  app_id: `+wxAppID+`
  templates: {default: TPL-PROGRESS}
`)
	ta := startAppWith(t, cfg, env)
	ta.runLoops()
	ca := &citizenApp{testApp: ta, fake: wx, ctx: context.Background()}
	ca.wx = &wechattest.Client{URL: ta.srv.URL + "/wechat/oa", Token: wxToken, EncodingAESKey: wxAESKey, AppID: wxAppID}
	return ca
}

// provinceNotices are the outbox rows for the platform.
func (ta *testApp) provinceNotices() []models.Notice {
	ta.t.Helper()
	var list []models.Notice
	if err := ta.app.db.Where("audience = ?", models.AudienceProvince).Order("id").Find(&list).Error; err != nil {
		ta.t.Fatal(err)
	}
	return list
}

// waitNotice waits (real time) until the province row of record id
// satisfies ok, and returns it.
func (ta *testApp) waitProvinceNotice(id string, ok func(models.Notice) bool) models.Notice {
	ta.t.Helper()
	var last []models.Notice
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		last = nil
		for _, n := range ta.provinceNotices() {
			if n.Target == id {
				last = append(last, n)
			}
		}
		if len(last) > 0 && ok(last[len(last)-1]) {
			return last[len(last)-1]
		}
	}
	ta.t.Fatalf("the province notice of %s did not come to the wanted state: %+v", id, last)
	return models.Notice{}
}

// A citizen's rating reaches the provincial platform as its 好差评
// record, under the platform's names; through an outage a record waits,
// shown on the console, and is delivered once after it; a record pushed
// again after an update (未评价, then the rating given at the follow-up
// visit) keeps its record id, so the platform holds one record.
func TestRatingRecordsReachTheProvinceThroughAnOutage(t *testing.T) {
	fake := provincetest.NewFake(t, provinceAppID, provinceSecret, provinceFields)
	ca := startProvinceApp(t, fake)
	ca.setClock("2026-03-10T10:00:00+08:00")

	// 1. A citizen rates 满意: the platform gets the record.
	const good = "oProvinceGood"
	a := ca.answered(good, "已补交材料并办结过户")
	ca.clickLevel(good, ca.ratingMenu(good, a.No, 1), 2)
	idA := a.No + "-1-realestate"
	fake.WaitFor(func() bool { return fake.Record(idA) != nil }, 10*time.Second)
	rec := fake.Record(idA)
	for field, want := range map[string]any{
		"record_id": idA, "bjbh": a.No, "round": float64(1), "department_code": "realestate", "bmmc": "不动产登记窗口",
		"level": "satisfied", "level_name": "满意", "pjfs": float64(8), "channel": "公众号", "applicant_mobile": "138****8000",
		"excluded": false,
	} {
		if rec[field] != want {
			t.Errorf("record %s: %s = %#v, want %#v", idA, field, rec[field], want)
		}
	}
	for _, unmapped := range []string{"case_no", "department_name", "score"} {
		if _, ok := rec[unmapped]; ok {
			t.Errorf("record carries %s under its own name, not the platform's", unmapped)
		}
	}
	if at, _ := rec["rated_at"].(string); !strings.HasPrefix(at, "2026-03-10T") {
		t.Errorf("rated_at %q, want the rating's time on bbcs's clock", rec["rated_at"])
	}
	if n := ca.waitProvinceNotice(idA, func(n models.Notice) bool { return n.Status == models.NoticeSent }); n.Receipt == "" {
		t.Errorf("sent without the platform's receipt: %+v", n)
	}

	// 2. The platform is down: the next rating's record waits, and the
	// supervision section sees it waiting on the notices page.
	fake.SetDown(true)
	const bad = "oProvinceBad"
	b := ca.answered(bad, "已答复")
	ca.clickLevel(bad, ca.ratingMenu(bad, b.No, 1), 5)
	idB := b.No + "-1-realestate"
	ca.waitProvinceNotice(idB, func(n models.Notice) bool { return n.Attempts >= 1 && n.LastError != "" })
	if fake.Record(idB) != nil || len(fake.Of(idB)) != 0 {
		t.Fatal("a record was delivered during the outage")
	}
	ma := signIn(t, ca.testApp, "ma")
	if _, page, _ := ma.do("GET", "/admin/notices", nil); !strings.Contains(pendingTable(t, page), "省好差评平台 "+idB) {
		t.Errorf("the notices page does not show %s waiting for the platform:\n%s", idB, pendingTable(t, page))
	}

	// 3. The platform is back: the record goes, once.
	fake.SetDown(false)
	ca.waitProvinceNotice(idB, func(n models.Notice) bool { return n.Status == models.NoticeSent })
	time.Sleep(300 * time.Millisecond) // a second delivery would come now
	if got := fake.Of(idB); len(got) != 1 || got[0].Body["level"] != "very_dissatisfied" || got[0].Body["pjfs"] != float64(0) {
		t.Fatalf("after the outage the platform got %s %d times: %+v", idB, len(got), got)
	}
	if _, page, _ := ma.do("GET", "/admin/notices", nil); strings.Contains(pendingTable(t, page), idB) {
		t.Errorf("after the outage the notices page still shows %s waiting", idB)
	}

	// 4. The 差评 sent the case back; its second round is answered and
	// the applicant does not rate: 未评价 goes to the platform, and the
	// rating given at the follow-up visit replaces it under the same id.
	again := ca.caseNo(b.No)
	ca.must(http.StatusOK, "zhang", "POST", "/api/v1/work-orders/"+again.WorkOrders[1].No+"/reply", map[string]string{"result": "已重新办结"}, nil)
	ca.setClock("2026-03-18T10:00:00+08:00") // past the 7 days of rating.close_after
	idB2 := b.No + "-2-realestate"
	ca.waitProvinceNotice(idB2, func(n models.Notice) bool { return n.Status == models.NoticeSent })
	if got := fake.Record(idB2); got == nil || got["level"] != "not_rated" || got["pjfs"] != nil || got["channel"] != "未评价" {
		t.Fatalf("the 未评价 record: %v", got)
	}
	ca.must(http.StatusOK, again.Owner.ID, "POST", "/api/v1/cases/"+b.No+"/follow-up",
		map[string]string{"note": "已电话回访", "level": "satisfied", "via": "phone"}, nil)
	fake.WaitFor(func() bool { return len(fake.Of(idB2)) == 2 }, 10*time.Second)
	if got := fake.Record(idB2); got["level"] != "satisfied" || got["pjfs"] != float64(8) || got["channel"] != "电话" || got["record_id"] != idB2 {
		t.Errorf("the record after the visit: %v", got)
	}
	time.Sleep(300 * time.Millisecond)
	if fake.Records() != 3 {
		t.Errorf("the platform holds %d records, want 3 (%s, %s, %s)", fake.Records(), idA, idB, idB2)
	}
	for _, id := range []string{idA, idB} {
		if n := len(fake.Of(id)); n != 1 {
			t.Errorf("%s delivered %d times, want once", id, n)
		}
	}
	if refused := fake.Refused(); len(refused) != 0 {
		t.Errorf("the platform refused: %q", refused)
	}
}

// A record the platform refuses (a 4xx with its code) is its answer, not
// an outage: the notice is failed with the platform's words, the console
// offers it again, and sent again it goes.
func TestARefusedRecordIsFailedWithThePlatformsAnswer(t *testing.T) {
	fake := provincetest.NewFake(t, provinceAppID, provinceSecret, provinceFields)
	ca := startProvinceApp(t, fake)
	ca.setClock("2026-03-10T10:00:00+08:00")
	fake.FailNext(1, http.StatusBadRequest, 40011)
	const openid = "oProvinceRefused"
	c := ca.answered(openid, "已办结")
	ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 1), 1)
	id := c.No + "-1-realestate"
	n := ca.waitProvinceNotice(id, func(n models.Notice) bool { return n.Status == models.NoticeFailed })
	if !strings.Contains(n.LastError, "40011") || n.Attempts != 1 {
		t.Errorf("failed notice: attempts %d, error %q", n.Attempts, n.LastError)
	}
	ma := signIn(t, ca.testApp, "ma")
	_, page, _ := ma.do("GET", "/admin/notices", nil)
	failed := page[strings.Index(page, `id="failed"`):]
	if !strings.Contains(failed, "省好差评平台 "+id) || !strings.Contains(failed, "40011") {
		t.Errorf("the failed table does not show the refused record:\n%s", failed)
	}
	tok := ma.csrfOf("/admin/notices")
	if status, body, _ := ma.do("POST", "/admin/notices/"+strconv.FormatUint(n.ID, 10)+"/retry", url.Values{"csrf": {tok}}); status != http.StatusFound && status != http.StatusSeeOther {
		t.Fatalf("retry from the console: %d\n%s", status, body)
	}
	ca.waitProvinceNotice(id, func(n models.Notice) bool { return n.Status == models.NoticeSent })
	if got := fake.Record(id); got == nil || got["level"] != "very_satisfied" || got["pjfs"] != float64(10) {
		t.Errorf("record after the retry: %v", got)
	}
}

// The platform refuses every request whose timestamp is off its clock by
// more than its window (401). That is the server's clock, not the record:
// the record waits, retried, and goes by itself, once, when the clock is
// put right — nobody has to find and send again each record of the day.
func TestARecordRefusedForAClockOffGoesOnceTheClockIsRight(t *testing.T) {
	fake := provincetest.NewFake(t, provinceAppID, provinceSecret, provinceFields)
	ca := startProvinceApp(t, fake)
	ca.setClock("2026-03-10T10:00:00+08:00")
	fake.SetNow(func() time.Time { return time.Now().Add(10 * time.Minute) }) // bbcs's server is 10 minutes slow
	const openid = "oProvinceSkewed"
	c := ca.answered(openid, "已办结")
	ca.clickLevel(openid, ca.ratingMenu(openid, c.No, 1), 2)
	id := c.No + "-1-realestate"
	n := ca.waitProvinceNotice(id, func(n models.Notice) bool { return n.Attempts >= 1 && n.LastError != "" })
	if n.Status != models.NoticePending || !strings.Contains(n.LastError, "401") {
		t.Fatalf("a record refused for the clock: status %s, error %q; want pending, to be tried again", n.Status, n.LastError)
	}
	if fake.Record(id) != nil {
		t.Fatal("the platform stored a record it refused")
	}

	fake.SetNow(nil)                         // the server's clock is put right (NTP)
	ca.setClock("2026-03-10T10:11:00+08:00") // past the outbox's longest wait between tries
	ca.waitProvinceNotice(id, func(n models.Notice) bool { return n.Status == models.NoticeSent })
	time.Sleep(300 * time.Millisecond) // a second delivery would come now
	if got := fake.Of(id); len(got) != 1 || got[0].Body["level"] != "satisfied" {
		t.Fatalf("after the clock was put right the platform got %s %d times: %+v", id, len(got), got)
	}
}

// Where no province.url is configured nothing is queued for the
// platform, not even a row: not for a rating, nor for a round closed 未评价.
func TestNoProvinceNoRecordsQueued(t *testing.T) {
	ca := startProvinceApp(t, nil)
	ca.setClock("2026-03-10T10:00:00+08:00")
	const rated, silent = "oNoProvinceRated", "oNoProvinceSilent"
	a := ca.answered(rated, "已办结")
	ca.clickLevel(rated, ca.ratingMenu(rated, a.No, 1), 4)
	ca.answered(silent, "已办结")
	ca.setClock("2026-03-18T10:00:00+08:00")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var closed int64
		if err := ca.app.db.Model(&models.Case{}).Where("rating_via = ?", "not_rated").Count(&closed).Error; err != nil {
			t.Fatal(err)
		}
		if closed >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unrated case did not close 未评价")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rows := ca.provinceNotices(); len(rows) != 0 {
		t.Errorf("%d province rows queued without province.url", len(rows))
	}
	var all int64
	ca.app.db.Model(&models.Notice{}).Where("kind = ?", models.NoticeRatingRecord).Count(&all)
	if all != 0 {
		t.Errorf("%d rating-record notices queued without province.url", all)
	}
}

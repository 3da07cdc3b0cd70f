package province_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"bbcs/bot"
	"bbcs/bot/province"
	"bbcs/bot/province/provincetest"
	"bbcs/clock"
	"bbcs/models"
)

const (
	appID  = "county-centre-001"
	secret = "s3cret-of-the-centre"
)

// The centre's platform reads a few fields under its own names (the
// mapping of province.fields).
var mapping = map[string]string{"case_no": "bjbh", "department_name": "bmmc", "score": "pjfs", "rated_at": "pjsj"}

func record(id string) models.RatingRecord {
	score := models.RatingDissatisfied.Score()
	return models.RatingRecord{
		RecordID: id, CaseNo: "BB20260601001", Round: 1, Category: "other", CategoryName: "其他",
		Matter: "营业执照变更办不成", DepartmentCode: "D01", DepartmentName: "市场监管局",
		ApplicantName: "李**", ApplicantKind: "person", ApplicantPhone: "138****5678",
		Channel: "公众号", Level: string(models.RatingDissatisfied), LevelName: "不满意", Score: &score,
		Comment: "等了太久", RatedAt: time.Date(2026, 6, 3, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func client(t *testing.T, cfg province.Config, wall clock.Wall) *province.Client {
	t.Helper()
	c, err := province.New(cfg, &http.Client{Timeout: 2 * time.Second}, wall)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A record goes out signed, under the platform's names, and the platform
// keeps it; the receipt is the platform's id.
func TestPushIsSignedAndRenamed(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, mapping)
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret, Fields: mapping}, clock.Real{})
	receipt, err := c.Push(context.Background(), record("BB20260601001-1-D01"))
	if err != nil {
		t.Fatalf("push: %v (refused: %q)", err, fake.Refused())
	}
	if receipt == "" || receipt == "code 0" {
		t.Errorf("receipt %q, want the platform's id", receipt)
	}
	got := fake.Record("BB20260601001-1-D01")
	if got == nil {
		t.Fatal("the platform holds no record BB20260601001-1-D01")
	}
	if got["bjbh"] != "BB20260601001" || got["bmmc"] != "市场监管局" || got["pjfs"] != float64(3) || got["level"] != "dissatisfied" {
		t.Errorf("record under the platform's names: %v", got)
	}
	for _, old := range []string{"case_no", "department_name", "score", "rated_at"} {
		if _, ok := got[old]; ok {
			t.Errorf("renamed field %s also sent under its own name", old)
		}
	}
	if got["pjsj"] != "2026-06-03T10:00:00+08:00" {
		t.Errorf("rated_at as pjsj = %v", got["pjsj"])
	}
	if r := fake.Received(); len(r) != 1 || r[0].AppID != appID {
		t.Errorf("received %+v", r)
	}
}

// A notice of the outbox carries the record it pushes.
func TestSendPushesTheNoticesRecord(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, nil)
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret}, clock.Real{})
	rec := record("BB20260601001-1-D01")
	n := &models.Notice{ID: 7, Kind: models.NoticeRatingRecord, Audience: models.AudienceProvince, Target: rec.RecordID,
		Payload: models.EncodeNoticeData(models.NoticeData{CaseNo: rec.CaseNo, Record: &rec})}
	if _, err := c.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := fake.Record(rec.RecordID); got == nil || got["case_no"] != rec.CaseNo || got["applicant_mobile"] != "138****5678" {
		t.Errorf("record %v", got)
	}
	n.Kind = models.NoticeRated
	if _, err := c.Send(context.Background(), n); !bot.IsPermanent(err) {
		t.Errorf("a notice of another kind: %v, want a permanent error", err)
	}
}

// A refusal of the request's credentials or freshness (401/403: a clock
// more than five minutes off, a key being rotated, an unknown app id)
// says nothing about the record: it is a failure the outbox tries again,
// and once the clock or the key is put right the same record goes.
func TestAuthRefusalsAreRetriedUntilFixed(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, mapping)
	good := province.Config{AppID: appID, Secret: secret, Fields: mapping}
	skewed := func(d time.Duration) clock.Wall {
		return clock.WallFunc(func() time.Time { return time.Now().Add(d) })
	}
	cases := []struct {
		name string
		cfg  province.Config
		wall clock.Wall
		fake func() time.Time // the platform's clock while refusing; nil: real
		why  string
	}{
		{"bbcs's clock 6 minutes behind", good, skewed(-6 * time.Minute), nil, "X-Timestamp"},
		{"bbcs's clock 6 minutes ahead", good, skewed(6 * time.Minute), nil, "X-Timestamp"},
		{"the platform's clock 10 minutes ahead", good, clock.Real{}, func() time.Time { return time.Now().Add(10 * time.Minute) }, "X-Timestamp"},
		{"secret being rotated", province.Config{AppID: appID, Secret: "the-old-secret", Fields: mapping}, clock.Real{}, nil, "X-Signature"},
		{"unknown app id", province.Config{AppID: "other", Secret: secret, Fields: mapping}, clock.Real{}, nil, "app id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "R-" + tc.name
			fake.SetNow(tc.fake)
			defer fake.SetNow(nil)
			tc.cfg.URL = fake.URL()
			before := len(fake.Refused())
			_, err := client(t, tc.cfg, tc.wall).Push(context.Background(), record(id))
			if err == nil || bot.IsPermanent(err) {
				t.Fatalf("push: %v, want a retryable error", err)
			}
			if !strings.Contains(err.Error(), "HTTP 401") {
				t.Errorf("error %q does not give the platform's answer", err)
			}
			refused := fake.Refused()
			if len(refused) != before+1 || !strings.Contains(refused[len(refused)-1], tc.why) {
				t.Errorf("refused %q, want one more naming %q", refused, tc.why)
			}
			if fake.Record(id) != nil {
				t.Fatal("the platform kept a refused record")
			}
			// The clock or the key put right: the outbox's next try goes.
			fake.SetNow(nil)
			good.URL = fake.URL()
			if _, err := client(t, good, clock.Real{}).Push(context.Background(), record(id)); err != nil {
				t.Fatalf("once put right: %v", err)
			}
			if n := len(fake.Of(id)); n != 1 {
				t.Errorf("%s accepted %d times, want 1", id, n)
			}
		})
	}
	// A 403 (a key revoked for now, an address not yet allowed) is the same.
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret, Fields: mapping}, clock.Real{})
	fake.FailNext(1, http.StatusForbidden, 40300)
	if _, err := c.Push(context.Background(), record("R-403")); err == nil || bot.IsPermanent(err) {
		t.Fatalf("403: %v, want a retryable error", err)
	}
	if _, err := c.Push(context.Background(), record("R-403")); err != nil {
		t.Fatalf("after the 403: %v", err)
	}
	// A clock 4 minutes off is within the platform's window.
	c = client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret, Fields: mapping}, skewed(4*time.Minute))
	if _, err := c.Push(context.Background(), record("R-4min")); err != nil {
		t.Errorf("4 minutes off: %v", err)
	}
}

// A refusal of the record itself (400/422 with a code, a duplicate) is
// the platform's answer about it: sending the same again cannot help, so
// it is permanent, kept as failed for an operator to see and send again.
func TestRecordRefusalsArePermanent(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, mapping)
	// Fields not renamed: the platform misses its names.
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret}, clock.Real{})
	if _, err := c.Push(context.Background(), record("R-names")); !bot.IsPermanent(err) {
		t.Fatalf("fields not renamed: %v, want a permanent error", err)
	}
	if refused := fake.Refused(); len(refused) != 1 || !strings.Contains(refused[0], "missing") {
		t.Errorf("refused %q, want a missing field", refused)
	}
	c = client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret, Fields: mapping}, clock.Real{})
	for _, status := range []int{http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity} {
		fake.FailNext(1, status, 40020)
		_, err := c.Push(context.Background(), record("R-content"))
		if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "code 40020") {
			t.Errorf("HTTP %d with a code: %v, want a permanent error with the code", status, err)
		}
	}
	if fake.Record("R-names") != nil || fake.Record("R-content") != nil {
		t.Error("the platform kept a refused record")
	}
}

// An unmasked mobile is a field the platform refuses.
func TestFakeRefusesAnUnmaskedMobile(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, nil)
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret}, clock.Real{})
	rec := record("R-mobile")
	rec.ApplicantPhone = "13812345678"
	if _, err := c.Push(context.Background(), rec); !bot.IsPermanent(err) {
		t.Fatalf("push: %v, want refused", err)
	}
}

// post sends body to the fake as a platform client would, signed, with
// contentType; it returns the status and the answer's code.
func post(t *testing.T, fake *provincetest.Fake, contentType string, body []byte) (int, float64) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fake.URL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("%032x", rand.Uint64())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set(province.HeaderAppID, appID)
	req.Header.Set(province.HeaderTimestamp, ts)
	req.Header.Set(province.HeaderNonce, nonce)
	req.Header.Set(province.HeaderSignature, province.Sign(secret, ts, nonce, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct{ Code float64 }
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("HTTP %d without a JSON answer: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, a.Code
}

// The platform reads JSON only, as docs/province.md's request says: a
// body of another Content-Type is refused (415 with a code), whatever it
// holds.
func TestFakeRefusesAWrongContentType(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, nil)
	names, err := province.NewNames(nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := names.Body(record("R-ctype"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/jsonp"} {
		if status, code := post(t, fake, ct, body); status != http.StatusUnsupportedMediaType || code == 0 {
			t.Errorf("Content-Type %q: HTTP %d code %v, want 415 with a code", ct, status, code)
		}
	}
	if fake.Record("R-ctype") != nil {
		t.Fatal("the platform kept a record sent as another type")
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		if status, code := post(t, fake, ct, body); status != http.StatusOK || code != 0 {
			t.Errorf("Content-Type %q: HTTP %d code %v, want accepted", ct, status, code)
		}
	}
}

// The platform checks that a record's level, level_name and score agree
// (非常满意 10, 满意 8, 基本满意 6, 不满意 3, 非常不满意 0; 未评价 null), under the
// names the centre configured; what bbcs builds always does.
func TestFakeChecksLevelAgainstScore(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, mapping)
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret, Fields: mapping}, clock.Real{})
	score := func(n int) *int { return &n }
	for _, l := range models.RatingLevels {
		rec := record("R-level-" + string(l))
		rec.Level, rec.LevelName, rec.Score = string(l), l.Label(), score(l.Score())
		if _, err := c.Push(context.Background(), rec); err != nil {
			t.Errorf("%s scored %d: %v", l, l.Score(), err)
		}
	}
	notRated := record("R-not-rated")
	notRated.Level, notRated.LevelName, notRated.Score, notRated.Channel = models.LevelNotRated, "未评价", nil, "未评价"
	if _, err := c.Push(context.Background(), notRated); err != nil {
		t.Errorf("未评价 with a null score: %v", err)
	}
	defaulted := notRated
	defaulted.RecordID = "R-defaulted"
	defaulted.Level, defaulted.LevelName, defaulted.Score, defaulted.Defaulted = string(models.RatingSatisfied), "满意", score(8), true
	if _, err := c.Push(context.Background(), defaulted); err != nil {
		t.Errorf("未评价 counted as 满意: %v", err)
	}

	for name, edit := range map[string]func(*models.RatingRecord){
		"不满意 scored 8":      func(r *models.RatingRecord) { r.Score = score(8) },
		"不满意 without score": func(r *models.RatingRecord) { r.Score = nil },
		"未评价 scored 3": func(r *models.RatingRecord) {
			r.Level, r.LevelName = models.LevelNotRated, "未评价"
		},
		"level_name of another level": func(r *models.RatingRecord) { r.LevelName = "满意" },
	} {
		rec := record("R-bad-" + name)
		edit(&rec)
		before := len(fake.Refused())
		if _, err := c.Push(context.Background(), rec); !bot.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent refusal", name, err)
			continue
		}
		if refused := fake.Refused(); len(refused) != before+1 || !strings.Contains(refused[len(refused)-1], "level") {
			t.Errorf("%s: refused %q, want one more naming the level", name, refused)
		}
		if fake.Record(rec.RecordID) != nil {
			t.Errorf("%s: the platform kept it", name)
		}
	}
}

// An outage, a server error, a 2xx with a code other than 0 and a
// timeout are failures to try again, not refusals; once the platform is
// back the record goes.
func TestFailuresAreRetryable(t *testing.T) {
	fake := provincetest.NewFake(t, appID, secret, nil)
	c := client(t, province.Config{URL: fake.URL(), AppID: appID, Secret: secret}, clock.Real{})
	ctx := context.Background()
	fake.SetDown(true)
	if _, err := c.Push(ctx, record("R-1")); err == nil || bot.IsPermanent(err) {
		t.Fatalf("during the outage: %v, want a retryable error", err)
	}
	fake.SetDown(false)
	fake.FailNext(1, http.StatusOK, 1001)
	if _, err := c.Push(ctx, record("R-1")); err == nil || bot.IsPermanent(err) {
		t.Fatalf("200 with code 1001: %v, want a retryable error", err)
	}
	fake.FailNext(1, http.StatusTooManyRequests, 42900)
	if _, err := c.Push(ctx, record("R-1")); err == nil || bot.IsPermanent(err) {
		t.Fatalf("429: %v, want a retryable error", err)
	}
	if fake.Record("R-1") != nil {
		t.Fatal("a failed push was kept")
	}
	if _, err := c.Push(ctx, record("R-1")); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	if n := len(fake.Of("R-1")); n != 1 {
		t.Errorf("R-1 accepted %d times, want 1", n)
	}

	// A platform that does not answer in time.
	hung, err := province.New(province.Config{URL: fake.URL(), AppID: appID, Secret: secret}, &http.Client{Timeout: time.Nanosecond}, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hung.Push(ctx, record("R-2")); err == nil || bot.IsPermanent(err) {
		t.Fatalf("timeout: %v, want a retryable error", err)
	}
}

// province.fields is checked when bbcs starts: a field the record does
// not have, an empty name, two fields under one name.
func TestFieldMappingIsChecked(t *testing.T) {
	for name, fields := range map[string]map[string]string{
		"unknown field": {"casenumber": "bjbh"},
		"empty name":    {"case_no": " "},
		"collision":     {"case_no": "round"},
		"two onto one":  {"case_no": "x", "round": "x"},
	} {
		if _, err := province.NewNames(fields); err == nil {
			t.Errorf("%s: %v accepted", name, fields)
		}
	}
	if _, err := province.New(province.Config{URL: "ftp://x", Secret: "s"}, nil, clock.Real{}); err == nil {
		t.Error("an ftp URL accepted")
	}
	// Sent as config check read it: trimmed.
	n, err := province.NewNames(map[string]string{"case_no": " bjbh "})
	if err != nil || n.Of("case_no") != "bjbh" || n.Of("round") != "round" {
		t.Errorf("NewNames: %v %v", n, err)
	}
}

// The signature is the documented HMAC: a platform can check it from
// docs/province.md alone.
func TestSignatureIsTheDocumentedHMAC(t *testing.T) {
	// hex(HMAC-SHA256("key", "1700000000\nabc\n{}")), by openssl:
	// printf '1700000000\nabc\n{}' | openssl dgst -sha256 -hmac key
	const want = "a05cd053e3dc10d7f58c61005ccb7d81a9fc92516ec7abb4d7c1f5b0a2964aeb"
	if got := province.Sign("key", "1700000000", "abc", []byte("{}")); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

// The platform's msg goes into the notice's error and the log: a mobile
// it quotes from the record is masked there.
func TestPlatformMsgIsKeptMasked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code":40011,"msg":"applicant_mobile 13812345678 不合法"}`))
	}))
	defer srv.Close()
	c := client(t, province.Config{URL: srv.URL, AppID: appID, Secret: secret}, clock.Real{})
	_, err := c.Push(context.Background(), record("R-msg"))
	if !bot.IsPermanent(err) || strings.Contains(err.Error(), "13812345678") || !strings.Contains(err.Error(), "138****5678") {
		t.Errorf("error %q, want permanent with the mobile masked", err)
	}
}

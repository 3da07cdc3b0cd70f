// Package provincetest is a fake provincial 好差评 platform speaking the
// interface of docs/province.md, as strict as that page lets a platform
// be: an httptest server that takes POSTed JSON records (another
// Content-Type is refused 415), checks the signature against its own wall
// clock (a timestamp more than SignWindow off is refused 401, as a real
// platform would), checks the required fields under the names the centre
// configured, their types, and that level, level_name and score agree,
// upserts each record by its record id, and records what it received. It
// can be put into an outage (503s) and back.
//
// It is written from the documented interface, not from bot/province:
// the signature and the field checks here are its own, so they keep
// checking the sender.
package provincetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"bbcs/bot/internal/faketest"
)

// SignWindow is how far a request's X-Timestamp may be from the
// platform's clock.
const SignWindow = 5 * time.Minute

// Path is where the fake takes records: URL() ends with it.
const Path = "/api/v1/haocaping/records"

// The platform's error codes (its own: no national list is published).
const (
	CodeOK          = 0
	CodeAppID       = 40001 // unknown X-App-Id
	CodeTimestamp   = 40002 // X-Timestamp missing or more than SignWindow off
	CodeSignature   = 40003 // X-Signature does not match
	CodeReplay      = 40004 // X-Nonce seen before
	CodeBody        = 40010 // not a JSON object
	CodeField       = 40011 // a required field missing, of the wrong type, or an unknown field
	CodeLevel       = 40012 // level, level_name and score do not agree
	CodeContentType = 41500 // the body is not application/json
	CodeUnavailable = 50300 // the outage
)

// Received is one request that passed the checks.
type Received struct {
	At       time.Time
	AppID    string
	Nonce    string
	Body     map[string]any // under the platform's names
	RecordID string
}

// Fake is the platform. It is safe for concurrent use.
type Fake struct {
	t      testing.TB
	srv    *httptest.Server
	appID  string
	secret string
	// names maps each record field (its default JSON name) to the name
	// the platform reads it under.
	names map[string]string

	mu      sync.Mutex
	now     func() time.Time
	nonces  map[string]time.Time
	records map[string]map[string]any // by record id: the latest version
	seq     int

	received faketest.Log[Received]
	refused  faketest.Log[string] // why each refused request was refused
	faults   faketest.Faults
}

// NewFake starts a platform that knows the centre appID with secret, and
// reads the record's fields under the names fields gives them (the same
// map as province.fields; unnamed fields keep their names). The server
// closes with t.Cleanup.
func NewFake(t testing.TB, appID, secret string, fields map[string]string) *Fake {
	f := &Fake{t: t, appID: appID, secret: secret, names: map[string]string{}, now: time.Now,
		nonces: map[string]time.Time{}, records: map[string]map[string]any{}}
	for _, fl := range recordFields {
		f.names[fl.name] = fl.name
	}
	for k, v := range fields {
		f.names[k] = v
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is what province.url names.
func (f *Fake) URL() string { return f.srv.URL + Path }

// SetNow sets the platform's clock (nil: time.Now). It is the platform's
// real time: never bbcs's test clock.
func (f *Fake) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	f.now = now
}

// SetDown starts (true) or ends an outage: every request answers 503.
func (f *Fake) SetDown(down bool) { f.faults.SetDown(down) }

// FailNext makes the next n requests answer status with code.
func (f *Fake) FailNext(n, status, code int) { f.faults.FailNext(n, status, code) }

// Received is every accepted request, oldest first.
func (f *Fake) Received() []Received { return f.received.All() }

// Refused is why each refused request (not outages nor injected faults)
// was refused, oldest first.
func (f *Fake) Refused() []string { return f.refused.All() }

// Of is the accepted requests for one record id, oldest first.
func (f *Fake) Of(recordID string) []Received {
	return f.received.Where(func(r Received) bool { return r.RecordID == recordID })
}

// Record is the latest version of a record (upserted by its id), under
// the platform's names; nil when none came.
func (f *Fake) Record(recordID string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records[recordID]
}

// Records is how many distinct records the platform holds.
func (f *Fake) Records() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records)
}

// WaitFor waits (real time) until cond holds, or fails the test.
func (f *Fake) WaitFor(cond func() bool, timeout time.Duration) {
	f.t.Helper()
	faketest.WaitFor(f.t, "province fake", cond, timeout, func() string {
		return fmt.Sprintf(" %d accepted, refused %q", len(f.Received()), f.Refused())
	})
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		answer(w, http.StatusNotFound, 40400, "no such path")
		return
	}
	if r.Method != http.MethodPost {
		answer(w, http.StatusMethodNotAllowed, 40500, "POST only")
		return
	}
	if f.faults.IsDown() {
		answer(w, http.StatusServiceUnavailable, CodeUnavailable, "平台维护中")
		return
	}
	if status, code, ok := f.faults.Take(); ok {
		answer(w, status, code, "injected failure")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		why := fmt.Sprintf("Content-Type %q is not application/json", r.Header.Get("Content-Type"))
		f.refused.Add(why)
		answer(w, http.StatusUnsupportedMediaType, CodeContentType, why)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		answer(w, http.StatusBadRequest, CodeBody, "cannot read the body")
		return
	}
	rec, status, code, why := f.check(r.Header, body)
	if code != CodeOK {
		f.refused.Add(why)
		answer(w, status, code, why)
		return
	}
	f.mu.Lock()
	id := rec[f.names["record_id"]].(string)
	f.records[id] = rec
	f.seq++
	seq := f.seq
	now := f.now()
	f.mu.Unlock()
	f.received.Add(Received{At: now, AppID: r.Header.Get("X-App-Id"), Nonce: r.Header.Get("X-Nonce"), Body: rec, RecordID: id})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprintf(w, `{"code":0,"msg":"ok","id":"HCP%06d"}`, seq)
}

// check verifies a request's headers and body; code 0 accepts it.
func (f *Fake) check(h http.Header, body []byte) (rec map[string]any, status, code int, why string) {
	if h.Get("X-App-Id") != f.appID {
		return nil, http.StatusUnauthorized, CodeAppID, fmt.Sprintf("unknown app id %q", h.Get("X-App-Id"))
	}
	ts, err := strconv.ParseInt(h.Get("X-Timestamp"), 10, 64)
	if err != nil {
		return nil, http.StatusUnauthorized, CodeTimestamp, "X-Timestamp is not unix seconds"
	}
	f.mu.Lock()
	now := f.now()
	f.mu.Unlock()
	if d := now.Sub(time.Unix(ts, 0)); d > SignWindow || d < -SignWindow {
		return nil, http.StatusUnauthorized, CodeTimestamp, fmt.Sprintf("X-Timestamp is %v off the platform's clock", d.Round(time.Second))
	}
	nonce := h.Get("X-Nonce")
	if len(nonce) < 8 {
		return nil, http.StatusUnauthorized, CodeReplay, "X-Nonce missing or short"
	}
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write([]byte(h.Get("X-Timestamp") + "\n" + nonce + "\n"))
	mac.Write(body)
	got, err := hex.DecodeString(h.Get("X-Signature"))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return nil, http.StatusUnauthorized, CodeSignature, "X-Signature does not match"
	}
	f.mu.Lock()
	for n, at := range f.nonces {
		if now.Sub(at) > 2*SignWindow {
			delete(f.nonces, n)
		}
	}
	_, seen := f.nonces[nonce]
	f.nonces[nonce] = now
	f.mu.Unlock()
	if seen {
		return nil, http.StatusUnauthorized, CodeReplay, "X-Nonce used before"
	}
	if err := json.Unmarshal(body, &rec); err != nil || rec == nil {
		return nil, http.StatusBadRequest, CodeBody, "the body is not a JSON object"
	}
	if why := f.checkFields(rec); why != "" {
		return nil, http.StatusBadRequest, CodeField, why
	}
	if why := f.checkLevel(rec); why != "" {
		return nil, http.StatusBadRequest, CodeLevel, why
	}
	return rec, http.StatusOK, CodeOK, ""
}

// field is one of the record's fields as the platform wants it.
type field struct {
	name     string // the default name (before province.fields)
	kind     string // string, int, bool, time, score (int 0..10 or null)
	required bool
}

var recordFields = []field{
	{"record_id", "id", true}, {"case_no", "string", true}, {"round", "int", true},
	{"category", "string", true}, {"category_name", "string", true}, {"matter", "string", true},
	{"department_code", "string", true}, {"department_name", "string", true},
	{"applicant_name", "string", true}, {"applicant_kind", "string", true}, {"applicant_mobile", "mobile", true},
	{"channel", "string", true}, {"level", "level", true}, {"level_name", "string", true},
	{"score", "score", true}, {"comment", "string", true}, {"rated_at", "time", true},
	{"rectify_due_at", "time", false}, {"rectify_verdict", "string", false}, {"rectify_measures", "string", false},
	{"rectified_at", "time", false}, {"rectified_on_time", "bool", false},
	{"appeal_status", "string", false}, {"appeal_ground", "string", false}, {"appeal_decision", "string", false},
	{"defaulted", "bool", false}, // 未评价 counted as 满意 by a local rule
	{"excluded", "bool", true},
}

var (
	levels     = []string{"very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied", "not_rated"}
	fullMobile = regexp.MustCompile(`\d{11}`)
)

// levelOf is each level's name and score, as docs/province.md gives
// them (the national five, 10/8/6/3/0; 未评价 has no score: null).
var levelOf = map[string]struct {
	name  string
	score *float64
}{
	"very_satisfied":      {"非常满意", ptr(10)},
	"satisfied":           {"满意", ptr(8)},
	"basically_satisfied": {"基本满意", ptr(6)},
	"dissatisfied":        {"不满意", ptr(3)},
	"very_dissatisfied":   {"非常不满意", ptr(0)},
	"not_rated":           {"未评价", nil},
}

func ptr(n float64) *float64 { return &n }

// checkLevel: the record's level_name and score are its level's (the
// fields' types checked already).
func (f *Fake) checkLevel(rec map[string]any) string {
	level, _ := rec[f.names["level"]].(string)
	want := levelOf[level]
	if name := rec[f.names["level_name"]]; name != want.name {
		return fmt.Sprintf("level %s is %s, not %v", level, want.name, name)
	}
	score, _ := rec[f.names["score"]].(float64)
	switch got := rec[f.names["score"]]; {
	case want.score == nil && got != nil:
		return fmt.Sprintf("level %s has no score, not %v", level, got)
	case want.score != nil && (got == nil || score != *want.score):
		return fmt.Sprintf("level %s scores %v, not %v", level, *want.score, got)
	}
	return ""
}

// checkFields: every field under the platform's name, of its type; no
// name the platform does not know (a field sent under its default name
// where the centre renamed it is one).
func (f *Fake) checkFields(rec map[string]any) string {
	known := map[string]bool{}
	for _, fl := range recordFields {
		name := f.names[fl.name]
		known[name] = true
		v, ok := rec[name]
		if !ok {
			if fl.required {
				return fmt.Sprintf("field %s (%s) is missing", name, fl.name)
			}
			continue
		}
		if why := checkKind(fl.kind, v); why != "" {
			return fmt.Sprintf("field %s (%s): %s", name, fl.name, why)
		}
	}
	for k := range rec {
		if !known[k] {
			return fmt.Sprintf("unknown field %s", k)
		}
	}
	return ""
}

func checkKind(kind string, v any) string {
	switch kind {
	case "id":
		if s, ok := v.(string); !ok || s == "" {
			return "want a non-empty string"
		}
	case "string":
		if _, ok := v.(string); !ok {
			return "want a string"
		}
	case "mobile":
		s, ok := v.(string)
		if !ok {
			return "want a string"
		}
		if fullMobile.MatchString(s) {
			return "an unmasked mobile number"
		}
	case "level":
		if s, ok := v.(string); !ok || !slices.Contains(levels, s) {
			return fmt.Sprintf("want one of %v", levels)
		}
	case "int":
		if n, ok := v.(float64); !ok || n != float64(int64(n)) {
			return "want an integer"
		}
	case "score":
		if v == nil {
			return ""
		}
		if n, ok := v.(float64); !ok || n != float64(int64(n)) || n < 0 || n > 10 {
			return "want an integer 0–10 or null"
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return "want true or false"
		}
	case "time":
		s, ok := v.(string)
		if !ok {
			return "want an RFC 3339 time"
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "want an RFC 3339 time"
		}
	}
	return ""
}

func answer(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"code": code, "msg": msg})
	w.Write(b)
}

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"bbcs/bot"
)

// The floor with storage is the floor (floor.go) plus the storage work that
// bbcs's design makes a citizen's message pay, done as cheaply as Go's
// clients allow and nothing else — no rules, no GORM, no timers, no staff:
//
//   - de-duplication by MsgId and the dialog's state in Redis (DESIGN.md
//     §5, replicas are stateless): a pipeline that marks the message and
//     reads the state, then a MULTI/EXEC that writes the state and the
//     answer — bbcs's `handlers.once`, the least two round trips can do;
//   - a menu or receipt is not a passive reply (WeChat's passive replies
//     have no msgmenu), so it is queued in MariaDB in the request (one
//     INSERT) and sent by an outbox (§4): claimed (a SELECT and an UPDATE
//     per pass), posted to the customer-service API, its outcome written
//     (one UPDATE per pass's sends that finish together);
//   - “确认” registers a case in one transaction: the day's counter, the
//     case, its first event and the receipt (BEGIN, two round trips,
//     COMMIT);
//   - “查询” and a case number read one indexed row set each.
//
// What it measures is a lower bound for any program that keeps that design:
// its CPU per message beside the floor's says how much of bbcs's ratio the
// design itself costs, and bbcs's beside it what bbcs adds on top.
const floorStoreEnv = "LOADBENCH_FLOORSTORE_ADDR"

const floorStoreSchema = `CREATE TABLE IF NOT EXISTS fs_counters (day CHAR(8) PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS fs_cases (id BIGINT AUTO_INCREMENT PRIMARY KEY, no VARCHAR(32) NOT NULL UNIQUE,
  openid VARCHAR(64) NOT NULL, name VARCHAR(64), mobile VARCHAR(32), matter TEXT, status VARCHAR(16) NOT NULL,
  created_at DATETIME(3) NOT NULL, KEY (openid, id));
CREATE TABLE IF NOT EXISTS fs_events (id BIGINT AUTO_INCREMENT PRIMARY KEY, case_id BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL, at DATETIME(3) NOT NULL, KEY (case_id, id));
CREATE TABLE IF NOT EXISTS fs_notices (id BIGINT AUTO_INCREMENT PRIMARY KEY, target VARCHAR(64) NOT NULL,
  body TEXT NOT NULL, status TINYINT NOT NULL DEFAULT 0, claimed_until DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL, sent_at DATETIME(3) NULL, KEY (status, id))`

// storeFloor serves the floor's echo with the storage work above.
type storeFloor struct {
	db     *sql.DB
	rdb    *redis.Client
	prefix string
	hc     *http.Client
	send   string // the customer-service API's URL, token included
	kick   chan struct{}
}

func storeFloorMain(addr string) {
	cfg, err := mysql.ParseDSN(os.Getenv("LOADBENCH_FLOORSTORE_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.InterpolateParams, cfg.MultiStatements, cfg.ParseTime = true, true, true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(50)
	db.SetMaxIdleConns(50)
	if _, err := db.Exec(floorStoreSchema); err != nil {
		log.Fatal(err)
	}
	s := &storeFloor{
		db: db, rdb: redis.NewClient(&redis.Options{Addr: os.Getenv("LOADBENCH_FLOORSTORE_REDIS"), Protocol: 2}),
		prefix: os.Getenv("LOADBENCH_FLOORSTORE_PREFIX"), kick: make(chan struct{}, 1),
		// The transport bbcs sends with, so that the floor pays for its
		// connections what bbcs does.
		hc: &http.Client{Timeout: 5 * time.Second, Transport: bot.PlatformTransport()},
	}
	api := os.Getenv("LOADBENCH_FLOORSTORE_WECHAT")
	token, err := s.token(api)
	if err != nil {
		log.Fatal(err)
	}
	s.send = api + "/cgi-bin/message/custom/send?access_token=" + url.QueryEscape(token)

	serveFloor(addr, s.handle, s.outbox)
}

func (s *storeFloor) token(api string) (string, error) {
	resp, err := s.hc.Get(api + "/cgi-bin/token?grant_type=client_credential&appid=" + url.QueryEscape(os.Getenv("LOADBENCH_FLOOR_APPID")) +
		"&secret=" + url.QueryEscape(os.Getenv("LOADBENCH_FLOORSTORE_SECRET")))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
		ErrCode     int    `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("floor with storage: no access token (errcode %d, %v)", t.ErrCode, err)
	}
	return t.AccessToken, nil
}

// handle is one message: its two Redis round trips around the step.
func (s *storeFloor) handle(ctx context.Context, m *message.MixMessage) (string, error) {
	if m.MsgType == message.MsgTypeEvent {
		return "欢迎", nil // as bbcs: an event that changes nothing skips de-duplication
	}
	mark := s.prefix + ":m:" + strconv.FormatInt(m.MsgID, 10)
	dialog := s.prefix + ":d:" + string(m.FromUserName)
	pipe := s.rdb.Pipeline()
	first := pipe.SetNX(ctx, mark, "…", 30*time.Second)
	state := pipe.HGetAll(ctx, dialog)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", err
	}
	if !first.Val() {
		return "", nil
	}
	st := state.Val()
	reply, err := s.step(ctx, string(m.FromUserName), m.Content, m.BizMsgMenuID != 0, st)
	if err != nil {
		s.rdb.Del(context.WithoutCancel(ctx), mark)
		return "", err
	}
	tx := s.rdb.TxPipeline()
	if len(st) > 0 {
		tx.HSet(ctx, dialog, st)
		tx.Expire(ctx, dialog, 30*time.Minute)
	} else {
		tx.Del(ctx, dialog)
	}
	tx.Set(ctx, mark, "="+reply, time.Hour)
	_, err = tx.Exec(ctx)
	return reply, err
}

// step is the dialog's work for one message; st is changed in place.
func (s *storeFloor) step(ctx context.Context, openid, text string, click bool, st map[string]string) (string, error) {
	switch at := st["at"]; {
	case text == "反映问题":
		clear(st)
		st["at"] = "category"
		return "", s.queue(ctx, s.db, openid, menu(openid, "请选择问题类型", "1 办理时限", "2 受理后超时未办结", "3 其他"))
	case at == "category" && click:
		st["at"], st["category"] = "matter", text
		return "请简要描述您遇到的问题", nil
	case at == "matter":
		st["at"], st["matter"] = "kind", text
		return "", s.queue(ctx, s.db, openid, menu(openid, "您是", "1 个人（群众）", "2 企业"))
	case at == "kind" && click:
		st["at"], st["kind"] = "name", text
		return "请告诉我们您的称呼", nil
	case at == "name":
		st["at"], st["name"] = "mobile", text
		return "请留下手机号码", nil
	case at == "mobile":
		st["at"], st["mobile"] = "confirm", text
		return "回复“确认”提交", nil
	case at == "confirm" && text == "确认":
		no, err := s.register(ctx, openid, st)
		clear(st)
		return "已受理，编号 " + no, err
	case text == "查询":
		return s.list(ctx, openid)
	case caseNoRE.MatchString(text):
		return s.status(ctx, text)
	}
	return "您好，请发送“反映问题”", nil
}

func menu(openid, head string, items ...string) string {
	var m message.CustomerMessage
	m.ToUser, m.Msgtype = openid, "msgmenu"
	m.Msgmenu = &message.MediaMsgmenu{HeadContent: head}
	for i, it := range items {
		m.Msgmenu.List = append(m.Msgmenu.List, message.MsgmenuItem{ID: strconv.Itoa(101 + i), Content: it})
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *storeFloor) queue(ctx context.Context, db execer, openid, body string) error {
	_, err := db.ExecContext(ctx, "INSERT INTO fs_notices (target, body, created_at) VALUES (?, ?, ?)", openid, body, time.Now())
	if err == nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return err
}

func (s *storeFloor) register(ctx context.Context, openid string, st map[string]string) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	now := time.Now()
	day := now.Format("20060102")
	res, err := tx.ExecContext(ctx, "INSERT INTO fs_counters (day, n) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + 1)", day)
	if err != nil {
		return "", err
	}
	n, _ := res.LastInsertId()
	no := fmt.Sprintf("BB%s-%03d", day, n)
	receipt := `{"touser":"` + openid + `","msgtype":"text","text":{"content":"您反映的问题已受理，编号 ` + no + `"}}`
	if _, err := tx.ExecContext(ctx, "INSERT INTO fs_cases (no, openid, name, mobile, matter, status, created_at) VALUES (?, ?, ?, ?, ?, 'registered', ?); "+
		"INSERT INTO fs_events (case_id, kind, at) VALUES (LAST_INSERT_ID(), 'registered', ?); "+
		"INSERT INTO fs_notices (target, body, created_at) VALUES (?, ?, ?)",
		no, openid, st["name"], st["mobile"], st["matter"], now, now, openid, receipt, now); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return no, nil
}

func (s *storeFloor) list(ctx context.Context, openid string) (string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT no, status FROM fs_cases WHERE openid = ? ORDER BY id DESC LIMIT 5", openid)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var no, status string
		if err := rows.Scan(&no, &status); err != nil {
			return "", err
		}
		b.WriteString(no + " " + status + "\n")
	}
	if b.Len() == 0 {
		return "您还没有反映过问题", rows.Err()
	}
	return b.String(), rows.Err()
}

func (s *storeFloor) status(ctx context.Context, no string) (string, error) {
	var status string
	var at time.Time
	err := s.db.QueryRowContext(ctx, "SELECT c.status, e.at FROM fs_cases c JOIN fs_events e ON e.case_id = c.id WHERE c.no = ? ORDER BY e.id DESC LIMIT 1", no).Scan(&status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "没有找到这个编号", nil
	}
	return no + " " + status + " " + at.Format("01-02 15:04"), err
}

// outbox claims what is due as bbcs's lane does: woken by a new notice,
// at most every 10 ms (ClaimGap), else once a second; it sends each
// claimed notice in its own goroutine, and writes the outcomes of the
// sends that finished together in one statement.
func (s *storeFloor) outbox(ctx context.Context) {
	const claimGap = 10 * time.Millisecond
	done := make(chan int64, 1024)
	inFlight := 0
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-poll.C:
		case id := <-done:
			ids := []int64{id}
			for more := true; more; {
				select {
				case id := <-done:
					ids = append(ids, id)
				default:
					more = false
				}
			}
			inFlight -= len(ids)
			s.sent(ctx, ids) // and room for the next claim, as in bbcs's lane
		}
		if inFlight >= 128 {
			continue
		}
		if wait := claimGap - time.Since(last); wait > 0 {
			time.Sleep(wait) // kicks meanwhile are one claim
		}
		last = time.Now()
		claimed := s.claim(ctx, 128-inFlight)
		inFlight += len(claimed)
		for _, n := range claimed {
			go func() {
				s.post(n.body)
				done <- n.id
			}()
		}
	}
}

type fsNotice struct {
	id   int64
	body string
}

func (s *storeFloor) claim(ctx context.Context, limit int) []fsNotice {
	rows, err := s.db.QueryContext(ctx, "SELECT id, body FROM fs_notices WHERE status = 0 AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?", time.Now(), limit)
	if err != nil {
		return nil
	}
	var out []fsNotice
	var ids []string
	for rows.Next() {
		var n fsNotice
		if rows.Scan(&n.id, &n.body) == nil {
			out = append(out, n)
			ids = append(ids, strconv.FormatInt(n.id, 10))
		}
	}
	rows.Close()
	if len(out) == 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE fs_notices SET claimed_until = ? WHERE id IN ("+strings.Join(ids, ",")+")", time.Now().Add(time.Minute)); err != nil {
		return nil
	}
	return out
}

func (s *storeFloor) post(body string) {
	resp, err := s.hc.Post(s.send, "application/json; charset=utf-8", strings.NewReader(body))
	if err != nil {
		return
	}
	// The answer is not looked at: the floor records every notice sent
	// whatever it says (it measures the store's path, not the platform's).
	// Read to the end so that the connection is reused.
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func (s *storeFloor) sent(ctx context.Context, ids []int64) {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	s.db.ExecContext(ctx, "UPDATE fs_notices SET status = 1, sent_at = ?, claimed_until = NULL WHERE id IN ("+strings.Join(list, ",")+")", time.Now())
}

// startStoreFloor runs the floor with storage as a child process on a free
// port, on the run's database and Redis.
func startStoreFloor(dsn, redisAddr, prefix, wechatURL string) (*server, error) {
	return startSelf("floor with storage", floorStoreEnv, "LOADBENCH_FLOORSTORE_DSN="+dsn, "LOADBENCH_FLOORSTORE_REDIS="+redisAddr,
		"LOADBENCH_FLOORSTORE_PREFIX="+prefix, "LOADBENCH_FLOORSTORE_WECHAT="+wechatURL, "LOADBENCH_FLOORSTORE_SECRET="+wxSecret)
}

// storeFloorDrain waits until the floor with storage has sent what it
// queued (or max passes).
func storeFloorDrain(ctx context.Context, db *database, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var n int
		if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM fs_notices WHERE status = 0").Scan(&n); err != nil || n == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

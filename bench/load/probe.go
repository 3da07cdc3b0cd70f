package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"bbcs/bot/wechat/wechattest"
)

// probeRow is what one kind of request costs bbcs when sent one at a time
// (no queueing): its latency and, when counted through the proxies, the
// database and Redis work per request, the outbox's delivery of what it
// queued included.
type probeRow struct {
	step     string
	n, errs  int
	p50, p99 time.Duration
	counts   map[string]float64 // per request; nil when not counted
}

const (
	probeCitizens = 40
	probeOrders   = 5 // per group: a group robot takes 20 messages a minute
)

// prober sends the probe's requests to one bbcs.
type prober struct {
	ctx   context.Context
	wx    *wechattest.Client
	day   *dayRun // the staff's and the specialist's clients
	cs    *citizens
	db    *database
	count func() map[string]float64 // nil: latency only
	noise map[string]float64        // per second, while idle
}

// measure runs fn n times in a row and reads the counters around it,
// after the outbox has delivered what is due.
func (p *prober) measure(name string, n int, fn func(i int, rec *recorder)) probeRow {
	var c0 map[string]float64
	if p.count != nil {
		c0 = p.count()
	}
	t0 := time.Now()
	rec := newRecorder()
	for i := range n {
		fn(i, rec)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		due, err := p.db.dueNotices(p.ctx, 0)
		if err == nil && due == 0 && (p.cs.arr == nil || p.cs.arr.pending() == 0) {
			break
		}
	}
	time.Sleep(150 * time.Millisecond)
	s := rec.total()
	row := probeRow{step: name, n: s.n, errs: s.errs, p50: s.p50, p99: s.p99}
	if p.count != nil {
		c1 := p.count()
		secs := time.Since(t0).Seconds()
		row.counts = map[string]float64{}
		for k, v := range c1 {
			row.counts[k] = max(0, v-c0[k]-p.noise[k]*secs) / float64(n)
		}
	}
	return row
}

// run walks probeCitizens citizens through the dialog step by step (all
// take step 0, then step 1, …), has their cases dispatched, half to a
// WeCom group and half to a DingTalk group, and probeOrders of each signed
// and answered in the groups.
func (p *prober) run() []probeRow {
	people := make([]*citizen, probeCitizens)
	for i := range people {
		people[i] = p.cs.newCitizen()
	}
	var rows []probeRow
	for step := range steps {
		rows = append(rows, p.measure(steps[step].name, len(people), func(i int, rec *recorder) {
			m := p.cs.next(people[i])
			start := time.Now()
			problem := p.cs.deliver(p.wx, m, start)
			rec.add(kindWeChat, start, time.Now(), problem)
		}))
	}
	orders := map[string][]string{}
	depts := []string{"realestate", "market"}
	rows = append(rows, p.measure("dispatch (API, specialist)", 2*probeOrders, func(i int, rec *recorder) {
		start := time.Now()
		no, owner, err := p.db.caseOf(p.ctx, people[i].openid)
		if err != nil {
			rec.add(kindAPI, start, time.Now(), "no case")
			return
		}
		start = time.Now()
		got, problem := p.day.dispatchCase(no, owner, []string{depts[i%2]})
		rec.add(kindAPI, start, time.Now(), problem)
		for _, o := range got {
			orders[o.dept] = append(orders[o.dept], o.no)
		}
	}))
	for _, verb := range []string{"签收", "回复"} {
		for _, dept := range depts {
			d := deptByCode(dept)
			name := fmt.Sprintf("%s in the %s group (%s)", verb, map[string]string{"wecom": "WeCom", "dingtalk": "DingTalk"}[d.platform], dept)
			list := orders[dept]
			rows = append(rows, p.measure(name, len(list), func(i int, rec *recorder) {
				text := verb + " " + list[i]
				if verb == "回复" {
					text += " " + results[i%len(results)]
				}
				p.day.rec = rec
				p.day.say(d, false, false, text, time.Now())
			}))
		}
	}
	return rows
}

// countedProbe starts another bbcs on the same database and Redis prefix,
// but connected through counting proxies, and runs the probe on it: how
// many round trips each request makes to MariaDB and to Redis.
func countedProbe(ctx context.Context, db *database, plat *platforms, hc *http.Client, prefix, redisAddr string,
	mkConfig func(dsn, redisAddr string) string, dir string, start func(cfgPath string) (*server, error), plain bool) ([]probeRow, error) {
	mp, err := startProxy(db.serverAddr(), false)
	if err != nil {
		return nil, err
	}
	defer mp.close()
	rp, err := startProxy(redisAddr, true)
	if err != nil {
		return nil, err
	}
	defer rp.close()
	cfgPath := filepath.Join(dir, "bbcs-counted.yaml")
	if err := os.WriteFile(cfgPath, []byte(mkConfig(db.viaProxy(mp.addr()), rp.addr())), 0o600); err != nil {
		return nil, err
	}
	bb, err := start(cfgPath)
	if err != nil {
		return nil, err
	}
	defer bb.stop()
	count := func() map[string]float64 {
		m := mp.snapshot()
		for k, v := range rp.snapshot() {
			m[k] = v
		}
		return m
	}
	// Let it finish what the measured bbcs left in the outbox first, then
	// see what bbcs does idle (the outbox's and the timers' polls), per second.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if due, err := db.dueNotices(ctx, 0); err == nil && due == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	c0, t0 := count(), time.Now()
	time.Sleep(3 * time.Second)
	noise := map[string]float64{}
	for k, v := range count() {
		noise[k] = (v - c0[k]) / time.Since(t0).Seconds()
	}
	plat.arrivals.setPhase("counted")
	day := newDayRun(ctx, bb.base, 1, newRecorder(), plat.arrivals, db, hc, plat, prefix+"c", plain)
	p := &prober{ctx: ctx, wx: day.wx, day: day, cs: newCitizens(prefix+"c", plat.arrivals), db: db, count: count, noise: noise}
	rows := p.run()
	idle := probeRow{step: "idle bbcs, per second", counts: noise}
	return append(rows, idle), nil
}

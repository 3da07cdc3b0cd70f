// Command load is the load benchmark of issue #8. It builds bbcs, starts
// the platform fakes in-process (bot/wechat/wechattest, bot/wecom/wecomtest,
// bot/dingtalk/dingtalktest: httptest servers speaking the real wire
// formats), creates a MariaDB database of its own and a Redis key prefix of
// its own, starts bbcs as a child process and drives its real webhooks,
// signed and encrypted as the platforms do:
//
//   - start-up time (process start → /readyz 200: on the empty database,
//     and a restart) and memory (VmRSS idle, VmHWM under load);
//   - each kind of request alone, and what it costs in MariaDB and Redis
//     round trips (counted by proxies in front of a second bbcs);
//   - a realistic day (citizens' dialogs, staff commands in WeCom and
//     DingTalk groups, card clicks opening the action page, dispatches)
//     replayed at 50× speed, latency from each request's scheduled time;
//   - service-account messages at a steady offered rate (open loop,
//     latency from each message's scheduled send time, so a stall shows)
//     and from 200 concurrent senders (closed loop: throughput);
//   - the same open and closed loops against the floor: a minimal echo
//     webhook on silenceper/wechat/v2 alone (verify, decrypt, parse, reply),
//     the same wire work without bbcs's;
//   - and against the floor with storage (floorstore.go): the floor plus
//     only the Redis, MariaDB and outbox work bbcs's design requires, the
//     least any program keeping that design could cost.
//
// Markdown tables go to stdout, progress to stderr. From the module root
// (about 4 minutes; the whole day at 50× adds 8 minutes):
//
//	go run ./bench/load
//	go run ./bench/load -rate 1000 -duration 20s -senders 200 -day-from 09:00 -day-to 17:00
//	go run ./bench/load -pprof /tmp/prof   # CPU, block and mutex profiles of bbcs in the loops
//
// It needs MariaDB (-mysql) and Redis (-redis). It drops and creates the
// database -db, uses Redis keys under a fresh prefix, and removes both at
// the end (-keep keeps them, and bbcs's log). No test runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"bbcs/bot/wechat/wechattest"
	"bbcs/internal/testenv"
)

var (
	rate      = flag.Float64("rate", 1000, "open loop: offered service-account messages per second")
	duration  = flag.Duration("duration", 10*time.Second, "length of each open-loop and closed-loop run")
	senders   = flag.Int("senders", 200, "closed loop: concurrent senders")
	daySpeed  = flag.Float64("day-speed", 50, "the day replay runs this many times faster than real time")
	dayFrom   = flag.String("day-from", "10:00", "replay the day from this time (the day is 09:00–17:00)")
	dayTo     = flag.String("day-to", "11:00", "replay the day until this time (09:00–17:00 is the whole day, 9.6 min at 50×)")
	dayScale  = flag.Float64("day-scale", 1, "multiply the day's traffic (1: ~300 citizen messages and ~150 staff commands in 8 hours)")
	seed      = flag.Uint64("seed", 1, "seed of the day's plan")
	plainMode = flag.Bool("plain", false, "plain mode (明文模式) for the service account instead of safe mode (安全模式), for bbcs and the floor alike")
	mysqlDSN  = flag.String("mysql", testenv.MySQLServerDSN(), "MariaDB/MySQL server (DSN without a database), as the tests': BBCS_TEST_MYSQL or root on 127.0.0.1:3306")
	dbName    = flag.String("db", "bbcs_load", "database of the benchmark (dropped and created)")
	redisAddr = flag.String("redis", testenv.RedisAddr(), "Redis address, as the tests': BBCS_TEST_REDIS or 127.0.0.1:6379")
	settle    = flag.Duration("settle", 3*time.Second, "wait after start before reading idle memory")
	drainMax  = flag.Duration("drain", 15*time.Second, "after each phase, wait at most this long for bbcs's outbox to deliver what is due")
	bbcsBin   = flag.String("bbcs", "", "use this bbcs binary instead of building ./cmd/bbcs")
	overlay   = flag.String("overlay", "", "build bbcs with this go build -overlay file: measure a change without touching the tree")
	pprofDir  = flag.String("pprof", "", "build bbcs with a pprof listener (go build -overlay; the tree is untouched) and write CPU, mutex and block profiles of the open and closed loops to this directory")
	skipFloor = flag.Bool("skip-floor", false, "do not measure the floor nor the floor with storage")
	skipStore = flag.Bool("skip-floor-store", false, "do not measure the floor with storage (floorstore.go)")
	skipDay   = flag.Bool("skip-day", false, "do not replay the day")
	keep      = flag.Bool("keep", false, "keep the database, the Redis keys and the temporary directory (bbcs's log)")
)

func main() {
	if addr := os.Getenv(floorEnv); addr != "" {
		floorMain(addr)
		return
	}
	if addr := os.Getenv(floorStoreEnv); addr != "" {
		storeFloorMain(addr)
		return
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("load: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

// report holds every figure printed at the end.
type report struct {
	mode                    string
	buildTime               time.Duration
	coldStart, warmStart    time.Duration
	floorStart              time.Duration
	idleRSS, idleAfter, hwm uint64
	floorIdleRSS, floorHWM  uint64
	peakRSS                 map[string]uint64
	day                     *recorder
	dayWall                 time.Duration
	dayPlan                 *dayPlan
	dayFlows                int
	open, closed            *recorder
	floorOpen, floorClosed  *recorder
	storeOpen, storeClosed  *recorder // the floor with storage
	waits                   map[string][]time.Duration
	outboxWaits             map[string][]time.Duration // phase → menus' and receipts' time in the outbox (written → sent)
	msgs                    map[string]int
	cpu                     map[string]cpuUse
	cpuSecs                 map[string]float64 // the phase's wall time
	serverTicks0            map[string]float64 // the server's CPU ticks at the phase's start
	delivered               map[string]float64 // the server's CPU seconds from the phase's start to the end of its drain
	drain                   map[string]time.Duration
	drainLeft               map[string]int
	drainRate               map[string]float64
	probe, probeCounted     []probeRow
	notices                 map[string]int
	logLines, logErrors     int
	logWarns                int
	logTop                  []string
	profiles                []string
	extraCustoms            int
	unanswered              int
	refusals                map[string]int
	tree                    string
}

func run(ctx context.Context) error {
	rep := &report{peakRSS: map[string]uint64{}, waits: map[string][]time.Duration{}, outboxWaits: map[string][]time.Duration{}, msgs: map[string]int{}, cpu: map[string]cpuUse{},
		cpuSecs: map[string]float64{}, serverTicks0: map[string]float64{}, delivered: map[string]float64{}, drain: map[string]time.Duration{}, drainLeft: map[string]int{}, drainRate: map[string]float64{}}
	rep.mode = "safe mode (安全模式: AES-encrypted and signed both ways)"
	if *plainMode {
		rep.mode = "plain mode (明文模式: signed, not encrypted)"
	}
	from, err := clockFlag(*dayFrom)
	if err != nil {
		return err
	}
	to, err := clockFlag(*dayTo)
	if err != nil {
		return err
	}

	root, err := testenv.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bbcs-load-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(tmp)
	}
	rep.tree = treeState(root)
	bin := *bbcsBin
	if bin == "" {
		log.Printf("building ./cmd/bbcs")
		bin, rep.buildTime, err = buildBBCS(root, tmp, *pprofDir != "", *overlay)
		if err != nil {
			return err
		}
	}
	if *pprofDir != "" {
		if err := os.MkdirAll(*pprofDir, 0o755); err != nil {
			return err
		}
	}

	plat := startPlatforms()
	defer plat.close()
	db, err := createDatabase(*mysqlDSN, *dbName)
	if err != nil {
		return err
	}
	if !*keep {
		defer db.drop()
	}
	rdb := redis.NewClient(&redis.Options{Addr: *redisAddr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("Redis at %s: %w", *redisAddr, err)
	}
	prefix := "bbcs-load-" + testenv.RandomHex(4)
	if !*keep {
		defer deleteKeys(context.Background(), rdb, prefix)
	}
	hc := newHTTPClient()

	// ---- the floor ----
	if !*skipFloor {
		log.Printf("floor: starting the silenceper echo webhook")
		fl, err := startFloor()
		if err != nil {
			return err
		}
		rep.floorStart = fl.ready
		time.Sleep(time.Second)
		rep.floorIdleRSS, _ = procStatus(fl.pid())
		wx := newWeChatClient(fl.base, hc, *plainMode)
		cs := newCitizens(prefix+"f", nil)
		log.Printf("floor: open loop, %.0f msg/s for %v", *rate, *duration)
		rep.floorOpen = openLoopRun(ctx, wx, cs, fl.pid(), "floor open", rep)
		log.Printf("floor: closed loop, %d senders for %v", *senders, *duration)
		rep.floorClosed = closedLoopRun(ctx, wx, cs, fl.pid(), "floor closed", rep)
		_, rep.floorHWM = procStatus(fl.pid())
		fl.stop()
	}
	if !*skipFloor && !*skipStore {
		log.Printf("floor with storage: starting")
		fs, err := startStoreFloor(db.dsn, *redisAddr, prefix+"s", plat.wechatURL())
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		wx := newWeChatClient(fs.base, hc, *plainMode)
		cs := newCitizens(prefix+"s", plat.arrivals)
		for _, loop := range []struct {
			phase string
			run   func(ctx context.Context, wx *wechattest.Client, cs *citizens, pid int, name string, rep *report) *recorder
			rec   **recorder
		}{{"store open", openLoopRun, &rep.storeOpen}, {"store closed", closedLoopRun, &rep.storeClosed}} {
			log.Printf("floor with storage: %s loop", strings.TrimPrefix(loop.phase, "store "))
			plat.arrivals.setPhase(loop.phase)
			*loop.rec = loop.run(ctx, wx, cs, fs.pid(), loop.phase, rep)
			storeFloorDrain(ctx, db, *drainMax)
			rep.deliveredCPU(loop.phase, fs.pid())
			rep.waits[loop.phase] = plat.arrivals.waits(loop.phase)
		}
		plat.arrivals.setPhase("")
		fs.stop()
	}

	// ---- bbcs ----
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	mkConfig := func(dsn, raddr string, robots bool) string {
		return centreConfig(addr, dsn, raddr, prefix, plat.wechatURL(), plat.wecomURL(), plat.dingURL(), *plainMode, robots)
	}
	seedCfg, cfgPath := filepath.Join(tmp, "bbcs-seed.yaml"), filepath.Join(tmp, "bbcs.yaml")
	if err := os.WriteFile(seedCfg, []byte(mkConfig(db.dsn, *redisAddr, false)), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, []byte(mkConfig(db.dsn, *redisAddr, true)), 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(tmp, "bbcs.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	pprofAddr := ""
	if *pprofDir != "" {
		if pprofAddr, err = freeAddr(); err != nil {
			return err
		}
	}
	startBBCS := func(cfgPath string) (*server, error) {
		cmd := exec.Command(bin, "serve", "--config", cfgPath)
		extra := secretEnv(testenv.RandomHex(16))
		if pprofAddr != "" {
			extra = append(extra, "LOADBENCH_PPROF_ADDR="+pprofAddr)
		}
		cmd.Env = childEnv(extra...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		s, err := startServer("bbcs", cmd, addr, "/readyz", 60*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%w (log: %s)", err, logPath)
		}
		return s, nil
	}

	// Earlier days: the first start creates the schema; the cases open this
	// morning are registered, dispatched, some signed. Their group cards are
	// only logged (no robot keys in this config), as if sent on those days.
	log.Printf("bbcs: first start on the empty database %s (creates the schema)", *dbName)
	bb, err := startBBCS(seedCfg)
	if err != nil {
		return err
	}
	rep.coldStart = bb.ready
	base := bb.base
	wx := newWeChatClient(base, hc, *plainMode)
	day := newDayRun(ctx, base, *daySpeed, newRecorder(), plat.arrivals, db, hc, plat, prefix, *plainMode)
	size := sizeFor(*dayScale)
	log.Printf("bbcs: started in %v; seeding %d open cases (dialogs, dispatches, some signed)", rep.coldStart.Round(time.Millisecond), size.backlog)
	plat.arrivals.setPhase("seed")
	if err := day.seed(size.backlog); err != nil {
		bb.stop()
		return err
	}
	drain(ctx, db, plat.arrivals, "seed", rep)
	log.Printf("bbcs: probing each kind of request, one at a time")
	plat.arrivals.setPhase("probe")
	staff := newDayRun(ctx, base, *daySpeed, newRecorder(), plat.arrivals, db, hc, plat, prefix+"p", *plainMode)
	rep.probe = (&prober{ctx: ctx, wx: wx, day: staff, cs: newCitizens(prefix+"p", plat.arrivals), db: db}).run()
	drain(ctx, db, plat.arrivals, "probe", rep)
	bb.stop()

	// Today: bbcs with every platform, restarted.
	log.Printf("bbcs: restarting with the groups' robots")
	if bb, err = startBBCS(cfgPath); err != nil {
		return err
	}
	defer bb.stop()
	rep.warmStart = bb.ready
	time.Sleep(*settle)
	rep.idleRSS, _ = procStatus(bb.pid())

	if !*skipDay {
		rep.dayPlan = planDay(size, *seed)
		flows := rep.dayPlan.window(from, to)
		rep.dayFlows = len(flows)
		log.Printf("bbcs: replaying the day %s–%s at %.0f× (%d flows, ~%v)", *dayFrom, *dayTo, *daySpeed, len(flows),
			(time.Duration(float64(to-from) / *daySpeed)).Round(time.Second))
		plat.arrivals.setPhase("day")
		phase := startPhase(bb.pid())
		rep.dayWall = day.replay(flows, from)
		rep.day = day.rec
		phase.end("day", rep, day.rec.total().n)
		drain(ctx, db, plat.arrivals, "day", rep)
	}

	cs := newCitizens(prefix+"b", plat.arrivals)
	var prof *profiler
	if pprofAddr != "" {
		prof = &profiler{addr: pprofAddr, dir: *pprofDir, bin: bin}
	}
	log.Printf("bbcs: open loop, %.0f msg/s for %v", *rate, *duration)
	rep.unanswered += plat.arrivals.setPhase("open")
	id0 := db.lastNoticeID(ctx)
	prof.start("open-loop", *duration)
	rep.open = openLoopRun(ctx, wx, cs, bb.pid(), "bbcs open", rep)
	prof.wait(rep)
	drain(ctx, db, plat.arrivals, "open", rep)
	rep.deliveredCPU("bbcs open", bb.pid())
	rep.outboxWaits["open"] = db.outboxWaits(ctx, id0)

	log.Printf("bbcs: closed loop, %d senders for %v", *senders, *duration)
	rep.unanswered += plat.arrivals.setPhase("closed")
	id0 = db.lastNoticeID(ctx)
	prof.start("closed-loop", *duration)
	rep.closed = closedLoopRun(ctx, wx, cs, bb.pid(), "bbcs closed", rep)
	prof.wait(rep)
	drain(ctx, db, plat.arrivals, "closed", rep)
	rep.deliveredCPU("bbcs closed", bb.pid())
	rep.outboxWaits["closed"] = db.outboxWaits(ctx, id0)
	rep.unanswered += plat.arrivals.setPhase("end")
	for _, ph := range []string{"day", "open", "closed"} {
		rep.waits[ph] = plat.arrivals.waits(ph)
	}
	rep.extraCustoms = plat.arrivals.extras()

	time.Sleep(*settle)
	rep.idleAfter, rep.hwm = procStatus(bb.pid())
	rep.notices, _ = db.noticeCounts(ctx)
	bb.stop()

	// The probe again, on a bbcs whose MariaDB and Redis connections go
	// through counting proxies: what each request costs in round trips.
	log.Printf("bbcs: counting each request's database and Redis work (a second bbcs behind counting proxies)")
	if rows, err := countedProbe(ctx, db, plat, hc, prefix, *redisAddr, func(dsn, raddr string) string { return mkConfig(dsn, raddr, true) },
		tmp, startBBCS, *plainMode); err != nil {
		log.Printf("counted probe: %v", err)
	} else {
		rep.probeCounted = rows
	}
	rep.refusals = plat.refusals()
	logFile.Sync()
	rep.logLines, rep.logWarns, rep.logErrors, rep.logTop = countLog(logPath)
	if *keep {
		log.Printf("kept: database %s, Redis prefix %s, directory %s (bbcs.log, bbcs.yaml)", *dbName, prefix, tmp)
	}
	printReport(os.Stdout, rep)
	return nil
}

// treeState names the source measured: the commit, and how many tracked
// files differ from it (read-only git commands).
func treeState(root string) string {
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown source state"
	}
	st, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	n := len(strings.Fields(strings.TrimSpace(string(st)))) / 2
	if n == 0 {
		return "commit " + strings.TrimSpace(string(head))
	}
	return fmt.Sprintf("commit %s plus uncommitted changes in %d tracked file(s)", strings.TrimSpace(string(head)), n)
}

func clockFlag(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// phase measures CPU and memory over a run.
type phase struct {
	cpu *cpuMeter
	rss *rssSampler
}

func startPhase(pid int) *phase {
	return &phase{rss: sampleRSS(pid), cpu: startCPU(pid)}
}

func (p *phase) end(name string, rep *report, msgs int) {
	rep.cpuSecs[name] = time.Since(p.cpu.wall).Seconds()
	rep.serverTicks0[name] = p.cpu.start["server"]
	rep.cpu[name] = p.cpu.finish()
	rep.peakRSS[name] = p.rss.finish()
	rep.msgs[name] = msgs
}

// deliveredCPU notes the server's CPU time from the start of phase name
// to now, after the drain: a message's whole cost, the delivery of the
// menus and receipts it queued included, even where the outbox fell
// behind during the loop and caught up after it.
func (rep *report) deliveredCPU(name string, pid int) {
	if t0, ok := rep.serverTicks0[name]; ok {
		rep.delivered[name] = (procTicks(pid) - t0) / clockTicks
	}
}

// cpuPerMsg is the server's CPU time per message of a loop: from the
// phase's start to the end of its drain where that was measured (bbcs),
// else over the phase (the floor queues nothing).
func (rep *report) cpuPerMsg(name string) (perMsg, inLoop time.Duration, ok bool) {
	n := rep.msgs[name]
	u, measured := rep.cpu[name]
	if n == 0 || !measured {
		return 0, 0, false
	}
	inLoop = time.Duration(u.server * rep.cpuSecs[name] / float64(n) * float64(time.Second))
	perMsg = inLoop
	if secs, ok := rep.delivered[name]; ok {
		perMsg = time.Duration(secs / float64(n) * float64(time.Second))
	}
	return perMsg, inLoop, true
}

// openLoopRun: the open loop of service-account messages against base.
func openLoopRun(ctx context.Context, wx *wechattest.Client, cs *citizens, pid int, name string, rep *report) *recorder {
	rec := newRecorder()
	slots := make([]*citizen, openSlots())
	for i := range slots {
		slots[i] = cs.newCitizen()
		slots[i].pad = i % len(steps)
	}
	ph := startPhase(pid)
	sent := openLoop(ctx, *rate, *duration, func(i int, sched time.Time) {
		m := cs.next(slots[i%len(slots)])
		problem := cs.deliver(wx, m, sched)
		rec.add(kindWeChat, sched, time.Now(), problem)
	})
	ph.end(name, rep, sent)
	return rec
}

// openSlots is how many citizens the open loop keeps in flight: each
// writes once a second.
func openSlots() int { return max(50, int(*rate)) }

// closedLoopRun: senders each sending their next message when the last
// one is answered.
func closedLoopRun(ctx context.Context, wx *wechattest.Client, cs *citizens, pid int, name string, rep *report) *recorder {
	rec := newRecorder()
	people := make([]*citizen, *senders)
	for i := range people {
		people[i] = cs.newCitizen()
		people[i].pad = i % len(steps)
	}
	ph := startPhase(pid)
	closedLoop(ctx, *senders, *duration, func(s int, start time.Time) {
		m := cs.next(people[s])
		problem := cs.deliver(wx, m, start)
		rec.add(kindWeChat, start, time.Now(), problem)
	})
	ph.end(name, rep, rec.total().n)
	return rec
}

// drain waits until bbcs's outbox has delivered every notice due and every
// customer-service message a citizen waits for arrived.
func drain(ctx context.Context, db *database, arr *arrivals, name string, rep *report) {
	start := time.Now()
	sent0 := db.sentNotices(ctx)
	defer func() {
		if secs := time.Since(start).Seconds(); secs > 1 {
			rep.drainRate[name] = float64(db.sentNotices(ctx)-sent0) / secs
		}
	}()
	for {
		due, err := db.dueNotices(ctx, 1500*time.Millisecond)
		if err == nil && due == 0 && arr.pending() == 0 {
			rep.drain[name] = time.Since(start)
			return
		}
		if time.Since(start) > *drainMax || ctx.Err() != nil {
			rep.drain[name] = time.Since(start)
			rep.drainLeft[name] = due
			log.Printf("%s: outbox still has %d notices due after %v: %s", name, due, *drainMax, db.dueBreakdown(ctx))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var logMsgRE = regexp.MustCompile(`level=(WARN|ERROR) msg=("(?:[^"\\]|\\.)*"|\S+)`)

// countLog counts bbcs's log lines, warnings and errors, and the most
// frequent warning and error messages.
func countLog(path string) (lines, warns, errs int, top []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, nil
	}
	msgs := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" {
			continue
		}
		lines++
		m := logMsgRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if m[1] == "WARN" {
			warns++
		} else {
			errs++
		}
		msgs[m[1]+" "+strings.Trim(m[2], `"`)]++
	}
	return lines, warns, errs, timesEach(msgs, 6)
}

// ---- pprof ----

type profiler struct {
	addr, dir, bin string
	name           string
	done           chan []string
}

// start takes the block and mutex profiles now (they count from the
// process's start: the phase's own is the difference) and a CPU profile
// over most of the run, in the background.
func (p *profiler) start(name string, d time.Duration) {
	if p == nil {
		return
	}
	p.name, p.done = name, make(chan []string, 1)
	base := "http://" + p.addr + "/debug/pprof/"
	for _, kind := range []string{"mutex", "block"} {
		if err := fetch(base+kind, p.file(kind+".before")); err != nil {
			log.Printf("pprof: %v", err)
		}
	}
	secs := max(1, int(d.Seconds())-1)
	go func() {
		var files []string
		if err := fetch(base+"profile?seconds="+strconv.Itoa(secs), p.file("cpu")); err == nil {
			files = append(files, p.file("cpu"))
		} else {
			log.Printf("pprof: %v", err)
		}
		for _, kind := range []string{"mutex", "block", "goroutine"} {
			if err := fetch(base+kind, p.file(kind)); err == nil {
				files = append(files, p.file(kind))
			}
		}
		p.done <- files
	}()
}

func (p *profiler) file(kind string) string {
	return filepath.Join(p.dir, "bbcs-"+p.name+"."+kind+".pprof")
}

// wait collects the profiles and writes their top entries as text (the
// phase's block and mutex delays relative to its start).
func (p *profiler) wait(rep *report) {
	if p == nil {
		return
	}
	files := <-p.done
	for _, kind := range []string{"cpu", "block", "mutex"} {
		args := []string{"tool", "pprof", "-top", "-nodecount=40"}
		if kind != "cpu" {
			args = append(args, "-diff_base", p.file(kind+".before"))
		}
		out, err := exec.Command("go", append(args, p.bin, p.file(kind))...).Output()
		if err != nil {
			continue
		}
		txt := filepath.Join(p.dir, "bbcs-"+p.name+"."+kind+".top.txt")
		if os.WriteFile(txt, out, 0o644) == nil {
			files = append(files, txt)
		}
	}
	rep.profiles = append(rep.profiles, files...)
}

func fetch(u, path string) error {
	c := &http.Client{Timeout: 2 * time.Minute}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

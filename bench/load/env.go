package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"bbcs/internal/testenv"
)

// freeAddr is a loopback address nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// pprofHook is added to package main of cmd/bbcs with go build -overlay
// (nothing in the work tree changes) when -pprof is given: a pprof server
// on its own loopback port, only when LOADBENCH_PPROF_ADDR is set. bbcs
// itself has no /debug/pprof.
const pprofHook = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
)

func init() {
	addr := os.Getenv("LOADBENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	runtime.SetMutexProfileFraction(20)
	runtime.SetBlockProfileRate(int((200 * 1000))) // one sample per 200µs blocked
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
`

// buildBBCS builds cmd/bbcs into dir, with the pprof hook when asked,
// and with the caller's overlay (a go build -overlay JSON file) if any.
func buildBBCS(root, dir string, withPprof bool, userOverlay string) (string, time.Duration, error) {
	bin := filepath.Join(dir, "bbcs")
	args := []string{"build", "-o", bin}
	replace := map[string]string{}
	if userOverlay != "" {
		b, err := os.ReadFile(userOverlay)
		if err != nil {
			return "", 0, err
		}
		var o struct{ Replace map[string]string }
		if err := json.Unmarshal(b, &o); err != nil {
			return "", 0, fmt.Errorf("-overlay %s: %w", userOverlay, err)
		}
		wd, _ := os.Getwd()
		abs := func(p string) string {
			if p == "" || filepath.IsAbs(p) {
				return p
			}
			return filepath.Join(wd, p)
		}
		for k, v := range o.Replace {
			replace[abs(k)] = abs(v)
		}
	}
	if withPprof {
		hook := filepath.Join(dir, "zz_loadbench_pprof.go")
		if err := os.WriteFile(hook, []byte(pprofHook), 0o644); err != nil {
			return "", 0, err
		}
		replace[filepath.Join(root, "cmd", "bbcs", "zz_loadbench_pprof.go")] = hook
	}
	if len(replace) > 0 {
		j, _ := json.Marshal(map[string]any{"Replace": replace})
		overlay := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(overlay, j, 0o644); err != nil {
			return "", 0, err
		}
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./cmd/bbcs")
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", 0, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, time.Since(start), nil
}

// database is the benchmark's own MariaDB database, created fresh.
type database struct {
	dsn    string  // given to bbcs
	db     *sql.DB // the benchmark's own connections (lookups, counters)
	remove func()
}

func createDatabase(serverDSN, name string) (*database, error) {
	dsn, remove, err := testenv.CreateDatabase(serverDSN, name)
	if err != nil {
		return nil, fmt.Errorf("-mysql: %w", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		remove()
		return nil, err
	}
	db.SetMaxOpenConns(4)
	return &database{dsn: dsn, db: db, remove: remove}, nil
}

func (d *database) drop() {
	d.db.Close()
	d.remove()
}

// dueNotices counts the recipients whose next notice bbcs should have
// sent by now, grace ago (the outbox sends each recipient's notices in
// order, so only the first of each counts; one held back by a group's rate
// limit falls due again while the outbox waits for its next pass).
func (d *database) dueNotices(ctx context.Context, grace time.Duration) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM notices n JOIN (SELECT MIN(id) id FROM notices WHERE status = 'pending' "+
		"GROUP BY audience, target) h ON n.id = h.id WHERE n.next_attempt_at <= UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND",
		grace.Microseconds()).Scan(&n)
	return n, err
}

// lastNoticeID is the newest notice's id (0 for none).
func (d *database) lastNoticeID(ctx context.Context) int64 {
	var id int64
	_ = d.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM notices").Scan(&id)
	return id
}

// outboxWaits is, for each menu and receipt written after notice after and
// sent, its time in the outbox: from the write (in the webhook's
// transaction) to the platform's answer to the send.
func (d *database) outboxWaits(ctx context.Context, after int64) []time.Duration {
	rows, err := d.db.QueryContext(ctx, "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, sent_at) FROM notices "+
		"WHERE id > ? AND status = 'sent' AND kind IN ('dialog_menu', 'case_received')", after)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var us int64
		if rows.Scan(&us) == nil {
			out = append(out, time.Duration(us)*time.Microsecond)
		}
	}
	return out
}

// sentNotices counts the notices delivered.
func (d *database) sentNotices(ctx context.Context) int {
	var n int
	_ = d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM notices WHERE status = 'sent'").Scan(&n)
	return n
}

// viaProxy is the DSN with another address (the counting proxy's).
func (d *database) viaProxy(addr string) string {
	cfg, err := mysqldrv.ParseDSN(d.dsn)
	if err != nil {
		return d.dsn
	}
	cfg.Addr = addr
	return cfg.FormatDSN()
}

// serverAddr is the MariaDB address of the DSN.
func (d *database) serverAddr() string {
	cfg, err := mysqldrv.ParseDSN(d.dsn)
	if err != nil {
		return "127.0.0.1:3306"
	}
	return cfg.Addr
}

// dueBreakdown describes the notices due now, for a drain that timed out.
func (d *database) dueBreakdown(ctx context.Context) string {
	rows, err := d.db.QueryContext(ctx, "SELECT kind, audience, attempts, COUNT(*), MAX(LEFT(last_error, 120)) FROM notices "+
		"WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6) GROUP BY kind, audience, attempts")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var kind, aud, lastErr string
		var attempts, n int
		if rows.Scan(&kind, &aud, &attempts, &n, &lastErr) == nil {
			parts = append(parts, fmt.Sprintf("%d %s→%s (attempts %d) %s", n, kind, aud, attempts, lastErr))
		}
	}
	return strings.Join(parts, "; ")
}

// noticeCounts is the outbox by status.
func (d *database) noticeCounts(ctx context.Context) (map[string]int, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT status, COUNT(*) FROM notices GROUP BY status")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// caseOf is the latest case a citizen reported and its owner.
func (d *database) caseOf(ctx context.Context, openid string) (no, owner string, err error) {
	err = d.db.QueryRowContext(ctx, "SELECT no, owner_id FROM cases WHERE applicant_open_id = ? ORDER BY id DESC LIMIT 1", openid).Scan(&no, &owner)
	return no, owner, err
}

// deleteKeys removes the benchmark's Redis keys.
func deleteKeys(ctx context.Context, rdb *redis.Client, prefix string) {
	testenv.DeleteKeys(ctx, rdb, prefix+":*")
}

// server is a web server under test running as a child process: bbcs, or
// the floor (this program re-executed).
type server struct {
	cmd     *exec.Cmd
	base    string // http://addr
	started time.Time
	ready   time.Duration
	done    chan struct{}
	err     error
}

// startServer starts the child and waits until GET readyPath answers 200.
func startServer(name string, cmd *exec.Cmd, addr, readyPath string, timeout time.Duration) (*server, error) {
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	c := &http.Client{Timeout: time.Second}
	deadline := s.started.Add(timeout)
	for {
		resp, err := c.Get(s.base + readyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(s.started)
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited before it was ready: %v", name, s.err)
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after %v (last: %v)", name, timeout, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the child to shut down (SIGTERM), and kills it after 15 s.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// childEnv is this process's environment without BBCS_ variables (a
// developer's shell could otherwise reconfigure the bbcs under test),
// plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BBCS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// procStatus reads VmRSS and VmHWM (the peak) of a process, in bytes.
func procStatus(pid int) (rss, hwm uint64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v * 1024
		case "VmHWM:":
			hwm = v * 1024
		}
	}
	return rss, hwm
}

// rssSampler samples a process's RSS every 50 ms and keeps the maximum.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	max  uint64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			rss, _ := procStatus(pid)
			s.mu.Lock()
			s.max = max(s.max, rss)
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) finish() uint64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}

// ---- CPU accounting ----

const clockTicks = 100 // USER_HZ on Linux

// procTicks is a process's user+system CPU time in clock ticks.
func procTicks(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return u + st
}

// machineTicks is the machine's CPU time in clock ticks: busy (not idle
// nor waiting for I/O), of which interrupts (irq, softirq: the loopback
// network's work is much of it) and steal (taken by the hypervisor).
func machineTicks() (busy, irq, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		switch i {
		case 3, 4: // idle, iowait
		case 5, 6:
			irq += x
			busy += x
		case 7:
			steal += x
			busy += x
		case 0, 1, 2:
			busy += x
		}
	}
	return busy, irq, steal
}

// findProcess is the pid of the first process whose comm is name, 0 when
// there is none.
func findProcess(name string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(b)) == name {
			return pid
		}
	}
	return 0
}

// cpuMeter measures who used the CPU during a phase, in cores.
type cpuMeter struct {
	pids             map[string]int
	start            map[string]float64
	busy, irq, steal float64
	wall             time.Time
}

type cpuUse struct {
	server, mariadb, redis, driver, irq, steal, other, machine float64 // cores
}

func startCPU(serverPID int) *cpuMeter {
	m := &cpuMeter{pids: map[string]int{
		"server": serverPID, "mariadb": findProcess("mariadbd"), "redis": findProcess("redis-server"), "driver": os.Getpid(),
	}, start: map[string]float64{}}
	if m.pids["mariadb"] == 0 {
		m.pids["mariadb"] = findProcess("mysqld")
	}
	for k, pid := range m.pids {
		m.start[k] = procTicks(pid)
	}
	m.busy, m.irq, m.steal = machineTicks()
	m.wall = time.Now()
	return m
}

func (m *cpuMeter) finish() cpuUse {
	secs := time.Since(m.wall).Seconds()
	cores := func(ticks float64) float64 { return ticks / clockTicks / secs }
	d := map[string]float64{}
	for k, pid := range m.pids {
		d[k] = cores(procTicks(pid) - m.start[k])
	}
	busy, irq, steal := machineTicks()
	u := cpuUse{server: d["server"], mariadb: d["mariadb"], redis: d["redis"], driver: d["driver"], machine: cores(busy - m.busy),
		irq: cores(irq - m.irq), steal: cores(steal - m.steal)}
	u.other = max(0, u.machine-u.server-u.mariadb-u.redis-u.driver-u.irq-u.steal)
	return u
}

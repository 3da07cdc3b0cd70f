package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// ms shows a latency.
func ms(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func mib(b uint64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func rateOf(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func printReport(w io.Writer, rep *report) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	host, _ := os.Hostname()
	p("## Load (issue #8)")
	p("")
	p("One bbcs (`go build ./cmd/bbcs`, %s, %s) on MariaDB and Redis of this %d-core machine (%s), its platforms faked "+
		"in-process by `wechattest`, `wecomtest` and `dingtalktest`; service account in %s. Command:", rep.tree, runtime.Version(), runtime.NumCPU(), host, rep.mode)
	p("")
	p("```sh")
	p("%s", commandLine())
	p("```")
	p("")

	// ---- summary ----
	p("| | bbcs | floor: silenceper/wechat/v2 echo | bbcs / floor | target |")
	p("|---|---:|---:|---:|---|")
	p("| start-up, process start → `/readyz` 200 | %s (empty database: creates the schema); %s (restart) | %s | | |",
		ms(rep.coldStart), ms(rep.warmStart), ms(rep.floorStart))
	p("| memory (RSS) idle, after start | %s | %s | | |", mib(rep.idleRSS), mib(rep.floorIdleRSS))
	p("| memory (RSS) peak under load (VmHWM) | %s | %s | | |", mib(rep.hwm), mib(rep.floorHWM))
	if rep.day != nil {
		h := webhooks(rep.day)
		p("| the day at %.0f× (%s–%s): %d webhook requests, %.1f/s, latency p50 / p99 / max | %s / %s / %s, %d errors | | | |",
			*daySpeed, *dayFrom, *dayTo, h.n, rateOf(h.n, rep.dayWall), ms(h.p50), ms(h.p99), ms(h.pmax), h.errs)
	}
	if rep.open != nil {
		o, f := rep.open.total(), stats{}
		if rep.floorOpen != nil {
			f = rep.floorOpen.total()
		}
		p("| open loop: offered %.0f msg/s for %v, answered without error | %.0f msg/s | %s | | |", *rate, *duration,
			rateOf(o.n-o.errs, *duration), floorRate(rep.floorOpen, f, *duration))
		p("| open loop latency p50 / p99 / max, from the scheduled send time | %s / %s / %s | %s | | p99 < 20 ms: %s |",
			ms(o.p50), ms(o.p99), ms(o.pmax), floorLat(rep.floorOpen, f), verdict(o.p99 < 20*time.Millisecond && o.errs == 0))
		p("| open loop errors (non-200, timeouts after 5 s, bad replies, 系统繁忙) | %d of %d | %s | | |", o.errs, o.n, floorErrs(rep.floorOpen, f))
		if w := summarise(rep.waits["open"], 0); w.n > 0 {
			o := summarise(rep.outboxWaits["open"], 0)
			p("| open loop: menus and receipts through the outbox, wait p50 / p99 from the citizen's message (in the outbox alone: written → sent) | %s / %s (%s / %s) | | | |",
				ms(w.p50), ms(w.p99), ms(o.p50), ms(o.p99))
		}
	}
	if rep.closed != nil {
		c := rep.closed.total()
		ct := rateOf(c.n-c.errs, rep.closed.span())
		fs, ft := stats{}, 0.0
		ratio := "—"
		if rep.floorClosed != nil {
			fs = rep.floorClosed.total()
			ft = rateOf(fs.n-fs.errs, rep.floorClosed.span())
			ratio = fmt.Sprintf("%.2f", ct/ft)
		}
		p("| closed loop: %d senders for %v, throughput | %.0f msg/s | %s | %s | ≥ 0.50: %s |", *senders, *duration, ct,
			orDash(rep.floorClosed != nil, fmt.Sprintf("%.0f msg/s", ft)), ratio, verdict(rep.floorClosed != nil && ct >= ft/2))
		p("| closed loop latency p50 / p99 | %s / %s | %s | | |", ms(c.p50), ms(c.p99), orDash(rep.floorClosed != nil, ms(fs.p50)+" / "+ms(fs.p99)))
		p("| closed loop errors | %d of %d | %s | | |", c.errs, c.n, orDash(rep.floorClosed != nil, fmt.Sprintf("%d of %d", fs.errs, fs.n)))
		if w := summarise(rep.waits["closed"], 0); w.n > 0 {
			o := summarise(rep.outboxWaits["closed"], 0)
			p("| closed loop: menus and receipts through the outbox, wait p50 / p99 from the citizen's message (in the outbox alone: written → sent) | %s / %s (%s / %s) | | | p99 < 1 s: %s |",
				ms(w.p50), ms(w.p99), ms(o.p50), ms(o.p99), verdict(w.p99 < time.Second && rep.drainLeft["closed"] == 0))
		}
	}
	for _, lp := range []struct{ name, bbcs, floor string }{{"open", "bbcs open", "floor open"}, {"closed", "bbcs closed", "floor closed"}} {
		b, inLoop, ok := rep.cpuPerMsg(lp.bbcs)
		if !ok {
			continue
		}
		f, _, fok := rep.cpuPerMsg(lp.floor)
		ratio, target := "—", ""
		if fok && f > 0 {
			ratio = fmt.Sprintf("%.2f", float64(b)/float64(f))
			if lp.name == "closed" {
				target = "≤ 2: " + verdict(b <= 2*f)
			}
		}
		p("| %s loop: server CPU per message (bbcs: its notices' delivery included, to the end of the drain; during the loop alone) | %s (%s) | %s | %s | %s |",
			lp.name, ms(b), ms(inLoop), orDash(fok, ms(f)), ratio, target)
	}
	p("")
	p("The message mix of both loops, for bbcs and the floor alike: citizens who subscribe, report through the guided "+
		"dialog (“反映问题”, a click on the category menu, the matter, a click on person/company, name, mobile, “确认”: a case "+
		"is registered), then ask “查询” and for the case by its number — ten messages, one registration, a new citizen "+
		"(openid) each cycle, every MsgId distinct; the citizens start out of step (up to nine “查询”/“你好” first) so the mix "+
		"is even throughout; open loop: %d citizens in flight, each writing every %.1f s.",
		openSlots(), float64(openSlots())/(*rate))

	printStoreFloor(p, rep)

	// ---- the day ----
	if rep.day != nil {
		p("")
		p("### A day at %.0f×", *daySpeed)
		p("")
		all := rep.day.total()
		api := rep.day.kind(kindAPI)
		hooks := webhooks(rep.day)
		dp := rep.dayPlan
		p("The day (09:00–17:00, %d%% of its traffic in the 10–11 peak, `-day-scale %g`) holds %d citizen messages, %d staff commands, "+
			"%d card-click requests and %d dispatches; replayed: %s–%s, %d flows, %d requests in %s (%.1f requests/s; "+
			"webhooks %.1f/s), latency from each request's scheduled time:", int(hourShare[1]*100), *dayScale, dp.citizenMsgs, dp.staffCmds,
			dp.cardRequests, dp.dispatches, *dayFrom, *dayTo, rep.dayFlows, all.n, rep.dayWall.Round(time.Millisecond),
			rateOf(all.n, rep.dayWall), rateOf(hooks.n, rep.dayWall))
		p("")
		p("| request | n | p50 | p99 | max | errors |")
		p("|---|---:|---:|---:|---:|---:|")
		for _, k := range []string{kindWeChat, kindWeComBot, kindWeComApp, kindDing, kindAct} {
			s := rep.day.kind(k)
			if s.n == 0 {
				continue
			}
			p("| %s | %d | %s | %s | %s | %d |", strings.ReplaceAll(k, "|", "\\|"), s.n, ms(s.p50), ms(s.p99), ms(s.pmax), s.errs)
		}
		p("| **all webhooks** | %d | %s | %s | %s | %d |", hooks.n, ms(hooks.p50), ms(hooks.p99), ms(hooks.pmax), hooks.errs)
		if api.n > 0 {
			p("| %s | %d | %s | %s | %s | %d |", kindAPI, api.n, ms(api.p50), ms(api.p99), ms(api.pmax), api.errs)
		}
	}

	// ---- waits through the outbox ----
	p("")
	p("### What citizens wait for: answers sent through the outbox")
	p("")
	p("The category and kind menus and the receipt are customer-service messages bbcs queues in its outbox; the citizen " +
		"sees them when they reach WeChat (here: the fake), not when the webhook answers. Wait from the message's scheduled send " +
		"time to the arrival at WeChat:")
	p("")
	p("| phase | n | p50 | p99 | max | of which in the outbox (written → sent): n, p50 / p99 / max |")
	p("|---|---:|---:|---:|---:|---|")
	for _, ph := range []string{"day", "open", "closed"} {
		s := summarise(rep.waits[ph], 0)
		if s.n == 0 {
			continue
		}
		own := "—"
		if o := summarise(rep.outboxWaits[ph], 0); o.n > 0 {
			own = fmt.Sprintf("%d, %s / %s / %s", o.n, ms(o.p50), ms(o.p99), ms(o.pmax))
		}
		p("| %s | %d | %s | %s | %s | %s |", phaseName(ph), s.n, ms(s.p50), ms(s.p99), ms(s.pmax), own)
	}
	if rep.unanswered > 0 {
		p("")
		p("%d expected customer-service messages had not arrived at the end of their phase (after the outbox drain).", rep.unanswered)
	}

	// ---- probe ----
	if len(rep.probe) > 0 || len(rep.probeCounted) > 0 {
		p("")
		p("### Each request alone (one at a time, bbcs otherwise idle)")
		p("")
		p("Latency: the measured bbcs, before the day. Work: a second bbcs on the same database, whose MariaDB and Redis "+
			"connections go through counting proxies in this program (MySQL command packets, RESP commands), %d requests of each "+
			"kind, the outbox's delivery of what they queued included, less bbcs's idle polling:", probeCitizens)
		p("")
		p("| request | p50 | p99 | SQL round trips | of them the outbox delivering | SQL statements | transactions | commits (log flushes) | Redis commands | Redis round trips |")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		n := max(len(rep.probe), len(rep.probeCounted))
		var cycle map[string]float64 = map[string]float64{}
		for i := range n {
			var lat, cnt probeRow
			if i < len(rep.probe) {
				lat = rep.probe[i]
			}
			if i < len(rep.probeCounted) {
				cnt = rep.probeCounted[i]
			}
			name := lat.step
			if name == "" {
				name = cnt.step
			}
			c := func(k string) string {
				if cnt.counts == nil {
					return "—"
				}
				return fmt.Sprintf("%.1f", cnt.counts[k])
			}
			if i < len(steps) && cnt.counts != nil {
				for k, v := range cnt.counts {
					cycle[k] += v
				}
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", name, ms(lat.p50), ms(lat.p99), c("sql round trips"), c("sql outbox round trips"),
				c("sql statements"), c("sql transactions"), c("sql commits"), c("redis commands"), c("redis round trips"))
		}
		if len(cycle) > 0 {
			p("| **the citizen's ten messages together** | | | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |", cycle["sql round trips"],
				cycle["sql outbox round trips"], cycle["sql statements"], cycle["sql transactions"], cycle["sql commits"],
				cycle["redis commands"], cycle["redis round trips"])
			p("")
			p("Of the cycle's %.0f SQL statements, %.0f are prepared (`COM_STMT_PREPARE` then `COM_STMT_EXECUTE`: two round trips each); "+
				"%.0f of its %.0f commits are single writes outside a transaction (autocommit); "+
				"by verb: %s. Redis by command: %s.", cycle["sql statements"], cycle["sql prepared"], cycle["sql autocommit writes"], cycle["sql commits"], verbs(cycle, "sql ", map[string]bool{
				"sql round trips": true, "sql statements": true, "sql prepared": true, "sql commits": true, "sql autocommit writes": true,
				"sql outbox round trips": true, "sql transactions": true}), verbs(cycle, "redis ", map[string]bool{
				"redis commands": true, "redis round trips": true}))
		}
		skip := map[string]bool{"sql round trips": true, "sql statements": true, "sql prepared": true, "sql commits": true,
			"sql autocommit writes": true, "sql outbox round trips": true, "sql transactions": true}
		for i, r := range rep.probeCounted {
			if i < len(steps) || r.counts == nil || r.step == "idle bbcs, per second" {
				continue
			}
			p("")
			p("%s, SQL by verb: %s; commits %.0f, of them autocommit writes %.0f; Redis: %s.", r.step, verbs(r.counts, "sql ", skip),
				r.counts["sql commits"], r.counts["sql autocommit writes"], verbs(r.counts, "redis ", map[string]bool{"redis commands": true, "redis round trips": true}))
		}
	}

	// ---- CPU ----
	p("")
	p("### Where the CPU went (cores of %d) and the servers' work per request", runtime.NumCPU())
	p("")
	p("| phase | requests | server | MariaDB | Redis | driver + fakes | interrupts | steal | other processes | machine busy | server CPU per request | server RSS peak |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, ph := range []string{"floor open", "floor closed", "store open", "store closed", "day", "bbcs open", "bbcs closed"} {
		u, ok := rep.cpu[ph]
		if !ok {
			continue
		}
		per := "—"
		if n := rep.msgs[ph]; n > 0 && rep.cpuSecs[ph] > 0 && ph != "day" { // the day is mostly idle time
			per = ms(time.Duration(u.server * rep.cpuSecs[ph] / float64(n) * float64(time.Second)))
		}
		p("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |", ph, rep.msgs[ph], u.server, u.mariadb, u.redis,
			u.driver, u.irq, u.steal, u.other, u.machine, per, mib(rep.peakRSS[ph]))
	}
	p("")
	p("CPU from /proc, in cores: “server” is bbcs or the floor, “driver + fakes” this program (the senders, the platform fakes), "+
		"“interrupts” the kernel's irq and softirq time (loopback TCP), “steal” time the hypervisor took, “other processes” "+
		"whatever else ran on the machine meanwhile, competing for the same %d cores.", runtime.NumCPU())

	// ---- notes ----
	p("")
	p("Outbox at the end: %s. Drain after each phase: %s. bbcs logged %d lines (%d warnings, %d errors). "+
		"Memory after the run, idle: %s. Customer-service messages no citizen waited for (a menu or receipt sent twice would show here): %d.",
		noticeLine(rep.notices), drainLine(rep), rep.logLines, rep.logWarns, rep.logErrors, mib(rep.idleAfter), rep.extraCustoms)
	if len(rep.logTop) > 0 {
		p("")
		p("bbcs's most frequent warnings and errors: %s.", strings.Join(rep.logTop, "; "))
	}
	for _, e := range []struct {
		name string
		r    *recorder
	}{{"day", rep.day}, {"bbcs open loop", rep.open}, {"bbcs closed loop", rep.closed},
		{"floor open loop", rep.floorOpen}, {"floor closed loop", rep.floorClosed}} {
		if e.r == nil {
			continue
		}
		if pr := e.r.problems(5); len(pr) > 0 {
			p("")
			p("Errors in the %s: %s.", e.name, strings.Join(pr, "; "))
		}
	}
	if len(rep.refusals) > 0 {
		var parts []string
		for k, v := range rep.refusals {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
		}
		sort.Strings(parts)
		p("")
		p("Errors the platforms answered bbcs's outbox: %s.", strings.Join(parts, "; "))
	}
	if len(rep.profiles) > 0 {
		p("")
		p("Profiles of bbcs: %s.", strings.Join(rep.profiles, ", "))
	}
	if rep.buildTime > 0 {
		fmt.Fprintf(os.Stderr, "load: bbcs built in %v\n", rep.buildTime.Round(time.Millisecond))
	}
}

func webhooks(r *recorder) stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []time.Duration
	errs := 0
	for k, s := range r.kinds {
		if k == kindAPI {
			continue
		}
		all = append(all, s.lats...)
		errs += s.errs
	}
	return summarise(all, errs)
}

func phaseName(ph string) string {
	switch ph {
	case "day":
		return fmt.Sprintf("the day at %.0f×", *daySpeed)
	case "open":
		return fmt.Sprintf("open loop, %.0f msg/s", *rate)
	case "closed":
		return fmt.Sprintf("closed loop, %d senders", *senders)
	}
	return ph
}

func floorRate(r *recorder, s stats, d time.Duration) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f msg/s", rateOf(s.n-s.errs, d))
}

func floorLat(r *recorder, s stats) string {
	if r == nil {
		return "—"
	}
	return ms(s.p50) + " / " + ms(s.p99) + " / " + ms(s.pmax)
}

func floorErrs(r *recorder, s stats) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%d of %d", s.errs, s.n)
}

func orDash(ok bool, s string) string {
	if !ok {
		return "—"
	}
	return s
}

func noticeLine(m map[string]int) string {
	if len(m) == 0 {
		return "—"
	}
	var parts []string
	for _, k := range []string{"sent", "pending", "failed"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func drainLine(rep *report) string {
	var parts []string
	for _, ph := range []string{"seed", "probe", "day", "open", "closed"} {
		d, ok := rep.drain[ph]
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s %s", ph, d.Round(100*time.Millisecond))
		if r := rep.drainRate[ph]; r > 0 {
			s += fmt.Sprintf(" (%.0f notices/s)", r)
		}
		if left := rep.drainLeft[ph]; left > 0 {
			s += fmt.Sprintf(" (%d still due)", left)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// commandLine is how this run was started, as a go run line.
func commandLine() string {
	args := []string{"go run ./bench/load"}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " '\"") {
			a = "'" + a + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

// verbs lists the counts under prefix, largest first.
func verbs(m map[string]float64, prefix string, skip map[string]bool) string {
	picked := map[string]float64{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && !skip[k] && v >= 0.5 {
			picked[strings.TrimPrefix(k, prefix)] = v
		}
	}
	var parts []string
	for _, k := range byCount(picked) {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, picked[k]))
	}
	return strings.Join(parts, ", ")
}

// byCount is m's keys, largest count first (equal counts in key order).
func byCount[N int | float64](m map[string]N) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	return keys
}

// timesEach lists the limit most frequent of m as "key ×count".
func timesEach(m map[string]int, limit int) []string {
	keys := byCount(m)
	out := make([]string, 0, min(limit, len(keys)))
	for _, k := range keys[:min(limit, len(keys))] {
		out = append(out, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return out
}

// printStoreFloor sets bbcs beside the floor with storage (floorstore.go):
// how much of bbcs's CPU per message its design's storage work costs at
// the least, and how much bbcs adds on top of it.
func printStoreFloor(p func(string, ...any), rep *report) {
	if rep.storeClosed == nil {
		return
	}
	p("")
	p("### What the design itself costs: the floor with storage")
	p("")
	p("The floor plus the storage work bbcs's design makes each citizen's message pay, written as cheaply as Go's clients " +
		"allow and nothing else (`bench/load/floorstore.go`): the de-duplication mark and the dialog's state in Redis (two round " +
		"trips a message), each menu and receipt queued in MariaDB and sent by an outbox through the customer-service API, " +
		"“确认” a case in one transaction, “查询” and the case number one read each. The same messages, measured the same way:")
	p("")
	p("| | floor | floor with storage | bbcs | floor with storage / floor | bbcs / floor | bbcs / floor with storage |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, lp := range []struct{ name, floor, store, bbcs string }{
		{"open", "floor open", "store open", "bbcs open"}, {"closed", "floor closed", "store closed", "bbcs closed"},
	} {
		f, _, fok := rep.cpuPerMsg(lp.floor)
		st, _, sok := rep.cpuPerMsg(lp.store)
		b, _, bok := rep.cpuPerMsg(lp.bbcs)
		ratio := func(x, y time.Duration, ok bool) string {
			if !ok || y <= 0 {
				return "—"
			}
			return fmt.Sprintf("%.2f", float64(x)/float64(y))
		}
		p("| %s loop: server CPU per message (its notices' delivery included) | %s | %s | %s | %s | %s | %s |", lp.name,
			orDash(fok, ms(f)), orDash(sok, ms(st)), orDash(bok, ms(b)), ratio(st, f, fok && sok), ratio(b, f, fok && bok), ratio(b, st, sok && bok))
	}
	tput := func(r *recorder) string {
		if r == nil {
			return "—"
		}
		t := r.total()
		return fmt.Sprintf("%.0f msg/s, %d errors", rateOf(t.n-t.errs, r.span()), t.errs)
	}
	p("| closed loop throughput | %s | %s | %s | | | |", tput(rep.floorClosed), tput(rep.storeClosed), tput(rep.closed))
	for _, ph := range []struct{ name, store, bbcs string }{{"open", "store open", "open"}, {"closed", "store closed", "closed"}} {
		sw, bw := summarise(rep.waits[ph.store], 0), summarise(rep.waits[ph.bbcs], 0)
		p("| %s loop: menus and receipts, wait p50 / p99 from the citizen's message | | %s / %s | %s / %s | | | |", ph.name,
			ms(sw.p50), ms(sw.p99), ms(bw.p50), ms(bw.p99))
	}
	if cpu, ok := rep.cpu["store closed"]; ok {
		p("")
		p("In the closed loop with storage, MariaDB took %.2f cores and Redis %.2f (bbcs's loop: %.2f and %.2f).",
			cpu.mariadb, cpu.redis, rep.cpu["bbcs closed"].mariadb, rep.cpu["bbcs closed"].redis)
	}
}

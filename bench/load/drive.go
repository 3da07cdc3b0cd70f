package main

import (
	"context"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// newHTTPClient is the platforms' side of the wire: keep-alive connections,
// as many as needed (an open loop must never wait for a free one), and
// WeChat's 5-second patience.
func newHTTPClient() *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        10000,
		MaxIdleConnsPerHost: 10000,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// recorder collects latencies by kind of request.
type recorder struct {
	mu      sync.Mutex
	kinds   map[string]*kindStats
	order   []string
	samples map[string]int // error text → count
	first   time.Time      // first scheduled send
	last    time.Time      // last answer
}

type kindStats struct {
	lats []time.Duration
	errs int
}

func newRecorder() *recorder {
	return &recorder{kinds: map[string]*kindStats{}, samples: map[string]int{}}
}

// add records one request: its latency (from its scheduled send time in
// the open loops) and its problem ("" when it went well).
func (r *recorder) add(kind string, sched, end time.Time, problem string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[kind]
	if k == nil {
		k = &kindStats{}
		r.kinds[kind] = k
		r.order = append(r.order, kind)
	}
	if r.first.IsZero() || sched.Before(r.first) {
		r.first = sched
	}
	if end.After(r.last) {
		r.last = end
	}
	k.lats = append(k.lats, end.Sub(sched))
	if problem != "" {
		k.errs++
		r.samples[kind+": "+problem]++
	}
}

// stats summarises latencies.
type stats struct {
	n, errs        int
	p50, p99, pmax time.Duration
}

func summarise(lats []time.Duration, errs int) stats {
	s := stats{n: len(lats), errs: errs}
	if len(lats) == 0 {
		return s
	}
	l := slices.Clone(lats)
	slices.Sort(l)
	s.p50, s.p99, s.pmax = pct(l, 0.50), pct(l, 0.99), l[len(l)-1]
	return s
}

// pct is the q-quantile of sorted l (nearest rank).
func pct(l []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(l)))) - 1
	return l[max(0, min(i, len(l)-1))]
}

func (r *recorder) total() stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []time.Duration
	errs := 0
	for _, k := range r.kinds {
		all = append(all, k.lats...)
		errs += k.errs
	}
	return summarise(all, errs)
}

func (r *recorder) kind(name string) stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[name]
	if k == nil {
		return stats{}
	}
	return summarise(k.lats, k.errs)
}

func (r *recorder) span() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last.Sub(r.first)
}

// problems lists the errors seen, most frequent first.
func (r *recorder) problems(limit int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return timesEach(r.samples, limit)
}

// openLoop offers jobs at a steady rate for dur, whatever the server does:
// job i is due at start + i/rate and starts at once in its own goroutine,
// and its latency counts from that due time, so a stall of the server (or
// of this sender) shows as latency instead of as a lower rate. It returns
// when every job has ended.
func openLoop(ctx context.Context, rate float64, dur time.Duration, job func(i int, sched time.Time)) int {
	n := int(rate * dur.Seconds())
	start := time.Now().Add(20 * time.Millisecond)
	var wg sync.WaitGroup
	i := 0
	for i < n && ctx.Err() == nil {
		now := time.Now()
		for i < n {
			sched := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if sched.After(now) {
				time.Sleep(sched.Sub(now))
				break
			}
			wg.Add(1)
			go func(i int, sched time.Time) {
				defer wg.Done()
				job(i, sched)
			}(i, sched)
			i++
		}
	}
	wg.Wait()
	return i
}

// closedLoop runs senders that each send their next job as soon as the
// previous one is answered, for dur.
func closedLoop(ctx context.Context, senders int, dur time.Duration, job func(sender int, start time.Time)) {
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for ctx.Err() == nil {
				now := time.Now()
				if now.After(deadline) {
					return
				}
				job(s, now)
			}
		}(s)
	}
	wg.Wait()
}

package million

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"time"

	"gorm.io/gorm"

	"bbcs/casework"
	"bbcs/clock"
	"bbcs/handlers"
	"bbcs/internal/testenv"
	"bbcs/models"
	"bbcs/reports"
	"bbcs/store"
)

// Centre is bbcs as cmd/bbcs wires it for the two measured paths: the
// casework service, the reports and the HTTP server, on the seeded
// database, with the clock frozen at Snapshot.
type Centre struct {
	DB      *gorm.DB
	Cases   *casework.Service
	Reports *reports.Reports
	Server  *handlers.Server
	Token   string // an API token of an administrator (sees full mobiles)
}

// NewCentre opens the seeded database and wires the centre.
func NewCentre(o Options) (*Centre, error) {
	db, err := Open(o)
	if err != nil {
		return nil, err
	}
	cal, err := Calendar()
	if err != nil {
		return nil, err
	}
	dir, err := Directory(o)
	if err != nil {
		return nil, err
	}
	admin := ""
	for _, s := range dir.Staff {
		if s.Role == models.RoleAdmin || (admin == "" && s.Role == models.RoleSupervisor) {
			admin = s.ID
		}
	}
	if admin == "" {
		return nil, errors.New("million: the config names no admin or supervisor")
	}
	clk := clock.NewFrozen(Snapshot)
	c := &Centre{DB: db, Token: "bench-million-token"}
	c.Cases = casework.New(db, clk, cal, casework.Options{}, testenv.Quiet())
	c.Reports = reports.New(db, cal.Location(), clk.Now)
	c.Server = handlers.New(handlers.Deps{
		Cases: c.Cases, Reports: c.Reports, Tokens: map[string]string{c.Token: admin}, Log: testenv.Quiet(),
	})
	return c, nil
}

// Close closes the database.
func (c *Centre) Close() {
	store.CloseDatabase(c.DB)
}

// ExportResult is one export: the ledger's or the 好差评 record's.
type ExportResult struct {
	Query string        `json:"query"`
	Rows  int64         `json:"rows"`  // the ledger: cases matching the filter; the record: the month's ratings
	Bytes int64         `json:"bytes"` // size of the .xlsx
	Took  time.Duration `json:"took"`
}

// Export downloads GET /api/v1/ledger.xlsx?query from the centre's HTTP
// server (a real listener on loopback, the response read into io.Discard).
func (c *Centre) Export(ctx context.Context, query string) (ExportResult, error) {
	res := ExportResult{Query: query}
	q, err := url.ParseQuery(query)
	if err != nil {
		return res, err
	}
	f := casework.Filter{Month: q.Get("month"), Status: models.CaseStatus(q.Get("status")),
		Department: q.Get("department"), Category: models.Category(q.Get("category")), Limit: 1}
	if _, res.Rows, err = c.Cases.List(ctx, f); err != nil {
		return res, err
	}
	res.Bytes, res.Took, err = c.download(ctx, "/api/v1/ledger.xlsx?"+query)
	return res, err
}

// RatingsExport downloads GET /api/v1/ratings.xlsx?month=: the month's
// 好差评 records (issue 16), one a unit rated, as the ledger is exported.
func (c *Centre) RatingsExport(ctx context.Context, month string) (ExportResult, error) {
	res := ExportResult{Query: "month=" + month}
	from, to, err := c.Reports.MonthRange(month)
	if err != nil {
		return res, err
	}
	if err := c.DB.WithContext(ctx).Model(&models.Rating{}).Where("at >= ? AND at < ?", from, to).Count(&res.Rows).Error; err != nil {
		return res, err
	}
	res.Bytes, res.Took, err = c.download(ctx, "/api/v1/ratings.xlsx?month="+url.QueryEscape(month))
	return res, err
}

// download reads a workbook from the centre's API into io.Discard.
func (c *Centre) download(ctx context.Context, path string) (int64, time.Duration, error) {
	srv := httptest.NewServer(c.Server)
	defer srv.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return 0, 0, fmt.Errorf("million: %s: %s: %s", path, resp.Status, body)
	}
	var head [2]byte
	if _, err := io.ReadFull(resp.Body, head[:]); err != nil || string(head[:]) != "PK" {
		return 0, 0, fmt.Errorf("million: %s is not a zip (xlsx): %q, %v", path, head, err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	return n + 2, time.Since(start), err
}

// MemPeak is what a Sampler saw.
type MemPeak struct {
	HeapInuse uint64 `json:"heap_inuse"` // max runtime.MemStats.HeapInuse
	HeapAlloc uint64 `json:"heap_alloc"` // max live+unswept heap objects
	Sys       uint64 `json:"sys"`        // max memory obtained from the OS by the Go runtime
	NumGC     uint32 `json:"num_gc"`
	Samples   int    `json:"samples"`
}

// Sampler reads runtime.MemStats every interval and keeps the maxima.
type Sampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak MemPeak
	gc0  uint32
}

// StartSampler starts sampling.
func StartSampler(every time.Duration) *Sampler {
	s := &Sampler{stop: make(chan struct{})}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.gc0 = ms.NumGC
	s.sample()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *Sampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak.HeapInuse = max(s.peak.HeapInuse, ms.HeapInuse)
	s.peak.HeapAlloc = max(s.peak.HeapAlloc, ms.HeapAlloc)
	s.peak.Sys = max(s.peak.Sys, ms.Sys)
	s.peak.NumGC = ms.NumGC - s.gc0
	s.peak.Samples++
}

// Stop ends sampling and returns the maxima.
func (s *Sampler) Stop() MemPeak {
	close(s.stop)
	s.wg.Wait()
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// MiB is bytes in mebibytes.
func MiB(b uint64) float64 { return float64(b) / (1 << 20) }

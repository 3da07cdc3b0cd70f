package bot_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"bbcs/bot"
)

// The outbox sends many notices at once to one platform host; a second
// burst reuses the first's connections instead of dialling (and, to the
// real platforms, shaking hands) again for nearly every send, as
// http.DefaultTransport's two idle connections per host made it.
func TestPlatformSendsReuseTheirConnections(t *testing.T) {
	const burst = 32
	var (
		dialled atomic.Int64
		mu      sync.Mutex
		arrived *sync.WaitGroup // the burst's requests, each held until all are in
		release chan struct{}
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a, rel := arrived, release
		mu.Unlock()
		a.Done()
		<-rel
		io.WriteString(w, `{"errcode":0}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	hosts := bot.NewHosts(nil)
	if err := hosts.Route("qyapi.weixin.qq.com", srv.URL); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: hosts}
	// send makes burst requests all in flight at once, as the outbox's
	// sends to one platform are under load.
	send := func() {
		mu.Lock()
		arrived, release = &sync.WaitGroup{}, make(chan struct{})
		arrived.Add(burst)
		a, rel := arrived, release
		mu.Unlock()
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				resp, err := client.Get("https://qyapi.weixin.qq.com/cgi-bin/message/send")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		a.Wait()
		close(rel)
		wg.Wait()
	}
	send()
	if first := dialled.Load(); first != burst {
		t.Fatalf("the first burst dialled %d connections, want %d", first, burst)
	}
	send()
	if again := dialled.Load() - burst; again > 0 {
		t.Errorf("the second burst of %d sends dialled %d new connections, want none: they should reuse the first's", burst, again)
	}
}

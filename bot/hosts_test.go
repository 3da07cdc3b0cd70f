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
	var dialled atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	const burst = 32
	send := func() {
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
		wg.Wait()
	}
	send()
	first := dialled.Load()
	send()
	if again := dialled.Load() - first; again > 0 {
		t.Errorf("the second burst of %d sends dialled %d new connections (the first dialled %d), want none", burst, again, first)
	}
}

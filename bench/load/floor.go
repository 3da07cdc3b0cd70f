package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/sirupsen/logrus"
)

// The floor is the least a service-account webhook can do for the same
// wire work, on silenceper/wechat/v2 alone: verify the signature, decrypt
// (safe mode), parse, and answer a text echo, encrypted and signed. It runs
// as a child process, this program started again with floorEnv set, so it
// is measured exactly as bbcs is: another process behind loopback HTTP.
const floorEnv = "LOADBENCH_FLOOR_ADDR"

// floorMain serves the echo webhook at POST|GET /wechat/oa until SIGTERM.
func floorMain(addr string) {
	serveFloor(addr, func(_ context.Context, m *message.MixMessage) (string, error) {
		text := m.Content
		if text == "" {
			text = string(m.MsgType) + " " + string(m.Event)
		}
		return text, nil
	}, nil)
}

// serveFloor serves a floor at addr until SIGTERM: the service account's
// webhook at POST|GET /wechat/oa on silenceper/wechat/v2, answering each
// message with handle's text (an error: 503, as bbcs answers an outage),
// and GET /readyz; background, if any, runs beside it until the end.
func serveFloor(addr string, handle func(ctx context.Context, m *message.MixMessage) (string, error), background func(ctx context.Context)) {
	// As bbcs does: the SDK would otherwise log at Info and Debug.
	logrus.SetLevel(logrus.WarnLevel)
	oa := officialaccount.NewOfficialAccount(&offConfig.Config{
		AppID: os.Getenv("LOADBENCH_FLOOR_APPID"), Token: os.Getenv("LOADBENCH_FLOOR_TOKEN"),
		EncodingAESKey: os.Getenv("LOADBENCH_FLOOR_AES"), Cache: cache.NewMemory(),
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/wechat/oa", func(w http.ResponseWriter, r *http.Request) {
		srv := oa.GetServer(r, w)
		failed := false
		srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			text, err := handle(r.Context(), m)
			if err != nil {
				failed = true
				return nil
			}
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
		})
		if err := srv.Serve(); err != nil || failed {
			http.Error(w, "bad request or unavailable", http.StatusServiceUnavailable)
			return
		}
		if err := srv.Send(); err != nil {
			http.Error(w, "send", http.StatusInternalServerError)
		}
	})
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if background != nil {
		go background(ctx)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// startFloor runs the floor as a child process on a free port.
func startFloor() (*server, error) {
	return startSelf("floor", floorEnv)
}

// startSelf runs this program again as the server name, listening on a
// free port given in the environment variable addrEnv, with the service
// account's credentials and extra in its environment.
func startSelf(name, addrEnv string, extra ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = childEnv(append([]string{addrEnv + "=" + addr, "LOADBENCH_FLOOR_APPID=" + wxAppID, "LOADBENCH_FLOOR_TOKEN=" + wxToken,
		"LOADBENCH_FLOOR_AES=" + wxAES(*plainMode)}, extra...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return startServer(name, cmd, addr, "/readyz", 10*time.Second)
}

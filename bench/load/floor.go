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
		srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			text := m.Content
			if text == "" {
				text = string(m.MsgType) + " " + string(m.Event)
			}
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
		})
		if err := srv.Serve(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := srv.Send(); err != nil {
			http.Error(w, "send", http.StatusInternalServerError)
		}
	})
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
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
func startFloor(plain bool) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = childEnv(floorEnv+"="+addr, "LOADBENCH_FLOOR_APPID="+wxAppID, "LOADBENCH_FLOOR_TOKEN="+wxToken, "LOADBENCH_FLOOR_AES="+wxAES(plain))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return startServer("floor", cmd, addr, "/readyz", 10*time.Second)
}

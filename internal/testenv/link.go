package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Link is a TCP proxy to a real server (the test's MariaDB, say) that a
// test can break as a network breaks: Cut(Refused) drops every open
// connection and refuses new ones, as when the server's host is down;
// Cut(Silent) drops them and holds new ones unanswered, as when the host
// has fallen off the network. Restore lets new connections through again.
type Link struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   LinkMode
	conns  map[net.Conn]bool
}

// LinkMode is how a cut Link breaks.
type LinkMode int

const (
	linkUp  LinkMode = iota
	Refused          // connections refused
	Silent           // connections accepted and never answered
)

// NewLink proxies target on a free local port until the test ends.
func NewLink(t testing.TB, target string) *Link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Link{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); l.Cut(Refused) })
	go l.serve()
	return l
}

// Addr is the address to dial instead of the target.
func (l *Link) Addr() string { return l.ln.Addr().String() }

func (l *Link) serve() {
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		switch l.mode {
		case Refused:
			in.Close()
		case Silent:
			l.conns[in] = true // held, never answered
		default:
			out, err := net.DialTimeout("tcp", l.target, 5*time.Second)
			if err != nil {
				in.Close()
				break
			}
			l.conns[in], l.conns[out] = true, true
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
		l.mu.Unlock()
	}
}

// Cut drops every open connection and breaks the link in mode.
func (l *Link) Cut(mode LinkMode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mode = mode
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
}

// Restore lets new connections through; silent ones held stay silent.
func (l *Link) Restore() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mode = linkUp
}

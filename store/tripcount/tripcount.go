// Package tripcount counts what a process asks of MariaDB and Redis: a
// proxy sits between the process and the server and counts, by command,
// the statements and the round trips, exact figures for one process where
// the servers' own counters add up every client of the machine. bench/load
// puts one in front of a second bbcs; the round-trip budget tests of
// casework and handlers put one in front of their database. It adds a
// loopback hop, so it never serves a process whose latency is measured.
package tripcount

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// Proxy forwards one listening address to target and counts the traffic.
// Counter names: "sql round trips", "sql statements", "sql prepared",
// "sql commits" (a COMMIT, or a write outside a transaction: each makes
// InnoDB flush its log), "sql autocommit writes", "sql transactions",
// "sql rollbacks", "sql pings", "sql <verb>" (select, insert, …), "sql
// outbox round trips" (those of bbcs's outbox delivering notices);
// "redis commands", "redis round trips" (a pipeline or MULTI…EXEC sent
// at once is one), "redis <command>".
type Proxy struct {
	ln     net.Listener
	target string
	redis  bool

	mu     sync.Mutex
	counts map[string]float64
	record bool
	stmts  []string
}

// Start listens on a loopback port and forwards to target, a MySQL
// server's address, or a Redis server's when redis is set.
func Start(target string, redis bool) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, redis: redis, counts: map[string]float64{}}
	go p.accept()
	return p, nil
}

// Addr is where to connect instead of the server.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting connections.
func (p *Proxy) Close() { p.ln.Close() }

// Snapshot is a copy of the counters so far.
func (p *Proxy) Snapshot() map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]float64, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Record starts keeping each SQL round trip's text (its first 160 bytes;
// several statements sent at once are one), or stops it; Statements hands
// them over.
func (p *Proxy) Record(on bool) {
	p.mu.Lock()
	p.record, p.stmts = on, nil
	p.mu.Unlock()
}

// Statements are the round trips recorded since Record or the last call.
func (p *Proxy) Statements() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.stmts
	p.stmts = nil
	return out
}

func (p *Proxy) add(k string, n float64) {
	p.mu.Lock()
	p.counts[k] += n
	p.mu.Unlock()
}

func (p *Proxy) note(s string) {
	p.mu.Lock()
	if p.record {
		p.stmts = append(p.stmts, s)
	}
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(client, server)
		client.Close()
	}()
	buf := make([]byte, 64<<10)
	var pending []byte
	inTx := false
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
			pending = append(pending, buf[:n]...)
			if p.redis {
				pending = p.redisCommands(pending)
			} else {
				pending = p.mysqlPackets(pending, &inTx)
			}
		}
		if err != nil {
			return
		}
	}
}

// mysqlPackets counts the complete client packets at the front of b: a
// packet with sequence number 0 starts a command (COM_QUERY, COM_STMT_…).
// A commit is a COMMIT, or a write outside a transaction (autocommit):
// each makes InnoDB flush its log.
func (p *Proxy) mysqlPackets(b []byte, inTx *bool) []byte {
	write := func(verb string) {
		switch verb {
		case "INSERT", "UPDATE", "DELETE", "REPLACE":
			if !*inTx {
				p.add("sql commits", 1)
				p.add("sql autocommit writes", 1)
			}
		}
	}
	for len(b) >= 4 {
		size := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
		if len(b) < 4+size {
			break
		}
		seq, payload := b[3], b[4:4+size]
		if seq == 0 && len(payload) > 0 {
			switch payload[0] {
			case 0x03: // COM_QUERY
				p.add("sql round trips", 1)
				p.note(statement(payload[1:]))
				if outboxDelivery(payload[1:]) {
					p.add("sql outbox round trips", 1)
				}
				// Several statements in one (multiStatements) are separated
				// by ";\n": the driver escapes a newline inside a string.
				for _, q := range bytes.Split(payload[1:], []byte(";\n")) {
					p.add("sql statements", 1)
					switch verb := firstWord(q); verb {
					case "COMMIT":
						p.add("sql commits", 1)
						*inTx = false
					case "ROLLBACK":
						p.add("sql rollbacks", 1)
						*inTx = false
					case "START", "BEGIN":
						p.add("sql transactions", 1)
						*inTx = true
					default:
						p.add("sql "+strings.ToLower(verb), 1)
						write(verb)
					}
				}
			case 0x16: // COM_STMT_PREPARE
				p.add("sql round trips", 1)
				p.add("sql statements", 1)
				p.add("sql prepared", 1)
				p.note("PREPARE " + statement(payload[1:]))
				verb := firstWord(payload[1:])
				p.add("sql "+strings.ToLower(verb), 1)
				write(verb)
			case 0x17: // COM_STMT_EXECUTE
				p.add("sql round trips", 1)
				p.note("EXECUTE")
			case 0x0e: // COM_PING
				p.add("sql round trips", 1)
				p.add("sql pings", 1)
				p.note("PING")
			}
		}
		b = b[4+size:]
	}
	return compact(b)
}

// outboxDelivery tells bbcs's outbox delivering notices (its passes'
// reads and claims, and each outcome) from the requests that queue them:
// every statement on the notices table but an insert.
// GORM quotes the table; the outbox's hand-written claims and outcomes do
// not, and their SELECT names its many columns before the table.
func outboxDelivery(sql []byte) bool {
	s := sql[:min(len(sql), 1024)]
	return bytes.HasPrefix(s, []byte("UPDATE `notices`")) || bytes.HasPrefix(s, []byte("UPDATE notices ")) ||
		(bytes.HasPrefix(s, []byte("SELECT ")) && (bytes.Contains(s, []byte("FROM `notices`")) || bytes.Contains(s, []byte("FROM notices "))))
}

func firstWord(sql []byte) string {
	s := strings.TrimSpace(string(sql[:min(len(sql), 32)]))
	w, _, _ := strings.Cut(s, " ")
	return strings.ToUpper(w)
}

func statement(sql []byte) string {
	s := string(sql[:min(len(sql), 160)])
	return strings.Join(strings.Fields(s), " ")
}

// redisCommands counts the complete RESP commands at the front of b; a
// read that ends on a command boundary is one round trip (a pipeline or
// MULTI…EXEC sent at once is one).
func (p *Proxy) redisCommands(b []byte) []byte {
	parsed := 0
	for {
		name, n, ok := parseRESP(b)
		if !ok {
			break
		}
		p.add("redis commands", 1)
		p.add("redis "+strings.ToLower(name), 1)
		b = b[n:]
		parsed++
	}
	if parsed > 0 && len(b) == 0 {
		p.add("redis round trips", 1)
	}
	return compact(b)
}

// parseRESP reads one array-of-bulk-strings command: its name and length.
func parseRESP(b []byte) (name string, n int, ok bool) {
	count, pos, ok := respHeader(b, '*')
	if !ok {
		return "", 0, false
	}
	for i := range count {
		l, hdr, ok := respHeader(b[pos:], '$')
		if !ok || l < 0 || len(b) < pos+hdr+l+2 {
			return "", 0, false
		}
		if i == 0 {
			name = string(b[pos+hdr : pos+hdr+l])
		}
		pos += hdr + l + 2
	}
	return name, pos, true
}

// respHeader reads the line "<kind><n>\r\n" at the front of b (an array's
// element count, a bulk string's length): n and the line's length.
func respHeader(b []byte, kind byte) (n, size int, ok bool) {
	line, _, found := bytes.Cut(b, []byte("\r\n"))
	if !found || len(line) < 2 || line[0] != kind {
		return 0, 0, false
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil {
		return 0, 0, false
	}
	return n, len(line) + 2, true
}

func compact(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// Command bbcs runs the “办不成事”反映窗口 service.
//
//	bbcs [serve] [--config FILE]      start everything (the default)
//	bbcs migrate [--config FILE]      create or extend the database schema
//	bbcs config check --config FILE   name every wrong key by its path
//	bbcs health [--url URL]           probe a running bbcs (Docker HEALTHCHECK)
//	bbcs hash-password                ask for a password, print its bcrypt hash
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Environ())
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bbcs:", err)
		os.Exit(1)
	}
}

// tuneGC trades memory for CPU unless the operator chose: without GOGC,
// the heap may grow to five times what is live before a collection
// (GOGC=400, not 100), and without GOMEMLIMIT a soft limit of 512 MiB makes
// the collector work harder as it nears that, so a small centre's server
// never grows without bound. bench/load's closed loop spent 16 % of
// bbcs's CPU allocating and 7 % in the collector's mark workers at the
// default; bbcs's live heap is a few tens of MiB.
func tuneGC(environ []string) {
	if lookupEnv(environ, "GOGC") != "" {
		return
	}
	debug.SetGCPercent(400)
	if lookupEnv(environ, "GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
}

// stdin is what `bbcs hash-password` reads (tests replace it).
var stdin io.Reader = os.Stdin

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  bbcs [serve] [--config FILE]      start bbcs (default; BBCS_CONFIG also names the file)
  bbcs migrate [--config FILE]      create or extend the database schema, then exit
  bbcs config check --config FILE   check a config file and name each wrong key
  bbcs health [--url URL]           exit 0 when a running bbcs answers /healthz (container health checks)
  bbcs hash-password                ask for a password (one line) and print its bcrypt hash
                                    for staff[].password_hash (admin console sign-in)`

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate":
		path, err := configFlag(cmd, args, environ, stderr)
		if err != nil {
			return err
		}
		if cmd == "migrate" {
			return migrate(ctx, path, environ, stdout)
		}
		return serve(ctx, path, environ, stderr)
	case "config":
		if len(args) == 0 || args[0] != "check" {
			return usageError{usage}
		}
		path, err := configFlag("config check", args[1:], environ, stderr)
		if err != nil {
			return err
		}
		return checkConfig(path, environ, stdout)
	case "health":
		return health(ctx, args, environ, stdout)
	case "hash-password":
		return hashPassword(stdin, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("bbcs: unknown command %q\n%s", cmd, usage)}
}

// health probes a running bbcs. The container image has no shell or curl,
// so the binary checks itself.
func health(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bbcs health", flag.ContinueOnError)
	addr := lookupEnv(environ, "BBCS_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	url := fs.String("url", "http://"+addr+"/healthz", "the URL to probe")
	if err := fs.Parse(args); err != nil {
		return usageError{usage}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// hashPassword asks for a password on stderr, reads one line of stdin and
// prints its bcrypt hash on stdout (alone, for $(bbcs hash-password)), so a
// password never sits in the config or the shell history in clear. It
// answers on Enter: a terminal's end of input is not needed.
func hashPassword(stdin io.Reader, stdout, stderr io.Writer) error {
	prompt := "请输入密码（至少 8 个字符，输入后按回车）/ password: "
	read := func() (string, error) {
		fmt.Fprint(stderr, prompt)
		line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
		fmt.Fprintln(stderr)
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	// At a terminal the password is not shown as it is typed, and it is
	// asked twice: a typo would make a password nobody knows.
	f, tty := stdin.(*os.File)
	tty = tty && term.IsTerminal(int(f.Fd()))
	if tty {
		read = func() (string, error) {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			return string(b), err
		}
	}
	pw, err := read()
	if err != nil {
		return err
	}
	if pw == "" {
		return usageError{"bbcs hash-password: no password given (type it and press Enter, or pipe one line)"}
	}
	if len([]rune(pw)) < 8 {
		return usageError{"bbcs hash-password: the password must have at least 8 characters"}
	}
	if tty {
		prompt = "请再输入一次 / again: "
		again, err := read()
		if err != nil {
			return err
		}
		if again != pw {
			return usageError{"bbcs hash-password: the two passwords differ; nothing was printed"}
		}
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(h))
	return nil
}

func configFlag(name string, args, environ []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("bbcs "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", lookupEnv(environ, "BBCS_CONFIG"), "the YAML config file")
	if err := fs.Parse(args); err != nil {
		return "", usageError{usage}
	}
	if fs.NArg() > 0 {
		return "", usageError{fmt.Sprintf("bbcs %s: unexpected argument %q\n%s", name, fs.Arg(0), usage)}
	}
	return *path, nil
}

func lookupEnv(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, ok := cutEnv(kv); ok && k == key {
			return v
		}
	}
	return ""
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return "", "", false
}

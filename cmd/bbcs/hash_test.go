package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// bbcs hash-password asks for the password and reads one line: typed at a
// terminal, it answers on Enter, not at end of input (issue 14).
func TestHashPasswordPromptsAndReadsOneLine(t *testing.T) {
	in, typist := io.Pipe()
	defer typist.Close()
	var out, prompt bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runWithStdin(in, &out, &prompt) }()
	go typist.Write([]byte("correct horse\n")) // and the terminal stays open
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hash-password waits for end of input after the line was entered")
	}
	if !strings.Contains(prompt.String(), "密码") {
		t.Errorf("no prompt on stderr: %q", prompt.String())
	}
	hash := strings.TrimSpace(out.String())
	if strings.Count(out.String(), "\n") != 1 || bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")) != nil {
		t.Errorf("stdout is not the one hash of the line: %q", out.String())
	}

	// Piped, with or without the newline, and with Windows' CRLF: the
	// first line only, through the command line.
	for _, piped := range []string{"correct horse\n", "correct horse", "correct horse\r\n", "correct horse\nsomething else\n"} {
		out.Reset()
		if err := runWithStdin(strings.NewReader(piped), &out, &prompt); err != nil {
			t.Fatalf("%q: %v", piped, err)
		}
		if bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out.String())), []byte("correct horse")) != nil {
			t.Errorf("%q piped: the hash is not of the first line", piped)
		}
	}
	if err := runWithStdin(strings.NewReader("short\n"), &out, &prompt); err == nil || !strings.Contains(err.Error(), "8") {
		t.Errorf("a short password: %v", err)
	}
	if err := runWithStdin(strings.NewReader(""), &out, &prompt); err == nil {
		t.Errorf("no input at all was hashed")
	}
}

// runWithStdin is `bbcs hash-password` with in as its standard input.
func runWithStdin(in io.Reader, stdout, stderr io.Writer) error {
	stdinMu.Lock()
	defer stdinMu.Unlock()
	old := stdin
	stdin = in
	defer func() { stdin = old }()
	return run(context.Background(), []string{"hash-password"}, nil, stdout, stderr)
}

var stdinMu sync.Mutex

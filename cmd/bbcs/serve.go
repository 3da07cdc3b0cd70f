package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"bbcs/config"
	"bbcs/store"
)

func checkConfig(path string, environ []string, stdout io.Writer) error {
	if path == "" {
		return usageError{"bbcs config check: --config FILE is required"}
	}
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%w", path, err)
	}
	// The holiday file is part of the configuration: a year it adds must
	// be whole, and the check says so before a start would.
	build, err := calendarBuilder(cfg.Workday)
	if err == nil {
		_, err = build(nil)
	}
	if err != nil {
		return fmt.Errorf("%s is not valid:\nworkday.override_file: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

func migrate(ctx context.Context, path string, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("config:\n%w", err)
	}
	log := newLogger(cfg.Log, os.Stderr)
	db, err := store.OpenDatabase(cfg.Database.DSN, cfg.Database.SQLitePath, log)
	if err != nil {
		return err
	}
	defer store.CloseDatabase(db)
	fmt.Fprintln(stdout, "schema is up to date")
	return nil
}

func serve(ctx context.Context, path string, environ []string, stderr io.Writer) error {
	cfg, err := config.Load(path, environ)
	if err != nil {
		return fmt.Errorf("config:\n%w", err)
	}
	log := newLogger(cfg.Log, stderr)
	if path == "" {
		log.Info("no config file: starting on embedded defaults (SQLite file, in-process Redis, messages only logged)")
	}
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("environment variable matches no config key", "name", name)
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := a.jobs.Start(ctx)

	srv := &http.Server{
		Addr: a.addr, Handler: a.handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.signInNotice(ctx, cfg, log, stderr)
	log.Info("bbcs listening", "addr", a.addr)

	select {
	case err := <-errc:
		cancel()
		stopped()
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer shutCancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http shutdown", "err", err)
	}
	cancel()
	stopped()
	return nil
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

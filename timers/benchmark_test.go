package timers_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/timers"
)

// The figures of issue 5 (100 000 timers against asynq) come from the
// program in bench/timers; these measure the engine's steps alone:
//
//	go test -run '^$' -bench . -benchmem ./timers/

func benchTimers(n int) map[string]time.Time {
	m := make(map[string]time.Time, n)
	for i := range n {
		m[fmt.Sprintf("wo:GD%07d:due-1", i)] = t0.Add(time.Duration(i%1000) * time.Millisecond)
	}
	return m
}

// BenchmarkSchedule schedules one timer per call, as a use case does.
func BenchmarkSchedule(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(b)
	e := timers.New(rdb, prefix, clock.NewFrozen(t0), timers.Options{}, nil)
	b.ResetTimer()
	for i := range b.N {
		if err := e.Schedule(ctx, fmt.Sprintf("wo:GD%07d:due-1", i), t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScheduleMany schedules b.N timers in one call, as reconciliation does.
func BenchmarkScheduleMany(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(b)
	e := timers.New(rdb, prefix, clock.NewFrozen(t0), timers.Options{}, nil)
	all := benchTimers(b.N)
	b.ResetTimer()
	if err := e.ScheduleMany(ctx, all); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaimAck claims and acks b.N due timers, one batch at a time.
func BenchmarkClaimAck(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(b)
	e := timers.New(rdb, prefix, clock.NewFrozen(t0.Add(time.Hour)), timers.Options{}, nil)
	if err := e.ScheduleMany(ctx, benchTimers(b.N)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for done := 0; done < b.N; {
		cs, err := e.Claim(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			if err := e.Ack(ctx, c.ID, c.Due); err != nil {
				b.Fatal(err)
			}
		}
		done += len(cs)
	}
}

// BenchmarkRun fires b.N timers that are all due at once through Run,
// with a no-op handler (claims and pipelined acks).
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(b)
	clk := clock.NewFrozen(t0)
	e := timers.New(rdb, prefix, clk, timers.Options{}, nil)
	if err := e.ScheduleMany(ctx, benchTimers(b.N)); err != nil {
		b.Fatal(err)
	}
	var fired atomic.Int64
	all := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	b.ResetTimer()
	clk.Set(t0.Add(time.Hour))
	go func() {
		defer close(stopped)
		e.Run(runCtx, func(context.Context, string, time.Time) error {
			if fired.Add(1) == int64(b.N) {
				close(all)
			}
			return nil
		})
	}()
	<-all
	b.StopTimer()
	stop()
	<-stopped
}

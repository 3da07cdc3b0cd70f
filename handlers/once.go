package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// once runs handle for the first delivery of a message id and gives every
// repeated delivery (a platform's retry, a double click) the first answer,
// waiting briefly while the first is still being handled. Platforms retry
// when an answer is slow, so a retry must never act a second time.
func once(ctx context.Context, rdb *redis.Client, key string, log *slog.Logger, handle func() string) string {
	first, err := rdb.SetNX(ctx, key, "…", time.Hour).Result()
	if err != nil {
		log.Error("de-duplication unavailable", "err", err)
		return "系统繁忙，请稍后再发一次。"
	}
	if !first {
		return awaitFirst(ctx, rdb, key)
	}
	reply := handle()
	rdb.Set(ctx, key, "="+reply, time.Hour)
	return reply
}

func awaitFirst(ctx context.Context, rdb *redis.Client, key string) string {
	deadline := time.Now().Add(3 * time.Second)
	for {
		v, err := rdb.Get(ctx, key).Result()
		if err == nil && strings.HasPrefix(v, "=") {
			return v[1:]
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return ""
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package jobs

import (
	"context"

	"bbcs/bot"
)

// Media is the service account's media store (bot/wechat's Account).
type Media interface {
	Configured() bool
	FetchMedia(ctx context.Context, mediaID string) (contentType string, data []byte, err error)
}

// FetchPhotos keeps the photos citizens sent: WeChat deletes media after
// three days, so each is fetched into the case soon after it arrives
// (Start does this every few seconds).
func (j *Jobs) FetchPhotos(ctx context.Context) {
	account := j.Account(ctx)
	if !account.Configured() { // set in the console, maybe since start
		return
	}
	pending, err := j.Cases.PendingAttachments(ctx, 20)
	if err != nil {
		j.Log.Error("list pending photos", "err", err)
		return
	}
	for _, p := range pending {
		ct, data, err := account.FetchMedia(ctx, p.MediaID)
		giveUpAfter := 10
		if bot.IsPermanent(err) {
			giveUpAfter = 0
		}
		if err := j.Cases.StoreAttachment(ctx, p.ID, ct, data, err, giveUpAfter); err != nil {
			j.Log.Error("store photo", "err", err)
		}
	}
}

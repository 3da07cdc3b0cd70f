package outbox

import (
	"context"
	"fmt"

	"bbcs/models"
)

// LoggedReceipt is the receipt bot.LogSender gives a notice it only
// logged: its reader's platform has no credentials (the demo), or its
// group no robot yet.
const LoggedReceipt = "logged"

// Logged lists the notices that were only logged, newest first, all or
// those of one case: what the console shows a centre that has no
// platform accounts yet, so it sees what bbcs would send.
func (d *Dispatcher) Logged(ctx context.Context, caseNo string, limit int) ([]models.Notice, error) {
	q := d.db.WithContext(ctx).Where("status = ? AND receipt = ?", models.NoticeSent, LoggedReceipt)
	if caseNo != "" {
		q = q.Where("case_no = ?", caseNo)
	}
	var list []models.Notice
	if err := q.Order("id DESC").Limit(limit).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("outbox: list logged notices: %w", err)
	}
	return list, nil
}

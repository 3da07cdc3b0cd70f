package casework

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"bbcs/models"
)

// PendingAttachments lists attachments still to be fetched from their
// platform, oldest first.
func (s *Service) PendingAttachments(ctx context.Context, limit int) ([]models.Attachment, error) {
	var list []models.Attachment
	err := s.db.WithContext(ctx).Select("id", "case_id", "media_id", "status", "attempts", "created_at").
		Where("status = ?", models.AttachmentPending).Order("id").Limit(limit).Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("casework: list pending attachments: %w", err)
	}
	return list, nil
}

// StoreAttachment records the outcome of fetching one attachment. After
// maxAttempts failures it is marked failed and stays on file by media id.
func (s *Service) StoreAttachment(ctx context.Context, id uint64, contentType string, data []byte, fetchErr error, maxAttempts int) error {
	now := s.clock.Now()
	updates := map[string]any{"attempts": gorm.Expr("attempts + 1")}
	if fetchErr == nil {
		updates["status"], updates["content_type"], updates["data"], updates["fetched_at"], updates["last_error"] = models.AttachmentFetched, contentType, data, now, ""
	} else {
		msg := []rune(fetchErr.Error())
		updates["last_error"] = string(msg[:min(len(msg), 500)])
	}
	res := s.db.WithContext(ctx).Model(&models.Attachment{}).Where("id = ?", id).Updates(updates)
	if res.Error != nil {
		return fmt.Errorf("casework: store attachment %d: %w", id, res.Error)
	}
	if fetchErr != nil {
		err := s.db.WithContext(ctx).Model(&models.Attachment{}).
			Where("id = ? AND attempts >= ?", id, maxAttempts).Update("status", models.AttachmentFailed).Error
		if err != nil {
			return fmt.Errorf("casework: give up attachment %d: %w", id, err)
		}
	}
	return nil
}

// Tell writes one notice that belongs to no use case of a case — a menu of
// the citizen dialog — into the outbox, so it is delivered like the rest.
func (s *Service) Tell(ctx context.Context, kind models.NoticeKind, aud models.Audience, target string, d models.NoticeData) error {
	now := s.clock.Now()
	n := models.Notice{
		Kind: kind, Audience: aud, Target: target, CaseNo: d.CaseNo,
		Payload: models.EncodeNoticeData(d), Status: models.NoticePending, NextAttemptAt: now, CreatedAt: now,
	}
	if err := s.db.WithContext(ctx).Create(&n).Error; err != nil {
		return fmt.Errorf("casework: write %s notice: %w", kind, err)
	}
	return nil
}

package casework

import (
	"context"
	"time"

	"bbcs/models"
)

// PublicURL is http.public_url, where the rating page lives: "" when it
// is not configured, and no rating link can be made.
func (s *Service) PublicURL() string { return s.opts.PublicURL }

// NewRatingLink makes a fresh rating link for the present round of an
// answered case, for its owner to show at the window as a QR code or to
// read out by phone (第十三条). Only the link's hash is stored, so a link
// once shown cannot be shown again: each call makes a new one. expires
// is when it stops working (rating.link_ttl).
//
// Links made before for the round stay valid until they expire: the
// round takes one rating whichever link gives it (the first counts, the
// others then hear that the round is rated), so a link already sent by
// SMS still works after the applicant is shown a QR code at the window.
func (s *Service) NewRatingLink(ctx context.Context, actor models.Staff, no string) (link string, expires time.Time, err error) {
	_, err = s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireOwner(); err != nil {
			return err
		}
		if err := ch.awaitsLinkRating(); err != nil {
			return err
		}
		if s.opts.PublicURL == "" {
			return models.Errorf(models.ErrConflict, "未配置公网地址（http.public_url），无法生成评价链接和二维码。请管理员在配置中填写反映人手机能访问的地址，例如 https://bbcs.example.gov.cn")
		}
		l, err := ch.ratingLink()
		link, expires = l, ch.now.Add(s.opts.RatingLinkTTL)
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return link, expires, nil
}

// awaitsLinkRating: the case waits for a rating the applicant may give
// through a link — answered, its round not rated, and not past the
// rating clocks (then only the owner records one given in person or by
// phone, see rate).
func (ch *change) awaitsLinkRating() error {
	switch ch.c.Status {
	case models.CaseAnswered:
	case models.CaseClosed:
		return models.Errorf(models.ErrConflict, "案件 %s 已办结，不需要再评价", ch.c.No)
	default:
		return models.Errorf(models.ErrConflict, "案件 %s 还没有答复反映人，答复后才能请反映人评价", ch.c.No)
	}
	rated, err := ch.ratedThisRound()
	if err != nil {
		return err
	}
	if rated {
		return models.Errorf(models.ErrConflict, "案件 %s 本次处理结果已经评价过，不需要再生成评价链接", ch.c.No)
	}
	if ch.c.RatingVia == string(ViaNotRated) {
		return models.Errorf(models.ErrConflict, "案件 %s 的评价期限已过，已记为未评价；反映人在回访中给出的评价，请在“记录回访”中记录", ch.c.No)
	}
	return nil
}

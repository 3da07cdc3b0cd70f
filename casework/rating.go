package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
)

// RatingVia says how a rating reached bbcs.
type RatingVia string

const (
	ViaServiceAccount RatingVia = "service_account"
	ViaInPerson       RatingVia = "in_person"
	ViaPhone          RatingVia = "phone"
	ViaLink           RatingVia = "link"
	ViaNotRated       RatingVia = "not_rated" // closed without a rating (未评价)
)

// RatingMenu is the five levels of c's present round as a clickable menu.
// Each item names the case, the round and the level it rates, so a click
// rates what its menu asked about and nothing else; the platform numbers
// the items (bot/wechat.RatingMenuID).
func RatingMenu(c *models.Case) []models.MenuItem {
	items := make([]models.MenuItem, len(models.RatingLevels))
	for i, l := range models.RatingLevels {
		items[i] = models.MenuItem{Label: fmt.Sprintf("%d %s", i+1, l.Label()), Rates: &models.RatingChoice{CaseID: c.ID, Round: c.Round, Level: l}}
	}
	return items
}

// requestRating asks the applicant to rate the answer (第十三条): on the
// service account a menu (with a link for outside WeChat's window); for a
// walk-in or phone applicant an SMS-ready text goes to the owner to send.
// The link works once, for this round, until it expires.
func (ch *change) requestRating() error {
	link, err := ch.ratingLink()
	if err != nil {
		return err
	}
	d := ch.data()
	d.Result, d.Outcome, d.Link = ch.c.Result, ch.c.Outcome, link
	d.Text = fmt.Sprintf("请为 %s 的处理结果评价：", ch.c.No)
	d.Menu = RatingMenu(ch.c)
	d.Tail = "点击选择，或回复数字 1–5。"
	if ch.c.ApplicantOpenID != "" {
		ch.notifyApplicant(models.NoticeRatingRequest, d)
		return nil
	}
	d.Note = smsText(ch.c, link)
	ch.notify(models.NoticeRatingRequest, models.AudienceStaff, ch.c.OwnerID, d)
	return nil
}

// smsText is what the owner sends a walk-in applicant by SMS.
func smsText(c *models.Case, link string) string {
	s := fmt.Sprintf("您好！您反映的事项 %s 已有处理结果：%s", c.No, models.Shorten(c.Result, 60))
	if link != "" {
		s += "。请点击为本次处理评价（7天内有效）：" + link
	} else {
		s += "。请回复“非常满意”“满意”“基本满意”“不满意”或“非常不满意”为本次处理评价。"
	}
	return s
}

// ratingLink makes a one-time rating link; only its hash is stored.
func (ch *change) ratingLink() (string, error) {
	if ch.s.opts.PublicURL == "" {
		return "", nil
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("casework: rating link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	l := models.RatingLink{TokenHash: hashToken(token), CaseID: ch.c.ID, Round: ch.c.Round, ExpiresAt: ch.now.Add(ch.s.opts.RatingLinkTTL)}
	ch.laterCreate(&l) // with the case, at commit
	return strings.TrimRight(ch.s.opts.PublicURL, "/") + "/rate/" + token, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Rate records the applicant's rating (第十三条). A good one closes the
// case; 不满意 or 非常不满意 sends it back for re-handling (退回重办). actor is
// Applicant(name) when the applicant rates on the service account, or the
// owner recording a rating given in person or by phone.
func (s *Service) Rate(ctx context.Context, actor models.Staff, no string, level models.RatingLevel, comment string, via RatingVia) (*models.Case, error) {
	if err := checkRating(level, comment); err != nil {
		return nil, err
	}
	if via == "" {
		via = ViaInPerson
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if ch.actor.ID != "applicant" {
			if err := ch.requireOwner(); err != nil {
				return err
			}
		}
		return ch.rate(level, strings.TrimSpace(comment), via)
	})
}

func checkRating(level models.RatingLevel, comment string) error {
	if !level.Valid() {
		return models.Errorf(models.ErrInvalid, "评价等级 %q 不正确，可选：very_satisfied（非常满意）、satisfied（满意）、basically_satisfied（基本满意）、dissatisfied（不满意）、very_dissatisfied（非常不满意）", level)
	}
	if utf8.RuneCountInString(comment) > 1000 {
		return models.Errorf(models.ErrInvalid, "评价意见过长，最多 1000 字")
	}
	return nil
}

func (ch *change) rate(level models.RatingLevel, comment string, via RatingVia) error {
	switch ch.c.Status {
	case models.CaseAnswered:
	case models.CaseClosed:
		if ch.actor.ID != "applicant" { // staff recording a rating: no pleasantries
			return models.Errorf(models.ErrConflict, "案件 %s 已办结，不能再评价", ch.c.No)
		}
		return models.Errorf(models.ErrConflict, "案件 %s 已办结，不能再评价。感谢您的关注！", ch.c.No)
	default:
		return models.Errorf(models.ErrConflict, "案件 %s 正在办理中，有结果后再请您评价", ch.c.No)
	}
	rated, err := ch.ratedThisRound()
	if err != nil {
		return err
	}
	if rated {
		if ch.actor.ID != "applicant" { // the owner recording a rating: say what stands, plainly
			return models.Errorf(models.ErrConflict, "案件 %s 第 %d 轮处理结果已记录评价（%s），不能重复记录。如只记录跟踪回访，请不要填写评价", ch.c.No, ch.c.Round, ch.c.Rating.Label())
		}
		return models.Errorf(models.ErrConflict, "案件 %s 本次处理结果已经评价过，正在等待首接负责人跟踪回访后办结。感谢您的评价！", ch.c.No)
	}
	if ch.c.RatingVia == string(ViaNotRated) && via != ViaInPerson && via != ViaPhone {
		// Past the rating clocks the round stands as 未评价; the rating
		// the applicant gives in the follow-up visit is the owner's to record.
		return models.Errorf(models.ErrConflict, "案件 %s 的评价期限已过，已记为未评价。首接负责人将跟踪回访，届时可以当面或电话告诉我们您的评价", ch.c.No)
	}
	ch.c.Rating, ch.c.RatingNote, ch.c.RatingVia, ch.c.RatedAt = level, comment, string(via), &ch.now
	r := models.Rating{CaseID: ch.c.ID, Round: ch.c.Round, Level: level, Comment: comment, Via: string(via), At: ch.now}
	if err := ch.tx.Create(&r).Error; err != nil {
		return fmt.Errorf("casework: record rating: %w", err)
	}
	ch.pushRatingRecords(r.Round) // the 好差评 record, to the provincial platform
	line := fmt.Sprintf("第 %d 轮评价：%s（%s）", ch.c.Round, level.Label(), viaLabel(via))
	if comment != "" {
		line += "；意见：" + comment
	}
	ch.record("rated", "", line)
	d := ch.data()
	d.Reason, d.Note = level.Label(), comment
	ch.notify(models.NoticeRated, models.AudienceStaff, ch.c.OwnerID, d)
	// What follows — closing, waiting for the visit, sending the case back
	// to the windows — bbcs does by itself: the timeline says 系统, not the
	// applicant nor the owner who recorded the rating (第十五条).
	ch.actor = System
	if !level.Bad() {
		return ch.settle()
	}
	if err := ch.openRectifications(&r); err != nil { // 差评整改, before the round moves on
		return err
	}
	return ch.reopen(line)
}

// ratedThisRound: the present round has its rating (an answered case
// stays answered with it until the follow-up visit of a re-handled round).
func (ch *change) ratedThisRound() (bool, error) {
	var n int64
	if err := ch.tx.Model(&models.Rating{}).Where("case_id = ? AND round = ?", ch.c.ID, ch.c.Round).Count(&n).Error; err != nil {
		return false, fmt.Errorf("casework: read ratings: %w", err)
	}
	return n > 0, nil
}

// visitOwed: the follow-up visit (跟踪回访) planned for the present round
// is not yet recorded. A visit of an earlier round is not owed: a new
// 差评 merged it into this round's (reopen).
func (ch *change) visitOwed() (bool, error) {
	var n int64
	if err := ch.tx.Model(&models.FollowUp{}).Where("case_id = ? AND round = ? AND done_at IS NULL", ch.c.ID, ch.c.Round).Count(&n).Error; err != nil {
		return false, fmt.Errorf("casework: read follow-ups: %w", err)
	}
	return n > 0, nil
}

// settle closes an answered case whose round has its rating (or stands as
// 未评价), unless a follow-up visit is still owed (第十三条): then the case
// stays answered, and recording the visit closes it.
func (ch *change) settle() error {
	owed, err := ch.visitOwed()
	if err != nil {
		return err
	}
	if owed {
		ch.record("awaiting_follow_up", "", "评价已记录；差评重办的事项，记录跟踪回访后办结")
		return nil
	}
	ch.close("")
	return nil
}

// planFollowUp plans the follow-up visit (跟踪回访, 第十三条) of a round
// re-handled after a 差评, once its new result is given: the owner calls
// the applicant on the next working day about that result. A round has
// one visit (one planned at the 差评 by an earlier version counts).
func (ch *change) planFollowUp() error {
	if ch.c.Round < 2 {
		return nil
	}
	var n int64
	if err := ch.tx.Model(&models.FollowUp{}).Where("case_id = ? AND round = ?", ch.c.ID, ch.c.Round).Count(&n).Error; err != nil {
		return fmt.Errorf("casework: read follow-ups: %w", err)
	}
	if n > 0 {
		return nil
	}
	due := ch.cal.MorningOf(ch.cal.AddWorkdays(ch.now, 1))
	f := models.FollowUp{CaseID: ch.c.ID, Round: ch.c.Round, DueAt: due, Created: ch.now}
	if err := ch.tx.Create(&f).Error; err != nil {
		return fmt.Errorf("casework: plan follow-up visit: %w", err)
	}
	// bbcs plans the visit by itself, whoever's answer set it off.
	actor := ch.actor
	ch.actor = System
	ch.record("follow_up_planned", "", fmt.Sprintf("第 %d 轮重办已有结果，计划于 %s 跟踪回访", ch.c.Round, models.FormatTime(due)))
	ch.actor = actor
	return nil
}

func viaLabel(v RatingVia) string {
	switch v {
	case ViaServiceAccount:
		return "服务号"
	case ViaInPerson:
		return "当面"
	case ViaPhone:
		return "电话"
	case ViaLink:
		return "评价页面"
	}
	return string(v)
}

// reopen is 退回重办 (第十三条): a new round goes to the departments of the
// last round with fresh deadlines, their window heads and 分管领导 are told.
// The follow-up visit (跟踪回访) is planned once the new result is given
// (planFollowUp).
func (ch *change) reopen(why string) error {
	prev, err := ch.roundOrders()
	if err != nil {
		return err
	}
	ch.c.Status = models.CaseReopened
	ch.c.Round++
	ch.record("reopened", "", fmt.Sprintf("差评退回重办，进入第 %d 轮办理", ch.c.Round))
	if err := ch.supersedeVisits(); err != nil {
		return err
	}
	var depts []string
	for _, o := range prev {
		if !containsStr(depts, o.DepartmentCode) {
			depts = append(depts, o.DepartmentCode)
		}
	}
	if len(depts) > 0 {
		if err := ch.dispatch(depts, "申请人评价“"+strings.TrimPrefix(why, fmt.Sprintf("第 %d 轮评价：", ch.c.Round-1))+"”，退回重办", false); err != nil {
			return err
		}
		for _, code := range depts {
			dept, err := ch.department(code)
			if err != nil {
				return err
			}
			d := ch.data()
			d.Department, d.DepartmentName, d.Reason, d.Reopened = dept.Code, dept.Name, why, true
			heads, err := ch.staffOf(code, models.RoleWindowHead)
			if err != nil {
				return err
			}
			for _, h := range heads {
				ch.notify(models.NoticeCaseReopened, models.AudienceStaff, h.ID, d)
			}
			if dept.LeaderID != "" {
				ch.notify(models.NoticeCaseReopened, models.AudienceStaff, dept.LeaderID, d)
			}
		}
	}
	d := ch.data()
	d.Result, d.Reason = ch.c.Result, why
	ch.notify(models.NoticeCaseReopened, models.AudienceStaff, ch.c.OwnerID, d)
	return nil
}

// supersedeVisits closes the visits still open from earlier rounds when a
// new 差评 starts another round: they were to ask about a result the
// applicant has now rejected, so the visit of the new round, planned with
// its result, takes their place. Closed, their reminders and escalations
// are no longer wanted (followUpTimers).
func (ch *change) supersedeVisits() error {
	var open []models.FollowUp
	if err := ch.tx.Where("case_id = ? AND round < ? AND done_at IS NULL", ch.c.ID, ch.c.Round).Order("id").Find(&open).Error; err != nil {
		return fmt.Errorf("casework: read follow-ups: %w", err)
	}
	for i := range open {
		f := &open[i]
		f.DoneAt, f.DoneBy, f.Note = &ch.now, System.ID, fmt.Sprintf("再次差评，并入第 %d 轮回访", ch.c.Round)
		if err := ch.tx.Save(f).Error; err != nil {
			return fmt.Errorf("casework: close follow-up: %w", err)
		}
		ch.record("follow_up_superseded", "", fmt.Sprintf("第 %d 轮的跟踪回访未进行即再次差评，并入第 %d 轮回访", f.Round, ch.c.Round))
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Comment stores the applicant's comment on their last rating.
func (s *Service) Comment(ctx context.Context, actor models.Staff, no, comment string) (*models.Case, error) {
	comment, err := text("comment", "评价意见", comment, 1000)
	if err != nil {
		return nil, err
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if ch.actor.ID != "applicant" {
			if err := ch.requireOwner(); err != nil {
				return err
			}
		}
		var r models.Rating
		if err := ch.tx.Where("case_id = ?", ch.c.ID).Order("id DESC").Limit(1).Find(&r).Error; err != nil {
			return fmt.Errorf("casework: load rating: %w", err)
		}
		if r.ID == 0 {
			return models.Errorf(models.ErrConflict, "案件 %s 尚未评价", ch.c.No)
		}
		r.Comment = comment
		if err := ch.tx.Save(&r).Error; err != nil {
			return fmt.Errorf("casework: store comment: %w", err)
		}
		if r.Round == ch.c.Round || ch.c.Status == models.CaseClosed {
			ch.c.RatingNote = comment
		}
		ch.record("commented", "", "评价意见："+comment)
		return nil
	})
}

// RecordFollowUp is the owner's record of a follow-up visit (跟踪回访).
// A re-handled case already rated (or past its rating clocks) closes with
// it.
func (s *Service) RecordFollowUp(ctx context.Context, actor models.Staff, no, note string) (*models.Case, error) {
	return s.RecordFollowUpRating(ctx, actor, no, note, "", "", "")
}

// RecordFollowUpRating records the visit together with the rating the
// applicant gave in it (level "" for none); via is in_person or phone
// (default phone).
func (s *Service) RecordFollowUpRating(ctx context.Context, actor models.Staff, no, note string, level models.RatingLevel, comment string, via RatingVia) (*models.Case, error) {
	note, err := text("note", "回访情况", note, 2000)
	if err != nil {
		return nil, err
	}
	if level != "" {
		if err := checkRating(level, comment); err != nil {
			return nil, err
		}
		if via == "" {
			via = ViaPhone
		}
		if via != ViaInPerson && via != ViaPhone {
			return nil, models.Errorf(models.ErrInvalid, "回访中听取的评价，方式应为 in_person（当面）或 phone（电话）")
		}
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireOwner(); err != nil {
			return err
		}
		var f models.FollowUp
		if err := ch.tx.Where("case_id = ? AND round = ? AND done_at IS NULL", ch.c.ID, ch.c.Round).Order("id").Limit(1).Find(&f).Error; err != nil {
			return fmt.Errorf("casework: load follow-up: %w", err)
		}
		if f.ID == 0 {
			if ch.c.Status == models.CaseReopened || ch.c.Status == models.CaseDispatched && ch.c.Round > 1 {
				return models.Errorf(models.ErrConflict, "案件 %s 正在重新办理，跟踪回访在有新的处理结果后进行", ch.c.No)
			}
			return models.Errorf(models.ErrConflict, "案件 %s 没有待办的跟踪回访", ch.c.No)
		}
		f.DoneAt, f.DoneBy, f.Note = &ch.now, ch.actor.ID, note
		if err := ch.tx.Save(&f).Error; err != nil {
			return fmt.Errorf("casework: record follow-up: %w", err)
		}
		ch.record("followed_up", "", "跟踪回访："+note)
		if level != "" {
			return ch.rate(level, strings.TrimSpace(comment), via)
		}
		if ch.c.Status != models.CaseAnswered {
			return nil
		}
		rated, err := ch.ratedThisRound()
		if err != nil {
			return err
		}
		if rated || ch.c.RatingVia == string(ViaNotRated) {
			return ch.settle()
		}
		return nil
	})
}

// RateOwnCase records a rating the applicant gives on the service account
// for a case of their own (openid). round > 0 is the round the clicked
// menu named: a menu of an earlier round, or of a round already rated,
// rates nothing and says so.
func (s *Service) RateOwnCase(ctx context.Context, openid, no string, round int, level models.RatingLevel) (*models.Case, error) {
	return s.onCase(ctx, no, System, func(ch *change) error {
		if openid == "" || ch.c.ApplicantOpenID != openid {
			return models.Errorf(models.ErrNotFound, "没有找到您反映的编号为 %s 的事项", no)
		}
		ch.actor = Applicant(ch.c.ApplicantName)
		if round > 0 && round != ch.c.Round {
			return models.Errorf(models.ErrConflict, "您点击的是 %s 之前一次处理结果的评价选项，该事项已重新办理。请在最新一条评价消息中为新的处理结果评价，谢谢！", ch.c.No)
		}
		if ch.c.Status == models.CaseClosed {
			return models.Errorf(models.ErrConflict, "%s 已经评价过或已办结，不需要再评价。感谢您的关注！", ch.c.No)
		}
		return ch.rate(level, "", ViaServiceAccount)
	})
}

// RateMenuChoice records a click on a rating menu that names its case.
func (s *Service) RateMenuChoice(ctx context.Context, openid string, choice models.RatingChoice) (*models.Case, error) {
	var c models.Case
	err := s.db.WithContext(ctx).Select("no").Where("id = ? AND applicant_open_id = ?", choice.CaseID, openid).Limit(1).Find(&c).Error
	if err != nil {
		return nil, fmt.Errorf("casework: find the rated case: %w", err)
	}
	if c.No == "" {
		return nil, models.Errorf(models.ErrNotFound, "没有找到这条评价消息对应的事项，请回复“查询”查看您的事项")
	}
	return s.RateOwnCase(ctx, openid, c.No, choice.Round, choice.Level)
}

// AwaitingRating lists a citizen's cases whose present result waits for
// their rating, newest first.
func (s *Service) AwaitingRating(ctx context.Context, openid string) ([]models.Case, error) {
	var list []models.Case
	err := s.db.WithContext(ctx).Where("applicant_open_id = ? AND status = ? AND (rating_via IS NULL OR rating_via <> ?)", openid, models.CaseAnswered, string(ViaNotRated)).
		Where("NOT EXISTS (SELECT 1 FROM ratings r WHERE r.case_id = cases.id AND r.round = cases.round)").
		Order("answered_at DESC, id DESC").Limit(20).Find(&list).Error
	if err != nil {
		return nil, fmt.Errorf("casework: cases awaiting a rating: %w", err)
	}
	return list, nil
}

// RateByLink records a rating from the rating page. The link works once,
// for its round, until it expires, and only for who knows the last four
// digits of the mobile on the case (the person the answer was sent to);
// five wrong tries spend it.
func (s *Service) RateByLink(ctx context.Context, token, last4 string, level models.RatingLevel, comment string) (*models.Case, error) {
	if err := checkRating(level, comment); err != nil {
		return nil, err
	}
	link, c, err := s.RatingLinkCase(ctx, token)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(last4)), []byte(c.ApplicantMobile[len(c.ApplicantMobile)-4:])) != 1 {
		err := s.db.WithContext(ctx).Model(&models.RatingLink{}).Where("token_hash = ?", link.TokenHash).
			Update("failures", gorm.Expr("failures + 1")).Error
		if err != nil {
			return nil, fmt.Errorf("casework: count a failed rating link: %w", err)
		}
		return nil, models.Errorf(models.ErrForbidden, "手机号后四位不对。此链接只能由反映人本人使用")
	}
	return s.onCase(ctx, c.No, Applicant(c.ApplicantName), func(ch *change) error {
		var l models.RatingLink
		if err := ch.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("token_hash = ?", link.TokenHash).First(&l).Error; err != nil {
			return fmt.Errorf("casework: lock rating link: %w", err)
		}
		if err := linkUsable(&l, ch.now, ch.c.Round); err != nil {
			return err
		}
		l.UsedAt = &ch.now
		if err := ch.tx.Save(&l).Error; err != nil {
			return fmt.Errorf("casework: spend rating link: %w", err)
		}
		return ch.rate(level, strings.TrimSpace(comment), ViaLink)
	})
}

// RatingLinkCase finds the case of a usable rating link.
func (s *Service) RatingLinkCase(ctx context.Context, token string) (*models.RatingLink, *models.Case, error) {
	var l models.RatingLink
	err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).First(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, models.Errorf(models.ErrNotFound, "评价链接无效")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("casework: load rating link: %w", err)
	}
	var c models.Case
	if err := s.db.WithContext(ctx).Where("id = ?", l.CaseID).First(&c).Error; err != nil {
		return nil, nil, fmt.Errorf("casework: load case of rating link: %w", err)
	}
	if err := linkUsable(&l, s.clock.Now(), c.Round); err != nil {
		return nil, nil, err
	}
	return &l, &c, nil
}

// maxLinkFailures spends a link after this many wrong tries.
const maxLinkFailures = 5

// linkUsable: once, for its round, until it expires.
func linkUsable(l *models.RatingLink, now time.Time, round int) error {
	switch {
	case l.UsedAt != nil:
		return models.Errorf(models.ErrConflict, "此评价链接已使用过，感谢您的评价！")
	case now.After(l.ExpiresAt):
		return models.Errorf(models.ErrConflict, "此评价链接已过期。如需评价，请联系“办不成事”反映窗口")
	case l.Failures >= maxLinkFailures:
		return models.Errorf(models.ErrForbidden, "此评价链接因多次验证失败已失效，请联系“办不成事”反映窗口")
	case l.Round != round:
		return models.Errorf(models.ErrConflict, "此评价链接对应的处理结果已更新，请使用最新的评价链接")
	}
	return nil
}

// The rating clocks of an answered case (第十三条, R7):
//
//	rate:BB…:<round>:remind  one reminder to rate
//	rate:BB…:<round>:close   closed as 未评价, not counted as satisfied
//	followup:<id>            the owner's follow-up visit is due
//	followup:<id>:escalate   a working day later, still not recorded
func ratingTimer(c *models.Case, what string) string {
	return ratingNS + c.No + ":" + strconv.Itoa(c.Round) + ":" + what
}

func followUpTimer(id uint64) string { return followUpNS + strconv.FormatUint(id, 10) }

const followUpEscalate = ":escalate"

// followUpTimers are the clock of a visit not yet recorded: a reminder to
// the owner when it is due, an escalation the next working day.
func (s *Service) followUpTimers(f *models.FollowUp) map[string]time.Time {
	if f.DoneAt != nil {
		return nil
	}
	cal := s.Calendar()
	return map[string]time.Time{
		followUpTimer(f.ID):                    f.DueAt,
		followUpTimer(f.ID) + followUpEscalate: cal.MorningOf(cal.AddWorkdays(f.DueAt, 1)),
	}
}

// caseTimers are the rating clocks of a case awaiting its rating.
func (s *Service) caseTimers(c *models.Case) map[string]time.Time {
	if c.Status != models.CaseAnswered || c.AnsweredAt == nil || c.RatingVia == string(ViaNotRated) {
		return nil
	}
	return map[string]time.Time{
		ratingTimer(c, "remind"): c.AnsweredAt.Add(s.opts.RateRemindAfter),
		ratingTimer(c, "close"):  c.AnsweredAt.Add(s.opts.RateCloseAfter),
	}
}

func (s *Service) fireRatingTimer(ctx context.Context, id string) error {
	parts := strings.Split(strings.TrimPrefix(id, ratingNS), ":")
	if len(parts) != 3 {
		return ErrUnknownTimer
	}
	no, what := parts[0], parts[2]
	if what != "remind" && what != "close" {
		return ErrUnknownTimer
	}
	return s.fireOnce(ctx, id, no, func(ch *change) error {
		at, ok := s.caseTimers(ch.c)[id]
		if !ok || ch.now.Before(at) {
			return errStale // rated, re-handled, or not yet
		}
		rated, err := ch.ratedThisRound()
		if err != nil {
			return err
		}
		if rated {
			return nil // rated, waiting for the follow-up visit: done with
		}
		if what == "close" {
			ch.c.RatingVia = string(ViaNotRated)
			ch.pushRatingRecords(ch.c.Round) // the 好差评 record says 未评价
			owed, err := ch.visitOwed()
			if err != nil {
				return err
			}
			if owed {
				ch.record("not_rated", "", "未评价（不计入满意）；差评重办的事项，记录跟踪回访后办结")
				return nil
			}
			ch.c.Status, ch.c.ClosedAt = models.CaseClosed, &ch.now
			ch.record("closed", "", "未评价，自动办结（不计入满意）")
			d := ch.data()
			d.Outcome, d.Result, d.Note = ch.c.Outcome, ch.c.Result, "未评价"
			ch.notifyApplicant(models.NoticeCaseClosed, d)
			return nil
		}
		if closeAt := s.caseTimers(ch.c)[ratingTimer(ch.c, "close")]; !ch.now.Before(closeAt) {
			// Fired late, past the rating clock's end: the round closes
			// as 未评价 now, a request for a rating would only meet
			// “已办结”. The firing is recorded; nothing is sent.
			return nil
		}
		ch.record("rating_reminded", "", "提醒反映人评价")
		link, err := ch.ratingLink()
		if err != nil {
			return err
		}
		d := ch.data()
		d.Result, d.Menu, d.Tail, d.Link = ch.c.Result, RatingMenu(ch.c), "点击选择，或回复数字 1–5。", link
		d.Text = fmt.Sprintf("您反映的 %s 已有处理结果，还没有收到您的评价。请为本次处理评价：", ch.c.No)
		if ch.c.ApplicantOpenID != "" {
			ch.notifyApplicant(models.NoticeRatingReminder, d)
			return nil
		}
		d.Note = smsText(ch.c, link)
		ch.notify(models.NoticeRatingReminder, models.AudienceStaff, ch.c.OwnerID, d)
		return nil
	})
}

func (s *Service) fireFollowUpTimer(ctx context.Context, id string) error {
	rest, escalate := strings.CutSuffix(strings.TrimPrefix(id, followUpNS), followUpEscalate)
	followUpID, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return ErrUnknownTimer
	}
	caseOf := func(f *models.FollowUp) uint64 { return f.CaseID }
	return fireRowTimer(ctx, s, id, followUpID, "follow-up", caseOf, func(ch *change, cur *models.FollowUp) error {
		at, ok := s.followUpTimers(cur)[id]
		if !ok || ch.now.Before(at) || cur.Round != ch.c.Round {
			return errStale // recorded, not yet, or of a round a new 差评 replaced
		}
		d := ch.data()
		d.Reason, d.DueAt, d.Round = ch.c.Rating.Label(), &cur.DueAt, cur.Round
		if !escalate {
			ch.notify(models.NoticeFollowUpDue, models.AudienceStaff, ch.c.OwnerID, d)
			ch.record("follow_up_due", "", "提醒首接负责人跟踪回访")
			return nil
		}
		return ch.escalateFollowUp(d)
	})
}

// escalateFollowUp tells the leader of the owner's department, the
// leader on duty today and the supervision section that a follow-up
// visit was not recorded a working day after it was due.
func (ch *change) escalateFollowUp(d models.NoticeData) error {
	owner, err := ch.staff(ch.c.OwnerID)
	if err != nil {
		return err
	}
	d.OwnerName = owner.Name
	var leaders []string
	if owner.DepartmentCode != "" {
		dept, err := ch.departmentOnFile(owner.DepartmentCode)
		if err != nil {
			return err
		}
		if dept.LeaderID != "" {
			leaders = append(leaders, dept.LeaderID)
		}
	}
	duty, ok, err := ch.dutyLeader()
	if err != nil {
		return err
	}
	if ok && !slices.Contains(leaders, duty.ID) {
		leaders = append(leaders, duty.ID)
	}
	for _, id := range leaders {
		ch.notify(models.NoticeFollowUpOverdue, models.AudienceStaff, id, d)
	}
	ch.notify(models.NoticeFollowUpOverdue, models.AudienceSupervision, "", d)
	ch.record("follow_up_overdue", "", fmt.Sprintf("跟踪回访应于 %s 进行，逾期未记录，已报告领导和监督考核科", models.FormatTime(*d.DueAt)))
	return nil
}

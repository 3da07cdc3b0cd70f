// Package bot is where bbcs meets chat platforms. Each platform has a
// sub-package (bot/wechat, bot/wecom, bot/dingtalk) that verifies and
// decodes inbound callbacks into one Message and renders and sends the
// outbox's notices. bot makes no decisions: handlers and casework do.
package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"bbcs/clock"
	"bbcs/models"
)

// Platform names a chat platform.
type Platform string

const (
	WeChat   Platform = "wechat"   // the service account (citizens)
	WeCom    Platform = "wecom"    // 企业微信
	DingTalk Platform = "dingtalk" // 钉钉
)

// Message is one inbound chat message or card click, whatever platform it
// came from.
type Message struct {
	Platform Platform
	ID       string // the platform's message id, for de-duplication
	UserID   string // sender's platform user id (openid for the service account)
	GroupID  string // the group it was said in; "" for a private chat
	Kind     Kind
	Text     string // with the @-mention of the bot stripped
	// ButtonKey is the key of a clicked card button or menu item, or the
	// key of a clicked account menu (event CLICK).
	ButtonKey string
	Event     string // subscribe, unsubscribe, CLICK … for KindEvent
	MediaID   string // for KindImage: the platform's media id
	At        time.Time
}

// Kind is what sort of message arrived.
type Kind string

const (
	KindText  Kind = "text"
	KindImage Kind = "image"
	KindEvent Kind = "event"
	KindOther Kind = "other" // voice, video, location …: not understood, answered with help
)

// Sender delivers one outbox notice and returns the platform's receipt
// (a message id, say). A Permanent error is not worth retrying.
type Sender interface {
	Send(ctx context.Context, n *models.Notice) (receipt string, err error)
}

// PermanentError marks a delivery that can never succeed (no such group,
// a refused template), so the outbox stops retrying it.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// LogSender is the sender of the embedded default: it logs what it would
// send — the kind, the audience and the case — but never the body or a
// mobile number (platforms.md, logging).
type LogSender struct {
	Log *slog.Logger
}

// Send logs the notice's envelope.
func (s LogSender) Send(_ context.Context, n *models.Notice) (string, error) {
	s.Log.Info("would send notice", "id", n.ID, "kind", n.Kind, "audience", n.Audience,
		"target", redactTarget(n), "case", n.CaseNo, "order", n.OrderNo)
	return "logged", nil
}

// redactTarget keeps staff ids and department codes, which are not personal
// data of citizens, and hides openids.
func redactTarget(n *models.Notice) string {
	if n.Audience == models.AudienceApplicant && n.Target != "" {
		return "openid:…"
	}
	return n.Target
}

// Router sends each notice through the platform its reader is on. Route
// names the platform ("" when the reader's platform is not configured:
// then Default, the log-only sender, takes it).
type Router struct {
	Senders map[Platform]Sender
	// Route names n's platform, "" for Default. It may read the
	// directory, which the console changes at any time; its error is
	// taken for a failed send, tried again later.
	Route   func(ctx context.Context, n *models.Notice) (Platform, error)
	Default Sender
}

// Send picks the sender for n.
func (r Router) Send(ctx context.Context, n *models.Notice) (string, error) {
	p, err := r.Route(ctx, n)
	if err != nil {
		return "", fmt.Errorf("route notice %d: %w", n.ID, err)
	}
	if s, ok := r.Senders[p]; ok && s != nil {
		return s.Send(ctx, n)
	}
	return r.Default.Send(ctx, n)
}

// TrimMention removes the leading @-mentions a platform leaves in a
// message to the bot ("@办事不成bot 签收 GD…").
func TrimMention(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "@") {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		s = strings.TrimSpace(s[i:])
	}
	return s
}

// Users finds an active staff member's user id on one platform, "" when
// they have none. bbcs reads it from the directory, which config and the
// console keep; an error there fails the send for now, to be tried again.
type Users func(ctx context.Context, staffID string) (string, error)

// Staff is a notice to staff made ready for one platform: its card, the
// platform's user id of each staff member it names, and where it goes —
// a group, or one person.
type Staff struct {
	Card  Card
	IDs   map[string]string // staff id → the platform's user id ("" when none)
	Group string            // the group's target; "" for a private message
	User  string            // the reader's user id, for a private message
}

// PrepareStaff renders n as platform p shows it and finds the user ids it
// needs. What no retry can mend (an unreadable payload, a reader with no
// account on p, an audience p cannot reach) is a Permanent error.
func PrepareStaff(ctx context.Context, n *models.Notice, p Platform, publicURL string, users Users) (*Staff, error) {
	d, err := n.Data()
	if err != nil {
		return nil, Permanent(err)
	}
	card := RenderCard(n.Kind, d)
	if n.Kind == models.NoticeWorkOrder {
		card.Link = ActionLink(publicURL, d.OrderNo, p)
	}
	names := slices.Clone(card.Mentions)
	if n.Audience == models.AudienceStaff {
		names = append(names, n.Target)
	}
	ids, err := userIDs(ctx, users, names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	out := &Staff{Card: card, IDs: ids}
	if target, ok := GroupTarget(n); ok {
		out.Group = target
		return out, nil
	}
	if n.Audience != models.AudienceStaff {
		return nil, Permanent(fmt.Errorf("%s: cannot reach audience %s", p, n.Audience))
	}
	if out.User = ids[n.Target]; out.User == "" {
		return nil, Permanent(fmt.Errorf("%s: staff %s has no %s_user_id", p, n.Target, p))
	}
	return out, nil
}

// userIDs finds the user ids of staff, by staff id.
func userIDs(ctx context.Context, users Users, staffIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(staffIDs))
	if users == nil {
		return out, nil
	}
	for _, id := range staffIDs {
		u, err := users(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("find the user id of %s: %w", id, err)
		}
		out[id] = u
	}
	return out, nil
}

// MaxSkew is how far a signed webhook's timestamp may be from the wall
// clock.
// The platforms retry within seconds; a request older than this is a
// replay of a captured one and is refused, even with a good signature.
// (Within it, message ids make a replay harmless: it gets the first answer.)
const MaxSkew = 5 * time.Minute

// Fresh reports whether a Unix-seconds timestamp is within MaxSkew of the
// wall clock. The platform stamps it with its real time, whatever bbcs's
// test clock says, so a Wall and not the business clock judges it.
func Fresh(unixSeconds string, wall clock.Wall) bool {
	sec, err := strconv.ParseInt(unixSeconds, 10, 64)
	if err != nil {
		return false
	}
	skew := wall.Now().Sub(time.Unix(sec, 0))
	return skew <= MaxSkew && skew >= -MaxSkew
}

// GroupTarget names the group a notice goes to — a department code,
// "supervision" or "leaders" — and false for notices to one person.
func GroupTarget(n *models.Notice) (string, bool) {
	switch n.Audience {
	case models.AudienceDepartment:
		return n.Target, true
	case models.AudienceSupervision, models.AudienceLeaders:
		return string(n.Audience), true
	}
	return "", false
}

// ReadBody reads a webhook's body up to max bytes, answering 400 or 413
// itself when it cannot.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	if int64(len(body)) > max {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}

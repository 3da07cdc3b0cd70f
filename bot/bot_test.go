package bot_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"bbcs/bot"
	"bbcs/clock"
	"bbcs/internal/testenv"
	"bbcs/models"
)

func TestTrimMention(t *testing.T) {
	for in, want := range map[string]string{
		"@办事不成bot 签收 GD20260310-004-1": "签收 GD20260310-004-1",
		"@办事不成bot\u2005签收 GD1":         "签收 GD1",
		"  @a @b 回复 GD1 已办 ":           "回复 GD1 已办",
		"签收 GD1":                       "签收 GD1",
		"@办事不成bot":                     "",
	} {
		if got := bot.TrimMention(in); got != want {
			t.Errorf("TrimMention(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWorkOrderCardMasksTheMobileAndOffersTheActions(t *testing.T) {
	due := time.Date(2026, 3, 13, 18, 0, 0, 0, models.Shanghai)
	d := models.NoticeData{CaseNo: "BB20260310-004", OrderNo: "GD20260310-004-1", Category: models.CategoryNotCompleted,
		Matter: "过户材料超期未办", ApplicantName: "李女士", MaskedMobile: "138****8000", OwnerName: "王芳",
		DepartmentName: "不动产登记窗口", DueAt: &due}
	card := bot.RenderCard(models.NoticeWorkOrder, d)
	card.Link = bot.ActionLink("https://bbcs.example.gov.cn/", d.OrderNo, bot.WeCom)
	md := card.Markdown(func(string) string { return "" })
	for _, want := range []string{"【工单 GD20260310-004-1｜不动产登记窗口】", "受理后超时未办结", "李女士 138****8000", "首接负责人：王芳",
		"请于 2026年3月13日（周五）18:00 前答复", "`签收 GD20260310-004-1`", "https://bbcs.example.gov.cn/act/GD20260310-004-1?platform=wecom"} {
		if !strings.Contains(md, want) {
			t.Errorf("card lacks %q:\n%s", want, md)
		}
	}
	d.Reopened = true
	if c := bot.RenderCard(models.NoticeWorkOrder, d); !strings.HasPrefix(c.Title, "【退回重办") {
		t.Errorf("a second-round card is not marked 退回重办: %s", c.Title)
	}
}

type countSender struct{ n int }

func (s *countSender) Send(context.Context, *models.Notice) (string, error) { s.n++; return "ok", nil }

// A group robot takes 20 messages a minute, counted in Redis across
// replicas, in the platform's real time; the 21st waits for the oldest to
// leave the window, and is told how long rather than until when (the
// outbox schedules in business time).
func TestThrottleHoldsAGroupToItsLimit(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 10, 0, 0, 0, models.Shanghai))
	wall := clock.WallFunc(clk.Now) // a wall clock the test moves
	next := &countSender{}
	mk := func() *bot.Throttle { // two replicas sharing Redis
		return &bot.Throttle{Next: next, Redis: rdb, Prefix: prefix, Wall: wall, Limit: 20, Window: time.Minute,
			Key: func(n *models.Notice) string { k, _ := bot.GroupTarget(n); return k }}
	}
	a, b := mk(), mk()
	ctx := context.Background()
	group := &models.Notice{Audience: models.AudienceDepartment, Target: "tax"}
	for i := 0; i < 20; i++ {
		clk.Advance(time.Second)
		th := a
		if i%2 == 1 {
			th = b
		}
		group.ID = uint64(i + 1)
		if _, err := th.Send(ctx, group); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	group.ID = 21
	_, err := b.Send(ctx, group)
	var deferred *bot.DeferredError
	if !errors.As(err, &deferred) {
		t.Fatalf("the 21st message within a minute: %v, want deferred", err)
	}
	// Sent at 10:00:20; the first went at 10:00:01, so there is room at 10:01:01.
	if want := 41 * time.Second; deferred.After != want {
		t.Errorf("deferred for %v, want %v (the first message's minute over)", deferred.After, want)
	}
	if _, err := a.Send(ctx, &models.Notice{ID: 22, Audience: models.AudienceStaff, Target: "wang"}); err != nil {
		t.Errorf("a private message is not held by a group's limit: %v", err)
	}
	clk.Advance(deferred.After)
	if _, err := a.Send(ctx, group); err != nil {
		t.Errorf("after the window moved: %v", err)
	}
	if next.n != 22 {
		t.Errorf("%d messages went out, want 22", next.n)
	}
}

// A citizen may type a number into the matter; the group must not read it
// (personal data: a mobile is masked in every group message).
func TestCardsMaskAMobileTypedIntoFreeText(t *testing.T) {
	// Typed on a phone's keyboard a number may come in full-width digits,
	// or grouped with dots: masked all the same.
	plain := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r >= '０' && r <= '９' {
				return '0' + (r - '０')
			}
			return r
		}, s)
		return strings.NewReplacer(" ", "", "-", "", ".", "").Replace(s)
	}
	for _, matter := range []string{"请回电13800138000，谢谢", "电话 138 0013 8000", "手机+86-13800138000", "13800138000",
		"请回电１３８００１３８０００", "电话１３８ ００１３ ８０００。", "手机138.0013.8000", "＋８６ １３８００１３８０００"} {
		d := models.NoticeData{CaseNo: "BB20260310-001", OrderNo: "GD20260310-001-1", Matter: matter,
			ApplicantName: "李女士", MaskedMobile: "138****8000"}
		md := bot.RenderCard(models.NoticeWorkOrder, d).Markdown(func(string) string { return "" })
		if strings.Contains(plain(md), "13800138000") {
			t.Errorf("matter %q: the card shows the full mobile:\n%s", matter, md)
		}
		if !regexp.MustCompile(`事项：[^\n]*138\*\*\*\*8000`).MatchString(md) {
			t.Errorf("matter %q: no masked mobile on the card:\n%s", matter, md)
		}
	}
	// A case number or an order number is not a mobile.
	d := models.NoticeData{CaseNo: "BB20260310-001", Matter: "工单号 GD20261310001 与 20261388888888 号文件"}
	if md := bot.RenderCard(models.NoticeWorkOrder, d).Markdown(func(string) string { return "" }); strings.Contains(md, "****") {
		t.Errorf("a long number was masked as a mobile:\n%s", md)
	}
	// Full-width digits that are no mobile are left as typed.
	d = models.NoticeData{CaseNo: "BB20260310-001", Matter: "３号楼２单元，２０２６年３月办理"}
	if md := bot.RenderCard(models.NoticeWorkOrder, d).Markdown(func(string) string { return "" }); !strings.Contains(md, "３号楼２单元，２０２６年３月办理") {
		t.Errorf("the matter was changed:\n%s", md)
	}
}

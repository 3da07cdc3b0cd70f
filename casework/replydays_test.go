package casework_test

import (
	"strings"
	"testing"

	"bbcs/bot"
	"bbcs/bot/wechat"
	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// 第十二条's deadlines are the configured ones (workday.reply_days,
// workday.max_days), and what people read says so: a centre that answers
// within 2 working days and caps extensions at 8 promises 2 and reports 8,
// not the policy's 3 and 10.
func TestDeadlinesReadAsConfigured(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00") // a Tuesday
	h.svc = casework.New(h.db, h.clock, h.cal, casework.Options{ReplyDays: 2, MaxDays: 8}, testenv.Quiet())
	if got := h.svc.ReplyDays(); got != 2 {
		t.Errorf("ReplyDays() = %d, want 2", got)
	}
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)

	// Received Tuesday 10 March: 2 working days end Thursday 12 March,
	// 8 end Friday 20 March.
	o := h.orderOf(c.No, "realestate")
	wantTime(t, "due (2 working days)", &o.DueAt, "2026-03-12 18:00")
	wantTime(t, "cap (8 working days)", &o.CapAt, "2026-03-20 18:00")

	received := h.noticesOf(c.No, models.NoticeCaseReceived, models.AudienceApplicant)
	if len(received) != 1 {
		t.Fatalf("case-received notices = %d, want 1", len(received))
	}
	d := dataOf(t, received[0])
	if text := wechat.Text(models.NoticeCaseReceived, d); !strings.Contains(text, "部门将在2个工作日内答复您") {
		t.Errorf("the applicant's receipt does not promise 2 working days:\n%s", text)
	}
	if f := wechat.TemplateFields(models.NoticeCaseReceived, d); f.Remark != "需要部门办理的，部门将在2个工作日内答复您。" {
		t.Errorf("the receipt template's remark = %q, want the 2 working days", f.Remark)
	}

	cards := h.noticesOf(c.No, models.NoticeWorkOrder, models.AudienceDepartment)
	if len(cards) != 1 {
		t.Fatalf("work-order cards = %d, want 1", len(cards))
	}
	card := bot.RenderCard(models.NoticeWorkOrder, dataOf(t, cards[0]))
	if text := strings.Join(card.Lines, "\n"); !strings.Contains(text, "请于 2026年3月12日（周四）18:00 前答复（2个工作日）") {
		t.Errorf("the work-order card does not ask for an answer within 2 working days:\n%s", text)
	}

	// Nobody answers: at the cap the leaders hear of 8 working days.
	h.clock.Set(at("2026-03-20 18:00"))
	h.fireDue("wo:")
	caps := h.noticesOf(c.No, models.NoticeCapReached, models.AudienceSupervision)
	if len(caps) != 1 {
		t.Fatalf("cap notices to supervision = %d, want 1", len(caps))
	}
	if title := bot.RenderCard(models.NoticeCapReached, dataOf(t, caps[0])).Title; !strings.Contains(title, "已满8个工作日仍未答复") {
		t.Errorf("the cap card = %q, want 已满8个工作日仍未答复", title)
	}
	found := false
	for _, e := range h.get(c.No).Timeline {
		if e.Action == "cap_reached" {
			found = true
			if !strings.Contains(e.Note, "不动产登记窗口已满8个工作日仍未答复") {
				t.Errorf("the timeline says %q, want 已满8个工作日", e.Note)
			}
		}
	}
	if !found {
		t.Error("no cap_reached line on the timeline")
	}
}

// A notice written before the payload carried the configured days reads
// as 第十二条's 3 and 10.
func TestOldNoticesReadThePolicysDays(t *testing.T) {
	var d models.NoticeData
	if d.ReplyWorkdays() != 3 || d.MaxWorkdays() != 10 {
		t.Errorf("an old notice reads %d and %d working days, want 3 and 10", d.ReplyWorkdays(), d.MaxWorkdays())
	}
	if text := wechat.Text(models.NoticeCaseReceived, d); !strings.Contains(text, "部门将在3个工作日内答复您") {
		t.Errorf("an old receipt:\n%s", text)
	}
}

// An extension is held to workday.max_days, and every message about it
// names that number: a centre that caps at 8 must not tell its staff and
// its citizens 10.
func TestExtensionsSayTheConfiguredCap(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00") // a Tuesday
	h.svc = casework.New(h.db, h.clock, h.cal, casework.Options{ReplyDays: 2, MaxDays: 8}, testenv.Quiet())
	if got := h.svc.MaxDays(); got != 8 {
		t.Errorf("MaxDays() = %d, want 8", got)
	}
	c := h.walkIn()
	_, err := h.svc.Dispatch(h.ctx, h.as("wang"), c.No, []string{"realestate"}, "", false)
	must(t, "dispatch", err)
	o := h.orderOf(c.No, "realestate")
	_, err = h.svc.Sign(h.ctx, h.as("zhang"), o.No)
	must(t, "sign", err)

	// The cap is Friday 20 March; Monday 23 March is past it.
	_, err = h.svc.Extend(h.ctx, h.as("zhang"), o.No, "2026-03-23", "需调取档案")
	if want := "延时办理最长不超过8个工作日：工单 " + o.No + " 最晚只能延至 2026年3月20日（周五）"; models.ErrorMessage(err) != want {
		t.Errorf("extending past the cap: %v\nwant: %s", err, want)
	}
	_, err = h.svc.Extend(h.ctx, h.as("zhang"), o.No, "2026-03-20", "需调取档案")
	must(t, "extend to the cap", err)
	extended := h.noticesOf(c.No, models.NoticeOrderExtended, models.AudienceSupervision)
	if len(extended) != 1 {
		t.Fatalf("extension notices to supervision = %d, want 1", len(extended))
	}
	card := bot.RenderCard(models.NoticeOrderExtended, dataOf(t, extended[0]))
	if text := strings.Join(card.Lines, "\n"); !strings.Contains(text, "（最长不超过8个工作日）") {
		t.Errorf("the extension card does not name the cap of 8 working days:\n%s", text)
	}
}

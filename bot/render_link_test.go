package bot_test

import (
	"strings"
	"testing"

	"bbcs/bot"
	"bbcs/models"
)

// A card's link says what it opens: an order's forms, the month's full
// summary, the console's appeals — not the order's words on every card
// (DingTalk's actionCard button reads the same label).
func TestCardLinksSayWhatTheyOpen(t *testing.T) {
	for _, tc := range []struct {
		kind models.NoticeKind
		d    models.NoticeData
		want string
	}{
		{models.NoticeMonthly, models.NoticeData{Note: "【2026年3月 月报】", Text: "受理 12 件", Link: "https://bbcs.example/admin/reports?month=2026-03"}, "[查看完整月报](https://bbcs.example/admin/reports?month=2026-03)"},
		{models.NoticeAppealFiled, models.NoticeData{CaseNo: "BB20260310-001", DepartmentName: "不动产登记窗口", Link: "https://bbcs.example/admin/appeals"}, "[在管理后台裁定申诉](https://bbcs.example/admin/appeals)"},
	} {
		card := bot.RenderCard(tc.kind, tc.d)
		md := card.Markdown(func(string) string { return "" })
		if !strings.Contains(md, tc.want) {
			t.Errorf("%s: %q, want %q", tc.kind, md, tc.want)
		}
		if strings.Contains(md, "签收") {
			t.Errorf("%s: %q offers the order's forms", tc.kind, md)
		}
	}
	order := bot.Card{Title: "【工单】", Link: "https://bbcs.example/act/GD20260310-001-1?platform=dingtalk"}
	if got := order.LinkText(); got != "在页面中签收、答复、延期或上报" {
		t.Errorf("an order's link says %q", got)
	}
}

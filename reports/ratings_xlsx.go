package reports

import (
	"fmt"
	"strconv"
	"time"

	"bbcs/models"
)

// RatingColumns are the columns of the 好差评 workbook, one a field of
// models.RatingRecord, in its order.
var RatingColumns = []string{
	"记录编号", "案件编号", "办理轮次", "事项类别", "反映事项", "部门编码", "部门名称",
	"反映人", "反映人类型", "联系电话", "评价渠道", "评价等级", "分值", "评价意见", "评价时间", "未评价默认满意",
	"整改期限", "核实结论", "整改措施", "整改反馈时间", "按时整改", "申诉状态", "申诉理由", "申诉裁定", "不计入考核",
}

// RatingBook writes the month's 好差评 records as an .xlsx workbook, a
// batch at a time, as the ledger does.
type RatingBook struct{ *sheet }

// NewRatingBook starts the workbook with its header.
func NewRatingBook() (*RatingBook, error) {
	widths := []float64{26, 17, 8, 16, 40, 12, 16, 14, 8, 14, 10, 10, 6, 30, 17, 8, 17, 8, 30, 17, 8, 10, 12, 24, 8}
	s, err := newSheet("好差评", RatingColumns, widths)
	if err != nil {
		return nil, err
	}
	return &RatingBook{s}, nil
}

// Add writes records as rows.
func (b *RatingBook) Add(recs []models.RatingRecord) error {
	for _, rec := range recs {
		if err := b.add(ratingCells(rec)); err != nil {
			return fmt.Errorf("reports: ratings: %w", err)
		}
	}
	return nil
}

func ratingCells(r models.RatingRecord) []any {
	score := "—"
	if r.Score != nil {
		score = strconv.Itoa(*r.Score)
	}
	kind := models.ApplicantKind(r.ApplicantKind).Label()
	verdict := ""
	if r.RectifyVerdict != "" {
		verdict = models.RectifyVerdict(r.RectifyVerdict).Label()
	}
	onTime := ""
	if r.RectifiedOnTime != nil {
		onTime = yesNo(*r.RectifiedOnTime)
	}
	status, ground := "", ""
	if r.AppealStatus != "" {
		status, ground = models.AppealStatus(r.AppealStatus).Label(), models.AppealGround(r.AppealGround).Label()
	}
	defaulted := ""
	if r.Defaulted {
		defaulted = "是"
	}
	excluded := ""
	if r.Excluded {
		excluded = "是"
	}
	return []any{
		r.RecordID, r.CaseNo, r.Round, r.CategoryName, r.Matter, r.DepartmentCode, r.DepartmentName,
		r.ApplicantName, kind, r.ApplicantPhone, r.Channel, r.LevelName, score, r.Comment, timeCell(&r.RatedAt), defaulted,
		timeCell(r.RectifyDueAt), verdict, r.RectifyMeasures, timeCell(r.RectifiedAt), onTime, status, ground, r.AppealDecision, excluded,
	}
}

func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return localTime(*t)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

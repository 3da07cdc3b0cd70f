package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

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
// batch at a time through excelize's stream writer, as the ledger does.
type RatingBook struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
}

// NewRatingBook starts the workbook with its header.
func NewRatingBook() (*RatingBook, error) {
	f := excelize.NewFile()
	sheet := "好差评"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("reports: name sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("reports: stream writer: %w", err)
	}
	widths := []float64{26, 17, 8, 16, 40, 12, 16, 14, 8, 14, 10, 10, 6, 30, 17, 8, 17, 8, 30, 17, 8, 10, 12, 24, 8}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, fmt.Errorf("reports: column width: %w", err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, fmt.Errorf("reports: header style: %w", err)
	}
	header := make([]any, len(RatingColumns))
	for i, c := range RatingColumns {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("reports: freeze header: %w", err)
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 20}); err != nil {
		return nil, fmt.Errorf("reports: header: %w", err)
	}
	return &RatingBook{f: f, sw: sw, row: 1}, nil
}

// Add writes records as rows.
func (b *RatingBook) Add(recs []models.RatingRecord) error {
	for _, rec := range recs {
		b.row++
		cell, _ := excelize.CoordinatesToCellName(1, b.row)
		if err := b.sw.SetRow(cell, ratingCells(rec)); err != nil {
			return fmt.Errorf("reports: rating row %d: %w", b.row, err)
		}
	}
	return nil
}

// WriteTo finishes the workbook and writes it as it is compressed.
func (b *RatingBook) WriteTo(w io.Writer) (int64, error) {
	if err := b.sw.Flush(); err != nil {
		return 0, fmt.Errorf("reports: finish ratings: %w", err)
	}
	defer b.f.Close()
	cw := &countingWriter{w: w}
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(cw) })
	if _, err := b.f.WriteTo(io.Discard); err != nil {
		return cw.n, err
	}
	return cw.n, cw.err
}

// Close drops a workbook that will not be written.
func (b *RatingBook) Close() error { return b.f.Close() }

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

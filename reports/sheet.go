package reports

import (
	"archive/zip"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// sheet is a workbook of one streamed worksheet, as the ledger and the
// 好差评 record export it: a bold header that stays in view, then rows a
// batch at a time through excelize's stream writer, so a large export
// holds one batch in memory, not the whole sheet.
type sheet struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int // the last row written; the header is row 1
}

func newSheet(name string, columns []string, widths []float64) (*sheet, error) {
	if len(widths) != len(columns) {
		// A column added without its width reads in Excel's narrow default.
		return nil, fmt.Errorf("reports: sheet %s has %d columns and %d widths", name, len(columns), len(widths))
	}
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, fmt.Errorf("reports: name sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("reports: stream writer: %w", err)
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, fmt.Errorf("reports: column width: %w", err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, fmt.Errorf("reports: header style: %w", err)
	}
	header := make([]any, len(columns))
	for i, c := range columns {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("reports: freeze header: %w", err)
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 20}); err != nil {
		return nil, fmt.Errorf("reports: header: %w", err)
	}
	return &sheet{f: f, sw: sw, row: 1}, nil
}

// add writes the next row.
func (s *sheet) add(cells []any) error {
	s.row++
	cell, _ := excelize.CoordinatesToCellName(1, s.row)
	if err := s.sw.SetRow(cell, cells); err != nil {
		return fmt.Errorf("reports: row %d: %w", s.row, err)
	}
	return nil
}

// WriteTo finishes the workbook and writes it. The archive goes to w as it
// is compressed: excelize's own WriteTo would first build all of it in
// memory (File.WriteToBuffer), some 17 MB per 100 000 rows.
func (s *sheet) WriteTo(w io.Writer) (int64, error) {
	if err := s.sw.Flush(); err != nil {
		return 0, fmt.Errorf("reports: finish workbook: %w", err)
	}
	defer s.f.Close()
	cw := &countingWriter{w: w}
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(cw) })
	if _, err := s.f.WriteTo(io.Discard); err != nil {
		return cw.n, err
	}
	return cw.n, cw.err
}

// Close drops a workbook that will not be written, with its temporary
// files.
func (s *sheet) Close() error { return s.f.Close() }

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"bbcs/models"
	"bbcs/reports"
)

// ratingsJSON is the month's 好差评 records as the API answers them.
type ratingsJSON struct {
	Month  string `json:"month"`
	Centre string `json:"centre"`
	// UnratedCountedAs says how a round closed 未评价 is counted:
	// not_rated (its own outcome) or satisfied (the local rule
	// rating.unrated_as_satisfied; such records are marked defaulted).
	UnratedCountedAs string                `json:"unrated_counted_as"`
	Records          []models.RatingRecord `json:"records"`
}

// ratingMonth reads and checks ?month= before anything is built.
func (s *Server) ratingMonth(w http.ResponseWriter, r *http.Request) (string, bool) {
	month := r.URL.Query().Get("month")
	if month == "" {
		writeError(w, http.StatusBadRequest, "invalid", "请给出月份，例如 month=2026-03")
		return "", false
	}
	if _, _, err := s.Reports.MonthRange(month); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "月份 "+month+" 不正确，应为 YYYY-MM，例如 month=2026-03")
		return "", false
	}
	return month, true
}

// ratings is the month's 好差评 records (issue 16) as JSON.
func (s *Server) ratings(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	month, ok := s.ratingMonth(w, r)
	if !ok {
		return
	}
	out := ratingsJSON{Month: month, Centre: s.Reports.CentreName(), UnratedCountedAs: s.Reports.UnratedCountedAs(), Records: []models.RatingRecord{}}
	err := s.Reports.RatingRecords(r.Context(), month, func(recs []models.RatingRecord) error {
		out.Records = append(out.Records, recs...)
		return nil
	})
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ratingsBook is the same month as an .xlsx workbook.
func (s *Server) ratingsBook(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	month, ok := s.ratingMonth(w, r)
	if !ok {
		return
	}
	allowLongResponse(w)
	book, err := buildRatingsBook(r.Context(), s.Reports, month)
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	sendRatingsBook(w, book, month, s.Log)
}

// ratingsExport is the workbook from the console's 月报 page.
func (c *Console) ratingsExport(w http.ResponseWriter, r *http.Request, p consolePage) {
	allowLongResponse(w)
	month := r.URL.Query().Get("month")
	book, err := buildRatingsBook(r.Context(), c.Reports, month)
	if err != nil {
		c.failed(w, p, "导出好差评记录", err)
		return
	}
	sendRatingsBook(w, book, month, c.log())
}

// buildRatingsBook writes the month's records into the workbook, whole,
// before any byte goes out: a bad month or a database error can still be
// answered properly.
func buildRatingsBook(ctx context.Context, rep *reports.Reports, month string) (*reports.RatingBook, error) {
	if _, _, err := rep.MonthRange(month); err != nil {
		return nil, err
	}
	book, err := reports.NewRatingBook()
	if err != nil {
		return nil, err
	}
	if err := rep.RatingRecords(ctx, month, book.Add); err != nil {
		book.Close()
		return nil, err
	}
	return book, nil
}

func sendRatingsBook(w http.ResponseWriter, book *reports.RatingBook, month string, log *slog.Logger) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ratings-`+month+`.xlsx"; filename*=UTF-8''`+url.PathEscape("好差评-"+month)+".xlsx")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := book.WriteTo(w); err != nil {
		log.Error("write ratings workbook", "err", err)
	}
}

package handlers

import (
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
	out := ratingsJSON{Month: month, Centre: s.Reports.CentreName(), UnratedCountedAs: models.LevelNotRated, Records: []models.RatingRecord{}}
	if s.UnratedAsSatisfied {
		out.UnratedCountedAs = string(models.RatingSatisfied)
	}
	err := s.Reports.RatingRecords(r.Context(), month, s.UnratedAsSatisfied, func(recs []models.RatingRecord) error {
		out.Records = append(out.Records, recs...)
		return nil
	})
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ratingsBook is the same month as an .xlsx workbook, built whole before
// any byte goes out so a database error is still answered properly.
func (s *Server) ratingsBook(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	month, ok := s.ratingMonth(w, r)
	if !ok {
		return
	}
	allowLongResponse(w)
	book, err := reports.NewRatingBook()
	if err != nil {
		fail(w, s.Log, r, err)
		return
	}
	if err := s.Reports.RatingRecords(r.Context(), month, s.UnratedAsSatisfied, book.Add); err != nil {
		book.Close()
		fail(w, s.Log, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ratings-`+month+`.xlsx"; filename*=UTF-8''`+url.PathEscape("好差评-"+month)+".xlsx")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := book.WriteTo(w); err != nil {
		s.Log.Error("write ratings workbook", "err", err)
	}
}

package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/reports"
)

// buildLedger writes the cases matching the list's filters into the
// ledger workbook (第十五条), whole, before any byte goes out: a bad filter
// or a database error can still be answered properly. Window staff get
// masked mobiles, as everywhere.
func buildLedger(ctx context.Context, cases *casework.Service, q url.Values, actor models.Staff) (*reports.Ledger, string, error) {
	f := filterOf(q)
	depts, err := cases.Departments(ctx)
	if err != nil {
		return nil, "", err
	}
	names := make(map[string]string, len(depts))
	for code, d := range depts {
		names[code] = d.Name
	}
	book, err := reports.NewLedger(names, !seesFullMobile(actor), cases.Clock().Now())
	if err != nil {
		return nil, "", err
	}
	err = cases.Ledger(ctx, f, func(batch []casework.LedgerEntry) error {
		rows := make([]reports.LedgerCase, len(batch))
		for i, e := range batch {
			rows[i] = reports.LedgerCase{Case: e.Case, OwnerName: e.OwnerName, Orders: e.Orders, Ratings: e.Ratings, FollowUps: e.FollowUps, Appeals: e.Appeals, Deductions: e.Deductions, Rectifications: e.Rectifications}
		}
		return book.Add(rows)
	})
	if err != nil {
		book.Close()
		return nil, "", err
	}
	name := "台账"
	if f.Month != "" {
		name += "-" + f.Month
	}
	return book, name, nil
}

// filterOf reads the ledger's filters from a query string (the API's
// list, the console's ledger and both exports).
func filterOf(q url.Values) casework.Filter {
	return casework.Filter{
		Month: q.Get("month"), Status: models.CaseStatus(q.Get("status")),
		Department: q.Get("department"), Category: models.Category(q.Get("category")),
	}
}

// allowLongResponse lifts the server's write timeout for an export: a
// year's ledger takes longer to build and send than any other answer.
func allowLongResponse(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Minute))
}

func sendLedger(w http.ResponseWriter, book *reports.Ledger, name string, log *slog.Logger) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ledger.xlsx"; filename*=UTF-8''`+url.PathEscape(name)+".xlsx")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := book.WriteTo(w); err != nil {
		log.Error("write ledger", "err", err)
	}
}

package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"bbcs/models"
)

// An appeal's files are evidence the supervision section reads before it
// decides: GET /api/v1/appeals/{id}/files/{n} and the console's
// /admin/appeals/{id}/files/{n} give the n-th (from 1) as it was sent.
// Always as a download and never sniffed: a department's file is not a
// page of bbcs's to render (an HTML “screenshot” must not run in the
// console's origin).

// downloadTypes are the types kept as sent; any other is served as bytes.
var downloadTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "application/pdf": true}

func (s *Server) appealFile(w http.ResponseWriter, r *http.Request, _ models.Staff) {
	serveAppealFile(w, r, s.Log, s.Cases.AppealFile)
}

func (c *Console) appealFile(w http.ResponseWriter, r *http.Request, _ consolePage) {
	serveAppealFile(w, r, c.log(), c.Cases.AppealFile)
}

// serveAppealFile reads only the file asked for, not all of the appeal's;
// a failure to read it is logged, as every request's is (fail).
func serveAppealFile(w http.ResponseWriter, r *http.Request, log *slog.Logger, file func(context.Context, uint64, int) (*models.AppealFile, error)) {
	id, err1 := strconv.ParseUint(r.PathValue("id"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err1 != nil || err2 != nil || n < 1 {
		writeError(w, http.StatusNotFound, "not_found", "申诉附件不存在")
		return
	}
	f, err := file(r.Context(), id, n)
	if err != nil { // not found: 申诉 id 没有第 n 个附件
		fail(w, log, r, err)
		return
	}
	ct := f.ContentType
	if !downloadTypes[ct] {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="appeal-file"; filename*=UTF-8''`+url.PathEscape(f.Name))
	w.Write(f.Data)
}

package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"bbcs/models"
)

// maxBody bounds every JSON body: no request of the API needs more.
const maxBody = 1 << 20

// decode reads a JSON body into v, answering 400/413 itself on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := decodeInto(r, v); err != nil {
		writeBodyError(w, err)
		return false
	}
	return true
}

// bodyError is a request body that could not be read.
type bodyError struct {
	status  int
	code    string
	message string
}

func (e *bodyError) Error() string { return e.message }

// decodeInto reads a JSON body into v. An empty body is an empty object.
// The caller has bounded r.Body with http.MaxBytesReader.
func decodeInto(r *http.Request, v any) error {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return &bodyError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("请求内容过大（上限 %d 字节）", maxBody)}
	case errors.As(err, &typ):
		return &bodyError{http.StatusBadRequest, "invalid", fmt.Sprintf("字段 %s 的类型不正确，应为 %s", typ.Field, typ.Type)}
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return &bodyError{http.StatusBadRequest, "invalid", "请求内容不是有效的 JSON"}
	}
	return &bodyError{http.StatusBadRequest, "invalid", "无法读取请求内容"}
}

func writeBodyError(w http.ResponseWriter, err error) {
	var be *bodyError
	if errors.As(err, &be) {
		writeError(w, be.status, be.code, be.message)
		return
	}
	writeError(w, http.StatusBadRequest, "invalid", "无法读取请求内容")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiError is the JSON error of the black-box contract.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message})
}

// statusOf is the one place an error code becomes an HTTP status.
func statusOf(code models.Code) int {
	switch code {
	case models.ErrInvalid:
		return http.StatusBadRequest
	case models.ErrUnauthorized:
		return http.StatusUnauthorized
	case models.ErrForbidden:
		return http.StatusForbidden
	case models.ErrNotFound:
		return http.StatusNotFound
	case models.ErrConflict:
		return http.StatusConflict
	case models.ErrLimit:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// fail answers err; internal errors are logged, and the person only
// sees an apology.
func fail(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	code := models.ErrorCode(err)
	if code == models.ErrInternal {
		args := []any{"method", r.Method, "path", r.URL.Path, "err", err}
		if no := r.PathValue("no"); no != "" {
			key := "case"
			if strings.Contains(r.URL.Path, "/work-orders/") {
				key = "order"
			}
			args = append(args, key, no)
		}
		log.Error("request failed", args...)
	}
	writeError(w, statusOf(code), string(code), models.ErrorMessage(err))
}

func formatTime(t time.Time) string { return t.In(models.Shanghai).Format(time.RFC3339) }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

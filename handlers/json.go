package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
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
		return &bodyError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("请求内容过大，最多 %s", humanBytes(maxBody))}
	case errors.As(err, &typ):
		return &bodyError{http.StatusBadRequest, "invalid", fmt.Sprintf("%s应为%s", fieldLabel(typ.Field), kindLabel(typ.Type))}
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

// humanBytes writes a byte limit as people say it: 1 MB, 512 KB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " 字节"
}

// fieldLabels name the API's fields as the console's forms do.
var fieldLabels = map[string]string{
	"applicant_name": "反映人姓名", "applicant_mobile": "联系电话", "applicant_kind": "反映人类型", "company": "企业名称",
	"category": "类别", "matter": "反映事项", "channel": "反映渠道", "departments": "派发部门", "department": "部门",
	"decision": "研判结果", "note": "说明", "result": "答复内容", "to": "交给", "reason": "原因", "way": "解决途径",
	"path": "办理渠道", "missing": "缺少的条件或材料", "how": "如何补齐", "leader": "领导", "question": "请示内容",
	"answer": "批示意见", "level": "评价等级", "comment": "评价意见", "via": "评价方式", "staff": "责任人", "kind": "过错类型",
	"due_date": "延期至", "joint": "联合办理", "cases": "案件", "now": "时间",
}

// fieldLabel is "评价等级（level）" for the decoder's field path "Level"
// or "departments"; an unknown field is shown as sent.
func fieldLabel(field string) string {
	if field == "" {
		return "请求中的某个字段"
	}
	key := strings.ToLower(field)
	if i := strings.LastIndex(key, "."); i >= 0 {
		key = key[i+1:]
	}
	if l, ok := fieldLabels[key]; ok {
		return l + "（" + key + "）"
	}
	return "字段 " + key + " "
}

// kindLabel says what a JSON value should be, in the words of the forms.
func kindLabel(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "文字，用双引号括起"
	case reflect.Bool:
		return " true 或 false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Float64:
		return "数字"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "文字的列表，例如 [\"税务窗口\"]"
		}
		return "列表"
	case reflect.Struct, reflect.Map:
		return "对象 { … }"
	}
	return "其他类型"
}

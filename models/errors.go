package models

import (
	"errors"
	"fmt"
)

// Code classifies an error for every surface: the API maps it to an HTTP
// status, the chat handlers to a polite reply.
type Code string

const (
	ErrInvalid      Code = "invalid"      // the request itself is wrong
	ErrUnauthorized Code = "unauthorized" // no or unknown credentials
	ErrForbidden    Code = "forbidden"    // known person, not theirs to do
	ErrNotFound     Code = "not_found"
	ErrConflict     Code = "conflict" // not in this state (a second sign, a closed case)
	ErrLimit        Code = "limit"    // a rule's limit, e.g. the 10-working-day cap
	ErrInternal     Code = "internal"
)

// Error is bbcs's one error vocabulary. Message is Chinese, for the person
// who acted; it never holds personal data beyond what that person sent.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, ErrInternal for errors of unknown kind.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// ErrorMessage returns the Chinese message of err, or a generic apology
// for internal errors, whose details belong in the log only.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "系统繁忙，请稍后再试"
}

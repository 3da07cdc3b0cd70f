package config

import (
	"fmt"
	"reflect"
	"time"
)

// Location loads the workday time zone.
func (w Workday) Location() (*time.Location, error) {
	return time.LoadLocation(w.Timezone)
}

// ParseClock parses a time of day written "HH:MM" (00:00 to 23:59) into
// its offset from midnight.
func ParseClock(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("want a time of day as HH:MM, got %q", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("want a time of day as HH:MM, got %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// StaffByID returns the staff member with the given id.
func (c *Config) StaffByID(id string) (Staff, bool) {
	for _, s := range c.Staff {
		if s.ID == id {
			return s, true
		}
	}
	return Staff{}, false
}

// DepartmentByCode returns the department with the given code.
func (c *Config) DepartmentByCode(code string) (Department, bool) {
	for _, d := range c.Departments {
		if d.Code == code {
			return d, true
		}
	}
	return Department{}, false
}

// redactedValue replaces a secret in Redacted.
const redactedValue = "***"

// Redacted returns a deep copy of c with every non-empty field tagged
// secret:"true" replaced by "***", for logging the effective configuration.
// c is left untouched.
func (c *Config) Redacted() *Config {
	if c == nil {
		return nil
	}
	cp := deepCopy(reflect.ValueOf(c).Elem())
	redact(cp)
	out := cp.Interface().(Config)
	return &out
}

// deepCopy copies v with its own slices and maps.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			out.Field(i).Set(deepCopy(v.Field(i)))
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(deepCopy(it.Key()), deepCopy(it.Value()))
		}
		return out
	case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		panic("config: deepCopy cannot copy " + v.Type().String())
	}
	return v
}

// redact blanks the secrets in v, which must be settable.
func redact(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("secret") == "true" && f.Type.Kind() == reflect.String {
				if v.Field(i).String() != "" {
					v.Field(i).SetString(redactedValue)
				}
				continue
			}
			redact(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			redact(v.Index(i))
		}
	}
}

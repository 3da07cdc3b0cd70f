package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// envPrefix starts every override's name.
const envPrefix = "BBCS_"

// envKey is the override of one scalar key.
type envKey struct {
	name string // BBCS_…
	path string // the key path, for problems
	set  func(string) error
}

// envKeys lists the override of every scalar key that c holds.
func envKeys(c *Config) []envKey {
	var keys []envKey
	walkKeys(reflect.ValueOf(c).Elem(), "", strings.TrimSuffix(envPrefix, "_"), &keys)
	return keys
}

func walkKeys(v reflect.Value, path, name string, keys *[]envKey) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("yaml") == "-" {
				continue
			}
			key := keyName(f)
			walkKeys(v.Field(i), join(path, key), name+"_"+strings.ToUpper(key), keys)
		}
	case reflect.Slice:
		for i := range v.Len() {
			elem := v.Index(i)
			addr := strconv.Itoa(i)
			if id := elementID(elem); id != "" {
				addr = EnvSegment(id)
			}
			walkKeys(elem, fmt.Sprintf("%s[%d]", path, i), name+"_"+addr, keys)
		}
	case reflect.Map:
		m := v
		ks := m.MapKeys()
		slices.SortFunc(ks, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range ks {
			*keys = append(*keys, envKey{
				name: name + "_" + EnvSegment(k.String()),
				path: join(path, k.String()),
				set: func(s string) error {
					elem := reflect.New(m.Type().Elem()).Elem()
					if err := setScalar(elem, s); err != nil {
						return err
					}
					m.SetMapIndex(k, elem)
					return nil
				},
			})
		}
	default:
		*keys = append(*keys, envKey{name: name, path: path, set: func(s string) error { return setScalar(v, s) }})
	}
}

// elementID is the code or id a list element is addressed by, "" if none.
func elementID(v reflect.Value) string {
	if v.Kind() != reflect.Struct {
		return ""
	}
	if i, ok := idField(v.Type()); ok {
		return v.Field(i).String()
	}
	return ""
}

// idField finds the field tagged code or id of a struct type.
func idField(t reflect.Type) (int, bool) {
	if t.Kind() != reflect.Struct {
		return 0, false
	}
	fields := fieldIndex(t)
	for _, key := range []string{"code", "id"} {
		if i, ok := fields[key]; ok && t.Field(i).Type.Kind() == reflect.String {
			return i, true
		}
	}
	return 0, false
}

// EnvSegment is how a department code, staff id or map key appears in an
// override's name: upper case, every character other than A-Z and 0-9 as "_".
func EnvSegment(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// setScalar parses s into v as an override does.
func setScalar(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v.OverflowInt(i) {
			return fmt.Errorf("want an integer, got %q", s)
		}
		v.SetInt(i)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// environMap parses KEY=VALUE entries; a later entry wins, as with exec.Cmd.
func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			m[k] = v
		}
	}
	return m
}

// applyEnv applies the overrides in environ to c and returns the problems.
// Elements are addressed as they were before any override, so an override
// of a department's code does not move the others of that department.
func applyEnv(c *Config, environ []string) Errors {
	vars := environMap(environ)
	if len(vars) == 0 {
		return nil
	}
	byName := map[string][]envKey{}
	var names []string
	for _, k := range envKeys(c) {
		if _, ok := byName[k.name]; !ok {
			names = append(names, k.name)
		}
		byName[k.name] = append(byName[k.name], k)
	}
	slices.Sort(names)

	var errs Errors
	for _, name := range names {
		keys := byName[name]
		value, direct := vars[name]
		fileVar := name + "_FILE"
		file, viaFile := vars[fileVar]
		if _, isKey := byName[fileVar]; isKey {
			viaFile = false // NAME_FILE is itself a key (workday.override_file)
		}
		if !direct && !viaFile {
			continue
		}
		if len(keys) > 1 {
			paths := make([]string, len(keys))
			for i, k := range keys {
				paths[i] = k.path
			}
			errs = append(errs, Problem{keys[0].path, fmt.Sprintf(
				"%s names several keys (%s); give them codes or ids that differ in more than punctuation and case",
				name, strings.Join(paths, ", "))})
			continue
		}
		k := keys[0]
		if direct && viaFile {
			errs = append(errs, Problem{k.path, fmt.Sprintf("both %s and %s are set; use one", name, fileVar)})
			continue
		}
		from := name
		if viaFile {
			from = fileVar
			data, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, Problem{k.path, fmt.Sprintf("cannot read %s: %v", fileVar, err)})
				continue
			}
			value = strings.TrimRight(string(data), "\r\n")
		}
		if err := k.set(value); err != nil {
			errs = append(errs, Problem{k.path, fmt.Sprintf("%v (from %s)", err, from)})
		}
	}
	return errs
}

// UnknownEnv lists, sorted, the BBCS_ variables in environ that cannot be the
// override of any key (nor BBCS_CONFIG), so the caller can warn about typos.
// It knows the shape of the configuration, not the file: a variable that
// addresses a department code or staff id the file lacks is not listed here
// (Load ignores it).
//
// An override sets one scalar key. Its name is BBCS_ and the key's path in
// upper case with "." as "_": http.addr is BBCS_HTTP_ADDR,
// wecom.bot_encoding_aes_key is BBCS_WECOM_BOT_ENCODING_AES_KEY. An element
// of departments is addressed by its code and one of staff by its id (see
// EnvSegment), an element without one by its index from 0, a map entry
// (wechat.templates) by its key:
//
//	BBCS_DEPARTMENTS_REALESTATE_GROUP_SECRET   departments[code=realestate].group.secret
//	BBCS_STAFF_ZHANG_SAN_MOBILE                staff[id=zhang.san].mobile
//	BBCS_API_TOKENS_0_TOKEN                    api.tokens[0].token
//	BBCS_DUTY_ROTATION_1                       duty.rotation[1]
//
// Overrides only change what the file (or the defaults) already hold: they
// add no list element or map entry, and one naming nothing that exists is
// ignored. NAME_FILE instead of NAME reads the value from that file, without
// its trailing newline, for Docker and Kubernetes secrets.
func UnknownEnv(environ []string) []string {
	var unknown []string
	t := reflect.TypeFor[Config]()
	for name := range environMap(environ) {
		if name == ConfigEnv {
			continue
		}
		toks := strings.Split(strings.TrimPrefix(name, envPrefix), "_")
		if matchEnv(t, toks) {
			continue
		}
		if n := len(toks); n > 1 && toks[n-1] == "FILE" && matchEnv(t, toks[:n-1]) {
			continue
		}
		unknown = append(unknown, name)
	}
	slices.Sort(unknown)
	return unknown
}

// matchEnv reports whether the "_"-separated tokens of an override's name,
// after BBCS_, can address a scalar key of a value of type t.
func matchEnv(t reflect.Type, toks []string) bool {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("yaml") == "-" {
				continue
			}
			ft := strings.Split(strings.ToUpper(keyName(f)), "_")
			if len(toks) >= len(ft) && slices.Equal(toks[:len(ft)], ft) && matchEnv(f.Type, toks[len(ft):]) {
				return true
			}
		}
		return false
	case reflect.Slice:
		if len(toks) == 0 {
			return false
		}
		if _, ok := idField(t.Elem()); ok {
			// A code or id may itself contain "_": try every split.
			for n := 1; n <= len(toks); n++ {
				if matchEnv(t.Elem(), toks[n:]) {
					return true
				}
			}
			return false
		}
		if _, err := strconv.ParseUint(toks[0], 10, 0); err != nil {
			return false
		}
		return matchEnv(t.Elem(), toks[1:])
	case reflect.Map:
		return len(toks) > 0
	default:
		return len(toks) == 0
	}
}

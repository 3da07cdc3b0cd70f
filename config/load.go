package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	_ "time/tzdata" // workday.timezone must load on hosts and images without zoneinfo

	"go.yaml.in/yaml/v3"
)

// ConfigEnv names the environment variable holding the config file's path
// (used when --config is not given). It is not a key and never an override.
const ConfigEnv = "BBCS_CONFIG"

// Problem is one thing wrong with the configuration: the key path it concerns
// (http.addr, departments[1].group.platform; the file's name for problems
// reading the file) and what is wrong with it.
type Problem struct {
	Path    string
	Message string
}

// String renders the problem as "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// Errors is every problem found while loading or validating a configuration,
// in the order they were found. Load and Validate return it as *Errors, so
// `bbcs config check` can print each problem on its own line.
type Errors []Problem

// Error joins the problems one per line as "path: message".
func (e *Errors) Error() string {
	lines := make([]string, len(*e))
	for i, p := range *e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Default returns a configuration with every default filled in. It passes
// Validate: bbcs starts on it with an SQLite file, an in-process Redis, no
// staff and no platform credentials (it then only logs what it would send).
func Default() *Config {
	return &Config{
		HTTP:     HTTP{Addr: ":8080"},
		Database: Database{SQLitePath: "bbcs.db"},
		Redis:    Redis{KeyPrefix: "bbcs"},
		Workday: Workday{
			Timezone:     "Asia/Shanghai",
			EndOfDay:     "18:00",
			ReminderTime: "09:00",
			ReplyDays:    3,
			MaxDays:      10,
		},
		Centre: Centre{
			Name:        "县政务服务中心",
			CasePrefix:  "BB",
			OrderPrefix: "GD",
		},
		WeChat:   WeChat{APIBase: "https://api.weixin.qq.com"},
		WeCom:    WeCom{APIBase: "https://qyapi.weixin.qq.com"},
		DingTalk: DingTalk{OAPIBase: "https://oapi.dingtalk.com", APIBase: "https://api.dingtalk.com"},
		Duty:     Duty{CheckIn: "08:30"},
		Rating:   Rating{RemindAfter: "48h", CloseAfter: "168h", LinkTTL: "168h", RectifyDays: 5, AppealDays: 5},
		Log:      Log{Level: "info", Format: "text"},
	}
}

// Load reads the YAML file at path over Default() (keys the file leaves out,
// or sets to null, keep their defaults; a list in the file replaces the
// default list), applies the BBCS_* overrides found in environ (see
// UnknownEnv for their names) and validates the result. path "" means no
// file: defaults and environment only.
//
// Every problem — an unreadable file, an unknown key, a value of the wrong
// type, a bad override, a failed check — is collected and returned together
// as *Errors; the config is returned only when there is none.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	var errs Errors
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &Errors{{Path: path, Message: "cannot read the config file: " + err.Error()}}
		}
		d := decoder{name: path}
		if !d.file(data, reflect.ValueOf(c).Elem()) {
			return nil, &d.problems
		}
		errs = append(errs, d.problems...)
	}
	errs = append(errs, applyEnv(c, environ)...)
	if err := c.Validate(); err != nil {
		// A key whose value could not be read keeps its default; checking
		// it again would only repeat the first problem in other words.
		for _, p := range *err.(*Errors) {
			if !coveredBy(p.Path, errs) {
				errs = append(errs, p)
			}
		}
	}
	if len(errs) > 0 {
		return nil, &errs
	}
	return c, nil
}

// coveredBy reports whether path is, or lies under, a path already reported.
func coveredBy(path string, errs Errors) bool {
	for _, p := range errs {
		if path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// decoder walks a YAML node tree alongside the Config it fills, so every
// problem is named by its key path.
type decoder struct {
	name     string // the file's name, for problems with the file as a whole
	problems Errors
}

func (d *decoder) add(path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// file decodes the first YAML document of data into v. It reports false when
// the file is not YAML at all, so nothing else is worth checking.
func (d *decoder) file(data []byte, v reflect.Value) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return true // an empty file, or comments only
		}
		d.add(d.name, "%v", err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		d.add(d.name, "holds more than one YAML document; bbcs reads one")
		return err == nil
	}
	n := root.Content[0]
	if resolve(n).Kind != yaml.MappingNode && !isNull(n) {
		d.add(d.name, "want a mapping of keys at the top level, got %s", describe(n))
		return true
	}
	d.decode(n, v, "")
	return true
}

// decode stores node n into v, the field at path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if isNull(n) {
		return // "key:" or "key: null" keeps the default
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(path, "want a string, got %s", describe(n))
			return
		}
		// Any scalar is text: agent_id: 1000002, mobile: 13800138000 and
		// date: 2026-10-01 keep exactly what was written.
		v.SetString(n.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode {
			d.add(path, "want an integer, got %s", describe(n))
			return
		}
		var i int64
		var err error
		if n.ShortTag() == "!!int" {
			err = n.Decode(&i)
		} else if n.ShortTag() == "!!str" {
			i, err = strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64)
		} else {
			err = errors.New("not an integer")
		}
		if err != nil || v.OverflowInt(i) {
			d.add(path, "want an integer, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			d.add(path, "want true or false, got %s", describe(n))
			return
		}
		switch {
		case n.ShortTag() == "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				d.add(path, "want true or false, got %q", n.Value)
				return
			}
			v.SetBool(b)
		case n.ShortTag() == "!!str" && strings.EqualFold(n.Value, "true"):
			v.SetBool(true)
		case n.ShortTag() == "!!str" && strings.EqualFold(n.Value, "false"):
			v.SetBool(false)
		default:
			d.add(path, "want true or false, got %q", n.Value)
		}
	default:
		panic("config: no decoding for " + v.Type().String() + " at " + path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(path, "want a mapping, got %s", describe(n))
		return
	}
	fields := fieldIndex(v.Type())
	for _, e := range d.entries(n, path) {
		p := join(path, e.key)
		i, ok := fields[e.key]
		if !ok {
			d.add(p, "unknown key")
			continue
		}
		d.decode(e.value, v.Field(i), p)
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.add(path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(path, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.entries(n, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, elem, join(path, e.key))
		m.SetMapIndex(reflect.ValueOf(e.key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

type entry struct {
	key   string
	value *yaml.Node
}

// entries lists a mapping's key/value pairs in the order they apply: merged
// mappings (<<: *anchor) first, so the mapping's own keys override them.
// Duplicate and non-scalar keys are reported and dropped.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var merged, own []entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merged = append(merged, d.merge(val, path)...)
			continue
		}
		k = resolve(k)
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.add(path, "keys must be plain words, got %s", describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.add(join(path, k.Value), "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, entry{k.Value, val})
	}
	return append(merged, own...)
}

// merge returns the entries a merge key brings in: one mapping, or a list of
// mappings of which the earlier take precedence.
func (d *decoder) merge(n *yaml.Node, path string) []entry {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return d.entries(n, path)
	case yaml.SequenceNode:
		var out []entry
		for i := len(n.Content) - 1; i >= 0; i-- {
			m := resolve(n.Content[i])
			if m.Kind != yaml.MappingNode {
				d.add(join(path, "<<"), "want a mapping or a list of mappings, got %s", describe(m))
				continue
			}
			out = append(out, d.entries(m, path)...)
		}
		return out
	}
	d.add(join(path, "<<"), "want a mapping or a list of mappings, got %s", describe(n))
	return nil
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" &&
		(n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

// describe names what a node holds, for "want …, got …" messages.
func describe(n *yaml.Node) string {
	switch resolve(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(resolve(n).Value)
	}
	return "nothing"
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// keyName is the YAML key of a struct field.
func keyName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// fieldIndex maps the YAML keys of struct type t to field indexes.
func fieldIndex(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("yaml") != "-" {
			m[keyName(f)] = i
		}
	}
	return m
}

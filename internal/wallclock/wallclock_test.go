// Package wallclock holds one test: business time never reaches the wire.
//
// REQUIREMENTS.md ("Test clock"): with the test clock moved, signatures,
// platform timestamps, token lifetimes, rate-limit windows and the
// freshness checks of inbound callbacks keep the wall clock; only business
// time (deadlines, timers, rating clocks, the 48-hour window, dialog
// expiry) follows it. The compiler already refuses a *clock.Fake where a
// clock.Wall is wanted (bot.Fresh, bot.Token, bot.Throttle, the WeCom and
// DingTalk clients and callbacks). This test catches what the compiler
// cannot: wire code reading the business clock itself, or reading the
// wall around the clock.Wall that tests pin, or production code dressing
// a business clock up as a Wall.
package wallclock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wirePackages talk to the platforms: their non-test files may not read
// the business clock. (The *test fakes are platforms, not bbcs.)
var wirePackages = []string{"bbcs/bot", "bbcs/bot/wechat", "bbcs/bot/wecom", "bbcs/bot/dingtalk"}

// businessTime are the functions of the wire packages that read the
// business clock on purpose, each for a reason of the contract.
var businessTime = map[string]string{
	"bbcs/bot/wechat.(*Account).Touch":      "opens the 48-hour customer-service window (business time)",
	"bbcs/bot/wechat.(*Account).windowOpen": "the 48-hour customer-service window (business time)",
}

// wallReaders read the wall clock directly: the time package's.
var wallReaders = map[string]bool{"Now": true, "Since": true, "Until": true}

type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	DepOnly    bool
}

// load type-checks the non-test files of the wire packages against the
// export data go list builds for their imports.
func load(t *testing.T, root string) (*token.FileSet, map[string]*types.Package, map[string][]*ast.File, map[string]*types.Info) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e", "-export", "-deps", "-json"}, wirePackages...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	var targets []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly {
			targets = append(targets, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(exports[path])
	})
	pkgs, files, infos := map[string]*types.Package{}, map[string][]*ast.File{}, map[string]*types.Info{}
	for _, p := range targets {
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files[p.ImportPath] = append(files[p.ImportPath], f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
		pkg, err := (&types.Config{Importer: imp}).Check(p.ImportPath, fset, files[p.ImportPath], info)
		if err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		pkgs[p.ImportPath], infos[p.ImportPath] = pkg, info
	}
	return fset, pkgs, files, infos
}

// isBusinessClock: clock.Clock, the business clock, or *clock.Fake, the
// test clock itself.
func isBusinessClock(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "bbcs/clock" {
		return false
	}
	return n.Obj().Name() == "Clock" || n.Obj().Name() == "Fake"
}

// funcName names a function declaration as businessTime does.
func funcName(pkg string, fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return pkg + "." + fn.Name.Name
	}
	recv := fn.Recv.List[0].Type
	star := ""
	if s, ok := recv.(*ast.StarExpr); ok {
		recv, star = s.X, "*"
	}
	if ix, ok := recv.(*ast.IndexExpr); ok {
		recv = ix.X
	}
	id, _ := recv.(*ast.Ident)
	name := "?"
	if id != nil {
		name = id.Name
	}
	return fmt.Sprintf("%s.(%s%s).%s", pkg, star, name, fn.Name.Name)
}

// wireViolations lists, in the wire packages, every reading of the
// business clock outside businessTime and every direct reading of the
// wall (time.Now and kin) that bypasses the clock.Wall tests pin.
func wireViolations(t *testing.T, root string) []string {
	fset, _, files, infos := load(t, root)
	var out []string
	for pkg, fs := range files {
		info := infos[pkg]
		for _, f := range fs {
			for _, decl := range f.Decls {
				fn, _ := decl.(*ast.FuncDecl)
				where := "package level"
				if fn != nil {
					where = funcName(pkg, fn)
				}
				ast.Inspect(decl, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					pos := fset.Position(sel.Pos())
					rel, _ := filepath.Rel(root, pos.Filename)
					at := fmt.Sprintf("%s:%d", rel, pos.Line)
					if sel.Sel.Name == "Now" {
						if tv, ok := info.Types[sel.X]; ok && isBusinessClock(tv.Type) {
							if _, allowed := businessTime[where]; !allowed {
								out = append(out, fmt.Sprintf("%s: %s reads the business clock (%s.Now): a platform's signature, timestamp, token, rate limit or callback freshness must use a clock.Wall", at, where, types.ExprString(sel.X)))
							}
						}
					}
					if id, ok := sel.X.(*ast.Ident); ok && wallReaders[sel.Sel.Name] {
						if pn, ok := info.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == "time" {
							out = append(out, fmt.Sprintf("%s: %s calls time.%s: read the wall through the clock.Wall it is given, so tests can pin it", at, where, sel.Sel.Name))
						}
					}
					return true
				})
			}
		}
	}
	sort.Strings(out)
	return out
}

// disguisedWalls lists production code (any package of the module but
// clock itself, test files and the *test fakes aside) that makes a
// clock.Wall out of a function: in production the wall is clock.Real, and
// clock.WallFunc(fake.Now) would carry the test clock onto the wire past
// the compiler.
func disguisedWalls(t *testing.T, root string) []string {
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); strings.HasPrefix(n, ".") || n == "testdata" || path == filepath.Join(root, "clock") || strings.HasSuffix(n, "test") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		local := ""
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == "bbcs/clock" {
				local = "clock"
				if im.Name != nil {
					local = im.Name.Name
				}
			}
		}
		if local == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && (sel.Sel.Name == "WallFunc" || sel.Sel.Name == "WallAt") {
					pos := fset.Position(sel.Pos())
					rel, _ := filepath.Rel(root, pos.Filename)
					out = append(out, fmt.Sprintf("%s:%d: clock.%s outside tests: production's wall clock is clock.Real", rel, pos.Line, sel.Sel.Name))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// No new clock.Now() on a wire path (issue 13, acceptance).
func TestNoBusinessClockOnTheWire(t *testing.T) {
	root := moduleRoot(t)
	// A walk over nothing finds nothing: every wire package must be read,
	// with its files, or a rename would make this test pass on no code.
	_, _, files, _ := load(t, root)
	for _, pkg := range wirePackages {
		if len(files[pkg]) == 0 {
			t.Errorf("%s: no files read; is it still a wire package of this module?", pkg)
		}
	}
	for _, v := range wireViolations(t, root) {
		t.Error(v)
	}
	for _, v := range disguisedWalls(t, root) {
		t.Error(v)
	}
}

// The walk sees what it must: a wire package that reads the business
// clock, and the wall around its Wall, is reported, with the function.
func TestTheWalkFindsABusinessClockOnTheWire(t *testing.T) {
	root := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module bbcs\n\ngo 1.22\n")
	write("clock/clock.go", `package clock

import "time"

type Clock interface{ Now() time.Time }
type Wall interface {
	Now() time.Time
	wall()
}
type Fake struct{ t time.Time }

func (f *Fake) Now() time.Time { return f.t }
func WallFunc(f func() time.Time) Wall { return nil }
`)
	write("bot/bot.go", `package bot

import (
	"strconv"
	"time"

	"bbcs/clock"
)

func Fresh(ts string, wall clock.Wall) bool { return wall.Now().Unix() > 0 && ts != "" }

type Client struct{ clock clock.Clock }

func (c *Client) sign() string { return strconv.FormatInt(c.clock.Now().UnixMilli(), 10) }

func stamp() int64 { return time.Now().Unix() }
`)
	for _, p := range wirePackages[1:] {
		write(strings.TrimPrefix(p, "bbcs/")+"/x.go", "package "+filepath.Base(p)+"\n")
	}
	write("cmd/app/main.go", `package main

import "bbcs/clock"

func main() { _ = clock.WallFunc((&clock.Fake{}).Now) }
`)
	got := strings.Join(append(wireViolations(t, root), disguisedWalls(t, root)...), "\n")
	for _, want := range []string{
		"bot/bot.go:14: bbcs/bot.(*Client).sign reads the business clock (c.clock.Now)",
		"bot/bot.go:16: bbcs/bot.stamp calls time.Now",
		"cmd/app/main.go:5: clock.WallFunc outside tests",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the walk missed %q; it reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Fresh") {
		t.Errorf("reading a clock.Wall was reported:\n%s", got)
	}
}

package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bbcs/casework"
	"bbcs/config"
	"bbcs/workday"
)

// The demo centre is the one of config.example.yaml: three departments
// (不动产登记窗口 and 税务窗口 on WeCom, 市场监管窗口 on DingTalk), their
// window staff and heads, the specialists wang and li, the leaders chen,
// wu and zhou, the supervisor ma and admin. Tests, fuzz targets and
// benchmarks read it from that file, so there is one copy of it.

// ModuleRoot is the directory of bbcs's go.mod, found from the working
// directory up (go test runs a package's tests in its directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module bbcs\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: not inside the bbcs module")
		}
		dir = parent
	}
}

// ExampleConfig is the path of config.example.yaml, the demo centre.
func ExampleConfig() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "config.example.yaml"), nil
}

// DirectoryOf is the organisation of the config file at path (the demo
// centre when path is ""): its departments, staff, roster and settings, as
// cmd/bbcs syncs them at start.
func DirectoryOf(path string) (casework.Directory, error) {
	if path == "" {
		p, err := ExampleConfig()
		if err != nil {
			return casework.Directory{}, err
		}
		path = p
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		return casework.Directory{}, fmt.Errorf("testenv: %s: %w", path, err)
	}
	departments, staff, roster := cfg.Directory()
	return casework.Directory{Departments: departments, Staff: staff, Roster: roster, Settings: cfg.Settings()}, nil
}

// Demo is the demo centre's directory; the test fails when
// config.example.yaml cannot be read.
func Demo(tb testing.TB) casework.Directory {
	tb.Helper()
	dir, err := DirectoryOf("")
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Calendar is bbcs's default working-day calendar (the built-in holidays,
// no override file).
func Calendar(tb testing.TB) *workday.Calendar {
	tb.Helper()
	cal, err := workday.New(workday.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return cal
}

package main

import (
	"net/http"
	"strings"
	"testing"
)

// The 值班 page shows a specialist the rotation in its order (config:
// wang, then li), so who is on duty next can be read off it.
func TestRosterShowsTheRotationInItsOrder(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "li"))
	b := signIn(t, ta, "li")
	status, body, _ := b.do("GET", "/admin/roster", nil)
	if status != http.StatusOK {
		t.Fatalf("the 值班 page: %d", status)
	}
	if !strings.Contains(body, "<ol><li>王芳</li><li>李明</li></ol>") {
		t.Errorf("the rotation should read 王芳, then 李明:\n%s", body[strings.Index(body, "轮值顺序"):])
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"bbcs/config"
	"bbcs/models"
)

// demoPassword is the password config.example.yaml gives its demo staff,
// published in the README: fine to try bbcs, wrong anywhere else. bbcs
// names, at every start, whoever still signs in with it.
const demoPassword = "bbcs-demo"

// consoleURL is where people open the admin console.
func consoleURL(cfg *config.Config, addr string) string {
	if cfg.HTTP.PublicURL != "" {
		return strings.TrimRight(cfg.HTTP.PublicURL, "/") + "/admin/"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/admin/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/admin/"
}

// signInNotice says at start how to sign in to the console: the demo
// accounts and their password when the config gives some (and warns they
// must go before real use), or how to give an administrator a password
// when nobody can sign in.
func (a *app) signInNotice(ctx context.Context, cfg *config.Config, log *slog.Logger, stderr io.Writer) {
	url := consoleURL(cfg, a.addr)
	consoleRoles := []models.Role{models.RoleSpecialist, models.RoleSupervisor, models.RoleLeader, models.RolePrincipalLeader, models.RoleAdmin}
	var demo []config.Staff
	isDemo := map[string]bool{} // by hash: a bcrypt comparison is slow on purpose
	for _, st := range cfg.Staff {
		if st.PasswordHash == "" {
			continue
		}
		d, seen := isDemo[st.PasswordHash]
		if !seen {
			d = bcrypt.CompareHashAndPassword([]byte(st.PasswordHash), []byte(demoPassword)) == nil
			isDemo[st.PasswordHash] = d
		}
		if d {
			demo = append(demo, st)
		}
	}
	if len(demo) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "\n管理后台 / admin console: %s\n", url)
		fmt.Fprintf(&b, "演示账号（仅供演示 / demo only），密码均为 %s：\n", demoPassword)
		ids := make([]string, len(demo))
		for i, st := range demo {
			ids[i] = st.ID
			fmt.Fprintf(&b, "  工号 %-6s %s（%s）\n", st.ID, st.Name, models.Role(st.Role).Label())
		}
		b.WriteString("正式使用前，请删除配置中的这些 password_hash，或用 bbcs hash-password 为每人设置自己的密码。\n\n")
		io.WriteString(stderr, b.String())
		log.Warn("these staff sign in to the console with the published demo password: give them their own (bbcs hash-password) before real use",
			"staff", strings.Join(ids, ","))
		return
	}
	canSignIn := false
	for _, st := range cfg.Staff {
		canSignIn = canSignIn || (st.PasswordHash != "" && slices.Contains(consoleRoles, models.Role(st.Role)))
	}
	if !canSignIn { // the console's own passwords, set on its staff page
		all, err := a.cases.AllStaff(ctx)
		for _, st := range all {
			canSignIn = canSignIn || (err == nil && st.Active && st.PasswordHash != "" && slices.Contains(consoleRoles, st.Role))
		}
	}
	if !canSignIn {
		log.Warn("nobody can sign in to the admin console yet: run `bbcs hash-password`, then set the hash as an administrator's staff[].password_hash (or BBCS_STAFF_<ID>_PASSWORD_HASH) and restart",
			"console", url)
		return
	}
	log.Info("admin console", "url", url)
}

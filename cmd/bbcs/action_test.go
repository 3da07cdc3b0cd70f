package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// page is a phone opening bbcs's action page inside WeCom.
type page struct {
	t   *testing.T
	c   *http.Client
	url string
}

func (g *groupsApp) phone(orderNo string) *page {
	jar, _ := cookiejar.New(nil)
	return &page{t: g.t, url: g.srv.URL + "/act/" + orderNo, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *page) get(query string) (int, string, http.Header) {
	p.t.Helper()
	resp, err := p.c.Get(p.url + query)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (p *page) post(form url.Values) (int, string) {
	p.t.Helper()
	resp, err := p.c.PostForm(p.url+"?platform=wecom", form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// The action page knows who acts from WeCom's own sign-in, never from the
// link: its forms act as that person, with that person's rights.
func TestActionPageSignsInThroughWeComAndActs(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("realestate")
	no := orderFor(c, "realestate")

	// Without a session the page sends the phone to WeCom's OAuth.
	p := g.phone(no)
	status, _, h := p.get("?platform=wecom")
	loc := h.Get("Location")
	if status != http.StatusFound || !strings.HasPrefix(loc, "https://open.weixin.qq.com/connect/oauth2/authorize?") ||
		!strings.Contains(loc, "appid="+corpID) || !strings.Contains(loc, url.QueryEscape("/act/"+no)) {
		t.Fatalf("first visit: %d → %s", status, loc)
	}
	// WeCom comes back with a code; bbcs asks WeCom whose it is.
	g.wecom.AddCode("CODE-ZHANG", "zhangwei")
	if status, _, h := p.get("?platform=wecom&code=CODE-ZHANG&state=bbcs"); status != http.StatusFound || strings.Contains(h.Get("Location"), "code=") {
		t.Fatalf("sign-in: %d → %s", status, h.Get("Location"))
	}
	status, body, _ := p.get("?platform=wecom")
	if status != http.StatusOK || !strings.Contains(body, no) || !strings.Contains(body, "李女士 138****8000") || strings.Contains(body, "13800138000") {
		t.Fatalf("the page: %d\n%s", status, body)
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form on the page:\n%s", body)
	}
	csrf := m[1]

	// A code is good once; a member of another department may look but not act.
	other := g.phone(no)
	if status, _, _ := other.get("?platform=wecom&code=CODE-ZHANG"); status != http.StatusForbidden {
		t.Errorf("a used code: %d, want 403", status)
	}
	g.wecom.AddCode("CODE-SUN", "sunli")
	other.get("?platform=wecom&code=CODE-SUN")
	_, otherBody, _ := other.get("?platform=wecom")
	otherCSRF := csrfRE.FindStringSubmatch(otherBody)[1]
	if status, body := other.post(url.Values{"action": {"escalate"}, "csrf": {otherCSRF}, "reason": {"试试"}}); status != http.StatusForbidden || !strings.Contains(body, "不是该部门的工作人员") {
		t.Errorf("another department's member acting: %d", status)
	}
	// A form without the page's token is refused.
	if status, _ := p.post(url.Values{"action": {"sign"}, "csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("a forged form: %d, want 403", status)
	}
	if status, body := p.post(url.Values{"action": {"extend"}, "csrf": {csrf}, "due_date": {"2026-03-31"}, "reason": {"材料多"}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "2026年3月24日") {
		t.Errorf("an extension past the cap: %d", status)
	}
	status, body = p.post(url.Values{"action": {"reply"}, "csrf": {csrf}, "result": {"已电话告知补交完税证明"}})
	if status != http.StatusOK || !strings.Contains(body, "已答复") {
		t.Fatalf("reply through the page: %d\n%s", status, body)
	}
	if got := g.get(c.No); got.Status != "answered" || got.WorkOrders[0].Result != "已电话告知补交完税证明" {
		t.Fatalf("after the page's reply: %+v", got)
	}

	// A session cookie cannot be made up.
	forged := g.phone(no)
	u, _ := url.Parse(g.srv.URL + "/act/")
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "bbcs_staff", Value: "zhang|9999999999|AAAA", Path: "/act/"}})
	if status, _, _ := forged.get("?platform=wecom"); status != http.StatusFound {
		t.Errorf("a forged session: %d, want a redirect to sign in", status)
	}
}

// Inside DingTalk the page asks DingTalk for an in-app code, then signs in
// with it.
func TestActionPageSignsInThroughDingTalk(t *testing.T) {
	g := startGroupsApp(t)
	c := g.newCase("market")
	no := orderFor(c, "market")
	p := g.phone(no)
	status, body, _ := p.get("?platform=dingtalk")
	if status != http.StatusOK || !strings.Contains(body, "requestAuthCode") || !strings.Contains(body, `"dingcorp0001"`) {
		t.Fatalf("first visit inside DingTalk: %d\n%s", status, body)
	}
	g.ding.AddCode("DCODE-ZHAO", "zhaomin")
	if status, _, _ := p.get("?platform=dingtalk&code=DCODE-ZHAO"); status != http.StatusFound {
		t.Fatalf("sign-in with the in-app code: %d", status)
	}
	_, body, _ = p.get("?platform=dingtalk")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form:\n%s", body)
	}
	resp, err := p.c.PostForm(p.url+"?platform=dingtalk", url.Values{"action": {"sign"}, "csrf": {m[1]}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign through the page: %v %v", resp, err)
	}
	resp.Body.Close()
	if got := g.get(c.No).WorkOrders[0].Status; got != "accepted" {
		t.Errorf("order %s after signing through the page", got)
	}
	if status, _, _ := g.phone(no).get("?platform=dingtalk&code=NOT-A-CODE"); status != http.StatusForbidden {
		t.Errorf("an unknown code: %d, want 403", status)
	}
}

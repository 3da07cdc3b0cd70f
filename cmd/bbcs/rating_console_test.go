package main

import (
	"bytes"
	"encoding/base64"
	"html"
	"image"
	_ "image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// answeredWalkIn is a walk-in of wang's, answered on the spot: it waits
// for the applicant's rating (第十三条).
func answeredWalkIn(ta *testApp, matter string) string {
	ta.t.Helper()
	var c caseJSON
	ta.must(http.StatusCreated, "wang", "POST", "/api/v1/cases", map[string]string{
		"applicant_name": "王先生", "applicant_mobile": "13912345678", "category": "other", "matter": matter,
	}, &c)
	ta.must(http.StatusOK, "wang", "POST", "/api/v1/cases/"+c.No+"/resolve", map[string]string{"result": "当场协调解决"}, nil)
	return c.No
}

var ratingQRImage = regexp.MustCompile(`<img id="rating-qr" src="data:image/png;base64,([^"]+)"`)

// decodeQR reads the QR code of a data: URL's PNG.
func decodeQR(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(b64))
	if err != nil {
		t.Fatalf("the QR image is not base64: %v", err)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the QR image is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR image does not decode: %v", err)
	}
	return res.GetText()
}

// 第十三条 at the window: the owner makes a rating link from the case
// page; the page shows it with its QR code, the code reads as the link,
// and the applicant rating through it closes the case with their rating.
func TestConsoleRatingQRCodeRatesTheCase(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", append(consoleEnv(t, "wang", "li"), "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	no := answeredWalkIn(ta, "当场解决的事项")
	earlier := (&citizenApp{testApp: ta}).ratingLink(no) // the SMS text's link

	wang := signIn(t, ta, "wang")
	_, page, _ := wang.do("GET", "/admin/cases/"+no, nil)
	if !strings.Contains(page, `action="/admin/cases/`+no+`/rating-link"`) || !strings.Contains(page, "生成评价二维码") {
		t.Fatalf("the owner of an answered case is not offered a rating QR code:\n%s", page)
	}
	csrf := consoleCSRF.FindStringSubmatch(page)[1]
	// Another specialist may not make one.
	li := signIn(t, ta, "li")
	if _, page, _ := li.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, "/rating-link") {
		t.Errorf("a specialist who is not the owner is offered the rating QR code")
	}
	if status, page, _ := li.do("POST", "/admin/cases/"+no+"/rating-link", url.Values{"csrf": {li.csrfOf("/admin/cases")}}); status != http.StatusForbidden ||
		!strings.Contains(page, "首接负责人是王芳") || strings.Contains(page, "/rate/") {
		t.Errorf("the other specialist making a link: %d", status)
	}

	status, page, _ := wang.do("POST", "/admin/cases/"+no+"/rating-link", url.Values{"csrf": {csrf}})
	if status != http.StatusOK {
		t.Fatalf("making the link: %d\n%s", status, page)
	}
	m := regexp.MustCompile(`id="rating-url" href="(https://bbcs\.example\.gov\.cn/rate/[A-Za-z0-9_-]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page does not show the link:\n%s", page)
	}
	link := m[1]
	if !strings.Contains(page, "有效期至 2026年3月17日（周二）10:00") {
		t.Errorf("the page does not say until when the link works (rating.link_ttl: 7 days)")
	}
	img := ratingQRImage.FindStringSubmatch(page)
	if img == nil {
		t.Fatalf("the page has no QR image:\n%s", page)
	}
	if got := decodeQR(t, img[1]); got != link {
		t.Fatalf("the QR code reads %q, the link is %q", got, link)
	}
	if strings.Contains(page, "cdn") || strings.Contains(page, "<script src=") {
		t.Errorf("the QR code should need nothing from outside")
	}
	// The link is shown once: the page opened again has none.
	if _, page, _ := wang.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, link) || ratingQRImage.MatchString(page) {
		t.Errorf("the case page shows the link again")
	}

	// The applicant scans it and rates.
	u, _ := url.Parse(link)
	status, body := (&citizenApp{testApp: ta}).page("POST", u.Path, url.Values{"level": {"satisfied"}, "last4": {"5678"}, "comment": {"窗口很耐心"}})
	if status != http.StatusOK || !strings.Contains(body, "满意") {
		t.Fatalf("rating through the QR code's link: %d\n%s", status, body)
	}
	var c caseJSON
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Status != "closed" || c.Rating == nil || c.Rating.Level != "satisfied" || c.Rating.Via != "link" || c.Rating.Comment != "窗口很耐心" {
		t.Fatalf("after the rating through the QR code: %s %+v", c.Status, c.Rating)
	}
	// The round has its rating: the earlier link hears so, and the page
	// offers no more codes.
	if status, body := (&citizenApp{testApp: ta}).page("POST", earlier, url.Values{"level": {"very_dissatisfied"}, "last4": {"5678"}}); status != http.StatusConflict ||
		!strings.Contains(body, "已办结") {
		t.Errorf("the earlier link after the round was rated: %d\n%s", status, body)
	}
	if _, page, _ := wang.do("GET", "/admin/cases/"+no, nil); strings.Contains(page, "/rating-link") {
		t.Errorf("a rated case still offers a rating QR code")
	}
	if status, page, _ := wang.do("POST", "/admin/cases/"+no+"/rating-link", url.Values{"csrf": {csrf}}); status != http.StatusConflict || !strings.Contains(page, "已办结") {
		t.Errorf("a link for a closed case: %d", status)
	}
}

// A new link leaves the ones made before for the round usable: a link
// already sent by SMS still works after a QR code was shown.
func TestConsoleRatingLinksOfARoundStayValid(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", append(consoleEnv(t, "wang"), "BBCS_HTTP_PUBLIC_URL=https://bbcs.example.gov.cn"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	no := answeredWalkIn(ta, "电话反映的事项")
	earlier := (&citizenApp{testApp: ta}).ratingLink(no)
	wang := signIn(t, ta, "wang")
	csrf := wang.csrfOf("/admin/cases/" + no)
	for range 2 {
		if status, _, _ := wang.do("POST", "/admin/cases/"+no+"/rating-link", url.Values{"csrf": {csrf}}); status != http.StatusOK {
			t.Fatalf("making a link: %d", status)
		}
	}
	status, body := (&citizenApp{testApp: ta}).page("POST", earlier, url.Values{"level": {"very_satisfied"}, "last4": {"5678"}})
	if status != http.StatusOK || !strings.Contains(body, "非常满意") {
		t.Fatalf("the SMS link after two QR codes: %d\n%s", status, body)
	}
}

// Without http.public_url no link can reach a phone: the page says so
// plainly, and the rating given in person is recorded with the form.
func TestConsoleRatingQRCodeNeedsAPublicURL(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	no := answeredWalkIn(ta, "当场解决的事项")
	wang := signIn(t, ta, "wang")
	_, page, _ := wang.do("GET", "/admin/cases/"+no, nil)
	if !strings.Contains(page, "尚未配置公网地址（http.public_url）") || strings.Contains(page, `action="/admin/cases/`+no+`/rating-link"`) {
		t.Errorf("the page should say a public URL must be configured, and offer no QR code:\n%s", page)
	}
	csrf := consoleCSRF.FindStringSubmatch(page)[1]
	status, page, _ := wang.do("POST", "/admin/cases/"+no+"/rating-link", url.Values{"csrf": {csrf}})
	if status != http.StatusConflict || !strings.Contains(page, "http.public_url") || strings.Contains(page, "/rate/") {
		t.Errorf("making a link with no public URL: %d", status)
	}
}

// The console's 记录当面或电话评价 and POST /api/v1/cases/{no}/rate are
// one use case with one set of rules: the same refusals, and the same
// rating recorded.
func TestConsoleRatingFormFollowsTheAPIsRules(t *testing.T) {
	ta := startAppWith(t, "../../config.example.yaml", consoleEnv(t, "wang", "li"))
	ta.setClock("2026-03-10T10:00:00+08:00")
	no := answeredWalkIn(ta, "当场解决的事项")
	wang, li := signIn(t, ta, "wang"), signIn(t, ta, "li")
	csrf := wang.csrfOf("/admin/cases/" + no)
	rate := func(b *browser, form url.Values) (int, string) {
		form.Set("csrf", b.csrfOf("/admin/cases"))
		status, page, _ := b.do("POST", "/admin/cases/"+no+"/rate", form)
		return status, page
	}
	for _, tc := range []struct {
		name, who string
		form      map[string]string
		status    int
		says      string
	}{
		{"a level not on the list", "wang", map[string]string{"level": "great", "via": "phone"}, http.StatusBadRequest, "评价等级"},
		{"a way other than in person or by phone", "wang", map[string]string{"level": "satisfied", "via": "link"}, http.StatusBadRequest, "当面"},
		{"a comment past 1000 characters", "wang", map[string]string{"level": "satisfied", "via": "phone", "comment": strings.Repeat("好", 1001)}, http.StatusBadRequest, "1000"},
		{"not the owner", "li", map[string]string{"level": "satisfied", "via": "phone"}, http.StatusForbidden, "首接负责人是王芳"},
	} {
		b := map[string]*browser{"wang": wang, "li": li}[tc.who]
		form := url.Values{}
		for k, v := range tc.form {
			form.Set(k, v)
		}
		if status, page := rate(b, form); status != tc.status || !strings.Contains(page, tc.says) {
			t.Errorf("console, %s: %d, want %d saying %q", tc.name, status, tc.status, tc.says)
		}
		code := map[int]string{http.StatusBadRequest: "invalid", http.StatusForbidden: "forbidden"}[tc.status]
		who := tc.who
		if who == "li" {
			who = "zhang" // li has no API token; a window staff member is not the owner either
		}
		ta.refused(tc.status, code, who, "POST", "/api/v1/cases/"+no+"/rate", tc.form, tc.says)
	}
	var c caseJSON
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Status != "answered" || c.Rating != nil {
		t.Fatalf("refused ratings changed the case: %s %+v", c.Status, c.Rating)
	}
	// The rating given by phone, recorded from the console: as the API would.
	if status, _, _ := wang.do("POST", "/admin/cases/"+no+"/rate", url.Values{"csrf": {csrf}, "level": {"basically_satisfied"}, "via": {"phone"}, "comment": {"还可以"}}); status != http.StatusSeeOther {
		t.Fatalf("recording the phone rating: %d", status)
	}
	ta.must(http.StatusOK, "wang", "GET", "/api/v1/cases/"+no, nil, &c)
	if c.Status != "closed" || c.Rating == nil || c.Rating.Level != "basically_satisfied" || c.Rating.Via != "phone" || c.Rating.Comment != "还可以" {
		t.Fatalf("after the console's rating: %s %+v", c.Status, c.Rating)
	}
	// Rated once: both refuse a second rating alike.
	if status, page := rate(wang, url.Values{"level": {"satisfied"}, "via": {"in_person"}}); status != http.StatusConflict || !strings.Contains(page, "已办结") {
		t.Errorf("console, a second rating: %d", status)
	}
	ta.refused(http.StatusConflict, "conflict", "wang", "POST", "/api/v1/cases/"+no+"/rate", map[string]string{"level": "satisfied", "via": "in_person"}, "已办结")
}

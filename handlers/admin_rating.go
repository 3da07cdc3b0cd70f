package handlers

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"bbcs/casework"
	"bbcs/models"
)

// ratingQR is the case page's block for a rating given at the window or
// by phone through the rating page (第十三条): the owner makes a fresh
// link, shown with its QR code for the applicant's phone. Only a link's
// hash is stored, so a link is shown once, on the page its POST returns.
type ratingQR struct {
	// Show: the case waits for a rating a link may give, and the viewer
	// is its owner (or an administrator).
	Show bool
	// NoPublicURL: http.public_url is not set, so no link can reach a
	// phone.
	NoPublicURL bool
	No          string
	// Link and Image are the link just made and its QR code (a PNG as a
	// data: URL, made here: the console works offline).
	Link    string
	Expires time.Time
	Image   template.URL
}

// freshLink carries the link just made from its POST to the page shown.
type freshLink struct {
	link    string
	expires time.Time
}

// ratingQRFor is the block of the case page d for me.
func (c *Console) ratingQRFor(r *http.Request, d *casework.Detail, me models.Staff) ratingQR {
	owner := me.ID == d.Case.OwnerID || me.Role == models.RoleAdmin
	v := ratingQR{No: d.Case.No, NoPublicURL: c.Cases.PublicURL() == "",
		Show: owner && d.Case.Status == models.CaseAnswered && !ratedThisRound(d) && d.Case.RatingVia != string(casework.ViaNotRated)}
	if fresh, ok := r.Context().Value(freshLink{}).(freshLink); ok && fresh.link != "" && v.Show {
		link := fresh.link
		png, err := qrcode.Encode(link, qrcode.Medium, 320)
		if err != nil {
			c.log().Error("rating link QR code", "case", d.Case.No, "err", err)
		} else {
			v.Image = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		}
		v.Link, v.Expires = link, fresh.expires
	}
	return v
}

// newRatingLink makes a fresh rating link for the case and shows the case
// page with it and its QR code (POST, owner only: casework decides).
func (c *Console) newRatingLink(w http.ResponseWriter, r *http.Request, p consolePage) {
	no := r.PathValue("no")
	link, expires, err := c.Cases.NewRatingLink(r.Context(), p.Me, no)
	if err != nil {
		p.Error = models.ErrorMessage(err)
		c.showCase(w, statusOf(models.ErrorCode(err)), r, p)
		return
	}
	c.log().Info("rating link made from the console", "case", no, "by", p.Me.ID)
	p.Message = "已生成评价链接和二维码：请反映人用手机扫码评价，或把链接发给反映人。此链接只显示这一次，只能评价一次。"
	c.showCase(w, http.StatusOK, r.WithContext(context.WithValue(r.Context(), freshLink{}, freshLink{link, expires})), p)
}

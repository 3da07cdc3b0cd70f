package casework_test

import (
	"slices"
	"testing"

	"bbcs/casework"
	"bbcs/internal/testenv"
	"bbcs/models"
)

// pushing is the harness's centre with the push to the provincial 好差评
// platform configured (province.url set).
func pushing(h *harness) *casework.Service {
	return casework.New(h.db, h.clock, h.cal, casework.Options{
		Province: casework.ProvinceOptions{Push: true, Centre: "县政务服务中心"},
	}, testenv.Quiet())
}

// provinceRecords are the records a case queued for the platform, each
// with the row that carries it.
func (h *harness) provinceRecords(no string) map[string]models.RatingRecord {
	h.t.Helper()
	out := map[string]models.RatingRecord{}
	for _, n := range h.noticesOf(no, models.NoticeRatingRecord, models.AudienceProvince) {
		d, err := n.Data()
		if err != nil || d.Record == nil {
			h.t.Fatalf("province notice %d: %v, record %v", n.ID, err, d.Record)
		}
		if n.Target != d.Record.RecordID || n.Status != models.NoticePending {
			h.t.Errorf("province notice %d: target %q, status %s; record %s", n.ID, n.Target, n.Status, d.Record.RecordID)
		}
		out[d.Record.RecordID] = *d.Record
	}
	return out
}

// A 联合办理 round is rated once and recorded once per unit (第十一条,
// 第十三条): the 差评 of a joint round goes to the platform as one record
// for each department, queued with the rating itself.
func TestAJointRoundIsPushedOnePerDepartment(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.svc = pushing(h)
	c := h.walkIn()
	if _, err := h.svc.Dispatch(h.ctx, h.as("zhou"), c.No, []string{"realestate", "tax"}, "", true); err != nil {
		t.Fatal(err)
	}
	if len(h.provinceRecords(c.No)) != 0 {
		t.Fatal("records queued before any rating")
	}
	if _, err := h.svc.Reply(h.ctx, h.as("zhang"), h.orderOf(c.No, "realestate").No, "已办理过户"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Reply(h.ctx, h.as("sun"), h.orderOf(c.No, "tax").No, "已开具完税证明"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingDissatisfied, "跑了三趟", casework.ViaPhone); err != nil {
		t.Fatal(err)
	}
	recs := h.provinceRecords(c.No)
	var ids []string
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []string{c.No + "-1-realestate", c.No + "-1-tax"}; !slices.Equal(ids, want) {
		t.Fatalf("records %v, want %v", ids, want)
	}
	for _, r := range recs {
		if r.Round != 1 || r.Level != "dissatisfied" || r.Score == nil || *r.Score != 3 || r.Channel != "电话" || r.Comment != "跑了三趟" || r.DepartmentName == "" {
			t.Errorf("record %+v", r)
		}
		if r.ApplicantPhone != "138****8000" {
			t.Errorf("record %s: mobile %q, want masked", r.RecordID, r.ApplicantPhone)
		}
	}
	// The 差评 sent the case back: the new round has no record until it
	// is rated.
	if d := h.get(c.No); d.Case.Round != 2 || len(h.provinceRecords(c.No)) != 2 {
		t.Errorf("after the 差评: round %d, %d records", d.Case.Round, len(h.provinceRecords(c.No)))
	}
}

// A case the complaint window answered itself, without work orders, is
// the centre's record; a rating refused queues nothing.
func TestARoundWithoutOrdersIsTheCentresRecord(t *testing.T) {
	h := newHarness(t, "2026-03-10 10:00")
	h.svc = pushing(h)
	c := h.walkIn()
	if _, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingSatisfied, "", casework.ViaInPerson); err == nil {
		t.Fatal("a case in progress was rated")
	}
	if len(h.provinceRecords(c.No)) != 0 {
		t.Fatal("a refused rating queued a record")
	}
	if _, err := h.svc.Resolve(h.ctx, h.as("wang"), c.No, "当场协调办结"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Rate(h.ctx, h.as("wang"), c.No, models.RatingVerySatisfied, "", casework.ViaInPerson); err != nil {
		t.Fatal(err)
	}
	recs := h.provinceRecords(c.No)
	r, ok := recs[c.No+"-1-centre"]
	if len(recs) != 1 || !ok {
		t.Fatalf("records %v, want the centre's alone", recs)
	}
	if r.DepartmentCode != "" || r.DepartmentName != "县政务服务中心" || r.Level != "very_satisfied" || *r.Score != 10 || r.Channel != "窗口" {
		t.Errorf("the centre's record %+v", r)
	}
}

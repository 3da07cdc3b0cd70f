// Package reports turns cases into what the centre reads off them: the
// ledger (台账) export, and later the monthly summary and the scores.
package reports

import (
	"fmt"
	"strings"
	"time"

	"bbcs/models"
)

// LedgerCase is one case with what the ledger shows of it.
type LedgerCase struct {
	Case      models.Case
	OwnerName string
	Orders    []models.WorkOrder
	Ratings   []models.Rating
	FollowUps []models.FollowUp
	Appeals   []models.Appeal // the appeals of its 差评 (an upheld one marks, never removes) and deductions
	// Deductions are the deductions its appeals are about, by id.
	Deductions map[uint64]models.Deduction
	// Rectifications are its 差评整改 (the 整改情况 column).
	Rectifications []models.Rectification
}

// LedgerColumns are the columns of the ledger, in the order of the
// registration form (“办不成事”事项登记表) and 第十五条's list.
var LedgerColumns = []string{
	"序号", "编号", "受理时间", "反映渠道", "反映人", "反映人类型", "企业名称", "联系电话",
	"反映事项", "事项类别", "相关部门", "首接负责人", "工单（部门｜时限｜答复时间｜结果）", "时限执行",
	"处理方式", "处理结果", "评价", "评价意见", "办理轮次", "跟踪回访", "办结时间", "状态",
	"整改情况", // the 差评整改 of 第十三条, one a line
}

// Ledger writes the ledger as an .xlsx workbook, a batch of cases at a
// time. With maskMobiles the mobile column shows 138****5678.
type Ledger struct {
	*sheet
	mask  bool
	depts map[string]string
	now   time.Time // what is overdue now
}

// NewLedger starts a workbook; depts maps department codes to names.
func NewLedger(depts map[string]string, maskMobiles bool, now time.Time) (*Ledger, error) {
	widths := []float64{6, 17, 17, 8, 10, 8, 18, 14, 40, 16, 18, 10, 48, 12, 14, 40, 10, 24, 8, 30, 17, 12, 40}
	s, err := newSheet("台账", LedgerColumns, widths)
	if err != nil {
		return nil, err
	}
	return &Ledger{sheet: s, mask: maskMobiles, depts: depts, now: now}, nil
}

// Add writes cases as rows, numbered from 1.
func (l *Ledger) Add(cases []LedgerCase) error {
	for _, lc := range cases {
		if err := l.add(l.cells(l.row, lc)); err != nil {
			return fmt.Errorf("reports: ledger: %w", err)
		}
	}
	return nil
}

func (l *Ledger) cells(n int, lc LedgerCase) []any {
	c := lc.Case
	mobile := c.ApplicantMobile
	if l.mask {
		mobile = models.MaskMobile(mobile)
	}
	var depts []string
	for _, code := range c.DepartmentCodes() {
		depts = append(depts, l.name(code))
	}
	var orders []string
	overdue := 0
	for _, o := range lc.Orders {
		if (o.RepliedAt != nil && o.RepliedAt.After(o.Deadline())) || (o.RepliedAt == nil && l.now.After(o.Deadline())) {
			overdue++
		}
		line := fmt.Sprintf("第%d轮 %s｜%s", o.Round, l.name(o.DepartmentCode), localTime(o.Deadline()))
		if o.RepliedAt != nil {
			line += "｜" + localTime(*o.RepliedAt) + "｜" + o.Result
		} else {
			line += "｜未答复"
		}
		orders = append(orders, line)
	}
	rating, comment := "", c.RatingNote
	switch {
	case len(lc.Ratings) > 1 || len(lc.Ratings) == 1 && c.RatingVia == "not_rated":
		// Every round's rating (第十五条 评价意见): the 差评 that sent the
		// case back belongs in the ledger as much as the last one.
		rating, comment = ratingsByRound(lc.Ratings)
		if c.RatingVia == "not_rated" {
			rating += fmt.Sprintf("\n第%d轮 未评价", c.Round)
		}
	case c.RatingVia == "not_rated":
		rating = "未评价"
	case c.Rating != "":
		rating = c.Rating.Label()
	}
	if marks := l.appealMarks(lc); marks != "" {
		rating += "\n" + marks
	}
	var follows []string
	for _, f := range lc.FollowUps {
		if f.DoneAt != nil {
			follows = append(follows, localTime(*f.DoneAt)+" "+f.Note)
		} else {
			follows = append(follows, "待回访（"+localTime(f.DueAt)+"）")
		}
	}
	timeliness := ""
	switch {
	case len(lc.Orders) == 0:
	case overdue == 0:
		timeliness = "按时"
	default:
		timeliness = fmt.Sprintf("超期 %d 单", overdue)
	}
	if marks := l.deductionAppealMarks(lc); marks != "" {
		timeliness = strings.TrimPrefix(timeliness+"\n"+marks, "\n")
	}
	outcome := ""
	if c.Outcome != "" {
		outcome = c.Outcome.Label()
	}
	closed := ""
	if c.ClosedAt != nil {
		closed = localTime(*c.ClosedAt)
	}
	return []any{
		n, c.No, localTime(c.AcceptedAt), c.Channel.Label(), c.ApplicantName, c.ApplicantKind.Label(), c.Company,
		mobile, c.Matter, c.Category.Label(), strings.Join(depts, "、"), lc.OwnerName, strings.Join(orders, "\n"), timeliness,
		outcome, c.Result, rating, comment, c.Round, strings.Join(follows, "\n"), closed, c.Status.Label(),
		l.rectifications(lc.Rectifications),
	}
}

// appealMarks writes each appeal of the case's 差评 (第十五条: every step
// can be traced): pending or rejected, it changes nothing and says so;
// upheld, the rating stays on record but leaves the figures
// models.Appeal.Excludes takes it out of.
func (l *Ledger) appealMarks(lc LedgerCase) string {
	var out []string
	for _, a := range lc.Appeals {
		if a.RatingID == 0 {
			continue
		}
		round := 0
		for _, r := range lc.Ratings {
			if r.ID == a.RatingID {
				round = r.Round
			}
		}
		whom := l.name(a.DepartmentCode)
		switch a.Status {
		case models.AppealUpheld:
			if a.Excludes(a.RatingID, "") {
				whom += "及中心"
			}
			out = append(out, fmt.Sprintf("第%d轮差评 申诉成立（%s），不计入%s考核", round, a.Ground.Label(), whom))
		case models.AppealRejected:
			out = append(out, fmt.Sprintf("第%d轮差评 %s申诉（%s）被驳回，照常计入", round, whom, a.Ground.Label()))
		default:
			out = append(out, fmt.Sprintf("第%d轮差评 %s申诉（%s）待裁定", round, whom, a.Ground.Label()))
		}
	}
	return strings.Join(out, "\n")
}

// deductionAppealMarks writes each appeal of a deduction the case's
// overdue orders brought (扣分有误): it sits beside the timeliness it was
// about, waived or not.
func (l *Ledger) deductionAppealMarks(lc LedgerCase) string {
	var out []string
	for _, a := range lc.Appeals {
		if a.DeductionID == 0 {
			continue
		}
		// Which deduction: the case may have several (an order overdue, a
		// summons answered late), and not every one is about timeliness.
		what := l.name(a.DepartmentCode) + "对扣分"
		if d, ok := lc.Deductions[a.DeductionID]; ok && d.Reason != "" {
			what += "“" + d.Reason + "”"
		}
		switch a.Status {
		case models.AppealUpheld:
			out = append(out, fmt.Sprintf("%s申诉成立，免于扣分：%s", what, a.Decision))
		case models.AppealRejected:
			out = append(out, fmt.Sprintf("%s申诉被驳回，照常扣分：%s", what, a.Decision))
		default:
			out = append(out, what+"申诉待裁定")
		}
	}
	return strings.Join(out, "\n")
}

// rectifications writes a case's 差评整改 one a line: the unit, its
// deadline, and its verdict and measures once reported (late or not), or
// that it waits or is overdue.
func (l *Ledger) rectifications(list []models.Rectification) string {
	var lines []string
	for _, rc := range list {
		unit := models.RectifyUnit(rc.DepartmentCode, l.depts[rc.DepartmentCode])
		line := fmt.Sprintf("第%d轮差评 %s｜期限 %s｜", rc.Round, unit, localTime(rc.DueAt))
		switch {
		case rc.ReportedAt != nil:
			line += rc.Verdict.Label() + "｜" + rc.Measures + "｜" + localTime(*rc.ReportedAt) + " 报告"
			if !rc.OnTime() {
				line += "（逾期）"
			}
		case l.now.After(rc.DueAt):
			line += "逾期未报告"
		default:
			line += "待报告"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// ratingsByRound writes a case's ratings one round a line.
func ratingsByRound(list []models.Rating) (levels, comments string) {
	var ls, cs []string
	for _, r := range list {
		ls = append(ls, fmt.Sprintf("第%d轮 %s", r.Round, r.Level.Label()))
		if r.Comment != "" {
			cs = append(cs, fmt.Sprintf("第%d轮 %s", r.Round, r.Comment))
		}
	}
	return strings.Join(ls, "\n"), strings.Join(cs, "\n")
}

func (l *Ledger) name(code string) string {
	if n := l.depts[code]; n != "" {
		return n
	}
	return code
}

func localTime(t time.Time) string { return t.In(models.Shanghai).Format("2006-01-02 15:04") }

package jobs

import (
	"context"
	"strings"
	"time"

	"bbcs/casework"
	"bbcs/models"
	"bbcs/timers"
)

// HandleTimers registers the monthly push with m: casework plans its
// timers, and the push needs the reports.
func (j *Jobs) HandleTimers(m *timers.Mux) {
	m.Handle(casework.MonthlyTimerPrefix, j.pushMonthly)
}

// pushMonthly sends last month's summary to the leaders' group on the
// first working day of the month (第十四条, R8).
func (j *Jobs) pushMonthly(ctx context.Context, id string, _ time.Time) error {
	month := strings.TrimPrefix(id, casework.MonthlyTimerPrefix)
	m, err := j.Reports.Monthly(ctx, month)
	if err != nil {
		return err
	}
	depts, err := j.Cases.Departments(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for code, d := range depts {
		names[code] = d.Name
	}
	title, lines := m.Card(names)
	d := models.NoticeData{Note: title, Text: strings.Join(lines, "\n")}
	if j.PublicURL != "" {
		d.Link = strings.TrimRight(j.PublicURL, "/") + "/admin/reports?month=" + month
	}
	return j.Cases.TellOnce(ctx, id, models.NoticeMonthly, models.AudienceLeaders, "", d)
}

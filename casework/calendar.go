package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
	"bbcs/workday"
)

// CalendarBuilder builds the working-day calendar with the given
// console overrides on top of config's; bbcs passes the one it starts with.
type CalendarBuilder func(more []workday.Source) (*workday.Calendar, error)

// SetCalendarBuilder lets the console's holiday overrides take effect.
func (s *Service) SetCalendarBuilder(b CalendarBuilder) { s.buildCalendar = b }

// CalendarOverrides lists the years entered in the console.
func (s *Service) CalendarOverrides(ctx context.Context) ([]models.CalendarOverride, error) {
	var out []models.CalendarOverride
	if err := s.db.WithContext(ctx).Order("year").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("casework: calendar overrides: %w", err)
	}
	return out, nil
}

func overrideSources(list []models.CalendarOverride) []workday.Source {
	out := make([]workday.Source, len(list))
	for i, o := range list {
		out[i] = workday.Source{Name: fmt.Sprintf("管理后台录入的 %d 年节假日安排", o.Year), Data: []byte(o.Data)}
	}
	return out
}

// ReloadCalendar rebuilds the calendar from the overrides in the database:
// at start and, for the other replicas, after the console changed them.
// Deadlines already set stay as they were set.
func (s *Service) ReloadCalendar(ctx context.Context) error {
	if s.buildCalendar == nil {
		return nil
	}
	list, err := s.CalendarOverrides(ctx)
	if err != nil {
		return err
	}
	var parts []string
	for _, o := range list {
		parts = append(parts, strconv.Itoa(o.Year), o.Data)
	}
	built := digest(parts...)
	if p := s.calendarFrom.Load(); p != nil && *p == built {
		return nil // the overrides it was built from, unchanged
	}
	cal, err := s.buildCalendar(overrideSources(list))
	if err != nil {
		return fmt.Errorf("casework: rebuild calendar: %w", err)
	}
	s.cal.Store(cal)
	s.calendarFrom.Store(&built)
	return nil
}

// DeadlineMove is an open work order whose deadline a holiday change moves:
// the 3-working-day deadline (or, once extended, the extension, which
// stays) and the 10-working-day cap, before and after.
type DeadlineMove struct {
	CaseNo, OrderNo, Department string
	OldDue, NewDue              time.Time
	OldCap, NewCap              time.Time
}

// PreviewCalendarOverride checks one year's holiday arrangement as
// SaveCalendarOverride does and lists the open orders whose deadlines it
// would move, saving nothing.
func (s *Service) PreviewCalendarOverride(ctx context.Context, actor models.Staff, year int, data string) ([]DeadlineMove, error) {
	_, cal, err := s.checkCalendarOverride(ctx, actor, year, data)
	if err != nil {
		return nil, err
	}
	return s.deadlineMoves(s.db.WithContext(ctx), cal, nil)
}

// SaveCalendarOverride records one year's holiday arrangement from the
// console (the format of workday's override files, for that year only, and
// the whole year: see workday.Calendar.CheckYear) and applies it at once.
// The deadlines of open orders follow the new calendar, as the law counts
// them: each move is on its case's timeline, and the timers follow. A year
// refused changes nothing.
func (s *Service) SaveCalendarOverride(ctx context.Context, actor models.Staff, year int, data string) ([]DeadlineMove, error) {
	row, cal, err := s.checkCalendarOverride(ctx, actor, year, data)
	if err != nil {
		return nil, err
	}
	var moves []DeadlineMove
	var cases []uint64
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(&row).Error; err != nil {
			return fmt.Errorf("casework: save calendar override %d: %w", year, err)
		}
		cases = cases[:0]
		var err error
		moves, err = s.deadlineMoves(tx, cal, func(c *models.Case, orders []models.WorkOrder, moved []DeadlineMove) error {
			ch, err := s.begin(tx, actor, c)
			if err != nil {
				return err
			}
			for i, o := range orders {
				if err := tx.Save(&orders[i]).Error; err != nil {
					return fmt.Errorf("casework: save work order %s: %w", o.No, err)
				}
			}
			for _, m := range moved {
				note := fmt.Sprintf("节假日安排调整（%d 年），%s的办理时限由 %s 改为 %s", year, m.Department, models.FormatTime(m.OldDue), models.FormatTime(m.NewDue))
				if m.OldDue.Equal(m.NewDue) {
					note = fmt.Sprintf("节假日安排调整（%d 年），%s的最长办理时限由 %s 改为 %s", year, m.Department, models.FormatTime(m.OldCap), models.FormatTime(m.NewCap))
				}
				ch.record("deadline_moved", m.OrderNo, note)
			}
			cases = append(cases, c.ID)
			return ch.commit()
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cal.Store(cal)
	for _, id := range cases {
		s.planCase(ctx, id)
	}
	s.log.Info("holiday arrangement saved in the console", "year", year, "by", actor.ID, "deadlines_moved", len(moves))
	return moves, nil
}

// checkCalendarOverride refuses what SaveCalendarOverride would refuse and
// builds the calendar the arrangement would give.
func (s *Service) checkCalendarOverride(ctx context.Context, actor models.Staff, year int, data string) (models.CalendarOverride, *workday.Calendar, error) {
	var row models.CalendarOverride
	if err := requireAdmin(actor); err != nil {
		return row, nil, err
	}
	if s.buildCalendar == nil {
		return row, nil, models.Errorf(models.ErrInvalid, "本实例未启用节假日维护")
	}
	data = strings.TrimSpace(data)
	if err := s.Calendar().CheckYear("", year, []byte(data)); err != nil {
		var de *workday.DataError
		if errors.As(err, &de) {
			return row, nil, models.Errorf(models.ErrInvalid, "%d 年节假日安排未保存。%s", year, de.Message())
		}
		return row, nil, models.Errorf(models.ErrInvalid, "%d 年节假日安排未保存：%v", year, err)
	}
	list, err := s.CalendarOverrides(ctx)
	if err != nil {
		return row, nil, err
	}
	list = slices.DeleteFunc(list, func(o models.CalendarOverride) bool { return o.Year == year })
	row = models.CalendarOverride{Year: year, Data: data, UpdatedBy: actor.ID, UpdatedAt: s.clock.Now()}
	cal, err := s.buildCalendar(overrideSources(append(list, row)))
	if err != nil {
		var de *workday.DataError
		if errors.As(err, &de) {
			return row, nil, models.Errorf(models.ErrInvalid, "%d 年节假日安排未保存：与%s合用时出错，%s", year, de.File, de.Message())
		}
		return row, nil, models.Errorf(models.ErrInvalid, "%d 年节假日安排未保存：%v", year, err)
	}
	return row, cal, nil
}

// deadlineMoves lists the open orders whose deadlines cal moves from those
// the present calendar gives. With apply, each affected case is locked, its
// orders are changed and apply is called to save them, under tx.
func (s *Service) deadlineMoves(tx *gorm.DB, cal *workday.Calendar, apply func(c *models.Case, orders []models.WorkOrder, moved []DeadlineMove) error) ([]DeadlineMove, error) {
	cur := s.Calendar()
	var open []models.WorkOrder
	if err := tx.Where("status <> ?", models.OrderReplied).Order("case_id, id").Find(&open).Error; err != nil {
		return nil, fmt.Errorf("casework: list open orders: %w", err)
	}
	moves := func(o *models.WorkOrder) bool {
		return !cur.DueAt(o.ReceivedAt, s.opts.ReplyDays).Equal(cal.DueAt(o.ReceivedAt, s.opts.ReplyDays)) ||
			!cur.DueAt(o.ReceivedAt, s.opts.MaxDays).Equal(cal.DueAt(o.ReceivedAt, s.opts.MaxDays))
	}
	var caseIDs []uint64
	for i := range open {
		if moves(&open[i]) && !slices.Contains(caseIDs, open[i].CaseID) {
			caseIDs = append(caseIDs, open[i].CaseID)
		}
	}
	depts := map[string]string{}
	var all []models.Department
	if err := tx.Find(&all).Error; err != nil {
		return nil, fmt.Errorf("casework: list departments: %w", err)
	}
	for _, d := range all {
		depts[d.Code] = d.Name
	}
	var out []DeadlineMove
	for _, id := range caseIDs {
		var c *models.Case
		var orders []models.WorkOrder
		if apply != nil {
			var err error
			if c, err = lockCase(tx, "id = ?", id); err != nil {
				return nil, err
			}
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_id = ? AND status <> ?", id, models.OrderReplied).Order("id").Find(&orders).Error; err != nil {
				return nil, fmt.Errorf("casework: load work orders: %w", err)
			}
		} else {
			c = &models.Case{}
			if err := tx.Select("id", "no").Where("id = ?", id).First(c).Error; err != nil {
				return nil, fmt.Errorf("casework: load case %d: %w", id, err)
			}
			for _, o := range open {
				if o.CaseID == id {
					orders = append(orders, o)
				}
			}
		}
		var moved []DeadlineMove
		var changed []models.WorkOrder
		for _, o := range orders {
			if !moves(&o) {
				continue
			}
			m := DeadlineMove{CaseNo: c.No, OrderNo: o.No, Department: cmp.Or(depts[o.DepartmentCode], o.DepartmentCode), OldDue: o.Deadline(), OldCap: o.CapAt}
			o.DueAt = cal.DueAt(o.ReceivedAt, s.opts.ReplyDays)
			o.CapAt = cal.DueAt(o.ReceivedAt, s.opts.MaxDays)
			m.NewDue, m.NewCap = o.Deadline(), o.CapAt
			moved = append(moved, m)
			changed = append(changed, o)
		}
		if len(moved) == 0 {
			continue
		}
		if apply != nil {
			if err := apply(c, changed, moved); err != nil {
				return nil, err
			}
		}
		out = append(out, moved...)
	}
	return out, nil
}

package casework

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"bbcs/models"
)

// Directory is the centre's organisation as config describes it.
type Directory struct {
	Departments []models.Department
	Staff       []models.Staff
	Roster      []models.DutyDay
}

// SyncDirectory makes the database's departments, staff and roster match
// config, in one transaction. People and departments no longer in config
// are deactivated, not deleted: their old cases still name them.
func (s *Service) SyncDirectory(ctx context.Context, dir Directory) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&models.Department{}).Where("1 = 1").Update("active", false).Error; err != nil {
			return fmt.Errorf("casework: sync departments: %w", err)
		}
		for _, d := range dir.Departments {
			d.Active = true
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&d).Error; err != nil {
				return fmt.Errorf("casework: sync department %s: %w", d.Code, err)
			}
		}
		if err := tx.Model(&models.Staff{}).Where("1 = 1").Update("active", false).Error; err != nil {
			return fmt.Errorf("casework: sync staff: %w", err)
		}
		for _, st := range dir.Staff {
			st.Active = true
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&st).Error; err != nil {
				return fmt.Errorf("casework: sync staff %s: %w", st.ID, err)
			}
		}
		// The roster in config is the whole truth for the days it names.
		if err := tx.Where("1 = 1").Delete(&models.DutyDay{}).Error; err != nil {
			return fmt.Errorf("casework: sync duty roster: %w", err)
		}
		if len(dir.Roster) > 0 {
			if err := tx.Create(&dir.Roster).Error; err != nil {
				return fmt.Errorf("casework: sync duty roster: %w", err)
			}
		}
		return nil
	})
}

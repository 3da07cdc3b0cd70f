package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"bbcs/models"
)

// Directory is the centre's organisation as config describes it.
type Directory struct {
	Departments []models.Department
	Staff       []models.Staff
	Roster      []models.DutyDay
	Settings    models.Settings
}

// digest identifies a config entry's contents, to tell at the next start
// whether config changed it.
func digest(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// departmentDigest covers the fields added since digests were first kept
// (the robot, the parent department) only when set, so that an entry
// written before they existed keeps its digest, and the console's changes
// to it survive the upgrade.
func departmentDigest(d models.Department) string {
	fields := []string{d.Code, d.Name, d.Platform, d.ChatID, d.LeaderID}
	for _, f := range []string{d.RobotKey, d.RobotSecret, d.ParentUnit} {
		if f != "" {
			fields = append(fields, f)
		}
	}
	return digest(fields...)
}

// keepRobot keeps old's robot where d leaves it blank on the same platform
// (models.CentreGroup.Keeping): the console never shows it back, and a
// file may keep it out.
func keepRobot(d *models.Department, old models.Department) {
	robot := d.Robot().Keeping(old.Robot())
	d.RobotKey, d.RobotSecret = robot.Key, robot.Secret
}

func staffDigest(st models.Staff) string {
	return digest(st.ID, st.Name, string(st.Role), st.DepartmentCode, st.WeComUserID, st.DingTalkUserID, st.Mobile)
}

func dutyDigest(d models.DutyDay) string { return digest(d.Date, d.SpecialistID, d.LeaderID) }

// SyncDirectory brings config's departments, staff, roster and settings
// into the database, in one transaction. Both config and the console manage them
// (R10), so an entry is applied only when config changed it since it was
// last applied: the newer change wins, wherever it was made. Entries that
// came from config and left it are deactivated (people and departments:
// their old cases still name them) or removed (roster days); what the
// console created stays.
func (s *Service) SyncDirectory(ctx context.Context, dir Directory) error {
	defer s.directoryEdits.Add(1)
	return s.inTx(ctx, func(tx *gorm.DB) error {
		if err := syncRows(tx, dir.Departments, departmentDigest,
			func(d models.Department) string { return d.Code }, "code", func(d models.Department) string { return d.ConfigHash },
			func(d *models.Department, old *models.Department, hash string) {
				d.Active, d.ConfigHash = true, hash
				if old != nil {
					keepRobot(d, *old)
				}
			},
			func(q *gorm.DB) error { return q.Model(&models.Department{}).Updates(retired).Error }); err != nil {
			return fmt.Errorf("casework: sync departments: %w", err)
		}
		if err := syncRows(tx, dir.Staff, staffDigest,
			func(st models.Staff) string { return st.ID }, "id", func(st models.Staff) string { return st.ConfigHash },
			func(st *models.Staff, _ *models.Staff, hash string) { st.Active, st.ConfigHash = true, hash },
			func(q *gorm.DB) error { return q.Model(&models.Staff{}).Updates(retired).Error }); err != nil {
			return fmt.Errorf("casework: sync staff: %w", err)
		}
		if err := syncRows(tx, dir.Roster, dutyDigest,
			func(d models.DutyDay) string { return d.Date }, "date", func(d models.DutyDay) string { return d.ConfigHash },
			func(d *models.DutyDay, _ *models.DutyDay, hash string) { d.ConfigHash = hash },
			func(q *gorm.DB) error { return q.Delete(&models.DutyDay{}).Error }); err != nil {
			return fmt.Errorf("casework: sync duty roster: %w", err)
		}
		if err := s.syncSettings(tx, dir.Settings); err != nil {
			return fmt.Errorf("casework: sync settings: %w", err)
		}
		return nil
	})
}

// retired is what a sync writes to a person or department config no longer
// names: inactive, and no longer config's, so that config naming them
// again, even unchanged, applies the entry afresh.
var retired = map[string]any{"active": false, "config_hash": ""}

// syncRows applies config entries of one table whose digest differs from
// the row's, and retires rows config gave once but names no more.
// stamp marks an entry about to be saved, given the row it replaces (nil
// for a new one).
func syncRows[T any](tx *gorm.DB, entries []T, hash func(T) string, key func(T) string, keyColumn string,
	applied func(T) string, stamp func(e *T, old *T, hash string), retire func(*gorm.DB) error) error {
	var rows []T
	if err := tx.Find(&rows).Error; err != nil {
		return err
	}
	last := make(map[string]string, len(rows))
	byKey := make(map[string]*T, len(rows))
	for i, r := range rows {
		last[key(r)] = applied(r)
		byKey[key(r)] = &rows[i]
	}
	named := make([]string, 0, len(entries))
	for _, e := range entries {
		named = append(named, key(e))
		h := hash(e)
		if old, ok := last[key(e)]; ok && old == h {
			continue // unchanged in config: keep what the console may have set
		}
		stamp(&e, byKey[key(e)], h)
		if err := tx.Save(&e).Error; err != nil {
			return fmt.Errorf("%s %s: %w", keyColumn, key(e), err)
		}
	}
	q := tx.Where("config_hash <> ''")
	if len(named) > 0 {
		q = q.Where(keyColumn+" NOT IN ?", named)
	}
	return retire(q)
}

// DirectoryEdits changes whenever this process changes departments or
// staff: a copy of them kept elsewhere is stale on this replica at once
// (other replicas' changes it must age out by itself).
func (s *Service) DirectoryEdits() uint64 { return s.directoryEdits.Load() }

// requireAdmin: the directory is the administrator's (R10).
func requireAdmin(actor models.Staff) error { return requireRole(actor, models.RoleAdmin) }

// AllDepartments lists every department, the retired ones too, by code.
func (s *Service) AllDepartments(ctx context.Context) ([]models.Department, error) {
	var out []models.Department
	if err := s.db.WithContext(ctx).Order("code").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("casework: list departments: %w", err)
	}
	return out, nil
}

// AllStaff lists everyone, the retired too, by department and name.
func (s *Service) AllStaff(ctx context.Context) ([]models.Staff, error) {
	var out []models.Staff
	if err := s.db.WithContext(ctx).Order("department_code, role, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("casework: list staff: %w", err)
	}
	return out, nil
}

// SaveDepartment creates or changes a department from the console.
func (s *Service) SaveDepartment(ctx context.Context, actor models.Staff, d models.Department) (*models.Department, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	d.Code = strings.TrimSpace(d.Code)
	if !validCode(d.Code) {
		return nil, models.Errorf(models.ErrInvalid, "部门代码只能由小写字母、数字、- 和 _ 组成（1–64 位）")
	}
	var err error
	if d.Name, err = text("name", "部门名称", d.Name, 60); err != nil {
		return nil, err
	}
	if d.ParentUnit = strings.TrimSpace(d.ParentUnit); d.ParentUnit != "" {
		if d.ParentUnit, err = text("parent_unit", "原部门（单位）名称", d.ParentUnit, 60); err != nil {
			return nil, err
		}
	}
	if err := credentials(map[string]*string{"群 ID": &d.ChatID, "群机器人的 key 或 access_token": &d.RobotKey, "钉钉加签密钥": &d.RobotSecret}); err != nil {
		return nil, err
	}
	if err := d.Robot().Check("部门群"); err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if d.LeaderID != "" {
			if err := mustStaff(tx, d.LeaderID, "分管领导"); err != nil {
				return err
			}
		}
		var old models.Department
		switch err := tx.Where("code = ?", d.Code).Take(&old).Error; {
		case err == nil:
			d.ConfigHash = old.ConfigHash
			keepRobot(&d, old)
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		return tx.Save(&d).Error
	})
	if err != nil {
		return nil, wrapDirectory("save department "+d.Code, err)
	}
	s.directoryEdits.Add(1)
	s.log.Info("department saved in the console", "department", d.Code, "by", actor.ID)
	return &d, nil
}

// StaffChange is what the console's staff form sets. An empty Password
// leaves the password as it is.
type StaffChange struct {
	models.Staff
	Password string
}

// SaveStaff creates or changes a person from the console.
func (s *Service) SaveStaff(ctx context.Context, actor models.Staff, in StaffChange) (*models.Staff, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	st := in.Staff
	st.ID = strings.TrimSpace(st.ID)
	if !validCode(st.ID) {
		return nil, models.Errorf(models.ErrInvalid, "工号只能由小写字母、数字、- 和 _ 组成（1–64 位）")
	}
	var err error
	if st.Name, err = text("name", "姓名", st.Name, 30); err != nil {
		return nil, err
	}
	if !slices.Contains(models.Roles, st.Role) {
		return nil, models.Errorf(models.ErrInvalid, "请选择角色")
	}
	if (st.Role == models.RoleWindowStaff || st.Role == models.RoleWindowHead) && st.DepartmentCode == "" {
		return nil, models.Errorf(models.ErrInvalid, "窗口工作人员须选择所在部门")
	}
	if st.Mobile = strings.TrimSpace(st.Mobile); st.Mobile != "" && !models.ValidMobile(st.Mobile) {
		return nil, models.Errorf(models.ErrInvalid, "手机号应为 11 位数字")
	}
	if st.ID == actor.ID && (!st.Active || st.Role != models.RoleAdmin) {
		return nil, models.Errorf(models.ErrInvalid, "不能停用自己或取消自己的管理员角色，请由另一位管理员办理")
	}
	if in.Password != "" {
		if len(in.Password) < 8 {
			return nil, models.Errorf(models.ErrInvalid, "密码至少 8 位")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("casework: hash password: %w", err)
		}
		st.PasswordHash = string(hash)
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if st.DepartmentCode != "" {
			var n int64
			if err := tx.Model(&models.Department{}).Where("code = ?", st.DepartmentCode).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return models.Errorf(models.ErrInvalid, "没有代码为 %s 的部门", st.DepartmentCode)
			}
		}
		var old models.Staff
		switch err := tx.Where("id = ?", st.ID).Take(&old).Error; {
		case err == nil:
			st.ConfigHash = old.ConfigHash
			if in.Password == "" {
				st.PasswordHash = old.PasswordHash
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		return tx.Save(&st).Error
	})
	if err != nil {
		return nil, wrapDirectory("save staff "+st.ID, err)
	}
	s.directoryEdits.Add(1)
	s.log.Info("staff saved in the console", "staff", st.ID, "by", actor.ID)
	return &st, nil
}

// Roster lists the duty days from one date to another, inclusive.
func (s *Service) Roster(ctx context.Context, from, to string) ([]models.DutyDay, error) {
	var out []models.DutyDay
	if err := s.db.WithContext(ctx).Where("date BETWEEN ? AND ?", from, to).Order("date").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("casework: roster: %w", err)
	}
	return out, nil
}

// SaveDutyDay sets who is on duty on a working day; an empty specialist
// clears the day, which then falls back to the rotation.
func (s *Service) SaveDutyDay(ctx context.Context, actor models.Staff, d models.DutyDay) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	day, err := s.Calendar().ParseDate(d.Date)
	if err != nil {
		return models.Errorf(models.ErrInvalid, "日期应为 YYYY-MM-DD")
	}
	d.Date = day.Format(time.DateOnly)
	if d.SpecialistID != "" && !s.Calendar().IsWorkday(day) {
		return models.Errorf(models.ErrInvalid, "%s 不是工作日，无需排班", d.Date)
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if d.SpecialistID == "" {
			return tx.Where("date = ?", d.Date).Delete(&models.DutyDay{}).Error
		}
		if err := mustStaff(tx, d.SpecialistID, "值班专员", models.RoleSpecialist); err != nil {
			return err
		}
		if d.LeaderID != "" {
			if err := mustStaff(tx, d.LeaderID, "值班领导"); err != nil {
				return err
			}
		}
		var old models.DutyDay
		switch err := tx.Where("date = ?", d.Date).Take(&old).Error; {
		case err == nil:
			d.ConfigHash = old.ConfigHash
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		return tx.Save(&d).Error
	})
	return wrapDirectory("save duty day "+d.Date, err)
}

// mustStaff checks that id names an active person, of one of roles when
// any are given.
func mustStaff(tx *gorm.DB, id, label string, roles ...models.Role) error {
	var st models.Staff
	err := tx.Where("id = ? AND active = ?", id, true).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Errorf(models.ErrInvalid, "%s %s 不在在岗人员名单中", label, id)
	}
	if err != nil {
		return err
	}
	if len(roles) > 0 && !slices.Contains(roles, st.Role) {
		return models.Errorf(models.ErrInvalid, "%s应为%s，%s是%s", label, roles[0].Label(), st.Name, st.Role.Label())
	}
	return nil
}

func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func wrapDirectory(what string, err error) error {
	var e *models.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("casework: %s: %w", what, err)
}

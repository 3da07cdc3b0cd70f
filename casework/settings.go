package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"gorm.io/gorm"

	"bbcs/models"
)

// The centre's own settings (R10) — the duty rotation, the supervision
// section's and leaders' groups, the apps' credentials — are synced from
// config like the directory and changed by the administrator in the
// console. Credentials are write-only there: a field left blank keeps its
// value, and none is ever shown back.

func settingDigest(s models.Setting) string { return digest(s.Name, s.Value) }

// Settings are the settings in force.
func (s *Service) Settings(ctx context.Context) (models.Settings, error) {
	return s.readSettings(s.db.WithContext(ctx))
}

// readSettings reads the named settings, or all of them; one that does not
// decode is logged and left empty, so the others still work and it can be
// saved afresh.
func (s *Service) readSettings(tx *gorm.DB, names ...string) (models.Settings, error) {
	var rows []models.Setting
	q := tx
	if len(names) > 0 {
		q = q.Where("name IN ?", names)
	}
	if err := q.Find(&rows).Error; err != nil {
		return models.Settings{}, fmt.Errorf("casework: read settings: %w", err)
	}
	return s.decodeSettings(rows), nil
}

func (s *Service) decodeSettings(rows []models.Setting) models.Settings {
	out, err := models.DecodeSettings(rows)
	if err != nil {
		s.log.Error("settings: a stored setting is unreadable and left empty; save it again in the console", "err", err)
	}
	return out
}

// syncSettings applies config's settings as SyncDirectory applies its
// entries: a setting config changed since it last applied it is set to
// config's value, keeping the secrets config leaves blank where they
// still belong (secrets entered in the console only, to keep them out of
// files, survive a change to another field).
func (s *Service) syncSettings(tx *gorm.DB, config models.Settings) error {
	var rows []models.Setting
	if err := tx.Find(&rows).Error; err != nil {
		return err
	}
	applied := map[string]string{}
	for _, r := range rows {
		applied[r.Name] = r.ConfigHash
	}
	cur := s.decodeSettings(rows)
	for _, entry := range config.Rows() {
		h := settingDigest(entry)
		if old, ok := applied[entry.Name]; ok && old == h {
			continue
		}
		if _, ok := applied[entry.Name]; ok {
			s.log.Info("config changed a setting: applied over the console's", "setting", entry.Name)
		}
		cur.Apply(entry.Name, config)
		row := cur.Row(entry.Name)
		row.ConfigHash = h
		if err := tx.Save(&row).Error; err != nil {
			return fmt.Errorf("%s: %w", entry.Name, err)
		}
	}
	return nil
}

// saveSetting changes one setting from the console to next's, keeping the
// secrets it leaves blank where they still belong (models.Settings.Apply),
// and saves it if check finds the result whole. Config's digest stays, so
// config overrides it again only once config changes it.
func (s *Service) saveSetting(ctx context.Context, actor models.Staff, name string, next models.Settings, check func(*gorm.DB, models.Settings) error) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var old models.Setting
		if err := tx.Where("name = ?", name).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		cur := s.decodeSettings([]models.Setting{old})
		cur.Apply(name, next)
		if err := check(tx, cur); err != nil {
			return err
		}
		row := cur.Row(name)
		row.ConfigHash = old.ConfigHash
		return tx.Save(&row).Error
	})
	if err != nil {
		return wrapDirectory("save setting "+name, err)
	}
	s.directoryEdits.Add(1)
	s.log.Info("setting saved in the console", "setting", name, "by", actor.ID)
	return nil
}

// SaveRotation sets the specialists who take working days in turn, in
// order, when the roster names nobody for the day (第四条).
func (s *Service) SaveRotation(ctx context.Context, actor models.Staff, ids []string) error {
	rota := []string{}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(rota, id) {
			rota = append(rota, id)
		}
	}
	return s.saveSetting(ctx, actor, models.SettingRotation, models.Settings{Rotation: rota}, func(tx *gorm.DB, _ models.Settings) error {
		for _, id := range rota {
			if err := mustStaff(tx, id, "值班轮换人员", models.RoleSpecialist); err != nil {
				return err
			}
		}
		return nil
	})
}

// SaveCentreGroup sets the supervision section's (models.SettingSupervision)
// or the leaders' (models.SettingLeaders) group and its robot.
func (s *Service) SaveCentreGroup(ctx context.Context, actor models.Staff, name string, g models.CentreGroup) error {
	label := models.CentreGroupLabels[name]
	if label == "" {
		return models.Errorf(models.ErrNotFound, "没有 %s 这个群", name)
	}
	if err := credentials(map[string]*string{"群 ID": &g.ChatID, "群机器人的 key 或 access_token": &g.Key, "钉钉加签密钥": &g.Secret}); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, name, models.Settings{Supervision: g, Leaders: g}, func(_ *gorm.DB, cur models.Settings) error {
		if name == models.SettingLeaders {
			return cur.Leaders.Check(label)
		}
		return cur.Supervision.Check(label)
	})
}

// SaveWeChatApp sets the service account's credentials. Blank secrets keep
// theirs while the AppID stays; another AppID needs its own.
func (s *Service) SaveWeChatApp(ctx context.Context, actor models.Staff, in models.WeChatApp) error {
	if err := credentials(map[string]*string{"AppID": &in.AppID, "AppSecret": &in.AppSecret, "Token": &in.Token, "EncodingAESKey": &in.EncodingAESKey}); err != nil {
		return err
	}
	if err := aesKey("EncodingAESKey", in.EncodingAESKey); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, models.SettingWeChat, models.Settings{WeChat: in}, func(_ *gorm.DB, cur models.Settings) error { return cur.WeChat.Check() })
}

// SaveWeComApp sets the WeCom app's and robot's credentials. Blank secrets
// keep theirs while the corp (and, for the app's, the AgentId) stays.
func (s *Service) SaveWeComApp(ctx context.Context, actor models.Staff, in models.WeComApp) error {
	if err := credentials(map[string]*string{"CorpID": &in.CorpID, "AgentID": &in.AgentID, "Secret": &in.Secret, "Token": &in.Token,
		"EncodingAESKey": &in.EncodingAESKey, "机器人 Token": &in.BotToken, "机器人 EncodingAESKey": &in.BotEncodingAESKey}); err != nil {
		return err
	}
	if strings.ContainsFunc(in.AgentID, func(r rune) bool { return r < '0' || r > '9' }) {
		return models.Errorf(models.ErrInvalid, "AgentId 是应用的数字编号")
	}
	if err := aesKey("EncodingAESKey", in.EncodingAESKey); err != nil {
		return err
	}
	if err := aesKey("机器人 EncodingAESKey", in.BotEncodingAESKey); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, models.SettingWeCom, models.Settings{WeCom: in}, func(_ *gorm.DB, cur models.Settings) error { return cur.WeCom.Check() })
}

// SaveDingTalkApp sets the DingTalk app's credentials. A blank secret
// keeps its while the AppKey stays.
func (s *Service) SaveDingTalkApp(ctx context.Context, actor models.Staff, in models.DingTalkApp) error {
	if err := credentials(map[string]*string{"AppKey": &in.AppKey, "AppSecret": &in.AppSecret, "RobotCode": &in.RobotCode, "CorpId": &in.CorpID}); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, models.SettingDingTalk, models.Settings{DingTalk: in}, func(_ *gorm.DB, cur models.Settings) error { return cur.DingTalk.Check() })
}

// credential trims an identifier or secret and checks it is one word of
// at most max characters.
func credential(label, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) > max || strings.ContainsFunc(v, unicode.IsSpace) {
		return "", models.Errorf(models.ErrInvalid, "%s不正确：最多 %d 个字符，不能有空格", label, max)
	}
	return v, nil
}

func credentials(fields map[string]*string) error {
	for label, v := range fields {
		var err error
		if *v, err = credential(label, *v, 256); err != nil {
			return err
		}
	}
	return nil
}

// aesKey checks an EncodingAESKey: 43 characters, as the platforms make it.
func aesKey(label, v string) error {
	if v != "" && len(v) != 43 {
		return models.Errorf(models.ErrInvalid, "%s 应为 43 个字符（平台生成的消息加解密密钥），现在是 %d 个", label, len(v))
	}
	return nil
}

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
	return readSettings(s.db.WithContext(ctx))
}

func readSettings(tx *gorm.DB) (models.Settings, error) {
	var rows []models.Setting
	if err := tx.Find(&rows).Error; err != nil {
		return models.Settings{}, fmt.Errorf("casework: read settings: %w", err)
	}
	out, err := models.DecodeSettings(rows)
	if err != nil {
		return out, fmt.Errorf("casework: %w", err)
	}
	return out, nil
}

// saveSetting changes one setting from the console: change edits the
// settings in force, and the named one is written back. Config's digest
// stays, so config overrides it again only once config changes it.
func (s *Service) saveSetting(ctx context.Context, actor models.Staff, name string, change func(*gorm.DB, *models.Settings) error) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		cur, err := readSettings(tx)
		if err != nil {
			return err
		}
		if err := change(tx, &cur); err != nil {
			return err
		}
		for _, row := range cur.Rows() {
			if row.Name != name {
				continue
			}
			var old models.Setting
			if err := tx.Where("name = ?", name).Limit(1).Find(&old).Error; err != nil {
				return err
			}
			row.ConfigHash = old.ConfigHash
			return tx.Save(&row).Error
		}
		return fmt.Errorf("no setting %s", name)
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
	var rota []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(rota, id) {
			rota = append(rota, id)
		}
	}
	return s.saveSetting(ctx, actor, models.SettingRotation, func(tx *gorm.DB, cur *models.Settings) error {
		for _, id := range rota {
			if err := mustStaff(tx, id, "值班轮换人员", models.RoleSpecialist); err != nil {
				return err
			}
		}
		cur.Rotation = rota
		return nil
	})
}

// SaveCentreGroup sets the supervision section's (models.SettingSupervision)
// or the leaders' (models.SettingLeaders) group and its robot.
func (s *Service) SaveCentreGroup(ctx context.Context, actor models.Staff, name string, g models.CentreGroup) error {
	label := map[string]string{models.SettingSupervision: "监督考核科群", models.SettingLeaders: "领导群"}[name]
	if label == "" {
		return models.Errorf(models.ErrNotFound, "没有 %s 这个群", name)
	}
	if g.Platform != "" && g.Platform != "wecom" && g.Platform != "dingtalk" {
		return models.Errorf(models.ErrInvalid, "%s所在平台应为企业微信（wecom）或钉钉（dingtalk）", label)
	}
	var err error
	if g.ChatID, err = credential("群 ID", g.ChatID, 128); err != nil {
		return err
	}
	if g.Key, err = credential("群机器人的 key 或 access_token", g.Key, 256); err != nil {
		return err
	}
	if g.Secret, err = credential("钉钉加签密钥", g.Secret, 256); err != nil {
		return err
	}
	if g.Platform == "wecom" && g.Secret != "" {
		return models.Errorf(models.ErrInvalid, "企业微信群机器人只需 webhook key，没有加签密钥")
	}
	return s.saveSetting(ctx, actor, name, func(tx *gorm.DB, cur *models.Settings) error {
		old := &cur.Supervision
		if name == models.SettingLeaders {
			old = &cur.Leaders
		}
		// Left blank, the robot stays, unless the group moved platform.
		if g.Key == "" && g.Platform == old.Platform {
			g.Key, g.Secret = old.Key, old.Secret
		}
		*old = g
		return nil
	})
}

// SaveWeChatApp sets the service account's credentials; blank secrets
// keep theirs.
func (s *Service) SaveWeChatApp(ctx context.Context, actor models.Staff, in models.WeChatApp) error {
	if err := credentials(map[string]*string{"AppID": &in.AppID, "AppSecret": &in.AppSecret, "Token": &in.Token, "EncodingAESKey": &in.EncodingAESKey}); err != nil {
		return err
	}
	if err := aesKey("EncodingAESKey", in.EncodingAESKey); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, models.SettingWeChat, func(tx *gorm.DB, cur *models.Settings) error {
		keep(&in.AppSecret, cur.WeChat.AppSecret)
		keep(&in.Token, cur.WeChat.Token)
		keep(&in.EncodingAESKey, cur.WeChat.EncodingAESKey)
		if in.AppID != "" && (in.AppSecret == "" || in.Token == "") {
			return models.Errorf(models.ErrInvalid, "填写了 AppID 就要同时填写 AppSecret 和令牌（Token）：服务号的服务器配置要用令牌")
		}
		if in.EncodingAESKey != "" && in.AppID == "" {
			return models.Errorf(models.ErrInvalid, "安全模式（EncodingAESKey）需要同时填写 AppID")
		}
		cur.WeChat = in
		return nil
	})
}

// SaveWeComApp sets the WeCom app's and robot's credentials; blank
// secrets keep theirs.
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
	return s.saveSetting(ctx, actor, models.SettingWeCom, func(tx *gorm.DB, cur *models.Settings) error {
		old := cur.WeCom
		keep(&in.Secret, old.Secret)
		keep(&in.Token, old.Token)
		keep(&in.EncodingAESKey, old.EncodingAESKey)
		keep(&in.BotToken, old.BotToken)
		keep(&in.BotEncodingAESKey, old.BotEncodingAESKey)
		cur.WeCom = in
		return nil
	})
}

// SaveDingTalkApp sets the DingTalk app's credentials; a blank secret
// keeps its.
func (s *Service) SaveDingTalkApp(ctx context.Context, actor models.Staff, in models.DingTalkApp) error {
	if err := credentials(map[string]*string{"AppKey": &in.AppKey, "AppSecret": &in.AppSecret, "RobotCode": &in.RobotCode, "CorpId": &in.CorpID}); err != nil {
		return err
	}
	return s.saveSetting(ctx, actor, models.SettingDingTalk, func(tx *gorm.DB, cur *models.Settings) error {
		keep(&in.AppSecret, cur.DingTalk.AppSecret)
		cur.DingTalk = in
		return nil
	})
}

// keep is a write-only field's rule: left blank, it keeps its value.
func keep(field *string, old string) {
	if *field == "" {
		*field = old
	}
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

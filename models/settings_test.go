package models

import "testing"

// The write-only rule: a blank field keeps its value only where it still
// belongs.
func TestSettingsKeepSecretsWhereTheyBelong(t *testing.T) {
	for _, tc := range []struct {
		name           string
		cur, next, out Settings
		setting        string
	}{
		{"group: blank key and secret keep the robot", Settings{Leaders: CentreGroup{Platform: "dingtalk", Key: "tok1", Secret: "SEC1"}},
			Settings{Leaders: CentreGroup{Platform: "dingtalk"}}, Settings{Leaders: CentreGroup{Platform: "dingtalk", Key: "tok1", Secret: "SEC1"}}, SettingLeaders},
		{"group: a reset token keeps the 加签 secret", Settings{Leaders: CentreGroup{Platform: "dingtalk", Key: "tok1", Secret: "SEC1"}},
			Settings{Leaders: CentreGroup{Platform: "dingtalk", Key: "tok2"}}, Settings{Leaders: CentreGroup{Platform: "dingtalk", Key: "tok2", Secret: "SEC1"}}, SettingLeaders},
		{"group: another platform keeps nothing", Settings{Supervision: CentreGroup{Platform: "dingtalk", Key: "tok1", Secret: "SEC1"}},
			Settings{Supervision: CentreGroup{Platform: "wecom"}}, Settings{Supervision: CentreGroup{Platform: "wecom"}}, SettingSupervision},
		{"wechat: same AppID keeps its secrets", Settings{WeChat: WeChatApp{AppID: "wx1", AppSecret: "s", Token: "t", EncodingAESKey: "k"}},
			Settings{WeChat: WeChatApp{AppID: "wx1", Token: "t2"}}, Settings{WeChat: WeChatApp{AppID: "wx1", AppSecret: "s", Token: "t2", EncodingAESKey: "k"}}, SettingWeChat},
		{"wechat: another AppID keeps none", Settings{WeChat: WeChatApp{AppID: "wx1", AppSecret: "s", Token: "t"}},
			Settings{WeChat: WeChatApp{AppID: "wx2"}}, Settings{WeChat: WeChatApp{AppID: "wx2"}}, SettingWeChat},
		{"wecom: another AgentId keeps the robot's only", Settings{WeCom: WeComApp{CorpID: "ww", AgentID: "1", Secret: "s", BotToken: "b", BotEncodingAESKey: "k"}},
			Settings{WeCom: WeComApp{CorpID: "ww", AgentID: "2"}}, Settings{WeCom: WeComApp{CorpID: "ww", AgentID: "2", BotToken: "b", BotEncodingAESKey: "k"}}, SettingWeCom},
		{"dingtalk: another AppKey keeps no secret", Settings{DingTalk: DingTalkApp{AppKey: "a", AppSecret: "s", RobotCode: "r"}},
			Settings{DingTalk: DingTalkApp{AppKey: "b", RobotCode: "r"}}, Settings{DingTalk: DingTalkApp{AppKey: "b", RobotCode: "r"}}, SettingDingTalk},
	} {
		got := tc.cur
		got.Apply(tc.setting, tc.next)
		if got.Leaders != tc.out.Leaders || got.Supervision != tc.out.Supervision || got.WeChat != tc.out.WeChat || got.WeCom != tc.out.WeCom || got.DingTalk != tc.out.DingTalk {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.out)
		}
	}
	if err := (WeComApp{BotToken: "b", BotEncodingAESKey: "k"}).Check(); err != nil {
		t.Errorf("a WeCom smart robot alone: %v", err)
	}
	if err := (WeComApp{CorpID: "ww", AgentID: "2", BotToken: "b", BotEncodingAESKey: "k"}).Check(); err == nil {
		t.Errorf("an app with no secret passed")
	}
}

// An app sends once its credentials are all there: the service account
// with AppID and AppSecret; WeCom with the corp, AgentId and Secret;
// DingTalk with AppKey, AppSecret and RobotCode. What Check accepts with
// any of the app's fields set is complete.
func TestAppsComplete(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"wechat: nothing", WeChatApp{}.Complete(), false},
		{"wechat: AppID only", WeChatApp{AppID: "wx1", Token: "t"}.Complete(), false},
		{"wechat: AppID and AppSecret", WeChatApp{AppID: "wx1", AppSecret: "s"}.Complete(), true},
		{"wecom: the smart robot alone", WeComApp{BotToken: "b", BotEncodingAESKey: "k"}.Complete(), false},
		{"wecom: no AgentId", WeComApp{CorpID: "ww", Secret: "s"}.Complete(), false},
		{"wecom: corp, AgentId and Secret", WeComApp{CorpID: "ww", AgentID: "1", Secret: "s"}.Complete(), true},
		{"dingtalk: no RobotCode", DingTalkApp{AppKey: "a", AppSecret: "s"}.Complete(), false},
		{"dingtalk: AppKey, AppSecret and RobotCode", DingTalkApp{AppKey: "a", AppSecret: "s", RobotCode: "r"}.Complete(), true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: complete = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if err := (WeChatApp{AppID: "wx1", AppSecret: "s", Token: "t"}).Check(); err != nil {
		t.Errorf("a complete service account: %v", err)
	}
	if err := (WeComApp{CorpID: "ww", AgentID: "1", Secret: "s"}).Check(); err != nil {
		t.Errorf("a complete WeCom app: %v", err)
	}
	if err := (DingTalkApp{AppKey: "a", AppSecret: "s", RobotCode: "r"}).Check(); err != nil {
		t.Errorf("a complete DingTalk app: %v", err)
	}
	if err := (DingTalkApp{AppKey: "a", AppSecret: "s"}).Check(); err == nil {
		t.Error("a DingTalk app without RobotCode passed")
	}
}

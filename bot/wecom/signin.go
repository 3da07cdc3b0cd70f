package wecom

import "net/url"

// SignInURL is WeCom's OAuth for pages opened inside WeCom: it comes back
// to back with a code that names the member (snsapi_base, no prompt).
func SignInURL(corpID, agentID, back string) string {
	q := url.Values{"appid": {corpID}, "redirect_uri": {back}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {"bbcs"}, "agentid": {agentID}}
	return "https://open.weixin.qq.com/connect/oauth2/authorize?" + q.Encode() + "#wechat_redirect"
}

// Package faketest holds what the platform fakes (bot/wechat/wechattest,
// bot/wecom/wecomtest, bot/dingtalk/dingtalktest) have in common: the
// message crypto WeChat and WeCom share, the recording of what a fake
// received and the waiting for it, injected faults, and the plumbing of
// the clients that play a platform calling bbcs.
//
// It imports nothing of bbcs: the crypto is written from the platforms'
// published scheme, independently of the production code in bot/, so the
// fakes keep checking it.
package faketest

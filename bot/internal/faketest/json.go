package faketest

import (
	"bytes"
	"encoding/json"
)

// FlexString is a JSON string or number: the platforms document some
// fields as strings and take numbers too, or the reverse (WeChat's msgmenu
// ids, WeCom's agentid and touser, DingTalk's btnOrientation and
// hideAvatar). null leaves it as it was; anything else is an error.
type FlexString string

func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = FlexString(n.String())
	return nil
}

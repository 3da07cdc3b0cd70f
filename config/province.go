package config

import "bbcs/models"

// provinceFields checks province.fields, so that `bbcs config check`
// names a wrong mapping key by key (bot/province checks the same rule when
// it is built).
func (v *checker) provinceFields() {
	for _, p := range models.CheckRecordRenames(v.c.Province.Fields) {
		v.add("province.fields."+p.Key, "%s", p.Problem)
	}
}

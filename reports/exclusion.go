package reports

import "bbcs/models"

// excluded is the appeals rule of issue 16, until models has it (branch
// appeal): a rating with an upheld appeal of unit dept (恶意差评 or
// 非本部门原因) is out of that unit's figures and its staff's; one upheld
// as malicious is out of the centre's totals too. appeals are the
// rating's appeals.
func excluded(appeals []models.Appeal, dept string) (fromUnit, fromCentre bool) {
	for _, a := range appeals {
		if a.Status != models.AppealUpheld || a.RatingID == 0 {
			continue
		}
		switch a.Ground {
		case models.GroundMalicious:
			fromCentre = true
			fromUnit = fromUnit || a.DepartmentCode == dept
		case models.GroundUnrelated:
			fromUnit = fromUnit || a.DepartmentCode == dept
		}
	}
	return fromUnit, fromCentre
}

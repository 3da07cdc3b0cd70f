package casework

import (
	"fmt"
	"slices"
	"strings"

	"bbcs/models"
)

// instruct passes a leader's answer on as an instruction: to the owner,
// to the window group of each department with an open order of the round
// (all of the round's departments once none is open), and on file with
// the supervision section (报备). The applicant's answer stays the
// departments'.
func (ch *change) instruct(in models.Instruction, answer string) error {
	orders, err := ch.roundOrders()
	if err != nil {
		return err
	}
	if open := slices.DeleteFunc(slices.Clone(orders), func(o models.WorkOrder) bool { return !o.Open() }); len(open) > 0 {
		orders = open
	}
	var names []string
	seen := map[string]bool{}
	for i := range orders {
		o := &orders[i]
		if seen[o.DepartmentCode] {
			continue
		}
		seen[o.DepartmentCode] = true
		dept, err := ch.department(o.DepartmentCode)
		if err != nil {
			return err
		}
		names = append(names, dept.Name)
		d := ch.orderData(o, dept)
		d.Note, d.Result = in.Question, answer
		ch.notify(models.NoticeLeaderInstruction, models.AudienceDepartment, dept.Code, d)
	}
	line := fmt.Sprintf("%s批示：%s", ch.actor.Name, answer)
	if len(names) > 0 {
		line += "（已转首接负责人和" + strings.Join(names, "、") + "）"
	}
	ch.record("instructed", "", line)
	d := ch.data()
	d.Note, d.Result, d.Departments = in.Question, answer, names
	ch.notify(models.NoticeLeaderInstruction, models.AudienceStaff, ch.c.OwnerID, d)
	ch.notify(models.NoticeInstructionFiled, models.AudienceSupervision, "", d)
	return nil
}

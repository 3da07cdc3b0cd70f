package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"bbcs/casework"
	"bbcs/models"
)

// appealGrounds are the words a group's 申诉 command gives its ground with.
var appealGrounds = map[string]models.AppealGround{
	"恶意差评":   models.GroundMalicious,
	"恶意":     models.GroundMalicious,
	"非本部门原因": models.GroundUnrelated,
	"非本部门":   models.GroundUnrelated,
	"扣分有误":   models.GroundDeduction,
	"扣分":     models.GroundDeduction,
}

var roundRE = regexp.MustCompile(`^第(\d+)轮$`)

const appealUsage = "请写明案件编号、申诉类型（恶意差评／非本部门原因／扣分有误）和理由，例如：申诉 BB20261206-001 非本部门原因 材料不全系上级部门系统故障所致。" +
	"分管领导请写明部门：申诉 BB20261206-001 不动产登记窗口 恶意差评 理由；对更早一轮的差评可加“第1轮”。"

// appealCommand is the group command 申诉 BB… [部门] [第N轮] 恶意差评|非本部门原因|扣分有误 理由…:
// the window head (or the department's 分管领导, naming it) appeals the
// case's latest 差评 — or the one of the round named — or the department's
// latest deduction on the case. A group cannot attach files to a command:
// attachments go through the API (POST /api/v1/appeals). The supervision
// section decides in the console.
func (h *Staff) appealCommand(ctx context.Context, actor models.Staff, no string, args []string) (string, error) {
	if !staffCaseNoRE.MatchString(no) {
		return appealUsage, nil
	}
	in := casework.AppealInput{CaseNo: no, Department: actor.DepartmentCode}
	deptName := ""
	rest := args[1:]
	for len(rest) > 0 && in.Ground == "" {
		word := rest[0]
		rest = rest[1:]
		if g, ok := appealGrounds[word]; ok {
			in.Ground = g
			break
		}
		if m := roundRE.FindStringSubmatch(word); m != nil {
			in.Round, _ = strconv.Atoi(m[1])
			continue
		}
		d, err := h.Cases.DepartmentByName(ctx, word)
		if outage(err) {
			return "", err
		}
		if err != nil {
			return fmt.Sprintf("没看懂“%s”：", word) + appealUsage, nil
		}
		in.Department, deptName = d.Code, d.Name
	}
	if in.Ground == "" {
		return appealUsage, nil
	}
	in.Reason = strings.Join(rest, " ")
	if strings.TrimSpace(in.Reason) == "" {
		return "请写明申诉理由。" + appealUsage, nil
	}
	if in.Department == "" {
		return "请写明为哪个部门申诉，例如：申诉 " + no + " 不动产登记窗口 " + in.Ground.Label() + " 理由", nil
	}
	if in.Ground == models.GroundDeduction && in.Round != 0 {
		return "对扣分申诉不必写轮次：申诉 " + no + " 扣分有误 理由", nil
	}
	a, err := h.Cases.FileAppeal(ctx, actor, in)
	if err != nil {
		return "", err
	}
	what := "对 " + no + " 的差评"
	if a.DeductionID != 0 {
		what = fmt.Sprintf("对 %s 的扣分（记录 %d）", no, a.DeductionID)
	}
	if deptName != "" {
		what = "为" + deptName + what
	}
	return fmt.Sprintf("%s 已%s提出申诉（%s，编号 %d），已转监督考核科裁定，裁定结果会通知本群。"+
		"如有证明材料（照片、录音、截图），请一并交监督考核科。", actor.Name, what, in.Ground.Label(), a.ID), nil
}

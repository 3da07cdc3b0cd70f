package handlers

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"bbcs/casework"
	"bbcs/models"
)

// 登记 by chat (R1): the specialist at the window registers a walk-in or
// phone case with one message, positional or labelled, in any order that
// reads naturally:
//
//	登记 张三 13800138000 超时未办结 营业执照变更三次未办成
//	登记 来电 姓名：李四 电话：0739-1234567 类别：服务态度差 事项：…
//	登记 姓名:王五 电话:+86 139 0000 1111 企业:县宏达建材有限公司 类别:3 事项:…
//
// 来电 or 电话 alone marks a phone case; the default is a walk-in.

const registerFormat = "登记 姓名 电话 类别 事项"

const registerExample = "登记 张三 13812345678 超时未办结 营业执照变更三次未办成"

// registerLabels are the labels a field may carry, to the field.
var registerLabels = map[string]string{
	"姓名": "name", "名字": "name", "反映人": "name", "申请人": "name", "群众": "name",
	"电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone", "号码": "phone",
	"类别": "category", "类型": "category", "分类": "category",
	"事项": "matter", "内容": "matter", "问题": "matter", "反映事项": "matter", "情况": "matter",
	"企业": "company", "公司": "company", "单位": "company", "企业名称": "company",
	"渠道": "channel", "方式": "channel",
}

// registerLabelRE finds "label:" or "label：", longest labels first.
var registerLabelRE = func() *regexp.Regexp {
	labels := make([]string, 0, len(registerLabels))
	for l := range registerLabels {
		labels = append(labels, l)
	}
	// Longer first, so 联系电话 wins over 电话 and 反映事项 over 事项.
	slices.SortFunc(labels, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	return regexp.MustCompile(`(` + strings.Join(labels, "|") + `)\s*[:：]`)
}()

// categoryWords are what specialists write for a category besides its
// code, number and full label.
var categoryWords = map[string]models.Category{
	"超时未受理": models.CategoryNotAccepted, "未受理": models.CategoryNotAccepted, "不受理": models.CategoryNotAccepted,
	"超时未办结": models.CategoryNotCompleted, "未办结": models.CategoryNotCompleted, "超期未办结": models.CategoryNotCompleted,
	"多次未办成": models.CategoryRepeated, "多次跑": models.CategoryRepeated, "跑多次": models.CategoryRepeated, "多次未办": models.CategoryRepeated,
	"态度差": models.CategoryAttitude, "服务态度": models.CategoryAttitude, "态度不好": models.CategoryAttitude,
	"慢作为": models.CategorySlow, "不作为": models.CategoryInaction, "其他": models.CategoryOther, "其它": models.CategoryOther,
}

func chatCategory(s string, numbers bool) (models.Category, bool) {
	s = strings.Trim(s, " ，,。.；;")
	if c, ok := categoryWords[s]; ok {
		return c, true
	}
	if !numbers && s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return "", false // a bare number is a category only where labelled
	}
	return models.ParseCategory(s)
}

var phoneChars = regexp.MustCompile(`^[+＋()（）\-－0-9０-９]+$`)

// labelsOf finds the labels of a 登记 message. The matter is the citizen's
// own words and runs to the end: a label inside it ("…，电话：139…") is
// part of the matter, and so is a second label of a kind already given.
func labelsOf(rest string) [][]int {
	var out [][]int
	seen := map[string]bool{}
	for _, loc := range registerLabelRE.FindAllStringSubmatchIndex(rest, -1) {
		kind := registerLabels[rest[loc[2]:loc[3]]]
		if seen["matter"] || seen[kind] {
			continue
		}
		seen[kind] = true
		out = append(out, loc)
	}
	return out
}

// chatRegistration reads a 登记 message; missing names what it lacks, and
// badPhone is set when something like a number was given but is none.
func chatRegistration(rest string) (r casework.Registration, missing []string, badPhone bool) {
	r.Channel = models.ChannelWalkIn
	var positional []string
	if locs := labelsOf(rest); locs != nil {
		positional = strings.Fields(rest[:locs[0][0]])
		for i, loc := range locs {
			end := len(rest)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			value := strings.Trim(strings.TrimSpace(rest[loc[1]:end]), "，,；;")
			switch registerLabels[rest[loc[2]:loc[3]]] {
			case "name":
				r.ApplicantName = value
			case "phone":
				if p, ok := models.NormalisePhone(value); ok {
					r.ApplicantMobile = p
				} else if value != "" {
					badPhone = true
				}
			case "category":
				if c, ok := chatCategory(value, true); ok {
					r.Category = c
				} else if value != "" {
					missing = append(missing, "类别")
				}
			case "matter":
				r.Matter = value
			case "company":
				r.Company, r.ApplicantKind = value, models.ApplicantCompany
			case "channel":
				positional = append(positional, value)
			}
		}
	} else {
		positional = strings.Fields(rest)
	}
	var matter []string
	for i := 0; i < len(positional); i++ {
		tok := positional[i]
		if len(matter) > 0 { // the matter runs to the end
			matter = append(matter, tok)
			continue
		}
		switch tok {
		case "来电", "电话", "电话来件", "电话反映":
			r.Channel = models.ChannelPhone
			continue
		case "现场", "窗口", "来访", "现场反映":
			r.Channel = models.ChannelWalkIn
			continue
		}
		if r.ApplicantMobile == "" && !badPhone && phoneChars.MatchString(tok) {
			// The longest run of number-like words that is a number:
			// "+86 139 0000 1111" is four words.
			found := false
			for j := min(len(positional), i+5); j > i; j-- {
				run := strings.Join(positional[i:j], "")
				if !phoneChars.MatchString(run) {
					continue
				}
				if p, ok := models.NormalisePhone(run); ok {
					r.ApplicantMobile, i, found = p, j-1, true
					break
				}
			}
			if !found {
				badPhone = true
			}
			continue
		}
		if r.Category == "" {
			if c, ok := chatCategory(tok, false); ok {
				r.Category = c
				continue
			}
		}
		if r.ApplicantName == "" {
			r.ApplicantName = tok
			continue
		}
		matter = append(matter, tok)
	}
	if r.Matter == "" {
		if r.Category == "" && len(matter) > 1 {
			// The category written after the matter.
			if c, ok := chatCategory(matter[len(matter)-1], false); ok {
				r.Category, matter = c, matter[:len(matter)-1]
			}
		}
		r.Matter = strings.Join(matter, " ")
	}
	if r.ApplicantName == "" {
		missing = append(missing, "姓名")
	}
	if r.ApplicantMobile == "" && !badPhone {
		missing = append(missing, "联系电话")
	}
	if r.Category == "" && !slices.Contains(missing, "类别") {
		missing = append(missing, "类别")
	}
	if r.Matter == "" {
		missing = append(missing, "事项")
	}
	return r, missing, badPhone
}

// registerHelp answers a 登记 that cannot be registered; it never repeats
// the number it was given (groups see it).
func registerHelp(missing []string, badPhone bool) string {
	var b strings.Builder
	b.WriteString("未登记：")
	if badPhone {
		b.WriteString("联系电话不正确，请写 11 位手机号，或带区号的固定电话（如 0739-1234567）。")
	}
	if len(missing) > 0 {
		b.WriteString("请补充" + strings.Join(missing, "、") + "。")
	}
	b.WriteString("\n请按以下格式发送：" + registerFormat + "\n例如：" + registerExample +
		"\n电话来件请加“来电”；企业反映请加“企业：企业名称”。\n类别可写：超时未受理、超时未办结、多次未办成、服务态度差、慢作为、不作为、其他。")
	return b.String()
}

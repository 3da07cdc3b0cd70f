package million

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"bbcs/models"
	"bbcs/workday"
)

// The data: N cases accepted on the working days from First to Last
// (local time), evenly spread over the days and over each day's office
// hours, so ids grow with acceptance time as they do in production. Every
// case is a pure function of its index (its own PCG stream), which is what
// makes seeding resumable batch by batch.
//
// The state is the one at Snapshot: cases whose next step lies after it
// are still open (dispatched, answered and waiting for a rating, or in a
// second round after a bad rating).

// seedVersion changes whenever the generator does: a database seeded by
// another version is dropped and seeded again.
const seedVersion = "4"

// First and Last are the first and last day of the seeded period.
var (
	First    = time.Date(2025, 1, 1, 0, 0, 0, 0, models.Shanghai)
	Last     = time.Date(2026, 12, 31, 0, 0, 0, 0, models.Shanghai)
	Snapshot = time.Date(2026, 12, 31, 18, 0, 0, 0, models.Shanghai)
)

// department is one department's vocabulary and its share of cases.
type department struct {
	code      string
	name      string
	weight    int
	services  []string
	materials []string
	results   []string
	staff     []string // window staff and head: who signs and replies
}

// vocab holds the departments of config.example.yaml; a department of the
// directory not named here gets generic words.
var vocab = map[string]*department{
	"realestate": {
		weight: 45,
		services: []string{"二手房过户登记", "商品房转移登记", "房屋抵押登记", "抵押权注销登记", "不动产权证书补办",
			"预告登记", "继承房产过户", "宅基地使用权确权登记", "不动产更正登记", "查封信息查询", "房屋首次登记", "不动产登记资料查询"},
		materials: []string{"完税证明", "原房产证", "婚姻状况证明", "继承公证书", "购房合同备案表", "户口簿",
			"土地出让金缴款凭证", "测绘报告", "银行抵押合同", "身份证复印件"},
		results: []string{"已核实材料，当日办结并出证", "已告知需先到税务窗口完税，申请人补交完税证明后已办结",
			"经协调税务窗口联合办理，已出具不动产权证书", "查封已由法院解除，已恢复办理并办结", "已为申请人开通绿色通道加急办理",
			"系登记系统故障，已修复并补办完成", "已向申请人解释继承登记须提交公证书，并一次性告知所需材料"},
	},
	"market": {
		weight: 30,
		services: []string{"个体工商户注册登记", "公司设立登记", "营业执照变更", "食品经营许可证申领", "公司注销登记",
			"股权变更登记", "药品经营许可证换证", "营业执照补办", "简易注销", "经营范围变更", "小餐饮登记证申领"},
		materials: []string{"租赁合同", "股东会决议", "健康证明", "场所平面图", "清算报告", "法定代表人身份证明",
			"章程修正案", "卫生许可证", "消防验收意见书"},
		results: []string{"已当场核发营业执照", "已一次性告知需补充的材料，申请人补齐后已办结", "经核查系审核人员理解政策有误，已纠正并办结",
			"已协调消防部门出具意见，许可证已发放", "已对窗口人员进行批评教育，并向申请人致歉", "已通过容缺受理先行办理"},
	},
	"tax": {
		weight: 25,
		services: []string{"二手房交易契税缴纳", "增值税发票申领", "个人所得税汇算退税", "增值税留抵退税", "社保费缴纳",
			"税务注销", "开具完税证明", "跨区域涉税事项报告", "房产税减免申请", "电子税务局开户"},
		materials: []string{"房屋买卖合同", "发票领用簿", "银行账户信息", "税务登记证", "财务报表", "评估报告", "个人身份证明"},
		results: []string{"已当场开具完税证明", "退税款已于三个工作日内到账", "经核实系系统比对异常，已人工处理完毕",
			"已安排专人辅导申请人完成电子税务局操作", "已向申请人解释契税计税依据，申请人表示理解", "已督促窗口加快审核，现已办结"},
	},
}

var genericServices = []string{"行政许可申请", "证明开具", "资格认定", "备案登记", "补贴申领"}
var genericMaterials = []string{"申请表", "身份证明", "相关证明材料"}
var genericResults = []string{"已督促窗口加快办理，现已办结", "已电话联系申请人说明情况并办结"}

// Category shares in per cent: poor_attitude is 10 %, so the ledger of
// that category holds about N/10 rows (the export benchmark's 100 000).
var categoryWeights = []struct {
	c models.Category
	w int
}{
	{models.CategoryNotCompleted, 30}, {models.CategorySlow, 15}, {models.CategoryRepeated, 15},
	{models.CategoryNotAccepted, 12}, {models.CategoryAttitude, 10}, {models.CategoryOther, 10},
	{models.CategoryInaction, 8},
}

var problems = map[models.Category][]string{
	models.CategoryNotAccepted: {"提交材料后%d个工作日仍未受理", "材料交到窗口后一直显示待受理", "网上提交申请%d天了还没有人受理",
		"窗口收了材料却不出具受理回执", "材料已经补齐但系统迟迟不受理"},
	models.CategoryNotCompleted: {"受理后超过承诺时限仍未办结", "已受理%d天还没有办理结果", "过了承诺办结时间系统仍显示审核中",
		"承诺%d个工作日办结，现在还没办好", "受理后一直没有进展，打电话也没人说清楚原因"},
	models.CategoryRepeated: {"先后跑了%d趟仍未办成", "多次到中心补材料还是办不下来", "每次去窗口都被要求补充不同的材料",
		"来回跑了%d次，每次说法都不一样", "反复提交材料仍被退回"},
	models.CategoryAttitude: {"窗口工作人员态度生硬不耐烦", "咨询时工作人员爱理不理", "工作人员说话难听，当众训斥办事群众",
		"工作人员边玩手机边办理，问了好几遍才回答", "工作人员推脱说不归他管，态度很差"},
	models.CategorySlow: {"办理进度缓慢一拖再拖", "工作人员推说系统问题迟迟不办", "审批环节层层等待，%d天没有进展",
		"说要领导签字，等了%d天还没签", "资料流转太慢，一直在等内部审核"},
	models.CategoryInaction: {"窗口以不归本部门管为由拒绝办理", "几个部门互相推诿，没有人负责", "以政策不明确为由不予办理",
		"窗口说系统里没有这个事项，办不了", "反映问题后一直没有人回复"},
	models.CategoryOther: {"不知道该去哪个窗口办理", "办事指南与窗口要求不一致", "自助机无法打印证明",
		"网上办事大厅一直提示系统错误", "预约不上号，现场又说必须预约"},
}

var missingTemplates = []string{"窗口要求补充%s", "因缺少%s被退回", "说%s不符合要求", "要求提供%s原件", "要我先去开%s"}

var tails = []string{"，希望尽快处理。", "，请帮忙协调解决。", "，影响%s。", "。", "，希望给个明确答复。", "，请中心督促办理。"}

var consequences = []string{"孩子上学报名", "银行贷款发放", "公司正常经营", "工程款结算", "店铺按时开业", "房屋交易", "领取补贴"}

var personPrefixes = []string{"", "本人", "我", "反映人", "家里老人", "本人代亲属"}
var companyPrefixes = []string{"我公司", "企业", "我单位", "本合作社"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰辉建国红梅春林文斌波宇浩凯鹏飞婷雪琳晨欣怡子轩宏志海燕云峰")

var companyWords = []string{"湘源", "宏达", "金穗", "华信", "恒泰", "鑫源", "富民", "众联", "兴旺", "瑞丰", "隆盛", "天宝"}
var companyTrades = []string{"建材", "商贸", "农业科技", "建筑工程", "食品", "物流", "房地产开发", "电子商务", "餐饮管理"}
var companySuffixes = []string{"有限公司", "有限责任公司", "专业合作社"}

var viaLabels = map[string]string{"service_account": "服务号", "phone": "电话", "in_person": "当面", "link": "评价页面"}

var goodComments = []string{"", "", "", "", "态度很好，办事效率高", "感谢中心帮忙协调", "问题解决了，谢谢"}
var basicComments = []string{"", "", "总算办好了，就是时间有点长", "希望以后一次性告知"}
var badComments = []string{"办理太慢，跑了好几趟", "问题没有真正解决", "答复敷衍，没有说清楚原因", "工作人员态度还是不好", "还是要我补材料"}

var outOfScope = []struct{ way, path string }{
	{"向人民法院提起民事诉讼", "县人民法院诉讼服务中心"},
	{"向劳动人事争议仲裁委员会申请仲裁", "县人社局三楼仲裁院"},
	{"向住建局物业管理股反映", "县住建局一楼办事大厅"},
}

var notQualified = []struct{ missing, how string }{
	{"不动产权籍调查表", "委托测绘机构出具后一并提交"},
	{"全体继承人到场签字的继承协议", "约定时间全体继承人到场"},
	{"股东会决议原件", "补齐后可通过网上办事大厅提交"},
}

// generator turns case indexes into rows.
type generator struct {
	cal      *workday.Calendar
	n        int
	days     []time.Time // local midnight of each working day in the period
	depts    []*department
	owners   []string
	snapshot time.Time
}

func newGenerator(cal *workday.Calendar, n int, depts []models.Department, staffByDept map[string][]string, owners []string) *generator {
	g := &generator{cal: cal, n: n, owners: owners, snapshot: Snapshot.UTC()}
	for d := First; !d.After(Last); d = d.AddDate(0, 0, 1) {
		if cal.IsWorkday(d) {
			g.days = append(g.days, d)
		}
	}
	for _, dept := range depts {
		code := dept.Code
		d := &department{weight: 10, services: genericServices, materials: genericMaterials, results: genericResults}
		if v, ok := vocab[code]; ok {
			c := *v
			d = &c
		}
		d.code, d.name = code, dept.Name
		d.staff = staffByDept[code]
		if len(d.staff) == 0 {
			d.staff = owners
		}
		g.depts = append(g.depts, d)
	}
	return g
}

// day returns the working day of case i and its place among that day's
// cases.
func (g *generator) day(i int) (day time.Time, seq, count int) {
	d := int(int64(i) * int64(len(g.days)) / int64(g.n))
	return g.days[d], i - g.first(d) + 1, g.first(d+1) - g.first(d)
}

// first is the index of the first case of working day d.
func (g *generator) first(d int) int {
	nd := int64(len(g.days))
	return int((int64(d)*int64(g.n) + nd - 1) / nd)
}

// caseRows is one case and its rows.
type caseRows struct {
	c       models.Case
	orders  []models.WorkOrder
	ratings []models.Rating
	follows []models.FollowUp
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func between(r *rand.Rand, from time.Time, min, max time.Duration) time.Time {
	return from.Add(min + time.Duration(r.Int64N(int64(max-min)+1)))
}

func (g *generator) matter(r *rand.Rand, cat models.Category, kind models.ApplicantKind, d *department) string {
	var b strings.Builder
	if kind == models.ApplicantCompany {
		b.WriteString(pick(r, companyPrefixes))
	} else {
		b.WriteString(pick(r, personPrefixes))
	}
	b.WriteString("办理")
	b.WriteString(pick(r, d.services))
	b.WriteString("，")
	p := pick(r, problems[cat])
	if strings.Contains(p, "%d") {
		p = fmt.Sprintf(p, 2+r.IntN(9))
	}
	b.WriteString(p)
	if r.IntN(3) > 0 {
		b.WriteString("，")
		b.WriteString(fmt.Sprintf(pick(r, missingTemplates), pick(r, d.materials)))
	}
	t := pick(r, tails)
	if strings.Contains(t, "%s") {
		t = fmt.Sprintf(t, pick(r, consequences))
	}
	b.WriteString(t)
	return b.String()
}

func (g *generator) weightedDept(r *rand.Rand, not *department) *department {
	total := 0
	for _, d := range g.depts {
		if d != not {
			total += d.weight
		}
	}
	x := r.IntN(total)
	for _, d := range g.depts {
		if d == not {
			continue
		}
		if x < d.weight {
			return d
		}
		x -= d.weight
	}
	return g.depts[len(g.depts)-1]
}

func mobile(r *rand.Rand) string {
	return fmt.Sprintf("1%c%09d", "35789"[r.IntN(5)], r.IntN(1_000_000_000))
}

func openID(r *rand.Rand) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte("o")
	for range 27 {
		b = append(b, chars[r.IntN(len(chars))])
	}
	return string(b)
}

func ptr(t time.Time) *time.Time { return &t }

// gen builds case i (0-based); its id is i+1 and the ids of its rows are
// derived from i, so a batch inserts the same rows whenever it runs.
func (g *generator) gen(i int) caseRows {
	r := rand.New(rand.NewPCG(0xB0B5_2025, uint64(i)))
	day, seq, count := g.day(i)
	// Office hours 08:30–17:30, one slot per case of the day.
	slot := 9 * time.Hour / time.Duration(count)
	accepted := day.Add(8*time.Hour + 30*time.Minute + time.Duration(seq-1)*slot + time.Duration(r.Int64N(int64(slot)))).UTC().Truncate(time.Second)

	c := models.Case{
		ID: uint64(i + 1), No: fmt.Sprintf("BB%s-%03d", day.Format("20060102"), seq),
		ApplicantMobile: mobile(r), AcceptedAt: accepted, Round: 1, CreatedAt: accepted,
		OwnerID: pick(r, g.owners),
	}
	switch x := r.IntN(10); {
	case x < 5:
		c.Channel = models.ChannelWalkIn
	case x < 7:
		c.Channel = models.ChannelPhone
	default:
		c.Channel = models.ChannelServiceAccount
		c.ApplicantOpenID = openID(r)
	}
	c.ApplicantKind = models.ApplicantPerson
	c.ApplicantName = string(pick(r, surnames)) + string(pick(r, givenChars))
	if r.IntN(2) == 0 {
		c.ApplicantName += string(pick(r, givenChars))
	}
	if r.IntN(5) == 0 {
		c.ApplicantKind = models.ApplicantCompany
		c.Company = "隆回县" + pick(r, companyWords) + pick(r, companyTrades) + pick(r, companySuffixes)
	}
	x := r.IntN(100)
	for _, cw := range categoryWeights {
		if x < cw.w {
			c.Category = cw.c
			break
		}
		x -= cw.w
	}
	main := g.weightedDept(r, nil)
	c.Matter = g.matter(r, c.Category, c.ApplicantKind, main)

	s := caseRows{}
	id := uint64(i)
	var answered time.Time
	var orders1 []*models.WorkOrder
	switch x := r.IntN(100); {
	case x < 85: // work orders to one department, or two
		depts := []*department{main}
		if r.IntN(100) < 15 && len(g.depts) > 1 {
			depts = append(depts, g.weightedDept(r, main))
		}
		codes := make([]string, len(depts))
		for k, d := range depts {
			codes[k] = d.code
		}
		c.Departments = models.JoinCodes(codes)
		received := between(r, accepted, 5*time.Minute, 90*time.Minute)
		for _, d := range depts {
			o := g.order(r, &c, id, d, 1, received, "")
			orders1 = append(orders1, o)
			if o.RepliedAt != nil && o.RepliedAt.After(answered) {
				answered = *o.RepliedAt
			}
		}
		c.Outcome = models.OutcomeWorkOrders
	case x < 93:
		c.Departments = main.code
		c.Outcome = models.OutcomeOnTheSpot
		answered = between(r, accepted, 10*time.Minute, 90*time.Minute)
		c.Result = "经现场协调" + main.name + "工作人员到场，" + pick(r, main.results)
	case x < 96:
		c.Outcome = models.OutcomeOutOfScope
		answered = between(r, accepted, 10*time.Minute, 2*time.Hour)
		o := pick(r, outOfScope)
		c.Result = fmt.Sprintf("您反映的事项不属于本窗口受理范围。办理方法：%s；办理路径：%s", o.way, o.path)
	case x < 99:
		c.Outcome = models.OutcomeNotQualified
		answered = between(r, accepted, 10*time.Minute, 2*time.Hour)
		q := pick(r, notQualified)
		c.Result = fmt.Sprintf("您的申请暂不符合条件。需补充的内容：%s；改进方法：%s", q.missing, q.how)
	default:
		c.Outcome = models.OutcomeInstruction
		answered = between(r, accepted, 4*time.Hour, 72*time.Hour)
		c.Result = "经请示分管领导，答复如下：" + pick(r, main.results)
	}
	for _, o := range orders1 {
		s.orders = append(s.orders, *o)
	}
	c.OrderSeq = len(s.orders)
	c.UpdatedAt = accepted

	// Still with the departments at the snapshot.
	if len(orders1) > 0 && (answered.IsZero() || answered.After(g.snapshot)) {
		c.Status, c.Outcome = models.CaseDispatched, ""
		for _, o := range s.orders {
			if o.SignedAt != nil && o.SignedAt.After(c.UpdatedAt) {
				c.UpdatedAt = *o.SignedAt
			}
		}
		s.c = c
		return s
	}
	if len(orders1) > 0 {
		var parts []string
		for _, o := range orders1 {
			parts = append(parts, "【"+g.dept(o.DepartmentCode).name+"】"+o.Result)
		}
		c.Result = strings.Join(parts, "\n")
	}
	c.AnsweredAt, c.UpdatedAt = ptr(answered), answered
	c.Status = models.CaseAnswered

	// The rating: within three days, or never (closed as 未评价 after 168 h).
	if r.IntN(100) < 8 {
		closeAt := answered.Add(168 * time.Hour)
		if closeAt.After(g.snapshot) {
			s.c = c
			return s
		}
		c.Status, c.ClosedAt, c.RatingVia, c.UpdatedAt = models.CaseClosed, ptr(closeAt), "not_rated", closeAt
		s.c = c
		return s
	}
	ratedAt := between(r, answered, 30*time.Minute, 72*time.Hour)
	if ratedAt.After(g.snapshot) {
		s.c = c
		return s
	}
	level := g.level(r, len(orders1) > 0)
	via := pick(r, []string{"service_account", "phone", "in_person", "link"})
	comment := g.comment(r, level)
	s.ratings = append(s.ratings, models.Rating{ID: id*2 + 1, CaseID: c.ID, Round: 1, Level: level, Comment: comment, Via: via, At: ratedAt})
	c.Rating, c.RatingNote, c.RatingVia, c.RatedAt, c.UpdatedAt = level, comment, via, ptr(ratedAt), ratedAt
	if !level.Bad() {
		c.Status, c.ClosedAt = models.CaseClosed, ptr(ratedAt)
		s.c = c
		return s
	}

	// 退回重办: a second round to the same departments, a follow-up visit.
	c.Round = 2
	c.Status = models.CaseDispatched
	reason := "申请人评价“" + level.Label() + "（" + viaLabels[via] + "）"
	if comment != "" {
		reason += "；意见：" + comment
	}
	reason += "”，退回重办"
	followDue := g.cal.MorningOf(g.cal.AddWorkdays(ratedAt, 1)).UTC()
	f := models.FollowUp{ID: id + 1, CaseID: c.ID, Round: 2, DueAt: followDue, Created: ratedAt}
	if done := between(r, followDue, 0, 6*time.Hour); !done.After(g.snapshot) {
		f.DoneAt, f.DoneBy = ptr(done), c.OwnerID
		f.Note = pick(r, []string{"已电话回访，申请人表示会配合补充材料", "已回访，申请人对重新办理表示认可", "回访未接通，已短信告知办理进度"})
	}
	s.follows = append(s.follows, f)
	answered2 := time.Time{}
	var parts []string
	for _, o1 := range orders1 {
		d := g.dept(o1.DepartmentCode)
		o := g.order(r, &c, id, d, 2, ratedAt, reason)
		s.orders = append(s.orders, *o)
		if o.RepliedAt != nil && o.RepliedAt.After(answered2) {
			answered2 = *o.RepliedAt
		}
		parts = append(parts, "【"+g.dept(o.DepartmentCode).name+"】"+o.Result)
		if o.SignedAt != nil && o.SignedAt.After(c.UpdatedAt) {
			c.UpdatedAt = *o.SignedAt
		}
	}
	c.OrderSeq = len(s.orders)
	for _, o := range s.orders[len(orders1):] {
		if o.RepliedAt == nil {
			s.c = c
			return s
		}
	}
	c.Result = strings.Join(parts, "\n")
	c.Status, c.AnsweredAt, c.UpdatedAt = models.CaseAnswered, ptr(answered2), answered2
	rated2 := between(r, answered2, 30*time.Minute, 48*time.Hour)
	if rated2.After(g.snapshot) {
		s.c = c
		return s
	}
	level2 := pick(r, []models.RatingLevel{models.RatingSatisfied, models.RatingSatisfied, models.RatingBasically, models.RatingVerySatisfied})
	comment2 := g.comment(r, level2)
	s.ratings = append(s.ratings, models.Rating{ID: id*2 + 2, CaseID: c.ID, Round: 2, Level: level2, Comment: comment2, Via: via, At: rated2})
	c.Rating, c.RatingNote, c.RatedAt = level2, comment2, ptr(rated2)
	c.Status, c.ClosedAt, c.UpdatedAt = models.CaseClosed, ptr(rated2), rated2
	s.c = c
	return s
}

func (g *generator) dept(code string) *department {
	for _, d := range g.depts {
		if d.code == code {
			return d
		}
	}
	return g.depts[0]
}

func (g *generator) level(r *rand.Rand, canReopen bool) models.RatingLevel {
	x := r.IntN(100)
	switch {
	case x < 42:
		return models.RatingVerySatisfied
	case x < 78:
		return models.RatingSatisfied
	case x < 90:
		return models.RatingBasically
	case !canReopen:
		return models.RatingBasically
	case x < 96:
		return models.RatingDissatisfied
	}
	return models.RatingVeryDissatisfy
}

func (g *generator) comment(r *rand.Rand, l models.RatingLevel) string {
	switch {
	case l.Bad():
		return pick(r, badComments)
	case l == models.RatingBasically:
		return pick(r, basicComments)
	}
	return pick(r, goodComments)
}

// order is one work order received at received, as far as it got by the
// snapshot: 88 % replied in time, 5 % extended and replied within the
// extension, 7 % replied late.
func (g *generator) order(r *rand.Rand, c *models.Case, id uint64, d *department, round int, received time.Time, note string) *models.WorkOrder {
	c.OrderSeq++
	o := &models.WorkOrder{
		ID: id*4 + uint64(c.OrderSeq), No: fmt.Sprintf("GD%s-%d", strings.TrimPrefix(c.No, "BB"), c.OrderSeq),
		CaseID: c.ID, Round: round, DepartmentCode: d.code, Status: models.OrderPending, Note: note,
		DispatchedBy: c.OwnerID, ReceivedAt: received,
		DueAt: g.cal.DueAt(received, 3).UTC(), CapAt: g.cal.DueAt(received, 10).UTC(),
		CreatedAt: received, UpdatedAt: received,
	}
	signed := between(r, received, 5*time.Minute, 4*time.Hour)
	if signed.After(g.snapshot) {
		return o
	}
	o.Status, o.SignedAt, o.SignedBy, o.UpdatedAt = models.OrderAccepted, ptr(signed), pick(r, d.staff), signed
	var replied time.Time
	switch x := r.IntN(100); {
	case x < 88:
		replied = between(r, signed, 10*time.Minute, max(o.DueAt.Sub(signed)-time.Minute, 11*time.Minute))
	case x < 93:
		ext := g.cal.DueAt(received, 5+r.IntN(4)).UTC()
		asked := between(r, signed, time.Hour, max(o.DueAt.Sub(signed)-time.Hour, time.Hour))
		if asked.After(g.snapshot) {
			break
		}
		o.Status, o.ExtendedDueAt, o.UpdatedAt = models.OrderExtended, ptr(ext), asked
		o.ExtensionReason = "需" + pick(r, []string{"外出核查现场", "等待上级部门批复", "协调其他部门出具意见", "申请人补充" + pick(r, d.materials)})
		replied = between(r, asked, time.Hour, max(ext.Sub(asked)-time.Minute, time.Hour))
	default:
		replied = between(r, o.DueAt, 10*time.Minute, max(o.CapAt.Sub(o.DueAt), 11*time.Minute))
	}
	if replied.IsZero() || replied.After(g.snapshot) {
		return o
	}
	o.Status, o.RepliedAt, o.RepliedBy, o.UpdatedAt = models.OrderReplied, ptr(replied), pick(r, d.staff), replied
	o.Result = pick(r, d.results)
	return o
}

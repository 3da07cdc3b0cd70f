// Package workday is mainland China's working-day calendar, used for the
// deadlines of 第十二条: the department replies within 3 working days of
// receiving a work order, and an extension never goes past 10 working days
// from receipt.
//
// Counting follows 民法典 第二百零一条 (the day a period starts is not
// counted) and 行政许可法 第八十二条 (periods in working days exclude
// statutory holidays): an order received on day D is due at the end of the
// n-th working day after D; received on a day off, the first working day
// after it is day 1. Make-up Saturdays and Sundays (调休上班) are working days.
//
// The State Council's arrangement for each year (国务院办公厅关于YYYY年部分节假日
// 安排的通知) is embedded, one file per year under data/, each naming its
// notice. An administrator adds a newly published year, or corrects a day,
// with an override file in the same format (see [Options.Override]) without a
// new release. A year with neither falls back to weekends plus the statutory
// holidays that 《全国年节及纪念日放假办法》 (2024 revision) itself fixes, with no
// make-up days: such answers are estimates, and [Calendar.Unpublished] and
// [Day.Estimated] let callers warn about them.
//
// The package uses only the standard library. The data files are written by
// internal/gen, which uses github.com/6tail/lunar-go (MIT) for the notices'
// rows and the lunar and solar-term dates; run it with go generate.
package workday

//go:generate go run ./internal/gen -out data

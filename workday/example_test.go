package workday_test

import (
	"fmt"
	"time"

	"bbcs/workday"
)

func ExampleCalendar_DueAt() {
	cal, err := workday.New(workday.Options{})
	if err != nil {
		panic(err)
	}
	received := time.Date(2026, 9, 30, 10, 0, 0, 0, cal.Location())
	due := cal.DueAt(received, 3)    // 第十二条: reply within 3 working days
	limit := cal.DueAt(received, 10) // an extension never goes past 10
	fmt.Println(due.Format("2006-01-02 15:04 Mon"))
	fmt.Println(limit.Format("2006-01-02 15:04 Mon"))
	fmt.Println(cal.MorningOf(due).Format("2006-01-02 15:04"))
	fmt.Println(cal.Unpublished(received, limit))
	// Output:
	// 2026-10-10 18:00 Sat
	// 2026-10-20 18:00 Tue
	// 2026-10-10 09:00
	// []
}

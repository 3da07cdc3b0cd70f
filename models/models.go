package models

// All lists every model, for migrations.
func All() []any {
	return []any{
		&Department{}, &Staff{}, &DutyDay{}, &CheckIn{}, &DutyMiss{},
		&Case{}, &WorkOrder{}, &TimelineEvent{}, &Summon{}, &Instruction{},
		&CaseCounter{}, &Notice{}, &Attachment{}, &TimerFiring{}, &FollowUp{}, &RatingLink{}, &Rating{}, &Fault{}, &Deduction{}, &RecurrenceReview{}, &Setting{},
		&Rectification{}, &Appeal{}, &AppealFile{},
		&CalendarOverride{},
	}
}

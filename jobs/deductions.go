package jobs

import "context"

// catchUpDeductions runs the assessment's rules over this year and last,
// once at start: the use cases and timers propose deductions as things
// happen, and this proposes what happened before a rule existed (an
// upgrade, a restored backup). Proposing is idempotent.
func (j *Jobs) catchUpDeductions(ctx context.Context) {
	year := j.Cases.Clock().Now().In(j.Cases.Calendar().Location()).Year()
	for y := year - 1; y <= year; y++ {
		if err := j.Cases.ProposeDeductions(ctx, y); err != nil && ctx.Err() == nil {
			j.Log.Error("assessment: proposing deductions failed", "year", y, "err", err)
		}
	}
}

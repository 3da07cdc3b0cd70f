package casework

import (
	"context"
	"fmt"
	"time"

	"bbcs/models"
)

// answer gives the applicant the case's answer: the case is answered and
// waits for the rating (第十三条).
func (ch *change) answer(outcome models.Outcome, result string) error {
	ch.c.Status, ch.c.Outcome, ch.c.Result, ch.c.AnsweredAt = models.CaseAnswered, outcome, result, &ch.now
	ch.record("answered", "", outcome.Label()+"："+result)
	d := ch.data()
	d.Outcome, d.Result = outcome, result
	ch.notifyApplicant(models.NoticeCaseAnswered, d)
	if ch.actor.ID != ch.c.OwnerID {
		ch.notify(models.NoticeCaseAnswered, models.AudienceStaff, ch.c.OwnerID, d)
	}
	if err := ch.requestRating(); err != nil {
		return err
	}
	return ch.planFollowUp()
}

// directAnswer is an answer the owner gives without (further) work orders.
func (s *Service) directAnswer(ctx context.Context, actor models.Staff, no string, outcome models.Outcome, result string) (*models.Case, error) {
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireOwner(); err != nil {
			return err
		}
		if err := models.CheckDirectAnswer(ch.c); err != nil {
			return err
		}
		return ch.answer(outcome, result)
	})
}

// Resolve answers a case solved on the spot (第十条). An answer that is a
// refusal is no solution: 第六条's answers are the way for those.
func (s *Service) Resolve(ctx context.Context, actor models.Staff, no, result string) (*models.Case, error) {
	result, err := onTheSpotResult(result)
	if err != nil {
		return nil, err
	}
	return s.directAnswer(ctx, actor, no, models.OutcomeOnTheSpot, result)
}

// onTheSpotResult is the one check of a 当场解决 answer, whether it comes
// with Resolve or with the 研判 (Triage): present, not over-long, and not
// a bare “no” (第六条).
func onTheSpotResult(result string) (string, error) {
	result, err := text("result", "处理结果", result, 2000)
	if err != nil {
		return "", err
	}
	if err := models.CheckOnTheSpot(result); err != nil {
		return "", err
	}
	return result, nil
}

// OutOfScope answers a matter the centre does not accept — never with a
// bare “no”: 第六条 requires the way and the path to get it done.
func (s *Service) OutOfScope(ctx context.Context, actor models.Staff, no, way, path string) (*models.Case, error) {
	way, err := text("way", "办理方法", way, 1000)
	if err != nil {
		return nil, models.Errorf(models.ErrInvalid, "不属于受理范围的，须告知办理方法和路径（第六条）：请填写办理方法（way）")
	}
	path, err = text("path", "办理路径", path, 1000)
	if err != nil {
		return nil, models.Errorf(models.ErrInvalid, "不属于受理范围的，须告知办理方法和路径（第六条）：请填写办理路径（path）")
	}
	result := fmt.Sprintf("您反映的事项不属于本窗口受理范围。办理方法：%s；办理路径：%s", way, path)
	return s.directAnswer(ctx, actor, no, models.OutcomeOutOfScope, result)
}

// NotQualified answers a matter whose conditions are not met: 第六条 requires
// the list of what to add and how to improve.
func (s *Service) NotQualified(ctx context.Context, actor models.Staff, no, missing, how string) (*models.Case, error) {
	missing, err := text("missing", "需补充的内容", missing, 1000)
	if err != nil {
		return nil, models.Errorf(models.ErrInvalid, "不符合申请条件的，须列明需补充的内容和改进方法（第六条）：请填写需补充的内容（missing）")
	}
	how, err = text("how", "改进方法", how, 1000)
	if err != nil {
		return nil, models.Errorf(models.ErrInvalid, "不符合申请条件的，须列明需补充的内容和改进方法（第六条）：请填写改进方法（how）")
	}
	result := fmt.Sprintf("您的申请暂不符合条件。需补充的内容：%s；改进方法：%s", missing, how)
	return s.directAnswer(ctx, actor, no, models.OutcomeNotQualified, result)
}

// RequestInstruction opens a 请示 for a grey-zone matter (第六条); leaderID
// empty means the 主要负责领导.
func (s *Service) RequestInstruction(ctx context.Context, actor models.Staff, no, leaderID, question string) (*models.Case, error) {
	question, err := text("question", "请示事项", question, 2000)
	if err != nil {
		return nil, err
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireOwner(); err != nil {
			return err
		}
		// 第七条: with orders out the owner still 请示 — for the leader's
		// instruction to those handling them (see AnswerInstruction).
		dispatched := ch.c.Status == models.CaseDispatched
		if err := models.CheckDirectAnswer(ch.c); err != nil && !dispatched {
			return err
		}
		var open int64
		if err := ch.tx.Model(&models.Instruction{}).Where("case_id = ? AND answered_at IS NULL", ch.c.ID).Count(&open).Error; err != nil {
			return fmt.Errorf("casework: read instructions: %w", err)
		}
		if open > 0 {
			return models.Errorf(models.ErrConflict, "案件 %s 已有待领导答复的请示", ch.c.No)
		}
		var leader models.Staff
		if leaderID == "" {
			leader, err = ch.principal()
		} else {
			leader, err = ch.staff(leaderID)
		}
		if err != nil {
			return err
		}
		if !leader.Active || (leader.Role != models.RoleLeader && leader.Role != models.RolePrincipalLeader) {
			return models.Errorf(models.ErrInvalid, "%s 不是分管领导或主要负责领导，不能接收请示", leader.Name)
		}
		in := models.Instruction{CaseID: ch.c.ID, LeaderID: leader.ID, AskedBy: ch.actor.ID, Question: question, AskedAt: ch.now}
		if err := ch.tx.Create(&in).Error; err != nil {
			return fmt.Errorf("casework: record instruction request: %w", err)
		}
		why := "属模糊地带、空白领域"
		if dispatched {
			why = "工单办理中，需领导协调"
		}
		ch.record("instruction_requested", "", fmt.Sprintf("%s，向%s请示：%s", why, leader.Name, question))
		d := ch.data()
		d.Note = question
		ch.notify(models.NoticeInstructionAsked, models.AudienceStaff, leader.ID, d)
		return nil
	})
}

// AnswerInstruction is the leader's answer to a 请示: it goes to the
// applicant, and the supervision section has it on file (报备). When the
// case has orders out (or already their answer), it is the leader's
// instruction instead: to the owner and the departments' window groups,
// filed likewise, and the case stays as it is (第七条, 第十一条).
func (s *Service) AnswerInstruction(ctx context.Context, actor models.Staff, no, answer string) (*models.Case, error) {
	answer, err := text("answer", "领导答复", answer, 2000)
	if err != nil {
		return nil, err
	}
	return s.onCase(ctx, no, actor, func(ch *change) error {
		var in models.Instruction
		if err := ch.tx.Where("case_id = ? AND answered_at IS NULL", ch.c.ID).Limit(1).Find(&in).Error; err != nil {
			return fmt.Errorf("casework: read instructions: %w", err)
		}
		if in.ID == 0 {
			return models.Errorf(models.ErrConflict, "案件 %s 没有待答复的请示", ch.c.No)
		}
		if err := requireActive(ch.actor); err != nil {
			return err
		}
		if ch.actor.ID != in.LeaderID && ch.actor.Role != models.RolePrincipalLeader {
			return models.Errorf(models.ErrForbidden, "此请示是向其他领导提出的，您不能代为答复")
		}
		direct := models.CheckDirectAnswer(ch.c)
		if err := models.CheckOpen(ch.c); err != nil {
			return err
		}
		in.Answer, in.AnsweredAt = answer, &ch.now
		if err := ch.tx.Save(&in).Error; err != nil {
			return fmt.Errorf("casework: record instruction answer: %w", err)
		}
		if direct != nil {
			return ch.instruct(in, answer)
		}
		ch.record("instruction_answered", "", fmt.Sprintf("%s答复请示：%s", ch.actor.Name, answer))
		d := ch.data()
		d.Note, d.Result = in.Question, answer
		ch.notify(models.NoticeInstructionFiled, models.AudienceSupervision, "", d)
		return ch.answer(models.OutcomeInstruction, answer)
	})
}

// Close was the owner ending an answered case by hand. 第十三条 has the
// applicant rate every answer, so it only refuses now, saying how the
// case will close: on the rating, on a rating the owner records as given
// in person or by phone (Rate), or as 未评价 when the rating clocks run
// out; a re-handled case after its follow-up visit (RecordFollowUp).
func (s *Service) Close(ctx context.Context, actor models.Staff, no, note string) (*models.Case, error) {
	return s.onCase(ctx, no, actor, func(ch *change) error {
		if err := ch.requireOwner(); err != nil {
			return err
		}
		owed, err := ch.visitOwed()
		if err != nil {
			return err
		}
		return models.CheckClose(ch.c, days(ch.s.opts.RateCloseAfter), owed)
	})
}

// days says a duration as people read it: "7天", or hours.
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d天", d/(24*time.Hour))
	}
	return fmt.Sprintf("%d小时", int(d.Round(time.Hour)/time.Hour))
}

// close ends an answered case (闭环, 第七条), on its rating.
func (ch *change) close(note string) {
	ch.c.Status, ch.c.ClosedAt = models.CaseClosed, &ch.now
	line := "办结"
	if note != "" {
		line += "：" + note
	}
	ch.record("closed", "", line)
	d := ch.data()
	d.Outcome, d.Result, d.Note = ch.c.Outcome, ch.c.Result, note
	ch.notifyApplicant(models.NoticeCaseClosed, d)
}

package projections

import "github.com/breachledger/breachledger/domain"

// A status is judged on business time: a notice dated (--at) before its
// due time makes the obligation met, however late the ledger learnt of
// it. The domain says how late in Obligation.RecordedLateBy, and every
// reader shows it beside the status, always in the same words:
//
//   - JSON keeps the status word in "status" and adds "recorded_late_by"
//     (a duration such as "74h" or "633d21h36m54s");
//   - Markdown, HTML, the register's cells and the period report put it in
//     the status cell: "met (recorded 74h after due)" (HTML: the badge,
//     then "recorded 74h after due" beside it);
//   - the aligned terminal tables of show and deadlines keep the STATUS
//     column to the word, so columns stay aligned and greppable, and start
//     the DETAIL column right beside it with "recorded 74h after due";
//   - CSV keeps the word in its status column (for filters) and carries
//     the words in the row's detail.
//
// A met-late notice was recorded after its due time too (never before it
// was sent), so it says how late it was recorded as well as how late it was
// sent.

// RecordedLate is "recorded N after due" when the ledger learnt of the
// notice that decided o's status only after o's due time, or "".
func RecordedLate(o domain.Obligation) string { return recordedLateBy(o.RecordedLateBy) }

// StatusLabel is o's status as a cell that is not column-aligned shows
// it: the status word, with "(recorded N after due)" beside it when the
// ledger learnt of the notice after the due time.
func StatusLabel(o domain.Obligation) string {
	return statusWith(o.Status, o.RecordedLateBy)
}

func statusWith(s domain.Status, recordedLateBy string) string {
	if recordedLateBy == "" {
		return string(s)
	}
	return string(s) + " (recorded " + recordedLateBy + " after due)"
}

// withRecordedLate puts "recorded N after due" first in a detail.
func withRecordedLate(o domain.Obligation, detail string) string {
	return joinNonEmpty(RecordedLate(o), detail)
}

// recordedLateBy is "recorded D after due" for a RecordedLateBy value D, or "".
func recordedLateBy(d string) string {
	if d == "" {
		return ""
	}
	return "recorded " + d + " after due"
}

// lateBy is how late a late notice was sent, and how late it was recorded.
func lateBy(l LateNotice) string { return joinNonEmpty(l.Late, recordedLateBy(l.RecordedLateBy)) }

// onTimeNote says how the period report counts a notice recorded after
// its due time.
const onTimeNote = "On time is judged on when the notice was sent (its business time), as the status is: a notice dated by its due time counts as on time even when the ledger learnt of it only after the due time. Those are counted apart (of them recorded after due) and listed under Recorded after due."

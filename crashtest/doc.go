// Package crashtest is breachledger's crash harness (issue 7). Its test
// starts writer processes — the CLI, and a program built on the ledger
// package (./writer) — on one ledger file, kills them with SIGKILL at
// random moments, restarts them, and at the end checks that every append a
// writer was told had succeeded is there, that no multi-event append is
// there in part, that revisions and the ledger sequence have no gaps, that
// verify passes, and that projections rebuild to the same digests.
//
// go test runs a short form (a dozen kills); make soak runs it for minutes
// with at least 200 kills:
//
//	BREACHLEDGER_SOAK=3m BREACHLEDGER_SOAK_KILLS=200 go test -run TestCrashRecovery -v ./crashtest
package crashtest

// Package projections folds the ledger's ordered log into the read models
// that responders, auditors and reporting jobs read: incident state, the
// timeline, the deadline view and the incident list.
//
// Every projection is a pure function of the decoded facts and an explicit
// cut (domain.Cut: as-of business time and known-at recorded time). It never
// reads a clock, so the same history and the same cut always give the same
// bytes; that is what the golden files under testdata/ check.
package projections

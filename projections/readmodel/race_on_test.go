//go:build race

package readmodel_test

// raceDetector: this test binary runs under the race detector, about six
// times slower, so the randomised oracle checks one seed on a smaller
// ledger (make test: one seed, 40 incidents); "make oracle" runs it
// whole without.
const raceDetector = true

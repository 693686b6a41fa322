//go:build !race

package readmodel_test

// raceDetector: see race_on_test.go.
const raceDetector = false

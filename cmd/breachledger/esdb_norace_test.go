//go:build !race

package main_test

const migrateEventsRace = 0 // not under the race detector: the full size

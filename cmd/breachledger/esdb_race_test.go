//go:build race

package main_test

// migrateEventsRace is how many events TestMigrateRoundTrip copies under the
// race detector, which makes the in-process test server (and SQLite) about
// ten times slower; make test also runs the full 10,000 without it.
const migrateEventsRace = 2_000

package sqlite

import "time"

// SetClock replaces the clock of s, before it is shared between goroutines.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// DSN returns the data source name Open uses for path.
func DSN(path string) (string, error) { return dsn(path, readWrite) }

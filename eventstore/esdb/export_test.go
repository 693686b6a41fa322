package esdb

// Generation returns how many times s replaced a client that gave up.
func Generation(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Scanned returns how many ledger events s has read from $all to rank them.
func Scanned(s *Store) uint64 { return s.scanned.Load() }

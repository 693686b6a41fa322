package esdb

// Generation returns how many times s replaced a client that gave up.
func Generation(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

package cosigner

// SetBeforePersist sets the hook run between a request's checks and the
// update of the state.
func SetBeforePersist(w *Witness, f func()) { w.beforePersist = f }

// Package ledger is the application layer between the CLI and the rest: it
// opens a store from a location, runs the write path (load, decide, append,
// retry on conflict) and loads histories for the projections.
//
// It holds no rules of its own: the domain decides, the store stores.
package ledger

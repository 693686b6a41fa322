package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts are the read path's statements, prepared on first use and
// reused: a stream read of a few rows spends more parsing and planning its
// SELECT than running it. database/sql prepares a statement again on
// another connection when it has to.
type readStmts struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt // by what follows the columns
}

// get returns the statement "SELECT "+columns+rest on db, prepared once.
// rest names it: no two of the store's statements share one (a store's
// columns for its records never change).
func (r *readStmts) get(ctx context.Context, db *sql.DB, columns, rest string) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.stmts[rest]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, "SELECT "+columns+rest)
	if err != nil {
		return nil, err
	}
	if r.stmts == nil {
		r.stmts = map[string]*sql.Stmt{}
	}
	r.stmts[rest] = st
	return st, nil
}

// close closes every statement prepared.
func (r *readStmts) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.stmts {
		st.Close()
	}
	r.stmts = nil
}

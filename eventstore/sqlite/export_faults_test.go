package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"
)

// OpenMaxPages opens the existing ledger at path as Open does, with
// SQLite's max_page_count set to pages on every connection: the database
// is full once it would grow past pages pages. For the disk-full tests.
func OpenMaxPages(ctx context.Context, path string, pages int) (*Store, error) {
	name, err := dsn(path, readWrite)
	if err != nil {
		return nil, err
	}
	name += "&_pragma=" + url.QueryEscape(fmt.Sprintf("max_page_count(%d)", pages))
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, writer: make(chan struct{}, 1), now: time.Now, appended: make(chan struct{})}
	if err := s.migrate(ctx, false); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

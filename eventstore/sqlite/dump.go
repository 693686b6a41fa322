package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/breachledger/breachledger/eventstore"
)

// Dump writes a complete, deterministic text dump of the ledger database to
// w: the application_id and user_version pragmas, the schema (every entry of
// sqlite_schema, by name), then every row of every table in primary-key (or
// rowid) order as an SQL INSERT, blobs in hex. Two dumps are equal exactly
// when the databases hold the same schema and rows, so tests compare dumps
// to prove that a refused command changed nothing.
//
// The dump reads one snapshot, in a read transaction; appends made meanwhile
// are not in it.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	if err := dump(ctx, s.db, w); err != nil {
		return fmt.Errorf("dump %s: %w", s.path, err)
	}
	return nil
}

// DumpFile dumps the ledger at path as Store.Dump does, read-only: it creates
// no ledger and changes nothing. A missing file is an error wrapping
// eventstore.ErrNoLedger.
//
// A ledger no connection has open (no -wal file beside it) is read as
// immutable, so DumpFile creates no -wal or -shm file and works in a
// read-only directory, such as an auditor's copy. If the file changes during
// such a dump (a writer opened it meanwhile), DumpFile returns an error and
// the dump written to w is void. A ledger in use is read with mode=ro
// through its -wal and -shm files, like any other reader.
func DumpFile(ctx context.Context, path string, w io.Writer) error {
	before, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = eventstore.ErrNoLedger
		}
		return fmt.Errorf("dump %s: %w", path, err)
	}
	a := readOnly
	if quiet(path) {
		a = immutable
	}
	if err := dumpPath(ctx, path, a, w); err != nil {
		return fmt.Errorf("dump %s: %w", path, err)
	}
	if a == immutable {
		after, err := os.Stat(path)
		if err != nil || !quiet(path) || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
			return fmt.Errorf("dump %s: the ledger was written to during the dump; dump again", path)
		}
	}
	return nil
}

// quiet reports whether no connection has the ledger at path open: every
// connection to a WAL database keeps its -wal file in place, and SQLite
// deletes it when the last one closes.
func quiet(path string) bool {
	_, err := os.Lstat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist)
}

func dumpPath(ctx context.Context, path string, a access, w io.Writer) error {
	name, err := dsn(path, a)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := dump(ctx, db, w); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return dbError(ctx, err)
	}
	return nil
}

func dump(ctx context.Context, db *sql.DB, w io.Writer) error {
	// A deferred transaction whatever the DSN's _txlock: dumping needs no
	// write lock, and a read-only file refuses one.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return dbError(ctx, err)
	}
	defer tx.Rollback()
	bw := bufio.NewWriter(w)
	if err := dumpTx(ctx, tx, bw); err != nil {
		return err
	}
	return bw.Flush()
}

type schemaEntry struct {
	typ, name, table string
	sql              sql.NullString
}

func dumpTx(ctx context.Context, tx *sql.Tx, w *bufio.Writer) error {
	for _, pragma := range []string{"application_id", "user_version"} {
		var v int64
		if err := tx.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&v); err != nil {
			return fmt.Errorf("read %s: %w", pragma, dbError(ctx, err))
		}
		fmt.Fprintf(w, "PRAGMA %s = %d;\n", pragma, v)
	}

	rows, err := tx.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	var schema []schemaEntry
	for rows.Next() {
		var e schemaEntry
		if err := rows.Scan(&e.typ, &e.name, &e.table, &e.sql); err != nil {
			rows.Close()
			return fmt.Errorf("read schema: %w", dbError(ctx, err))
		}
		schema = append(schema, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema: %w", dbError(ctx, err))
	}
	rows.Close()

	for _, e := range schema {
		fmt.Fprintf(w, "-- %s %s on %s\n", e.typ, e.name, e.table)
		if e.sql.Valid {
			fmt.Fprintf(w, "%s;\n", e.sql.String)
		}
	}
	for _, e := range schema {
		if e.typ != "table" || strings.HasPrefix(strings.ToUpper(e.sql.String), "CREATE VIRTUAL") {
			continue // a virtual table's rows live in its shadow tables
		}
		if err := dumpTable(ctx, tx, w, e.name); err != nil {
			return fmt.Errorf("dump table %s: %w", e.name, err)
		}
	}
	return nil
}

// dumpTable writes every row of table, in primary-key order or, for a table
// without one, rowid order.
func dumpTable(ctx context.Context, tx *sql.Tx, w *bufio.Writer, table string) error {
	rows, err := tx.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return dbError(ctx, err)
	}
	var cols []string
	pk := map[int]string{}
	for rows.Next() {
		var (
			name string
			n    int
		)
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return dbError(ctx, err)
		}
		cols = append(cols, name)
		if n > 0 {
			pk[n] = quoteIdent(name)
		}
	}
	if err := rows.Err(); err != nil {
		return dbError(ctx, err)
	}
	rows.Close()

	order := []string{"rowid"}
	if len(pk) > 0 {
		order = order[:0]
		for i := 1; i <= len(pk); i++ {
			order = append(order, pk[i])
		}
	}
	// typeof() gives each value's storage class; the unary + makes the value
	// an expression, so the driver converts nothing by declared type.
	sel := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		sel = append(sel, "typeof("+quoteIdent(c)+")", "+"+quoteIdent(c))
	}
	rows, err = tx.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+quoteIdent(table)+
		" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return dbError(ctx, err)
	}
	defer rows.Close()
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	prefix := "INSERT INTO " + quoteIdent(table) + " VALUES("
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return dbError(ctx, err)
		}
		w.WriteString(prefix)
		for i := 0; i < len(vals); i += 2 {
			if i > 0 {
				w.WriteString(", ")
			}
			typ, _ := vals[i].(string)
			w.WriteString(literal(typ, vals[i+1]))
		}
		w.WriteString(");\n")
	}
	if err := rows.Err(); err != nil {
		return dbError(ctx, err)
	}
	return nil
}

// literal formats a value of SQLite storage class typ as an SQL literal.
func literal(typ string, v any) string {
	switch typ {
	case "null":
		return "NULL"
	case "integer":
		if n, ok := v.(int64); ok {
			return strconv.FormatInt(n, 10)
		}
	case "real":
		if f, ok := v.(float64); ok {
			s := strconv.FormatFloat(f, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eIN") {
				s += ".0"
			}
			return s
		}
	case "text":
		switch t := v.(type) {
		case string:
			return "'" + strings.ReplaceAll(t, "'", "''") + "'"
		case []byte:
			return "'" + strings.ReplaceAll(string(t), "'", "''") + "'"
		}
	case "blob":
		if b, ok := v.([]byte); ok {
			return "X'" + strings.ToUpper(hex.EncodeToString(b)) + "'"
		}
		if v == nil {
			return "X''"
		}
	}
	return fmt.Sprintf("/* %s %T */ %v", typ, v, v) // not expected from SQLite
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

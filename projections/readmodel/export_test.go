package readmodel

import (
	"database/sql"
	"fmt"
	"strings"
)

// ReadKept reads the rows of a kept table matched by where (SQL on its
// stored columns), each by column name: the stored and the packed ones,
// and for rm_incidents the register JSON ("register") and its SHA-256 as
// packed ("register_sha").
func ReadKept(db *sql.DB, table, where string, args ...any) ([]map[string]any, error) {
	var out []map[string]any
	err := readKept(db, table, where, args, func(t *chainTable, rowid int64, v map[string]any) error {
		out = append(out, v)
		return nil
	})
	return out, err
}

// EditKept rewrites the rows of a kept table matched by where as an
// insider who knows the packing would: edit changes any value by column
// name (as ReadKept names them), and the stored columns, data (packed
// again) and the register are written back; next and mac are left as
// they were. edit returns false to leave a row alone. It returns the rows
// changed.
func EditKept(db *sql.DB, table, where string, edit func(v map[string]any) bool) (int, error) {
	n := 0
	var updates []func() error
	err := readKept(db, table, where, nil, func(t *chainTable, rowid int64, v map[string]any) error {
		if !edit(v) {
			return nil
		}
		vals := make([]any, len(t.cols))
		for i, c := range t.cols {
			vals[i] = v[c]
		}
		if t.regCol != 0 {
			vals[t.regCol] = nil
			if d, _ := v["register_sha"].([]byte); d != nil {
				vals[t.regCol] = digestOf(d)
			}
		}
		var set []string
		var args []any
		for _, i := range t.stored {
			set, args = append(set, t.cols[i]+" = ?"), append(args, vals[i])
		}
		set, args = append(set, "data = ?"), append(args, t.pack(vals))
		if t.regCol != 0 {
			set, args = append(set, "register = ?"), append(args, v["register"])
		}
		args = append(args, rowid)
		updates = append(updates, func() error {
			_, err := db.Exec(`UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE rowid = ?`, args...)
			return err
		})
		n++
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, u := range updates {
		if err := u(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func readKept(db *sql.DB, table, where string, args []any, f func(t *chainTable, rowid int64, v map[string]any) error) error {
	var t *chainTable
	for _, x := range chainTables {
		if x.name == table {
			t = x
		}
	}
	if t == nil {
		return fmt.Errorf("no kept table %s", table)
	}
	sel := t.selectCols()
	if t.regCol != 0 {
		sel = t.selectReg()
	}
	rows, err := db.Query(`SELECT `+sel+`, rowid FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return err
	}
	type found struct {
		rowid int64
		v     map[string]any
	}
	var all []found
	for rows.Next() {
		ns := len(t.stored)
		dest := make([]any, ns+5)
		ptrs := make([]any, len(dest))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		if t.regCol == 0 {
			ptrs = append(ptrs[:ns+1], ptrs[ns+2:]...) // no register column
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
		vals := make([]any, len(t.cols))
		for j, i := range t.stored {
			vals[i] = dest[j]
		}
		if !t.unpack(blob(dest[ns]), vals) {
			rows.Close()
			return fmt.Errorf("%s: unreadable data", table)
		}
		v := map[string]any{}
		for i, c := range t.cols {
			if x, ok := vals[i].([]byte); ok {
				vals[i] = append([]byte(nil), x...)
			}
			v[c] = vals[i]
		}
		rowid := dest[len(dest)-1]
		if t.regCol != 0 {
			v["register"] = dest[ns+1]
			v["register_sha"] = nil
			if d, ok := vals[t.regCol].(digestOf); ok {
				v["register_sha"] = []byte(d)
			}
		}
		v["rowid"] = rowid
		all = append(all, found{i64(rowid), v})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, x := range all {
		if err := f(t, x.rowid, x.v); err != nil {
			return err
		}
	}
	return rows.Err()
}

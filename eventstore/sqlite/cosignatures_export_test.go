package sqlite

import "strings"

// SchemaOf returns the SQL that makes the schema of the given version
// (the migrations up to it, as the build of that version ran them), without
// the pragmas: for the tests of older ledgers.
func SchemaOf(version int) string {
	return strings.Join(migrations[:version], ";\n")
}

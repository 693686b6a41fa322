package sqlite

// SchemaV1 is the schema of version 1, before checkpoints: for the
// migration test.
var SchemaV1 = migrations[0]

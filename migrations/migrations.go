// Package migrations holds the database schema as numbered SQL files
// (NNNN_name.sql), embedded in the binary and applied in order by
// storage.Migrate. A file, once released, is never edited: change the schema
// with a new file.
package migrations

import "embed"

// FS holds the *.sql files.
//
//go:embed *.sql
var FS embed.FS

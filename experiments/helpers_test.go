package experiments

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// withMethod returns Classic switched to another test method, with that
// method's defaults.
func withMethod(m Method) Definition {
	d := Classic()
	d.Test.Method = m
	d.Test.Tints, d.Test.Repeats, d.Test.Staircase, d.Test.Adjustment = nil, 0, nil, nil
	return d.WithDefaults()
}

// mustPlan plans d without the screening, which the tests of the test
// blocks leave aside (screening_test.go covers it); the trials are then
// exactly the test blocks' trials.
func mustPlan(t testing.TB, d Definition, seed int64, arm int) Plan {
	t.Helper()
	d.Screening = &Screening{Enabled: new(false)}
	p, err := NewPlan(d, seed, ConditionForArm(arm))
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// fieldsOf returns the field paths of an Invalid *Error, sorted.
func fieldsOf(t testing.TB, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != Invalid {
		t.Fatalf("want an Invalid *Error, got %T %v", err, err)
	}
	var fs []string
	for _, f := range e.Fields {
		fs = append(fs, f.Field)
	}
	slices.Sort(fs)
	return fs
}

// mutate sets (or, with value del, deletes) the dotted path in a JSON
// document; "[i]" path parts index arrays.
func mutate(t testing.TB, doc []byte, path string, value any) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(path, ".")
	cur := root
	for i, p := range parts {
		lastPart := i == len(parts)-1
		key, idx := p, -1
		if j := strings.IndexByte(p, '['); j >= 0 {
			key = p[:j]
			idx, _ = strconv.Atoi(strings.TrimSuffix(p[j+1:], "]"))
		}
		m := cur.(map[string]any)
		if idx >= 0 {
			arr := m[key].([]any)
			if lastPart {
				arr[idx] = value
				break
			}
			cur = arr[idx]
			continue
		}
		if lastPart {
			if value == del {
				delete(m, key)
			} else {
				m[key] = value
			}
			break
		}
		next, ok := m[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[key] = next
		}
		cur = next
	}
	return mustJSON(t, root)
}

type deleted struct{}

var del any = deleted{}

// minimalJSON is the smallest useful definition: everything else defaults.
const minimalJSON = `{"slug":"mini","name":"Mini","pair":{"a":{"kind":"grating"},"b":{"kind":"grating","orientation_deg":90}}}`

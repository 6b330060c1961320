package stimuli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckJSONText(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		field string // "" : no problem
		want  string
	}{
		{`{"a": "plain", "b": [1, "x", {"c": null}]}`, "", ""},
		{`{"a": "caf\u00e9 \ud83d\ude00 \\u0000 \"q\""}`, "", ""}, // a pair, and an escaped backslash before u0000
		{`{"a": "x\u0000y"}`, "a", "NUL"},
		{`{"events": [{"seq": 0}, {"data": {"note": "\ud800"}}]}`, "events[1].data.note", "surrogate"},
		{`{"a": "\udc00x"}`, "a", "surrogate"},
		{`{"a": "\ud800\u0041"}`, "a", "surrogate"},
		{`{"a": "\ud800"}`, "a", "surrogate"},
		{`{"params": {"k\u0000": "v"}}`, "params.k\x00", "key"},
		{`["ok", ["\u0000"]]`, "[1][0]", "NUL"},
		{`"\u0000"`, "", "NUL"},
		{"{\"a\": \"\xff\"}", "a", "UTF-8"},
	} {
		errs := CheckJSONText([]byte(tc.doc))
		if tc.want == "" {
			if len(errs) > 0 {
				t.Errorf("%s: %v", tc.doc, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Field != tc.field || !strings.Contains(errs[0].Message, tc.want) {
			t.Errorf("%s: got %v, want %q at %q", tc.doc, errs, tc.want, tc.field)
		}
	}
}

func TestDecodeStrictRefusesUnstorableText(t *testing.T) {
	var v struct {
		Name string `json:"name"`
	}
	err := DecodeStrict([]byte(`{"name": "a\u0000b"}`), &v)
	fe, ok := err.(FieldErrors)
	if !ok || len(fe) != 1 || fe[0].Field != "name" {
		t.Fatalf("got %v", err)
	}
}

func TestTextProblem(t *testing.T) {
	for s, bad := range map[string]bool{"fine": false, "é 😀": false, "a\x00b": true, "\xed\xa0\x80": true, "\xff": true} {
		if got := TextProblem(s) != ""; got != bad {
			t.Errorf("TextProblem(%q) = %q", s, TextProblem(s))
		}
	}
}

// FuzzCheckJSONText: on any well-formed document it never panics, and a
// document it passes decodes to no string or key holding a NUL.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{`{"a": "x\u0000"}`, `["\ud800\udc00", "\ud800"]`, `{"k": {"\u0000": 1}}`, `"\\u0000"`, `[1, 2.5, true, null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		errs := CheckJSONText(data)
		// Numbers as text: a valid document may hold a number no float64
		// holds (1E700), which is not what this checks.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if len(errs) == 0 && holdsNUL(v) {
			t.Fatalf("%q passed but decodes to a NUL", data)
		}
	})
}

func holdsNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if holdsNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, 0) || holdsNUL(e) {
				return true
			}
		}
	}
	return false
}

package stimuli

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Text that PostgreSQL cannot store: its text and jsonb types refuse the
// NUL character, and jsonb refuses a \u escape of a lone UTF-16 surrogate.
// Such input is refused at the door, naming the field, instead of failing
// deep inside a query.
const (
	nulProblem       = `must not contain the NUL character (\u0000)`
	surrogateProblem = `must not contain a lone UTF-16 surrogate (\uD800-\uDFFF without its pair)`
	utf8Problem      = "must be valid UTF-8 text"
)

// TextProblem says why s cannot be stored as text ("" when it can): a NUL
// character or invalid UTF-8 (which includes encoded surrogates).
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return utf8Problem
	case bytes.IndexByte([]byte(s), 0) >= 0:
		return nulProblem
	}
	return ""
}

// CheckJSONText finds the strings of a JSON document that cannot be stored:
// \u0000, a lone surrogate escape or invalid UTF-8, in a key or a value,
// each reported at its path ("events[2].data.note"). The document must be
// well-formed JSON (DecodeStrict checks that first). The common document,
// with no \u escape and valid UTF-8, costs two fast scans.
func CheckJSONText(data []byte) FieldErrors {
	if !bytes.Contains(data, []byte(`\u`)) && utf8.Valid(data) {
		return nil
	}
	type frame struct {
		path    string
		array   bool
		index   int
		wantKey bool
		key     string
	}
	var (
		errs  FieldErrors
		stack []*frame
	)
	// valuePath is the path of the value that starts now.
	valuePath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.array {
			return top.path + "[" + strconv.Itoa(top.index) + "]"
		}
		return joinPath(top.path, top.key)
	}
	// valueDone moves the enclosing container on to its next member.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.array {
			top.index++
		} else {
			top.wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break // the end (syntax errors are reported by the decoder proper)
		}
		raw := data[start:dec.InputOffset()]
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				stack = append(stack, &frame{path: valuePath(), array: tok == '[', wantKey: tok == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if top != nil && !top.array && top.wantKey {
				top.key, top.wantKey = tok, false
				if p := rawStringProblem(raw); p != "" {
					errs.Add(joinPath(top.path, tok), "(the key) %s", p)
				}
				continue
			}
			if p := rawStringProblem(raw); p != "" {
				errs.Add(valuePath(), "%s", p)
			}
			valueDone()
		default:
			valueDone()
		}
	}
	return errs
}

// rawStringProblem checks a string literal as written in JSON (with any
// separators before it) for escapes and bytes that cannot be stored.
func rawStringProblem(raw []byte) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' || i+6 > len(raw) {
			i++ // a one-character escape: skip what it escapes
			continue
		}
		r := hex4(raw[i+2 : i+6])
		switch {
		case r == 0:
			return nulProblem
		case r >= 0xD800 && r < 0xDC00: // a high surrogate needs a low one next
			if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return surrogateProblem
			}
			if lo := hex4(raw[i+8 : i+12]); lo < 0xDC00 || lo >= 0xE000 {
				return surrogateProblem
			}
			i += 11
		case r >= 0xDC00 && r < 0xE000:
			return surrogateProblem
		default:
			i += 5
		}
	}
	if !utf8.Valid(raw) {
		return utf8Problem
	}
	return ""
}

// hex4 reads four hex digits (-1 when they are not).
func hex4(b []byte) int {
	v, err := strconv.ParseUint(string(b), 16, 16)
	if err != nil {
		return -1
	}
	return int(v)
}

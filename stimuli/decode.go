package stimuli

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// unknownFieldPath finds, in document order, the first object key of data
// that has no field in the Go type t, and returns its full JSON path
// ("pattern.foo", "tests[2].bar"). encoding/json reports only the bare key
// name, which is ambiguous in a nested document. ok is false when no such
// key is found.
func unknownFieldPath(data []byte, t reflect.Type) (path string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	path, ok, _ = walkUnknown(dec, t, "")
	return path, ok
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walkUnknown consumes one JSON value from dec, which is to be decoded into
// a value of type t at path.
func walkUnknown(dec *json.Decoder, t reflect.Type, path string) (string, bool, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "", false, skipValue(dec)
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", false, err
			}
			key, _ := kt.(string)
			var et reflect.Type
			switch t.Kind() {
			case reflect.Struct:
				et = structField(t, key)
				if et == nil {
					return joinPath(path, key), true, nil
				}
			case reflect.Map:
				et = t.Elem()
			}
			if p, ok, err := walkUnknown(dec, et, joinPath(path, key)); ok || err != nil {
				return p, ok, err
			}
		}
		_, err = dec.Token() // '}'
		return "", false, err
	case json.Delim('['):
		var et reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, ok, err := walkUnknown(dec, et, path+"["+strconv.Itoa(i)+"]"); ok || err != nil {
				return p, ok, err
			}
		}
		_, err = dec.Token() // ']'
		return "", false, err
	}
	return "", false, nil // a scalar, already consumed
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structField returns the type of t's field that encoding/json would decode
// key into (exact tag or name first, then case-insensitively; embedded
// structs are searched too), or nil when there is none.
func structField(t reflect.Type, key string) reflect.Type {
	var fold reflect.Type
	var search func(t reflect.Type) reflect.Type
	search = func(t reflect.Type) reflect.Type {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				et := f.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					if r := search(et); r != nil {
						return r
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if name == key {
				return f.Type
			}
			if fold == nil && strings.EqualFold(name, key) {
				fold = f.Type
			}
		}
		return nil
	}
	if r := search(t); r != nil {
		return r
	}
	return fold
}

package experiments

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/stimuli"
)

func TestErrorCodeAndMessage(t *testing.T) {
	nf := Errorf(NotFound, "no experiment %q", "x")
	tests := []struct {
		name     string
		err      error
		wantCode Code
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"domain", nf, NotFound, `no experiment "x"`},
		{"wrapped domain", fmt.Errorf("loading: %w", nf), NotFound, `no experiment "x"`},
		{"plain", io.EOF, Internal, "internal error"},
		{"internal hides its cause", Errorf(Internal, "insert: %w", io.ErrUnexpectedEOF), Internal, "internal error"},
		{"invalidf", Invalidf("bad %d", 3), Invalid, "bad 3"},
		{"fields", InvalidFields(stimuli.FieldErrors{{Field: "slug", Message: "x"}}), Invalid, "invalid field slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestErrorfWraps(t *testing.T) {
	err := Errorf(Internal, "query: %w", io.ErrUnexpectedEOF)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not see the wrapped error")
	}
	if errors.Unwrap(Errorf(Conflict, "plain")) != nil {
		t.Error("an Errorf without %w should wrap nothing")
	}
	e := InvalidFields(stimuli.FieldErrors{{Field: "a", Message: "x"}, {Field: "b", Message: "y"}})
	if !strings.Contains(e.Error(), "a: x; b: y") {
		t.Errorf("Error() = %q should list the fields", e.Error())
	}
}

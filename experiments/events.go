package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/mccollough/mccollough/stimuli"
)

// Event is one timing or visibility event a runner reports: phase starts and
// ends, tab hidden/visible, fullscreen exits, frame-timing statistics.
type Event struct {
	// Seq numbers a session's events from 0; resending a batch is harmless.
	Seq  int    `json:"seq"`
	Kind string `json:"kind"`
	// ClientMS is the runner's clock (performance.now()) at the event.
	ClientMS float64 `json:"t_ms"`
	// Data is a small JSON object of event-specific values.
	Data json.RawMessage `json:"data,omitempty"`
}

// Limits of an events batch.
const (
	MaxEventsPerBatch = 500
	MaxEventDataBytes = 4096
	MaxEventSeq       = 1_000_000
)

var eventKindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// DecodeEvents decodes a batch {"events": [...]} strictly and validates
// every event, reporting each problem by its path (events[3].kind).
func DecodeEvents(data []byte) ([]Event, error) {
	var batch struct {
		Events []Event `json:"events"`
	}
	if err := stimuli.DecodeStrict(data, &batch); err != nil {
		return nil, asInvalid(err)
	}
	var errs stimuli.FieldErrors
	if batch.Events == nil {
		errs.Add("events", "is required (an array of events)")
	}
	if len(batch.Events) > MaxEventsPerBatch {
		errs.Add("events", "at most %d events per batch", MaxEventsPerBatch)
	}
	for i, ev := range batch.Events {
		path := fmt.Sprintf("events[%d]", i)
		if ev.Seq < 0 || ev.Seq > MaxEventSeq {
			errs.Add(path+".seq", "must be between 0 and %d", MaxEventSeq)
		}
		if !eventKindRE.MatchString(ev.Kind) {
			errs.Add(path+".kind", "must be 1-40 lower-case letters, digits or '_', starting with a letter")
		}
		if !finite(ev.ClientMS) || ev.ClientMS < 0 || ev.ClientMS > MaxTimingMS*30 {
			errs.Add(path+".t_ms", "must be a non-negative time in ms")
		}
		if d := bytes.TrimSpace(ev.Data); len(d) > 0 {
			if len(d) > MaxEventDataBytes {
				errs.Add(path+".data", "must be at most %d bytes", MaxEventDataBytes)
			} else if d[0] != '{' {
				errs.Add(path+".data", "must be a JSON object")
			}
		}
	}
	if len(errs) > 0 {
		return nil, InvalidFields(errs)
	}
	return batch.Events, nil
}

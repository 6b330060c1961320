package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// adjustmentSession is one anonymous client's session: the adjustment
// ranges its trials let it ask the session image route for.
type adjustmentSession struct {
	id, token string
	client    int
	ranges    []adjustmentRange
	asked     int
}

type adjustmentRange struct {
	pattern        string
	min, max, step float64
}

// startSessions creates an adjustment study at size px (radial and
// concentric patterns, the costliest to render) with the researcher's
// token, opens it, and starts one anonymous session per client.
func startSessions(client *http.Client, target, token string, size, clients int) ([]*adjustmentSession, error) {
	slug := fmt.Sprintf("renderload-%d", time.Now().Unix())
	def := map[string]any{
		"slug": slug, "name": "renderload " + slug, "size_px": size,
		"pair":      map[string]any{"a": map[string]any{"kind": "radial", "spokes": 24}, "b": map[string]any{"kind": "circles", "period_px": 17}},
		"screening": map[string]any{"enabled": false},
		"test": map[string]any{"method": "adjustment", "adjustment": map[string]any{
			"start_min": 1, "start_range": 10, "step": 0.1, "min": -20, "max": 20, "trials_per_pattern": 2}},
	}
	if _, err := call(client, http.MethodPost, target+"/api/v1/experiments", token, def, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("creating the study: %w", err)
	}
	if _, err := call(client, http.MethodPatch, target+"/api/v1/experiments/"+slug, token, map[string]string{"status": "open"}, http.StatusOK); err != nil {
		return nil, fmt.Errorf("opening the study: %w", err)
	}
	sessions := make([]*adjustmentSession, clients)
	for c := range sessions {
		body, err := call(client, http.MethodPost, target+"/api/v1/studies/"+slug+"/sessions", "", map[string]any{}, http.StatusCreated)
		if err != nil {
			return nil, fmt.Errorf("starting session %d (serve with --sessions-per-client 0 for more than 60): %w", c, err)
		}
		var s struct {
			ID    string `json:"session_id"`
			Token string `json:"token"`
			Plan  struct {
				Trials []struct {
					Method  string  `json:"method"`
					Pattern string  `json:"pattern"`
					Min     float64 `json:"min_tint"`
					Max     float64 `json:"max_tint"`
					Step    float64 `json:"step"`
				} `json:"trials"`
			} `json:"plan"`
		}
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		as := &adjustmentSession{id: s.ID, token: s.Token, client: c}
		seen := map[string]bool{}
		for _, t := range s.Plan.Trials {
			if t.Method == "adjustment" && t.Step > 0 && !seen[t.Pattern] {
				seen[t.Pattern] = true
				as.ranges = append(as.ranges, adjustmentRange{t.Pattern, t.Min, t.Max, t.Step})
			}
		}
		if len(as.ranges) == 0 {
			return nil, fmt.Errorf("session %s has no adjustment trials", s.ID)
		}
		sessions[c] = as
	}
	return sessions, nil
}

// next is the session's next image: its patterns in turn, each client on
// tints of its own (client c asks the c-th, then the (c+clients)-th, …
// step of the range), so that few requests find the image cached.
func (s *adjustmentSession) next(target string, clients int) (string, string) {
	r := s.ranges[s.asked%len(s.ranges)]
	n := int((r.max-r.min)/r.step) + 1
	k := (s.client + clients*(s.asked/len(s.ranges))) % n
	s.asked++
	tint := strconv.FormatFloat(r.min+float64(k)*r.step, 'f', 2, 64)
	q := url.Values{"pattern": {r.pattern}, "tint": {tint}}
	return target + "/api/v1/sessions/" + s.id + "/stimulus.png?" + q.Encode(), s.token
}

// call sends a JSON request and wants the given status.
func call(client *http.Client, method, u, token string, body any, want int) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, out)
	}
	return out, nil
}

package server

import (
	"slices"
	"testing"
	"time"

	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// TestDashboardLiveData: every status is counted in the summary, the table
// by status and the table by condition, so the counts add up to the total.
func TestDashboardLiveData(t *testing.T) {
	median, last := 272.4, time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		d           storage.Dashboard
		arms        int
		summary     string
		statuses    []string
		byStatus    []int
		conditions  []templates.ConditionRow
		completion  string
		median      string
		lastWritten string
	}{{
		name: "none yet", arms: 2,
		summary:  "No sessions yet.",
		statuses: []string{"in progress", "complete", "abandoned", "withdrawn", "screened out"},
		byStatus: []int{0, 0, 0, 0, 0},
		conditions: []templates.ConditionRow{
			{Label: "0: red A, green B", Counts: []int{0, 0, 0, 0, 0}},
			{Label: "1: red B, green A", Counts: []int{0, 0, 0, 0, 0}},
		},
		completion: "–", median: "–", lastWritten: "none yet",
	}, {
		name: "withdrawn and screened out counted",
		d: storage.Dashboard{Total: 6, CompletionRate: 2.0 / 6, MedianDurationS: &median, LastActivity: &last,
			ByStatus: map[string]int{"complete": 2, "started": 1, "withdrawn": 2, "screened_out": 1},
			ByCondition: map[int]map[string]int{
				0: {"complete": 1, "withdrawn": 2},
				1: {"complete": 1, "started": 1, "screened_out": 1},
			}},
		arms:     2,
		summary:  "6 sessions: 1 in progress, 2 complete, 0 abandoned, 2 withdrawn, 1 screened out.",
		statuses: []string{"in progress", "complete", "abandoned", "withdrawn", "screened out"},
		byStatus: []int{1, 2, 0, 2, 1},
		conditions: []templates.ConditionRow{
			{Label: "0: red A, green B", Counts: []int{0, 1, 0, 2, 0}, Total: 3},
			{Label: "1: red B, green A", Counts: []int{1, 1, 0, 0, 1}, Total: 3},
		},
		completion: "33%", median: "4 min 32 s", lastWritten: "2025-03-04 05:06 UTC",
	}, {
		name: "a status this version does not know, and an arm beyond the definition's",
		d: storage.Dashboard{Total: 1, ByStatus: map[string]int{"paused": 1},
			ByCondition: map[int]map[string]int{1: {"paused": 1}}},
		arms:     1,
		summary:  "1 session: 0 in progress, 0 complete, 0 abandoned, 1 paused.",
		statuses: []string{"in progress", "complete", "abandoned", "withdrawn", "screened out", "paused"},
		byStatus: []int{0, 0, 0, 0, 0, 1},
		conditions: []templates.ConditionRow{
			{Label: "0: red A, green B", Counts: []int{0, 0, 0, 0, 0, 0}},
			{Label: "1: red B, green A", Counts: []int{0, 0, 0, 0, 0, 1}, Total: 1},
		},
		completion: "0%", median: "–", lastWritten: "none yet",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			live := dashboardLiveData(tc.d, tc.arms)
			if live.Summary != tc.summary {
				t.Errorf("summary %q, want %q", live.Summary, tc.summary)
			}
			if !slices.Equal(live.Statuses, tc.statuses) {
				t.Errorf("statuses %q, want %q", live.Statuses, tc.statuses)
			}
			var byStatus []int
			for i, r := range live.ByStatus {
				byStatus = append(byStatus, r.Count)
				if r.Label != tc.statuses[i] {
					t.Errorf("by status row %d is %q, want %q", i, r.Label, tc.statuses[i])
				}
			}
			if !slices.Equal(byStatus, tc.byStatus) {
				t.Errorf("by status %v, want %v", byStatus, tc.byStatus)
			}
			if !slices.EqualFunc(live.Conditions, tc.conditions, func(a, b templates.ConditionRow) bool {
				return a.Label == b.Label && slices.Equal(a.Counts, b.Counts) && a.Total == b.Total
			}) {
				t.Errorf("by condition %+v, want %+v", live.Conditions, tc.conditions)
			}
			if live.Completion != tc.completion || live.Median != tc.median || live.Last != tc.lastWritten {
				t.Errorf("completion %q, median %q, last %q; want %q, %q, %q",
					live.Completion, live.Median, live.Last, tc.completion, tc.median, tc.lastWritten)
			}
		})
	}
}

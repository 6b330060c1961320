package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
)

// MaxObserverSeeds bounds one request for model participants.
const MaxObserverSeeds = 200

type observerRunsRequest struct {
	Mechanism string `json:"mechanism"`
	Seeds     int    `json:"seeds"`
	FirstSeed int64  `json:"first_seed"`
}

func (r observerRunsRequest) validate() experiments.FieldErrors {
	var errs experiments.FieldErrors
	if err := (convnet.AdaptParams{Mechanism: convnet.Mechanism(r.Mechanism)}).WithDefaults().Validate(); err != nil {
		errs.Add("mechanism", "must be decorrelation, suppression or none")
	}
	if r.Seeds < 1 || r.Seeds > MaxObserverSeeds {
		errs.Add("seeds", "must be from 1 to %d", MaxObserverSeeds)
	}
	if r.FirstSeed < 0 {
		errs.Add("first_seed", "must be >= 0")
	}
	return errs
}

// queueObserverRuns queues one run per seed; the workers of any replica
// take them (serve --workers).
func (s *Server) queueObserverRuns(c echo.Context, req observerRunsRequest) ([]int64, error) {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	if req.FirstSeed == 0 {
		req.FirstSeed = 1
	}
	if errs := req.validate(); len(errs) > 0 {
		return nil, experiments.InvalidFields(errs)
	}
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	seeds := make([]int64, req.Seeds)
	for i := range seeds {
		seeds[i] = req.FirstSeed + int64(i)
	}
	return s.db.EnqueueObserverRuns(ctx, e.ID, req.Mechanism, seeds, nil)
}

// createObserverRuns serves POST /api/v1/experiments/{slug}/observer-runs.
func (s *Server) createObserverRuns(c echo.Context) error {
	var req observerRunsRequest
	if err := readJSON(c, &req, false); err != nil {
		return err
	}
	ids, err := s.queueObserverRuns(c, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"queued": len(ids), "run_ids": ids})
}

// listObserverRuns serves GET /api/v1/experiments/{slug}/observer-runs.
func (s *Server) listObserverRuns(c echo.Context) error {
	r, _ := currentResearcher(c)
	runs, err := s.db.ObserverRuns(c.Request().Context(), r.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": runs})
}

// observerRunsSubmit serves the results page's form.
func (s *Server) observerRunsSubmit(c echo.Context) error {
	seeds, _ := strconv.Atoi(c.FormValue("seeds"))
	ids, err := s.queueObserverRuns(c, observerRunsRequest{Mechanism: c.FormValue("mechanism"), Seeds: seeds})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/researcher/experiments/%s/results?queued=%d#observer", c.Param("slug"), len(ids)))
}

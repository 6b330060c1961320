package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
)

// observerRunsRequest queues a population of model participants: the
// mechanism, and how many networks and seeds (experiments.Population).
type observerRunsRequest struct {
	Mechanism string `json:"mechanism"`
	experiments.Population
}

func (r observerRunsRequest) validate() experiments.FieldErrors {
	errs := experiments.AdaptParams{Mechanism: experiments.Mechanism(r.Mechanism)}.WithDefaults().Validate()
	return append(errs, r.Population.Validate()...)
}

// queueObserverRuns queues one run per model participant; the workers of
// any replica take them (serve --workers).
func (s *Server) queueObserverRuns(c echo.Context, req observerRunsRequest) ([]int64, error) {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	req.Population = req.Population.WithDefaults()
	if errs := req.validate(); len(errs) > 0 {
		return nil, experiments.InvalidFields(errs)
	}
	e, err := s.db.OwnedExperiment(ctx, r.ID, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	return s.db.EnqueueObserverRuns(ctx, e.ID, req.Mechanism, req.Population.Runs(), nil)
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
	// An empty or malformed number is 0, which takes the default or
	// fails validation with the field named.
	networks, _ := strconv.Atoi(c.FormValue("networks"))
	seeds, _ := strconv.Atoi(c.FormValue("seeds"))
	ids, err := s.queueObserverRuns(c, observerRunsRequest{Mechanism: c.FormValue("mechanism"),
		Population: experiments.Population{Networks: networks, Seeds: seeds}})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/researcher/experiments/%s/results?queued=%d#observer", c.Param("slug"), len(ids)))
}

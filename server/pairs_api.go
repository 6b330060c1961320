package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

// pairJSON is a pattern pair as the API shows it.
type pairJSON struct {
	ID int64 `json:"id"`
	experiments.PatternPair
	InUse     int       `json:"in_use"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toPairJSON(p storage.Pair) pairJSON {
	return pairJSON{ID: p.ID, PatternPair: p.PatternPair, InUse: p.InUse, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (s *Server) listPairs(c echo.Context) error {
	r, _ := currentResearcher(c)
	pairs, err := s.db.Pairs(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	out := make([]pairJSON, len(pairs))
	for i, p := range pairs {
		out[i] = toPairJSON(p)
	}
	return c.JSON(http.StatusOK, map[string]any{"pairs": out})
}

func (s *Server) createPair(c echo.Context) error {
	r, _ := currentResearcher(c)
	pp, err := readPair(c)
	if err != nil {
		return err
	}
	p, err := s.db.CreatePair(c.Request().Context(), r.ID, pp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toPairJSON(p))
}

func (s *Server) getPair(c echo.Context) error {
	r, _ := currentResearcher(c)
	id, err := pairID(c)
	if err != nil {
		return err
	}
	p, err := s.db.Pair(c.Request().Context(), r.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPairJSON(p))
}

func (s *Server) updatePair(c echo.Context) error {
	r, _ := currentResearcher(c)
	id, err := pairID(c)
	if err != nil {
		return err
	}
	// Another researcher's pair is absent, whatever the body says.
	if _, err := s.db.Pair(c.Request().Context(), r.ID, id); err != nil {
		return err
	}
	pp, err := readPair(c)
	if err != nil {
		return err
	}
	p, err := s.db.UpdatePair(c.Request().Context(), r.ID, id, pp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPairJSON(p))
}

func (s *Server) deletePair(c echo.Context) error {
	r, _ := currentResearcher(c)
	id, err := pairID(c)
	if err != nil {
		return err
	}
	if err := s.db.DeletePair(c.Request().Context(), r.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func readPair(c echo.Context) (experiments.PatternPair, error) {
	body, err := readJSONObject(c)
	if err != nil {
		return experiments.PatternPair{}, err
	}
	return experiments.ParsePatternPair(body)
}

func pairID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, experiments.Errorf(experiments.NotFound, "no pattern pair %q", c.Param("id"))
	}
	return id, nil
}

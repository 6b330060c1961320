package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/templates"
)

// A researcher's API tokens: listed and revoked through the API and on the
// workspace's tokens page, which also issues them.

// tokenTTL is a lifetime in days as the API and the page take it (0: the
// default); storage checks the range.
func tokenTTL(days int) time.Duration { return time.Duration(days) * 24 * time.Hour }

// listTokens serves GET /api/v1/tokens.
func (s *Server) listTokens(c echo.Context) error {
	r, _ := currentResearcher(c)
	tokens, err := s.db.APITokens(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": tokens})
}

// revokeToken serves DELETE /api/v1/tokens/{id}.
func (s *Server) revokeToken(c echo.Context) error {
	r, _ := currentResearcher(c)
	id, err := tokenID(c)
	if err != nil {
		return err
	}
	if err := s.db.RevokeAPITokenByID(c.Request().Context(), r.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func tokenID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, experiments.Errorf(experiments.NotFound, "no API token %q", c.Param("id"))
	}
	return id, nil
}

// tokensPage serves GET /researcher/tokens.
func (s *Server) tokensPage(c echo.Context) error {
	return s.renderTokens(c, templates.TokensView{Notice: tokensNotice(c)})
}

// createTokenSubmit serves POST /researcher/tokens: the new token is shown
// once, on the page that answers the form.
func (s *Server) createTokenSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	label := strings.TrimSpace(c.FormValue("label"))
	days, err := strconv.Atoi(c.FormValue("days"))
	if err != nil {
		days = -1 // reported by storage as out of range
	}
	token, err := s.db.CreateAPIToken(c.Request().Context(), r.ID, label, tokenTTL(days))
	if experiments.ErrorCode(err) == experiments.Invalid {
		c.Response().Status = http.StatusUnprocessableEntity
		var de *experiments.Error
		errors.As(err, &de)
		v := templates.TokensView{Label: label, Days: c.FormValue("days"), Errors: templates.NewFormErrors(de.Fields)}
		return s.renderTokens(c, v)
	}
	if err != nil {
		return err
	}
	return s.renderTokens(c, templates.TokensView{NewToken: token, NewLabel: label})
}

// revokeTokenSubmit serves POST /researcher/tokens/{id}/revoke.
func (s *Server) revokeTokenSubmit(c echo.Context) error {
	r, _ := currentResearcher(c)
	id, err := tokenID(c)
	if err != nil {
		return err
	}
	if err := s.db.RevokeAPITokenByID(c.Request().Context(), r.ID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/researcher/tokens?revoked=1")
}

func tokensNotice(c echo.Context) templates.Notice {
	if c.QueryParam("revoked") != "" {
		return templates.Notice{Kind: "ok", Message: "The token is revoked: scripts using it are signed out."}
	}
	return templates.Notice{}
}

func (s *Server) renderTokens(c echo.Context, v templates.TokensView) error {
	r, _ := currentResearcher(c)
	tokens, err := s.db.APITokens(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	v.Tokens = make([]templates.TokenRow, len(tokens))
	for i, t := range tokens {
		v.Tokens[i] = tokenRow(t)
	}
	if v.Days == "" {
		v.Days = strconv.Itoa(int(storage.DefaultAPITokenTTL.Hours() / 24))
	}
	return render(c, templates.Tokens(viewer(c), v))
}

func tokenRow(t storage.APIToken) templates.TokenRow {
	const day = "2 January 2006"
	row := templates.TokenRow{ID: t.ID, Label: t.Label, Created: t.CreatedAt.UTC().Format(day), Expires: t.ExpiresAt.UTC().Format(day),
		LastUsed: "never"}
	if t.LastUsedAt != nil {
		row.LastUsed = t.LastUsedAt.UTC().Format(day)
	}
	return row
}

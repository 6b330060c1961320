package server

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/templates"
)

// setupPage exists only while there is no researcher account.
func (s *Server) setupPage(c echo.Context) error {
	if err := s.requireNoAccounts(c); err != nil {
		return err
	}
	return render(c, templates.Setup(templates.SetupForm{CSRF: csrfToken(c)}))
}

func (s *Server) setupSubmit(c echo.Context) error {
	if err := s.requireNoAccounts(c); err != nil {
		return err
	}
	email, password := c.FormValue("email"), c.FormValue("password")
	form := templates.SetupForm{Email: email, CSRF: csrfToken(c)}
	if password != c.FormValue("confirm") {
		form.Errors = templates.FormErrors{"confirm": "the two passwords differ"}
		c.Response().Status = http.StatusUnprocessableEntity
		return render(c, templates.Setup(form))
	}
	r, err := s.db.CreateFirstResearcher(c.Request().Context(), email, password)
	var de *experiments.Error
	if errors.As(err, &de) && (de.Code == experiments.Invalid || de.Code == experiments.Conflict) {
		form.Errors = templates.NewFormErrors(de.Fields)
		if len(form.Errors) == 0 {
			form.Errors = templates.FormErrors{"email": de.Message}
		}
		c.Response().Status = http.StatusUnprocessableEntity
		return render(c, templates.Setup(form))
	}
	if err != nil {
		return err
	}
	return s.signIn(c, r.ID, "/researcher")
}

func (s *Server) requireNoAccounts(c echo.Context) error {
	n, err := s.db.ResearcherCount(c.Request().Context())
	if err != nil {
		return err
	}
	if n > 0 {
		return echo.NewHTTPError(http.StatusNotFound, "setup is done: sign in instead")
	}
	return nil
}

func (s *Server) loginPage(c echo.Context) error {
	n, err := s.db.ResearcherCount(c.Request().Context())
	if err != nil {
		return err
	}
	if n == 0 {
		return c.Redirect(http.StatusSeeOther, "/setup")
	}
	return render(c, templates.Login(templates.LoginForm{Next: safeNext(c.QueryParam("next")), CSRF: csrfToken(c)}))
}

func (s *Server) loginSubmit(c echo.Context) error {
	email := c.FormValue("email")
	r, err := s.login(c, email, c.FormValue("password"))
	if err != nil {
		status, body := s.describe(err, c)
		if status >= 500 {
			return err
		}
		c.Response().Status = status
		return render(c, templates.Login(templates.LoginForm{Email: email, Next: safeNext(c.FormValue("next")),
			Message: body.Error, CSRF: csrfToken(c)}))
	}
	return s.signIn(c, r.ID, safeNext(c.FormValue("next")))
}

// signIn starts a new browser session (a fresh id: no session fixation).
func (s *Server) signIn(c echo.Context, researcherID int64, next string) error {
	if old, err := c.Cookie(sessionCookie); err == nil {
		_ = s.db.DeleteWebSession(c.Request().Context(), old.Value)
	}
	id, err := s.db.CreateWebSession(c.Request().Context(), researcherID)
	if err != nil {
		return err
	}
	setSessionCookie(c, id)
	rotateCSRF(c)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logoutSubmit(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		_ = s.db.DeleteWebSession(c.Request().Context(), ck.Value)
	}
	clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// viewer is the signed-in researcher for the page templates.
func viewer(c echo.Context) templates.Viewer {
	r, _ := currentResearcher(c)
	return templates.Viewer{Email: r.Email, CSRF: csrfToken(c)}
}

func (s *Server) workspaceHome(c echo.Context) error {
	r, _ := currentResearcher(c)
	ctx := c.Request().Context()
	exps, err := s.db.Experiments(ctx, r.ID)
	if err != nil {
		return err
	}
	pairs, err := s.db.Pairs(ctx, r.ID)
	if err != nil {
		return err
	}
	erows := make([]templates.ExperimentRow, len(exps))
	for i, e := range exps {
		erows[i] = templates.ExperimentRow{Slug: e.Slug, Name: e.Name, Status: e.Status, Version: e.Version,
			Sessions: e.Sessions, Completed: e.Completed}
	}
	prows := make([]templates.PairRow, len(pairs))
	for i, p := range pairs {
		prows[i] = templates.PairRow{ID: p.ID, Name: p.Name, AKind: string(p.A.Kind), BKind: string(p.B.Kind)}
	}
	return render(c, templates.WorkspaceHome(viewer(c), erows, prows))
}

// rotateCSRF gives the browser a fresh CSRF token with its fresh session:
// one planted in the browser before sign-in is worthless after it. It
// replaces the cookie the CSRF middleware set on this response.
func rotateCSRF(c echo.Context) {
	h := c.Response().Header()
	var kept []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, csrfCookie+"=") {
			kept = append(kept, v)
		}
	}
	h["Set-Cookie"] = kept
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: rand.Text(), Path: "/", MaxAge: 24 * 3600, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isTLS(c)})
}

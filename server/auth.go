package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
)

const (
	sessionCookie  = "mcc_session"
	csrfCookie     = "mcc_csrf"
	researcherKey  = "researcher"
	csrfContextKey = "csrf"
)

// authenticate makes the signed-in researcher available to handlers: from
// an API bearer token (scripts) or the session cookie (the pages). Requests
// without either continue anonymously; requireResearcher refuses them.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if token := bearerToken(c); token != "" {
			r, err := s.db.APITokenResearcher(ctx, token)
			if err != nil {
				return err
			}
			c.Set(researcherKey, r)
			return next(c)
		}
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if r, err := s.db.WebSessionResearcher(ctx, ck.Value); err == nil {
				c.Set(researcherKey, r)
			}
		}
		return next(c)
	}
}

// currentResearcher is the signed-in researcher, if any.
func currentResearcher(c echo.Context) (storage.Researcher, bool) {
	r, ok := c.Get(researcherKey).(storage.Researcher)
	return r, ok
}

// requireResearcher refuses anonymous requests: 401 JSON for the API, a
// redirect to the sign-in page for pages. What a researcher sees (pages,
// API answers, data downloads) is never kept by a browser or proxy cache.
func requireResearcher(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := currentResearcher(c); ok {
			c.Response().Header().Set("Cache-Control", "no-store")
			return next(c)
		}
		if wantsJSON(c) {
			return experiments.Errorf(experiments.Unauthorized, "sign in first: POST /api/v1/login for a token, then send Authorization: Bearer <token>")
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+safeNext(c.Request().URL.RequestURI()))
	}
}

// csrfProtection guards every state-changing request made with the session
// cookie (echo's CSRF middleware: Sec-Fetch-Site where the browser sends it,
// else a double-submit token). Bearer-token requests carry no ambient
// credential, so they are exempt. Over HTTPS the token's cookie is Secure.
func csrfProtection() echo.MiddlewareFunc {
	config := func(secure bool) echo.MiddlewareFunc {
		return middleware.CSRFWithConfig(middleware.CSRFConfig{
			Skipper:        func(c echo.Context) bool { return bearerToken(c) != "" },
			TokenLookup:    "header:X-CSRF-Token,form:_csrf",
			ContextKey:     csrfContextKey,
			CookieName:     csrfCookie,
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSameSite: http.SameSiteLaxMode,
			CookieSecure:   secure,
			// A missing token is as forbidden as a wrong one.
			ErrorHandler: func(err error, c echo.Context) error {
				return echo.NewHTTPError(http.StatusForbidden, "this form has expired or did not come from this site: reload the page and try again")
			},
		})
	}
	plain, secure := config(false), config(true)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		plainNext, secureNext := plain(next), secure(next)
		return func(c echo.Context) error {
			if isTLS(c) {
				return secureNext(c)
			}
			return plainNext(c)
		}
	}
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}

// setSessionCookie signs the browser in with a fresh session id.
func setSessionCookie(c echo.Context, id string) {
	c.SetCookie(&http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(storage.WebSessionTTL.Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   isTLS(c),
	})
}

func clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isTLS(c)})
}

// isTLS: directly over TLS, or behind a trusted proxy that terminated it
// (the server's SchemeExtractor decides whom to believe).
func isTLS(c echo.Context) bool { return c.Scheme() == "https" }

// safeNext keeps post-login redirects on this site: only a path of this
// host (with its query) passes, anything else is the workspace. Browsers
// drop tabs and newlines from a Location and read a backslash as a slash,
// so "/\t/evil.example" and "/\\evil.example" would leave the site: control
// characters and backslashes are refused outright, before the URL is
// parsed and checked for a scheme, a host or a leading "//".
func safeNext(next string) string {
	const home = "/researcher"
	if next == "" || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return home
	}
	return next
}

// login checks credentials with throttling per client and email, and per
// email: too many failures give 429 until the window passes. The client is
// the peer, or what a trusted proxy says it is (clientExtractors).
func (s *Server) login(c echo.Context, email, password string) (storage.Researcher, error) {
	ctx := c.Request().Context()
	client := c.RealIP()
	ok, err := s.db.LoginAllowed(ctx, client, email)
	if err != nil {
		return storage.Researcher{}, err
	}
	if !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(storage.LoginWindow.Seconds())))
		return storage.Researcher{}, echo.NewHTTPError(http.StatusTooManyRequests,
			"too many failed sign-ins for this account: try again in 15 minutes")
	}
	r, err := s.db.Authenticate(ctx, email, password)
	if experiments.ErrorCode(err) == experiments.Unauthorized {
		_ = s.db.RecordLoginFailure(ctx, client, email)
		return storage.Researcher{}, err
	}
	if err != nil {
		return storage.Researcher{}, err
	}
	_ = s.db.ClearLoginFailures(ctx, client, email)
	return r, nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Label    string `json:"label"`
	// ExpiresInDays is the token's lifetime (default 90, at most 365).
	ExpiresInDays int `json:"expires_in_days"`
}

// apiLogin serves POST /api/v1/login: a bearer token for scripts.
func (s *Server) apiLogin(c echo.Context) error {
	var req loginRequest
	if err := readJSON(c, &req, false); err != nil {
		return err
	}
	r, err := s.login(c, req.Email, req.Password)
	if err != nil {
		return err
	}
	label := req.Label
	if label == "" {
		label = "api"
	}
	token, err := s.db.CreateAPIToken(c.Request().Context(), r.ID, label, tokenTTL(req.ExpiresInDays))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"token": token, "email": r.Email})
}

// apiLogout serves POST /api/v1/logout: revokes the bearer token used.
func (s *Server) apiLogout(c echo.Context) error {
	token := bearerToken(c)
	if token == "" {
		return experiments.Errorf(experiments.Unauthorized, "send the token to revoke as Authorization: Bearer <token>")
	}
	if err := s.db.RevokeAPIToken(c.Request().Context(), token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

package server

import "github.com/labstack/echo/v4"

// researcherRoutes are the workspace: sign-in, the JSON API for scripts
// (bearer tokens) and the pages (session cookie + CSRF). Every route that
// requires a researcher sees only the signed-in researcher's own data.
//
// Middleware is attached per route, not per group: an echo group with
// middleware also catches unknown paths under its prefix, which would turn
// the 404 of a mistyped URL into a 401.
func (s *Server) researcherRoutes() {
	e := s.echo
	csrf := csrfProtection()
	signedIn := []echo.MiddlewareFunc{s.authenticate, requireResearcher, csrf}
	anyone := []echo.MiddlewareFunc{s.authenticate, csrf}

	e.POST("/api/v1/login", s.apiLogin)
	api := e.Group("/api/v1")
	api.POST("/logout", s.apiLogout, signedIn...)
	api.GET("/tokens", s.listTokens, signedIn...)
	api.DELETE("/tokens/:id", s.revokeToken, signedIn...)
	api.GET("/pairs", s.listPairs, signedIn...)
	api.POST("/pairs", s.createPair, signedIn...)
	api.GET("/pairs/:id", s.getPair, signedIn...)
	api.PUT("/pairs/:id", s.updatePair, signedIn...)
	api.DELETE("/pairs/:id", s.deletePair, signedIn...)
	api.GET("/experiments", s.listExperiments, signedIn...)
	api.POST("/experiments", s.createExperiment, signedIn...)
	api.GET("/experiments/:slug", s.getExperiment, signedIn...)
	api.PUT("/experiments/:slug", s.updateExperiment, signedIn...)
	api.PATCH("/experiments/:slug", s.patchExperiment, signedIn...)
	api.GET("/experiments/:slug/versions", s.listVersions, signedIn...)
	api.GET("/experiments/:slug/sessions", s.listSessions, signedIn...)
	api.GET("/experiments/:slug/dashboard", s.dashboard, signedIn...)
	api.GET("/experiments/:slug/export.csv", s.exportCSV, signedIn...)
	api.GET("/experiments/:slug/codebook.csv", s.codebookCSV, signedIn...)
	api.GET("/experiments/:slug/sessions.csv", s.sessionsCSV, signedIn...)
	api.GET("/experiments/:slug/definition.json", s.definitionExport, signedIn...)
	api.GET("/experiments/:slug/results", s.results, signedIn...)
	api.POST("/experiments/:slug/observer-runs", s.createObserverRuns, signedIn...)
	api.GET("/experiments/:slug/observer-runs", s.listObserverRuns, signedIn...)
	api.GET("/experiments/:slug/summary.csv", s.summaryCSV, signedIn...)
	api.GET("/experiments/:slug/dataset.zip", s.datasetZip, signedIn...)
	api.DELETE("/experiments/:slug/sessions/:id", s.deleteSessionData, signedIn...)
	api.DELETE("/experiments/:slug/participants/:participant_id", s.deleteParticipantData, signedIn...)
	api.GET("/experiments/:slug/audit", s.auditLog, signedIn...)
	api.POST("/experiments/:slug/preview", s.createPreview, signedIn...)
	api.DELETE("/experiments/:slug/previews", s.deletePreviews, signedIn...)

	e.GET("/setup", s.setupPage, anyone...)
	e.POST("/setup", s.setupSubmit, anyone...)
	e.GET("/login", s.loginPage, anyone...)
	e.POST("/login", s.loginSubmit, anyone...)
	e.POST("/logout", s.logoutSubmit, anyone...)
	e.GET("/researcher", s.workspaceHome, signedIn...)
	e.GET("/researcher/tokens", s.tokensPage, signedIn...)
	e.POST("/researcher/tokens", s.createTokenSubmit, signedIn...)
	e.POST("/researcher/tokens/:id/revoke", s.revokeTokenSubmit, signedIn...)
	e.GET("/researcher/experiments/:slug/results", s.resultsPage, signedIn...)
	e.POST("/researcher/experiments/:slug/observer-runs", s.observerRunsSubmit, signedIn...)
	s.pageRoutes(signedIn...) // workspace_pages.go
}

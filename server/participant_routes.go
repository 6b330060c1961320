package server

// participantRoutes are everything a participant's browser (or any runner)
// uses: the study pages and the participant API. Participant tokens are
// valid here only.
func (s *Server) participantRoutes() {
	api := s.echo.Group("/api/v1")
	api.POST("/studies/:slug/sessions", s.createSession)
	api.GET("/sessions/:id", s.getSession)
	api.PUT("/sessions/:id/trials/:index", s.putTrial)
	api.GET("/sessions/:id/next", s.nextTrial)
	api.GET("/sessions/:id/stimulus.png", s.sessionStimulus)
	api.POST("/sessions/:id/events", s.postEvents)
	api.POST("/sessions/:id/complete", s.completeSession)
	api.POST("/sessions/:id/withdraw", s.withdraw)
	api.POST("/sessions/:id/screening", s.checkScreening)

	// The study link's page and the step fragments the runner fetches
	// (participant_pages.go).
	s.echo.GET("/s/:slug", s.studyPage)
	s.echo.GET("/s/:slug/unsupported", s.unsupportedPage)
	s.echo.GET("/s/:slug/sessions/:id/steps/:step", s.stepFragment)
	s.echo.GET("/s/:slug/sessions/:id/finished", s.finishedFragment)
	s.echo.GET("/s/:slug/sessions/:id/ended", s.endedFragment)
	// A researcher's preview of their own study, in any status: signed in
	// with the workspace's cookie (signed out: to the sign-in page).
	s.echo.GET("/s/:slug/preview", s.previewPage, s.authenticate, requireResearcher)
}

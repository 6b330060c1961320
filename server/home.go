package server

import (
	"github.com/labstack/echo/v4"

	"github.com/mccollough/mccollough/templates"
)

func (s *Server) home(c echo.Context) error {
	return render(c, templates.Home())
}

package server_test

import (
	"os"
	"testing"

	"github.com/mccollough/mccollough/storage/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

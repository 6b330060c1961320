package server

import (
	"strconv"
	"sync"

	useragent "github.com/medama-io/go-useragent"

	"github.com/mccollough/mccollough/experiments"
)

// uaParser is built on first use: its trie takes a few MB and a fraction
// of a second, which processes that never create a session need not pay.
var uaParser = sync.OnceValue(useragent.NewParser)

// deviceOf reduces a User-Agent header to the coarse families that
// sessions.csv reports (browser, its major version, OS, device type); the
// header itself is not kept.
func deviceOf(userAgent string) experiments.Device {
	if userAgent == "" {
		return experiments.Device{}
	}
	ua := uaParser().Parse(userAgent)
	major, _ := strconv.Atoi(ua.BrowserVersionMajor())
	return experiments.Device{Browser: string(ua.Browser()), BrowserVersion: major, OS: string(ua.OS()), Type: string(ua.Device())}
}

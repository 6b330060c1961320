package main

import (
	"flag"
	"fmt"
	"net"
	"runtime"
	"strings"

	"github.com/mccollough/mccollough/server"
)

// serverLimits are serve's settings for what the public may do: whom to
// believe about clients, and how much work anonymous clients may cause
// (SECURITY.md lists every limit). A count of 0 turns its limit off.
type serverLimits struct {
	proxies           string
	renderSlots       int
	rendersPerClient  int
	sessionsPerClient int
	sessionsPerStudy  int
}

func (l *serverLimits) register(fs *flag.FlagSet, env *environment) {
	fs.StringVar(&l.proxies, "trusted-proxies", env.getenv("TRUSTED_PROXIES"),
		"comma-separated `CIDRs` of the reverse proxies in front of the server, whose X-Forwarded-For and X-Forwarded-Proto are believed (env TRUSTED_PROXIES; default none: the peer is the client)")
	fs.IntVar(&l.renderSlots, "render-slots", max(1, runtime.GOMAXPROCS(0)-1), "stimuli rendered at once (default: a core less than the machine's); more wait up to 2 s, then get 503")
	fs.IntVar(&l.rendersPerClient, "renders-per-client", 120, "new (uncached) stimuli one client may have rendered per minute (0: no limit)")
	fs.IntVar(&l.sessionsPerClient, "sessions-per-client", 60, "sessions one client (address) may start per hour (0: no limit)")
	fs.IntVar(&l.sessionsPerStudy, "sessions-per-study", 300, "sessions one study may start per minute, over all clients (0: no limit)")
}

// limits are the server's Limits from the flags.
func (l *serverLimits) limits() server.Limits {
	off := func(n int) int {
		if n == 0 {
			return -1
		}
		return n
	}
	return server.Limits{RenderSlots: l.renderSlots, RendersPerClient: off(l.rendersPerClient),
		SessionsPerClient: off(l.sessionsPerClient), SessionsPerStudy: off(l.sessionsPerStudy)}
}

// trustedProxies parses --trusted-proxies: CIDRs, or single addresses.
func (l *serverLimits) trustedProxies() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(l.proxies, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--trusted-proxies: %q is not an address or a CIDR like 10.0.0.0/8", part)}
		}
		out = append(out, n)
	}
	return out, nil
}

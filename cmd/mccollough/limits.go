package main

import (
	"flag"
	"fmt"
	"net"
	"strings"
)

// serverLimits are serve's settings for what the public may do: whom to
// believe about clients (SECURITY.md lists every limit).
type serverLimits struct {
	proxies string
}

func (l *serverLimits) register(fs *flag.FlagSet, env *environment) {
	fs.StringVar(&l.proxies, "trusted-proxies", env.getenv("TRUSTED_PROXIES"),
		"comma-separated `CIDRs` of the reverse proxies in front of the server, whose X-Forwarded-For and X-Forwarded-Proto are believed (env TRUSTED_PROXIES; default none: the peer is the client)")
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

package connmgr

import (
	"fmt"
	"net"
	"strings"
)

// unroutableNets are the ranges, beyond what net.IP's own predicates cover,
// that are never reachable from the public internet, so gossiping them only
// leaks a local network or sends peers nowhere.
var unroutableNets = func() []*net.IPNet {
	cidrs := []string{
		"0.0.0.0/8",       // "this network" (RFC 1122)
		"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
		"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
		"192.0.2.0/24",    // TEST-NET-1 (RFC 5737)
		"198.18.0.0/15",   // benchmarking (RFC 2544)
		"198.51.100.0/24", // TEST-NET-2 (RFC 5737)
		"203.0.113.0/24",  // TEST-NET-3 (RFC 5737)
		"240.0.0.0/4",     // reserved, and the broadcast address (RFC 1112)
		"100::/64",        // discard-only (RFC 6666)
		"2001:db8::/32",   // documentation (RFC 3849)
		"64:ff9b:1::/48",  // local-use IPv4/IPv6 translation (RFC 8215)
	}
	nets := make([]*net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(fmt.Sprintf("connmgr: bad built-in CIDR %q: %v", c, err))
		}
		nets = append(nets, n)
	}
	return nets
}()

// IsRoutable reports whether ip can be reached from the public internet:
// not unspecified, loopback, private (RFC 1918, RFC 4193), link-local,
// multicast, shared (CGNAT) or reserved for documentation and testing.
func IsRoutable(ip net.IP) bool {
	if ip == nil || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, n := range unroutableNets {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

// canonicalHost parses "ip" or "ip:port" (IPv6 in brackets with a port) and
// returns the IP and its canonical string, the key the ban manager uses. An
// IPv4-mapped IPv6 address is the IPv4 address.
func canonicalHost(host string) (net.IP, string, error) {
	h := host
	if strings.Count(h, ":") == 1 || strings.HasPrefix(h, "[") {
		if hostOnly, _, err := net.SplitHostPort(h); err == nil {
			h = hostOnly
		}
	}
	ip := net.ParseIP(h)
	if ip == nil {
		return nil, "", ruleError(ErrInvalidHost, fmt.Sprintf(
			"host %q is not an IP address", host))
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return ip, ip.String(), nil
}

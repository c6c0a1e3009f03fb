package node

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/soterdag/soterd/wire"
)

// HostResolver looks up the addresses of a host name; *net.Resolver
// satisfies it.
type HostResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

const (
	// defaultDiscoveryInterval is how often the discovery goroutine looks
	// at the address book and the peer count.
	defaultDiscoveryInterval = 30 * time.Second

	// defaultNoPeersWarning is how long a node that wants peers may have
	// none before it warns: long enough for dials and DNS to have been
	// tried, short enough that an operator watching the log of a new node
	// learns why it sits at genesis.
	defaultNoPeersWarning = time.Minute

	// noPeersRepeat is how often the warning repeats while the node stays
	// alone.
	noPeersRepeat = 10 * time.Minute

	// minBookAddresses is the address book size below which the DNS seeds
	// are asked: fewer than that and outbound dials soon run out of
	// candidates.
	minBookAddresses = 32

	// seedQueryInterval is the least time between two rounds of DNS seed
	// queries, so a book that stays short (seeds that return little, an
	// offline machine) does not hammer the seeders.
	seedQueryInterval = 10 * time.Minute

	// seedLookupTimeout bounds one seed's lookup.
	seedLookupTimeout = 15 * time.Second

	// maxSeedAddresses bounds what one seed can put in the book: a seed
	// answer is a hint, not a list to trust.
	maxSeedAddresses = 256
)

// wantsPeers reports whether the node dials peers on its own or keeps
// configured ones, so that having none is worth a warning.
func (s *Server) wantsPeers() bool {
	return s.cfg.TargetOutbound > 0 || len(s.cfg.ConnectPeers) > 0 || len(s.cfg.AddPeers) > 0
}

// seedingEnabled reports whether the node asks the DNS seeds: it needs
// automatic outbound peers, seeds, and no --connect or --nodnsseed.
func (s *Server) seedingEnabled() bool {
	return !s.cfg.NoDNSSeed && len(s.cfg.ConnectPeers) == 0 && s.cfg.TargetOutbound > 0 &&
		len(s.params.DNSSeeds) > 0
}

// discoveryHandler seeds the address book from DNS when it is short and
// warns while the node has no peers. It runs from Start until Stop.
func (s *Server) discoveryHandler() {
	defer s.wg.Done()
	interval := s.cfg.DiscoveryInterval
	if interval <= 0 {
		interval = defaultDiscoveryInterval
	}
	warnAfter := s.cfg.NoPeersWarning
	if warnAfter <= 0 {
		warnAfter = defaultNoPeersWarning
	}
	if len(s.params.DNSSeeds) == 0 && s.cfg.TargetOutbound > 0 && len(s.cfg.ConnectPeers) == 0 &&
		len(s.cfg.AddPeers) == 0 && s.addrManager.NumAddresses() == 0 {
		log.Warnf("The %s network has no DNS seeds and the address book is empty: "+
			"name a peer with --addpeer=host:port (or --connect) to join the network",
			s.params.Name)
	}

	// ctx ends DNS lookups when the server stops.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()

	var lastSeed time.Time
	alone := time.Now()
	var lastWarn time.Time
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		now := time.Now()
		if s.seedingEnabled() && s.addrManager.NumAddresses() < minBookAddresses &&
			(lastSeed.IsZero() || now.Sub(lastSeed) >= seedQueryInterval) {
			lastSeed = now
			s.seedFromDNS(ctx)
		}
		s.dialFailures.flush(now)
		if s.ConnectedCount() > 0 {
			alone = now
			lastWarn = time.Time{}
		} else if s.wantsPeers() && now.Sub(alone) >= warnAfter &&
			(lastWarn.IsZero() || now.Sub(lastWarn) >= noPeersRepeat) {
			lastWarn = now
			s.warnNoPeers(now.Sub(alone))
		}
		select {
		case <-s.quit:
			return
		case <-ticker.C:
		}
	}
}

// warnNoPeers tells the operator that the node is alone and what to do.
func (s *Server) warnNoPeers(alone time.Duration) {
	var hints []string
	switch {
	case len(s.cfg.ConnectPeers) > 0:
		hints = append(hints, "check that the --connect peers "+
			strings.Join(s.cfg.ConnectPeers, ", ")+" run and are reachable")
	case s.cfg.NoDNSSeed && len(s.params.DNSSeeds) > 0:
		hints = append(hints, "DNS seeding is off (--nodnsseed)")
	case len(s.params.DNSSeeds) == 0:
		hints = append(hints, "the "+s.params.Name+" network has no DNS seeds")
	}
	hints = append(hints, strconv.Itoa(s.addrManager.NumAddresses())+" addresses in the address book",
		"add a peer with --addpeer=host:port or soterctl addnode host:port add",
		"check that outbound TCP to port "+s.params.DefaultPort+" is not blocked")
	log.Warnf("No peers for %v: the node cannot sync; %s", alone.Round(time.Second),
		strings.Join(hints, "; "))
}

// seedFromDNS asks every DNS seed, giving up when ctx ends, for addresses and adds them to the
// address book with the network's default port.
func (s *Server) seedFromDNS(ctx context.Context) {
	resolver := s.cfg.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	port, err := strconv.ParseUint(s.params.DefaultPort, 10, 16)
	if err != nil {
		log.Errorf("DNS seeding: the network's default port %q is not a port", s.params.DefaultPort)
		return
	}
	total := 0
	for _, seed := range s.params.DNSSeeds {
		lookupCtx, cancel := context.WithTimeout(ctx, seedLookupTimeout)
		hosts, err := resolver.LookupHost(lookupCtx, seed)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Infof("DNS seed %s: %v", seed, err)
			continue
		}
		if len(hosts) > maxSeedAddresses {
			hosts = hosts[:maxSeedAddresses]
		}
		addrs := make([]wire.NetAddress, 0, len(hosts))
		// A seed's answer says the node was up just now; the address
		// book ages it from here.
		stamp := s.timeSource().Unix()
		for _, h := range hosts {
			ip := net.ParseIP(h)
			if ip == nil {
				continue
			}
			addrs = append(addrs, wire.NetAddress{Timestamp: stamp, Services: wire.SFNodeNetwork,
				IP: ip, Port: uint16(port)})
		}
		added := s.addrManager.AddAddresses(addrs, "dnsseed:"+seed)
		total += added
		log.Infof("DNS seed %s gave %d addresses, %d new", seed, len(addrs), added)
	}
	if total == 0 {
		log.Warnf("DNS seeds %s gave no new addresses; add a peer with --addpeer=host:port",
			strings.Join(s.params.DNSSeeds, ", "))
	}
}

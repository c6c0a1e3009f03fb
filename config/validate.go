package config

import (
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// invalid returns an ErrInvalidOption error for the named option.
func invalid(option, format string, args ...any) error {
	return configError(ErrInvalidOption, option+": "+fmt.Sprintf(format, args...))
}

// conflict returns an ErrConflictingOptions error for the named option.
func conflict(option, format string, args ...any) error {
	return configError(ErrConflictingOptions, option+": "+fmt.Sprintf(format, args...))
}

// checkRange returns an error unless lo <= v <= hi.
func checkRange(option string, v, lo, hi int) error {
	if v < lo || v > hi {
		return invalid(option, "%d is not in %d..%d", v, lo, hi)
	}
	return nil
}

// checkDuration returns an error unless lo <= d <= hi.
func checkDuration(option string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return invalid(option, "%v is not in %v..%v", d, lo, hi)
	}
	return nil
}

// normalize validates every option and fills in the fields derived from
// them. The checks run in the order of the options in Config, so the first
// error reported is the first bad option there.
func (c *Config) normalize() error {
	if err := c.normalizeGeneral(); err != nil {
		return err
	}
	if err := c.normalizePeers(); err != nil {
		return err
	}
	if err := c.normalizeRPC(); err != nil {
		return err
	}
	if err := c.normalizeMining(); err != nil {
		return err
	}
	return c.normalizeMempool()
}

// normalizeGeneral picks the network and fixes the paths and logging.
func (c *Config) normalizeGeneral() error {
	var chosen []string
	name := blockdag.MainNetParams().Name
	for _, n := range []struct {
		set  bool
		name string
	}{
		{c.TestNet, "testnet"},
		{c.RegTest, "regtest"},
		{c.SimNet, "simnet"},
	} {
		if n.set {
			chosen = append(chosen, n.name)
			name = n.name
		}
	}
	if len(chosen) > 1 {
		return conflict(strings.Join(chosen, ", "), "only one network "+
			"may be chosen")
	}
	params, err := blockdag.ParamsByName(name)
	if err != nil {
		return invalid("network", "%v", err)
	}
	c.Params = params

	c.AppDataDir = expandPath(c.AppDataDir)
	if c.AppDataDir == "" {
		return invalid("appdata", "empty path")
	}
	c.DataDir = filepath.Join(c.pathOr(c.DataDir, DefaultDataDirname), params.Name)
	c.LogDir = filepath.Join(c.pathOr(c.LogDir, DefaultLogDirname), params.Name)
	c.RPCCert = c.pathOr(c.RPCCert, DefaultRPCCertFilename)
	c.RPCKey = c.pathOr(c.RPCKey, DefaultRPCKeyFilename)

	level, subsystems, err := ParseDebugLevel(c.DebugLevel, Subsystems())
	if err != nil {
		return err
	}
	c.LogLevel, c.SubsystemLevels = level, subsystems
	if err := checkRange("logsize", c.LogSize, MinLogSizeMiB, MaxLogSizeMiB); err != nil {
		return err
	}
	if err := checkRange("logfiles", c.LogFiles, 0, MaxLogFiles); err != nil {
		return err
	}

	if c.Profile != "" {
		profile, err := normalizeProfile(c.Profile)
		if err != nil {
			return err
		}
		c.Profile = profile
	}
	if c.Metrics != "" {
		addr, err := normalizeMetrics(c.Metrics)
		if err != nil {
			return err
		}
		c.Metrics = addr
	}
	return nil
}

// normalizeMetrics turns a --metrics port or host:port into host:port. A
// bare port listens on DefaultMetricsHost; port 0 picks a free one.
func normalizeMetrics(s string) (string, error) {
	host, port := DefaultMetricsHost, strings.TrimSpace(s)
	if h, p, err := net.SplitHostPort(port); err == nil {
		host, port = h, p
	}
	n, err := strconv.Atoi(port)
	if err != nil || (n != 0 && n < MinProfilePort) || n > 65535 {
		return "", invalid("metrics", "%q is not a port in %d..65535 (or 0 for any) "+
			"or a host:port with such a port", s, MinProfilePort)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// pathOr returns path expanded, or the named file in the home directory
// when path is empty.
func (c *Config) pathOr(path, name string) string {
	if path == "" {
		return filepath.Join(c.AppDataDir, name)
	}
	return expandPath(path)
}

// normalizeProfile turns a --profile port or host:port into host:port.
func normalizeProfile(s string) (string, error) {
	host, port := DefaultProfileHost, strings.TrimSpace(s)
	if h, p, err := net.SplitHostPort(port); err == nil {
		host, port = h, p
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < MinProfilePort || n > 65535 {
		return "", invalid("profile", "%q is not a port in %d..65535 "+
			"or a host:port with such a port", s, MinProfilePort)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// normalizePeers checks the peer options and fills in the listen addresses.
func (c *Config) normalizePeers() error {
	port := c.Params.DefaultPort
	if c.DisableListen && len(c.Listeners) > 0 {
		return conflict("listen", "cannot be used with nolisten")
	}
	if c.DisableListen {
		c.Listeners = nil
	} else if len(c.Listeners) == 0 {
		c.Listeners = []string{net.JoinHostPort("", port)}
	}
	lists := []struct {
		option   string
		addrs    *[]string
		needHost bool
		zeroPort bool
	}{
		// Port 0 on a listener asks the system for a free port, which
		// tests that start many nodes need.
		{"listen", &c.Listeners, false, true},
		{"externalip", &c.ExternalIPs, true, false},
		{"connect", &c.ConnectPeers, true, false},
		{"addpeer", &c.AddPeers, true, false},
	}
	for _, l := range lists {
		addrs, err := normalizeAddrs(l.option, *l.addrs, port, l.needHost, l.zeroPort)
		if err != nil {
			return err
		}
		*l.addrs = addrs
	}
	if len(c.ConnectPeers) > 0 && len(c.AddPeers) > 0 {
		return conflict("addpeer", "cannot be used with connect, which "+
			"connects to the named peers only")
	}

	if err := checkRange("maxpeers", c.MaxPeers, 0, MaxPeersLimit); err != nil {
		return err
	}
	if err := checkRange("targetoutbound", c.TargetOutbound, 0, c.MaxPeers); err != nil {
		return err
	}
	if err := checkRange("maxpeersperip", c.MaxPeersPerIP, 1, MaxPeersLimit); err != nil {
		return err
	}
	if err := checkDuration("banduration", c.BanDuration, MinBanDuration, MaxBanDuration); err != nil {
		return err
	}
	if err := checkRange("banthreshold", c.BanThreshold, 1, MaxBanThreshold); err != nil {
		return err
	}

	c.WhitelistNets = nil
	for _, w := range c.Whitelists {
		ipnet, err := parseWhitelist(w)
		if err != nil {
			return err
		}
		c.WhitelistNets = append(c.WhitelistNets, ipnet)
	}
	return checkUserAgentComments(c.UserAgentComments)
}

// parseWhitelist parses an IP address (a network of one address) or a CIDR
// network.
func parseWhitelist(s string) (*net.IPNet, error) {
	s = strings.TrimSpace(s)
	if _, ipnet, err := net.ParseCIDR(s); err == nil {
		return ipnet, nil
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, invalid("whitelist", "%q is not an IP address or a "+
			"CIDR network such as 192.168.0.0/16", s)
	}
	bits := 8 * net.IPv6len
	if v4 := ip.To4(); v4 != nil {
		ip, bits = v4, 8*net.IPv4len
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
}

// userAgentReserved are the characters that delimit the parts of a user
// agent ("/soterd:0.1.0(comment; comment)/"), which a comment must not
// contain.
const userAgentReserved = "/:();"

// checkUserAgentComments checks that the comments are printable ASCII
// without the user agent's delimiters and fit in the user agent.
func checkUserAgentComments(comments []string) error {
	total := 0
	for _, comment := range comments {
		if comment == "" {
			return invalid("uacomment", "empty comment")
		}
		for _, r := range comment {
			if r < 0x20 || r > 0x7e || strings.ContainsRune(userAgentReserved, r) {
				return invalid("uacomment", "%q contains %q; use printable "+
					"ASCII other than %s", comment, r, userAgentReserved)
			}
		}
		// Each comment costs its length and a "; " separator.
		total += len(comment) + 2
	}
	if total > MaxUserAgentCommentsLen {
		return invalid("uacomment", "comments take %d bytes, more than "+
			"the %d the user agent has room for", total,
			MaxUserAgentCommentsLen)
	}
	return nil
}

// normalizeRPC checks the credentials, limits and TLS choice, and fills in
// the RPC listen addresses.
func (c *Config) normalizeRPC() error {
	pairs := []struct {
		userOpt, passOpt string
		user, pass       string
	}{
		{"rpcuser", "rpcpass", c.RPCUser, c.RPCPass},
		{"rpclimituser", "rpclimitpass", c.RPCLimitUser, c.RPCLimitPass},
	}
	for _, p := range pairs {
		if p.user != "" && p.pass == "" {
			return conflict(p.passOpt, "required with %s", p.userOpt)
		}
		if p.pass != "" && p.user == "" {
			return conflict(p.userOpt, "required with %s", p.passOpt)
		}
	}
	if c.RPCUser != "" && c.RPCUser == c.RPCLimitUser {
		return conflict("rpclimituser", "must differ from rpcuser")
	}
	if !c.DisableRPC && c.RPCUser == "" && c.RPCLimitUser == "" {
		c.DisableRPC = true
		c.RPCOffForCredentials = true
		c.Warnings = append(c.Warnings, "RPC server disabled: set "+
			"rpcuser and rpcpass (or rpclimituser and rpclimitpass) "+
			"to enable it")
	}

	if c.WebUI && c.DisableRPC {
		if c.RPCOffForCredentials {
			return conflict("webui", "needs the RPC server, which is off for want of "+
				"rpcuser and rpcpass (or rpclimituser and rpclimitpass)")
		}
		return conflict("webui", "cannot be used with norpc: the web view is served by the RPC server")
	}
	if err := checkRange("rpcmaxclients", c.RPCMaxClients, 1, RPCLimit); err != nil {
		return err
	}
	if err := checkRange("rpcmaxwebsockets", c.RPCMaxWebsockets, 0, RPCLimit); err != nil {
		return err
	}
	if err := checkRange("rpcmaxconcurrentreqs", c.RPCMaxConcurrentReqs, 1, RPCLimit); err != nil {
		return err
	}

	port := c.Params.RPCPort
	if len(c.RPCListeners) == 0 {
		// Loopback only: the RPC server administers the node, so it is
		// reachable from elsewhere only when asked for.
		c.RPCListeners = []string{
			net.JoinHostPort("127.0.0.1", port),
			net.JoinHostPort("::1", port),
		}
	}
	addrs, err := normalizeAddrs("rpclisten", c.RPCListeners, port, false, true)
	if err != nil {
		return err
	}
	c.RPCListeners = addrs
	if c.DisableTLS && !c.DisableRPC {
		for _, addr := range c.RPCListeners {
			if !isLoopback(addr) {
				return conflict("notls", "rpclisten %s is not a loopback "+
					"address; TLS may only be turned off when the RPC "+
					"server listens on 127.0.0.1, ::1 or localhost only",
					addr)
			}
		}
	}
	return nil
}

// isLoopback reports whether a normalized host:port is on a loopback
// address. An empty host means every interface, which is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeMining checks the mining options and parses the mining key.
func (c *Config) normalizeMining() error {
	c.MiningPubKey = nil
	if c.MiningAddr != "" {
		key, err := ParseMiningAddr(c.Params.AddressPrefix, c.MiningAddr)
		if err != nil {
			return invalid("miningaddr", "%v", err)
		}
		c.MiningPubKey = &key
	}
	if err := checkRange("miningworkers", c.MiningWorkers, 0, MaxMiningWorkers); err != nil {
		return err
	}
	if c.MiningWorkers == 0 {
		c.MiningWorkers = min(runtime.NumCPU(), MaxMiningWorkers)
	}
	if c.MinerPace > MaxMinerPace {
		return invalid("minerpace", "%v is more than %v", c.MinerPace,
			MaxMinerPace)
	}
	if c.BlockMaxSize == 0 {
		c.BlockMaxSize = c.Params.MaxBlockSize
	}
	return checkRange("blockmaxsize", c.BlockMaxSize, MinBlockMaxSize,
		c.Params.MaxBlockSize)
}

// normalizeMempool checks the mempool and DAG options and parses the relay
// fee.
func (c *Config) normalizeMempool() error {
	fee, err := ParseAmount(c.MinRelayTxFee)
	if err != nil {
		return invalid("minrelaytxfee", "%v", err)
	}
	c.MinRelayTxFeeUnits = fee
	if err := checkRange("maxorphantx", c.MaxOrphanTxs, 0, MaxOrphanTxsLimit); err != nil {
		return err
	}
	if err := checkRange("maxorphanblocks", c.MaxOrphanBlocks, 1, MaxOrphanBlocksLimit); err != nil {
		return err
	}
	if err := checkRange("minfreedisk", c.MinFreeDisk, 1, MaxMinFreeDiskMiB); err != nil {
		return err
	}
	if err := checkRange("dbcache", c.DBCache, MinDBCacheMiB, MaxDBCacheMiB); err != nil {
		return err
	}
	if c.Prune != 0 {
		lo := int(blockdag.MinPruneMiB(c.Params))
		if c.Prune < lo || c.Prune > MaxPruneMiB {
			return invalid("prune", "%d is not 0 (keep every block) or in %d..%d: "+
				"%s needs %d MiB for the finality window", c.Prune, lo, MaxPruneMiB,
				c.Params.Name, lo)
		}
		if c.TxIndex {
			return invalid("txindex", "cannot be used with --prune: the index would "+
				"name blocks whose bodies are deleted; use --prune=0 to keep the index")
		}
	}
	return c.normalizeAssumeValid()
}

// normalizeAssumeValid parses --assumevalid: empty takes the network's
// default, 0 turns it off, anything else must be a block hash.
func (c *Config) normalizeAssumeValid() error {
	switch v := strings.TrimSpace(c.AssumeValid); v {
	case "":
		c.AssumeValidHash = c.Params.AssumeValid
	case "0":
		c.AssumeValidHash = wire.Hash{}
	default:
		h, err := wire.NewHashFromStr(v)
		if err != nil {
			return invalid("assumevalid", "%q is not 0 or a block hash of 64 hex digits: %v", v, err)
		}
		c.AssumeValidHash = *h
	}
	return nil
}

// normalizeAddrs normalizes each address with normalizeAddr and drops
// duplicates, keeping the first.
func normalizeAddrs(option string, addrs []string, defaultPort string, needHost, zeroPort bool) ([]string, error) {
	var out []string
	seen := make(map[string]bool, len(addrs))
	for _, addr := range addrs {
		a, err := normalizeAddr(option, addr, defaultPort, needHost, zeroPort)
		if err != nil {
			return nil, err
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// normalizeAddr returns addr as host:port, adding defaultPort when addr has
// none. It accepts host, host:port, an IPv6 address with or without
// brackets, and [IPv6]:port. An empty host (":port") means every interface
// and is allowed only when needHost is false; port 0 only when zeroPort.
func normalizeAddr(option, addr, defaultPort string, needHost, zeroPort bool) (string, error) {
	a := strings.TrimSpace(addr)
	if a == "" {
		return "", invalid(option, "empty address")
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = a, defaultPort
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
		if strings.Contains(host, ":") && !isIP(host) {
			return "", invalid(option, "%q is not a host, host:port, "+
				"IPv6 address or [IPv6]:port", addr)
		}
	}
	if host == "" && needHost {
		return "", invalid(option, "%q has no host", addr)
	}
	if host != "" && !isIP(host) && !isHostname(host) {
		return "", invalid(option, "%q is not an IP address or a host name",
			host)
	}
	lo := 1
	if zeroPort {
		lo = 0
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < lo || n > 65535 {
		return "", invalid(option, "port %q of %q is not in %d..65535",
			port, addr, lo)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// isIP reports whether s is an IP address, IPv6 with an optional zone.
func isIP(s string) bool {
	if i := strings.IndexByte(s, '%'); i > 0 && i < len(s)-1 {
		s = s[:i]
	}
	return net.ParseIP(s) != nil
}

// isHostname reports whether s is a syntactically valid host name: labels of
// letters, digits, '-' and '_' (which some private names use) separated by
// dots.
func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
				r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

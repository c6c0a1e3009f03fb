package rpcserver

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// Defaults for the Config limits left at zero.
const (
	// DefaultMaxClients bounds concurrent HTTP requests. Each holds a
	// goroutine and, once authenticated, a body of at most
	// MaxRequestBytes; the work itself is bounded by MaxConcurrentReqs,
	// so clients over that wait for a slot instead of being refused.
	// btcd's 10 refused 71% of requests at 200-way parallelism.
	DefaultMaxClients = 500

	// DefaultMaxWebsockets is btcd's default for websocket clients.
	DefaultMaxWebsockets = 25

	// DefaultMaxConcurrentReqs is btcd's default for requests handled at
	// once across all clients.
	DefaultMaxConcurrentReqs = 20

	// DefaultMaxRequestBytes bounds a request body: enough for submitblock
	// of the largest block the wire allows, in hex, plus the envelope.
	DefaultMaxRequestBytes = 2*wire.MaxBlockPayload + 64*1024

	// DefaultLongPollTimeout is how long a getblocktemplate long poll
	// waits for a change before it answers with the template it has: a
	// minute is far below the timeouts of HTTP clients and proxies, and a
	// fresh curtime once a minute is all a miner needs on a quiet DAG.
	DefaultLongPollTimeout = time.Minute

	// DefaultTemplateTxRefresh is how old the served template must be
	// before new mempool transactions make a new one worth fetching. The
	// CPU miner rebuilds its template as often; fees are burned, so
	// nothing but inclusion is gained by refreshing sooner, and every
	// refresh costs every miner a template download.
	DefaultTemplateTxRefresh = 5 * time.Second
)

// Config holds everything the server needs. The server opens its own
// listeners: ListenAddrs are bound by New, wrapped in TLS unless NoTLS, so a
// bind or certificate problem is reported before the node starts.
type Config struct {
	// ListenAddrs are host:port addresses to serve on. Port 0 picks a free
	// port; Server.Addrs reports the bound ones.
	ListenAddrs []string

	// NoTLS serves plain HTTP. It is refused unless every listen address is
	// a loopback address.
	NoTLS bool

	// RPCCert and RPCKey are the TLS certificate and key files. When
	// neither exists, New generates a self-signed pair (GenCertPair) for
	// localhost, the machine's interface addresses and CertHosts.
	RPCCert, RPCKey string
	CertHosts       []string

	// RPCUser/RPCPass is the admin; RPCLimitUser/RPCLimitPass the limited
	// user, who may call only methods marked Limited in rpcmodel. At least
	// one pair must be set, and the two user names must differ.
	RPCUser, RPCPass           string
	RPCLimitUser, RPCLimitPass string

	// MaxClients bounds concurrent HTTP requests, MaxWebsockets websocket
	// clients, MaxConcurrentReqs requests being handled at once (HTTP and
	// websocket together), MaxRequestBytes a request body or websocket
	// message. Zero means the default.
	MaxClients        int
	MaxWebsockets     int
	MaxConcurrentReqs int
	MaxRequestBytes   int64

	// Params is the network.
	Params *blockdag.Params

	// StartupTime is when the node started, for uptime.
	StartupTime time.Time

	// Observer, when set, is told of every request answered.
	Observer RequestObserver

	// WebUI, when set, serves the web view's files under /webui/, behind
	// the same authentication as RPC; the page's websocket and JSON-RPC
	// endpoints are /webui/ws and /webui/rpc, under the same path so the
	// browser sends the credentials it was asked for there.
	WebUI http.Handler

	// Version is the node's version number for getinfo (btcd encodes
	// major*1000000 + minor*10000 + patch*100).
	Version int32

	// RelayFee is the minimum relay fee in base units per kB, for getinfo.
	RelayFee uint64

	// DAG is required. The others are optional: a method whose source is
	// nil answers with an error saying the node does not offer it.
	DAG       DAG
	SyncMgr   SyncManager
	ConnMgr   ConnManager
	Mempool   TxMempool
	Miner     Miner
	TxLocator TxLocator
	UTXOIndex UTXOIndex
	Templater BlockTemplater

	// MiningAddr is the key getblocktemplate's coinbase pays when the
	// request names none; nil makes the request's miningaddr required.
	MiningAddr *[wire.PubKeySize]byte

	// LongPollTimeout bounds a getblocktemplate long poll, and
	// TemplateTxRefresh is how old a template must be before mempool
	// transactions replace it. Zero means DefaultLongPollTimeout and
	// DefaultTemplateTxRefresh.
	LongPollTimeout   time.Duration
	TemplateTxRefresh time.Duration

	// TimeSource is the node's clock, for the times of block templates;
	// nil means time.Now.
	TimeSource func() time.Time
}

// checkConfig validates cfg and fills in defaults on a copy.
func checkConfig(in *Config) (*Config, error) {
	if in == nil {
		return nil, serverError(ErrInvalidConfig, "rpcserver: nil config")
	}
	cfg := *in
	if cfg.Params == nil {
		return nil, serverError(ErrInvalidConfig, "rpcserver: Params is required")
	}
	if cfg.DAG == nil {
		return nil, serverError(ErrInvalidConfig, "rpcserver: DAG is required")
	}
	if len(cfg.ListenAddrs) == 0 {
		return nil, serverError(ErrInvalidConfig, "rpclisten: no address to listen on")
	}
	if (cfg.RPCUser == "" || cfg.RPCPass == "") && (cfg.RPCLimitUser == "" || cfg.RPCLimitPass == "") {
		return nil, serverError(ErrInvalidConfig,
			"rpcuser/rpcpass: the RPC server needs a user name and password")
	}
	if (cfg.RPCUser == "") != (cfg.RPCPass == "") {
		return nil, serverError(ErrInvalidConfig, "rpcuser/rpcpass: set both or neither")
	}
	if (cfg.RPCLimitUser == "") != (cfg.RPCLimitPass == "") {
		return nil, serverError(ErrInvalidConfig, "rpclimituser/rpclimitpass: set both or neither")
	}
	if cfg.RPCUser != "" && cfg.RPCUser == cfg.RPCLimitUser {
		return nil, serverError(ErrInvalidConfig, "rpclimituser: must differ from rpcuser")
	}
	limits := []struct {
		name string
		v    *int
		def  int
	}{
		{"rpcmaxclients", &cfg.MaxClients, DefaultMaxClients},
		{"rpcmaxwebsockets", &cfg.MaxWebsockets, DefaultMaxWebsockets},
		{"rpcmaxconcurrentreqs", &cfg.MaxConcurrentReqs, DefaultMaxConcurrentReqs},
	}
	for _, l := range limits {
		if *l.v < 0 {
			return nil, serverError(ErrInvalidConfig, fmt.Sprintf(
				"%s: %d is negative (0 means the default, %d)", l.name, *l.v, l.def))
		}
		if *l.v == 0 {
			*l.v = l.def
		}
	}
	if cfg.MaxRequestBytes < 0 {
		return nil, serverError(ErrInvalidConfig, fmt.Sprintf(
			"MaxRequestBytes: %d is negative", cfg.MaxRequestBytes))
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.NoTLS {
		for _, addr := range cfg.ListenAddrs {
			if !isLoopback(addr) {
				return nil, serverError(ErrNoTLSNonLoopback, fmt.Sprintf(
					"notls: %s is not a loopback address; TLS may only be off "+
						"when every rpclisten address is loopback", addr))
			}
		}
	} else if cfg.RPCCert == "" || cfg.RPCKey == "" {
		return nil, serverError(ErrInvalidConfig, "rpccert/rpckey: both files must be named when TLS is on")
	}
	if cfg.StartupTime.IsZero() {
		cfg.StartupTime = time.Now()
	}
	if cfg.LongPollTimeout < 0 || cfg.TemplateTxRefresh < 0 {
		return nil, serverError(ErrInvalidConfig, fmt.Sprintf(
			"LongPollTimeout %v and TemplateTxRefresh %v must not be negative",
			cfg.LongPollTimeout, cfg.TemplateTxRefresh))
	}
	if cfg.LongPollTimeout == 0 {
		cfg.LongPollTimeout = DefaultLongPollTimeout
	}
	if cfg.TemplateTxRefresh == 0 {
		cfg.TemplateTxRefresh = DefaultTemplateTxRefresh
	}
	if cfg.TimeSource == nil {
		cfg.TimeSource = time.Now
	}
	return &cfg, nil
}

// isLoopback reports whether a host:port listen address is on a loopback
// interface only. An empty host means every interface, so it is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

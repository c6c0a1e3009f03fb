package procnode

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Defaults of the Config fields left zero.
const (
	// DefaultNetwork is the network a node runs on: regtest mines any
	// nonce at once and lets generate work.
	DefaultNetwork = "regtest"

	// DefaultAddr is where a node listens for peers and RPC clients: a
	// loopback port the kernel picks.
	DefaultAddr = "127.0.0.1:0"

	// DefaultStartTimeout bounds the wait for the RPC server. Opening a
	// large DAG and building its in-memory index can take a while on a
	// loaded two-core machine.
	DefaultStartTimeout = 2 * time.Minute

	// DefaultStopTimeout is how long Stop waits after SIGTERM before it
	// sends SIGKILL; soterd gives up on its own clean shutdown after 10
	// seconds, so 15 leaves room for flushing and exiting.
	DefaultStopTimeout = 15 * time.Second

	// DefaultRPCTimeout bounds one RPC call. generate of 1000 blocks is
	// the longest call the helpers make.
	DefaultRPCTimeout = 3 * time.Minute

	// ConfFilename is the conf file Start writes in the home directory,
	// where soterd looks for it by default.
	ConfFilename = "soterd.conf"

	// DefaultLogFilename is the file in the home directory that takes
	// the process's standard output and error.
	DefaultLogFilename = "stdout.log"

	// CertFilename is the RPC certificate soterd writes in its home
	// directory.
	CertFilename = "rpc.cert"
)

// Networks a node may run on. Mainnet and testnet are left out on purpose:
// a test must never join a public network.
var networks = map[string]bool{"regtest": true, "simnet": true}

// Config describes one soterd process.
type Config struct {
	// Binary is the path of the soterd executable (Binaries.Soterd).
	Binary string

	// Network is "regtest" (the default) or "simnet".
	Network string

	// HomeDir is soterd's home directory (-A): the conf file, the data
	// directory and the RPC certificate live in it. It is created when
	// missing; a test passes t.TempDir().
	HomeDir string

	// ListenAddr and RPCAddr are the P2P and RPC listen addresses. Empty
	// means DefaultAddr, a free loopback port picked by the kernel; the
	// bound address is then read from the daemon's log (see the package
	// comment).
	ListenAddr string
	RPCAddr    string

	// NoListen starts the node without a P2P listener (--nolisten); it
	// still dials out.
	NoListen bool

	// TLS serves RPC over TLS with the certificate soterd generates in
	// HomeDir, instead of plain HTTP on loopback.
	TLS bool

	// RPCUser and RPCPass are the administrator's credentials written to
	// the conf file; empty means random ones.
	RPCUser string
	RPCPass string

	// ConfLines are extra lines appended to the conf file verbatim, such
	// as "maxpeers=8" (or a broken line, to test that soterd refuses it).
	ConfLines []string

	// ExtraArgs are appended to soterd's command line, after the options
	// Start passes, so they win.
	ExtraArgs []string

	// LogFile takes the process's standard output and error, appended to
	// across restarts. Empty means DefaultLogFilename in HomeDir.
	LogFile string

	// StartTimeout, StopTimeout and RPCTimeout override
	// DefaultStartTimeout, DefaultStopTimeout and DefaultRPCTimeout.
	StartTimeout time.Duration
	StopTimeout  time.Duration
	RPCTimeout   time.Duration
}

// normalize checks c and fills in the defaults of the fields left zero.
func (c *Config) normalize() error {
	if c.Binary == "" {
		return procError(ErrInvalidConfig, "procnode: no soterd binary given")
	}
	if _, err := os.Stat(c.Binary); err != nil {
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: binary: %v", err))
	}
	if c.Network == "" {
		c.Network = DefaultNetwork
	}
	if !networks[c.Network] {
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: network %q: "+
			"want regtest or simnet", c.Network))
	}
	if c.HomeDir == "" {
		return procError(ErrInvalidConfig, "procnode: no home directory given")
	}
	home, err := filepath.Abs(c.HomeDir)
	if err != nil {
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: home: %v", err))
	}
	c.HomeDir = home
	if c.ListenAddr == "" {
		c.ListenAddr = DefaultAddr
	}
	if c.RPCAddr == "" {
		c.RPCAddr = DefaultAddr
	}
	if c.LogFile == "" {
		c.LogFile = filepath.Join(c.HomeDir, DefaultLogFilename)
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = DefaultRPCTimeout
	}
	if c.RPCUser == "" {
		c.RPCUser = randomToken(9)
	}
	if c.RPCPass == "" {
		c.RPCPass = randomToken(18)
	}
	return nil
}

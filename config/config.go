package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/btcsuite/btclog"
	flags "github.com/jessevdk/go-flags"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// Names of the files and directories under the home directory.
const (
	// DefaultHomeDirName is the home directory's name under the user's
	// home: ~/.soterd.
	DefaultHomeDirName = ".soterd"

	// DefaultConfigFilename is the conf file's name in the home directory.
	DefaultConfigFilename = "soterd.conf"

	// DefaultDataDirname is the data directory's name in the home
	// directory; each network has a subdirectory in it.
	DefaultDataDirname = "data"

	// DefaultLogDirname is the log directory's name in the home directory;
	// each network has a subdirectory in it.
	DefaultLogDirname = "logs"

	// DefaultLogFilename is the log file's name in the per-network log
	// directory.
	DefaultLogFilename = "soterd.log"

	// DefaultRPCCertFilename and DefaultRPCKeyFilename are the names of
	// the RPC server's TLS certificate and key in the home directory.
	DefaultRPCCertFilename = "rpc.cert"
	DefaultRPCKeyFilename  = "rpc.key"
)

// Defaults and ranges of the options. A range is inclusive.
const (
	// DefaultDebugLevel is the log level of every subsystem.
	DefaultDebugLevel = "info"

	// DefaultLogSizeMiB is the log file size at which it is rotated, and
	// MaxLogSizeMiB bounds --logsize.
	DefaultLogSizeMiB = 10
	MinLogSizeMiB     = 1
	MaxLogSizeMiB     = 1024

	// DefaultLogFiles is how many rotated log files are kept, and
	// MaxLogFiles bounds --logfiles.
	DefaultLogFiles = 3
	MaxLogFiles     = 100

	// DefaultMaxPeers is the most peers, inbound and outbound, and
	// MaxPeersLimit bounds --maxpeers: each peer costs goroutines, buffers
	// and a file descriptor.
	DefaultMaxPeers = 125
	MaxPeersLimit   = 10000

	// DefaultTargetOutbound is how many outbound peers the node keeps. It
	// may not exceed --maxpeers.
	DefaultTargetOutbound = 8

	// DefaultMaxPeersPerIP bounds the inbound connections from one IP
	// address, so one host cannot take every slot.
	DefaultMaxPeersPerIP = 5

	// DefaultBanDuration is how long a misbehaving peer stays banned;
	// MinBanDuration and MaxBanDuration bound --banduration.
	DefaultBanDuration = 24 * time.Hour
	MinBanDuration     = time.Second
	MaxBanDuration     = 365 * 24 * time.Hour

	// DefaultBanThreshold is the ban score at which a peer is banned, and
	// MaxBanThreshold bounds --banthreshold.
	DefaultBanThreshold = 100
	MaxBanThreshold     = 1_000_000

	// DefaultRPCMaxClients, DefaultRPCMaxWebsockets and
	// DefaultRPCMaxConcurrentReqs bound the RPC server's HTTP clients,
	// websocket clients and requests served at once. RPCLimit bounds all
	// three options.
	DefaultRPCMaxClients        = 500
	DefaultRPCMaxWebsockets     = 25
	DefaultRPCMaxConcurrentReqs = 20
	RPCLimit                    = 10000

	// MaxMiningWorkers bounds --miningworkers; 0 means one worker per
	// CPU core.
	MaxMiningWorkers = 256

	// MaxMinerPace bounds --minerpace. Zero picks the miner's default and
	// a negative value turns pacing off, so there is no lower bound.
	MaxMinerPace = time.Hour

	// MinBlockMaxSize is the smallest --blockmaxsize: room for a coinbase
	// and a few transactions. The largest is the network's MaxBlockSize,
	// which is also the default.
	MinBlockMaxSize = 1000

	// DefaultMinRelayTxFee is the lowest fee rate, in coins per 1000 bytes,
	// at which a transaction is accepted into the mempool and relayed.
	DefaultMinRelayTxFee = "0.00001"

	// DefaultMaxOrphanTxs and MaxOrphanTxsLimit are the default and the
	// bound of --maxorphantx.
	DefaultMaxOrphanTxs = 100
	MaxOrphanTxsLimit   = 100_000

	// DefaultMaxOrphanBlocks and MaxOrphanBlocksLimit are the default and
	// the bound of --maxorphanblocks. An orphan block can be as large as a
	// block, so the bound keeps the pool's memory below a few GB.
	DefaultMaxOrphanBlocks = 500
	MaxOrphanBlocksLimit   = 10_000

	// DefaultDBCacheMiB is the memory of the store's caches (--dbcache):
	// a quarter for LevelDB's block cache, the rest for the DAG's caches
	// of block index nodes, UTXO entries, past diffs and block bodies.
	// MinDBCacheMiB gives the DAG its minimum (blockdag.MinCacheBytes).
	DefaultDBCacheMiB = 64
	MinDBCacheMiB     = 32
	MaxDBCacheMiB     = 65536

	// DefaultMinFreeDiskMiB is the free space on the data directory's
	// disk below which the node stops, and refuses to start, rather than
	// fail in the middle of a write (--minfreedisk). It covers a few
	// LevelDB compactions, which write new tables before deleting old ones.
	DefaultMinFreeDiskMiB = 64
	MaxMinFreeDiskMiB     = 1 << 20

	// MaxPruneMiB bounds --prune (a petabyte): a larger target is an
	// archive node in all but name.
	MaxPruneMiB = 1 << 30

	// DefaultProfileHost is where the profiling server listens when
	// --profile gives only a port: profiles reveal memory contents, so
	// they are not served beyond the host unless asked for.
	DefaultProfileHost = "127.0.0.1"

	// DefaultMetricsHost is where --metrics listens when given only a
	// port: metrics tell an observer the node's peers and traffic, so
	// they stay on the host unless the operator names an address.
	DefaultMetricsHost = "127.0.0.1"

	// MinProfilePort is the lowest port --profile and --metrics accept,
	// keeping them off the privileged ports.
	MinProfilePort = 1024

	// MaxUserAgentCommentsLen bounds the length of all --uacomment values
	// together, leaving room in the version message's user agent
	// (wire.MaxUserAgentLen) for the name and version.
	MaxUserAgentCommentsLen = wire.MaxUserAgentLen - 64
)

// Config holds every option of the daemon. The fields with a long tag are
// options; the fields below them (no-flag) are filled in by Load from the
// options.
type Config struct {
	// General.
	ShowVersion   bool   `short:"V" long:"version" no-ini:"true" description:"Print the version and exit"`
	AppDataDir    string `short:"A" long:"appdata" no-ini:"true" description:"Home directory: the default place of the conf file, the data and log directories and the RPC certificate and key"`
	ConfigFile    string `short:"C" long:"configfile" no-ini:"true" description:"Path to the conf file; an explicitly named file must exist"`
	DataDir       string `short:"b" long:"datadir" description:"Directory for the database; each network uses a subdirectory named after it"`
	LogDir        string `long:"logdir" description:"Directory for the log file; each network uses a subdirectory named after it"`
	DebugLevel    string `short:"d" long:"debuglevel" description:"Log level {trace, debug, info, warn, error, critical, off} for all subsystems, and/or SUBSYS=level pairs, comma separated, for single subsystems"`
	LogSize       int    `long:"logsize" description:"Size in MiB at which the log file is rotated (1..1024)"`
	LogFiles      int    `long:"logfiles" description:"Number of rotated log files to keep, compressed (0..100)"`
	NoFileLogging bool   `long:"nofilelogging" description:"Log to standard output only, not to a file"`
	Profile       string `long:"profile" description:"Serve Go profiling data over HTTP at this port (1024..65535) on 127.0.0.1, or at host:port"`
	Metrics       string `long:"metrics" description:"Serve Prometheus metrics at http://host:port/metrics: a port (1024..65535) on 127.0.0.1, or host:port; off by default"`

	// Network.
	TestNet bool `long:"testnet" description:"Use the test network"`
	RegTest bool `long:"regtest" description:"Use the regression test network"`
	SimNet  bool `long:"simnet" description:"Use the simulation test network"`

	// Peers.
	Listeners         []string      `long:"listen" description:"Listen for peers on this interface/port (default all interfaces, the network's port); may be repeated"`
	DisableListen     bool          `long:"nolisten" description:"Do not accept inbound peer connections"`
	ExternalIPs       []string      `long:"externalip" description:"Address to advertise to peers as this node's own; may be repeated"`
	ConnectPeers      []string      `long:"connect" description:"Connect only to this peer and to no other; may be repeated"`
	AddPeers          []string      `short:"a" long:"addpeer" description:"Keep a connection to this peer, in addition to the others; may be repeated"`
	MaxPeers          int           `long:"maxpeers" description:"Most peers, inbound and outbound together (0..10000)"`
	TargetOutbound    int           `long:"targetoutbound" description:"Number of outbound peers to keep (0..maxpeers)"`
	MaxPeersPerIP     int           `long:"maxpeersperip" description:"Most inbound peers from one IP address (1..10000)"`
	BanDuration       time.Duration `long:"banduration" description:"How long a misbehaving peer is banned, such as 30m or 24h (1s..8760h)"`
	BanThreshold      int           `long:"banthreshold" description:"Ban score at which a misbehaving peer is disconnected and banned (1..1000000)"`
	DisableBanning    bool          `long:"nobanning" description:"Disconnect misbehaving peers but do not ban them"`
	Whitelists        []string      `long:"whitelist" description:"Never ban peers from this IP address or network, such as 192.168.0.0/16; may be repeated"`
	UserAgentComments []string      `long:"uacomment" description:"Comment to add to the user agent sent to peers; may be repeated"`
	DisableDNSSeed    bool          `long:"nodnsseed" description:"Do not ask the network's DNS seeds for peer addresses when the address book is short"`

	// RPC.
	RPCUser              string   `short:"u" long:"rpcuser" description:"User name of the RPC administrator"`
	RPCPass              string   `short:"P" long:"rpcpass" default-mask:"-" description:"Password of the RPC administrator"`
	RPCLimitUser         string   `long:"rpclimituser" description:"User name of the limited RPC user, who may read but not administer"`
	RPCLimitPass         string   `long:"rpclimitpass" default-mask:"-" description:"Password of the limited RPC user"`
	RPCListeners         []string `long:"rpclisten" description:"Listen for RPC clients on this interface/port (default 127.0.0.1 and ::1, the network's RPC port); may be repeated"`
	RPCCert              string   `long:"rpccert" description:"TLS certificate of the RPC server, created if missing"`
	RPCKey               string   `long:"rpckey" description:"TLS key of the RPC server, created if missing"`
	DisableTLS           bool     `long:"notls" description:"Serve RPC over plain HTTP; refused unless every rpclisten address is a loopback address"`
	DisableRPC           bool     `long:"norpc" description:"Do not run the RPC server"`
	RPCMaxClients        int      `long:"rpcmaxclients" description:"Most simultaneous HTTP RPC clients (1..10000)"`
	RPCMaxWebsockets     int      `long:"rpcmaxwebsockets" description:"Most simultaneous websocket RPC clients (0..10000)"`
	RPCMaxConcurrentReqs int      `long:"rpcmaxconcurrentreqs" description:"Most RPC requests served at the same time (1..10000)"`
	WebUI                bool     `long:"webui" description:"Serve the web view of the node at /webui/ on the RPC listeners, behind the RPC credentials"`

	// Mining.
	Generate      bool          `long:"generate" description:"Mine blocks with the CPU"`
	MiningAddr    string        `long:"miningaddr" description:"address (or x-only public key in hex) that mined coins are paid to (default: a key kept in the data directory)"`
	MiningWorkers int           `long:"miningworkers" description:"Number of CPU mining goroutines; 0 means one per CPU core (0..256)"`
	MinerPace     time.Duration `long:"minerpace" description:"Least time between two blocks this node mines, such as 1s (at most 1h); 0 picks the network's default (its block interval on regtest and simnet, no pacing elsewhere), a negative value such as -1s turns pacing off"`
	BlockMaxSize  int           `long:"blockmaxsize" description:"Largest block to mine, in bytes (1000..the network's maximum block size; default that maximum)"`

	// Mempool and DAG.
	MinRelayTxFee   string `long:"minrelaytxfee" description:"Lowest fee rate, in coins per 1000 bytes, for a transaction to be accepted into the mempool and relayed"`
	MaxOrphanTxs    int    `long:"maxorphantx" description:"Most orphan transactions kept in memory (0..100000)"`
	MaxOrphanBlocks int    `long:"maxorphanblocks" description:"Most orphan blocks kept in memory (1..10000)"`
	DBCache         int    `long:"dbcache" description:"Memory for the database and block index caches in MiB (32..65536)"`
	MinFreeDisk     int    `long:"minfreedisk" description:"Free space in MiB on the data directory's disk below which the node stops and refuses to start (1..1048576)"`
	TxIndex         bool   `long:"txindex" description:"Maintain a full hash-based transaction index which makes all transactions available via the getrawtransaction RPC"`
	UTXOIndex       bool   `long:"utxoindex" description:"Maintain an index of unspent outputs by address for the getbalance, listunspent and notifyutxos RPCs (and soterwallet)"`
	Prune           int    `long:"prune" description:"Delete old block bodies and past diffs once they take more than this many MiB, keeping at least the finality window (0, the default, keeps every block: an archive node; the least accepted is 31 on mainnet and testnet, 7 on regtest and simnet; not with --txindex)"`
	AssumeValid     string `long:"assumevalid" description:"Skip the signature checks of the blocks in the past of this block (its hash, 64 hex digits) while downloading them; every other rule is still checked; 0 checks every signature (default: the network's block, none yet)"`

	// Params is the chosen network's parameters.
	Params *blockdag.Params `no-flag:"true"`

	// LogLevel is the level of every subsystem that SubsystemLevels does
	// not name, and SubsystemLevels the levels --debuglevel gave single
	// subsystems, by upper-case tag.
	LogLevel        btclog.Level            `no-flag:"true"`
	SubsystemLevels map[string]btclog.Level `no-flag:"true"`

	// MiningPubKey is the key --miningaddr names, nil when none is given.
	MiningPubKey *[wire.PubKeySize]byte `no-flag:"true"`

	// MinRelayTxFeeUnits is --minrelaytxfee in base units per 1000 bytes.
	MinRelayTxFeeUnits uint64 `no-flag:"true"`

	// AssumeValidHash is the block --assumevalid names, or the network's
	// default; the zero hash when it is 0 or neither names one.
	AssumeValidHash wire.Hash `no-flag:"true"`

	// WhitelistNets are the networks --whitelist names.
	WhitelistNets []*net.IPNet `no-flag:"true"`

	// RPCOffForCredentials is set when the RPC server is off only because
	// no credentials were given, not because --norpc asked for it: the
	// daemon's first start then writes random ones.
	RPCOffForCredentials bool `no-flag:"true"`

	// Warnings are notes for the daemon to log once logging is set up,
	// such as the RPC server being off for want of credentials.
	Warnings []string `no-flag:"true"`
}

// LogFile returns the path of the log file in the per-network log directory.
func (c *Config) LogFile() string {
	return filepath.Join(c.LogDir, DefaultLogFilename)
}

// DefaultHomeDir returns the default home directory, ~/.soterd. When the
// user's home cannot be found it falls back to .soterd in the working
// directory.
func DefaultHomeDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return filepath.Join(home, DefaultHomeDirName)
}

// defaultConfig returns a Config holding every default. The paths under the
// home directory stay empty: they are filled in after parsing, from the
// home directory the options chose.
func defaultConfig() Config {
	return Config{
		AppDataDir:           DefaultHomeDir(),
		DebugLevel:           DefaultDebugLevel,
		LogSize:              DefaultLogSizeMiB,
		LogFiles:             DefaultLogFiles,
		MaxPeers:             DefaultMaxPeers,
		TargetOutbound:       DefaultTargetOutbound,
		MaxPeersPerIP:        DefaultMaxPeersPerIP,
		BanDuration:          DefaultBanDuration,
		BanThreshold:         DefaultBanThreshold,
		RPCMaxClients:        DefaultRPCMaxClients,
		RPCMaxWebsockets:     DefaultRPCMaxWebsockets,
		RPCMaxConcurrentReqs: DefaultRPCMaxConcurrentReqs,
		MinRelayTxFee:        DefaultMinRelayTxFee,
		MaxOrphanTxs:         DefaultMaxOrphanTxs,
		MaxOrphanBlocks:      DefaultMaxOrphanBlocks,
		DBCache:              DefaultDBCacheMiB,
		MinFreeDisk:          DefaultMinFreeDiskMiB,
	}
}

// newParser returns a go-flags parser over cfg. The path options whose
// defaults depend on the home directory show it in the help text.
func newParser(cfg *Config) (*flags.Parser, error) {
	parser := flags.NewNamedParser("soterd", flags.HelpFlag)
	if _, err := parser.AddGroup("Application Options", "", cfg); err != nil {
		// Only a malformed struct tag gets here: a bug, not bad input.
		return nil, fmt.Errorf("config: %w", err)
	}
	home := filepath.Join("~", DefaultHomeDirName)
	masks := map[string]string{
		"configfile": filepath.Join(home, DefaultConfigFilename),
		"datadir":    filepath.Join(home, DefaultDataDirname),
		"logdir":     filepath.Join(home, DefaultLogDirname),
		"rpccert":    filepath.Join(home, DefaultRPCCertFilename),
		"rpckey":     filepath.Join(home, DefaultRPCKeyFilename),
		"appdata":    home,
	}
	for name, mask := range masks {
		if opt := parser.FindOptionByLongName(name); opt != nil {
			opt.DefaultMask = mask
		}
	}
	return parser, nil
}

// Load returns the configuration given by the defaults, the conf file and
// args (the command line without the program name), in that order of
// precedence, validated and normalized, and the arguments left that are not
// options.
//
// With --version, Load returns at once, before reading the conf file, a
// Config whose ShowVersion is set. With -h or --help it returns an error of
// kind ErrHelpRequested whose description is the help text. Every other
// error is an Error whose description names the option.
func Load(args []string) (*Config, []string, error) {
	// First pass: only the command line, to find the home directory and
	// the conf file, and to answer --help and --version before a broken
	// conf file can get in the way.
	preCfg := defaultConfig()
	preParser, err := newParser(&preCfg)
	if err != nil {
		return nil, nil, err
	}
	rest, err := preParser.ParseArgs(args)
	if err != nil {
		return nil, nil, flagError(preParser, err)
	}
	if preCfg.ShowVersion {
		return &preCfg, rest, nil
	}

	home := expandPath(preCfg.AppDataDir)
	if home == "" {
		return nil, nil, invalid("appdata", "empty path")
	}
	confFile := filepath.Join(home, DefaultConfigFilename)
	explicit := preCfg.ConfigFile != ""
	if explicit {
		confFile = expandPath(preCfg.ConfigFile)
	}

	// Second pass: the conf file over the defaults, then the command line
	// over both.
	cfg := defaultConfig()
	parser, err := newParser(&cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := parseConfFile(parser, confFile, explicit); err != nil {
		return nil, nil, err
	}
	rest, err = parser.ParseArgs(args)
	if err != nil {
		return nil, nil, flagError(parser, err)
	}
	cfg.ConfigFile = confFile

	if err := cfg.normalize(); err != nil {
		return nil, nil, err
	}
	return &cfg, rest, nil
}

// maxConfFileSize bounds the conf file read into memory. A real one is a few
// KiB; anything near this is not a conf file.
const maxConfFileSize = 1 << 20

// parseConfFile applies the conf file at path. A missing file is an error
// only when it was named explicitly.
func parseConfFile(parser *flags.Parser, path string, explicit bool) error {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) && !explicit {
			return nil
		}
		return configError(ErrConfigFile, fmt.Sprintf("configfile: %v", err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return configError(ErrConfigFile, fmt.Sprintf("configfile: %v", err))
	}
	if !info.Mode().IsRegular() {
		return configError(ErrConfigFile, fmt.Sprintf("configfile: %s "+
			"is not a regular file", path))
	}
	if info.Size() > maxConfFileSize {
		return configError(ErrConfigFile, fmt.Sprintf("configfile: %s is "+
			"%d bytes, more than the %d a conf file may have", path,
			info.Size(), maxConfFileSize))
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return configError(ErrConfigFile, fmt.Sprintf("configfile: %v", err))
	}
	return parseConfData(parser, path, data)
}

// parseConfData applies conf file contents to the parser; path only names
// the file in errors.
func parseConfData(parser *flags.Parser, path string, data []byte) error {
	err := flags.NewIniParser(parser).Parse(bytes.NewReader(data))
	if err == nil {
		return nil
	}

	var iniErr *flags.IniError
	if errors.As(err, &iniErr) {
		where := fmt.Sprintf("%s:%d", path, iniErr.LineNumber)
		key := confKeyAt(data, iniErr.LineNumber)
		switch {
		case strings.HasPrefix(iniErr.Message, "unknown option"):
			return configError(ErrUnknownOption, fmt.Sprintf(
				"%s: unknown option %q", where, key))
		case key != "" && strings.HasPrefix(confValueAt(data, iniErr.LineNumber), `"`) &&
			iniErr.Message == "invalid syntax":
			return configError(ErrInvalidOption, fmt.Sprintf("%s: %s: "+
				"the value starts with \" but is not a quoted string",
				where, strings.ToLower(key)))
		case key != "":
			name := key
			opt := findOption(parser, key)
			if opt != nil {
				name = opt.LongName
			}
			return configError(ErrInvalidOption, fmt.Sprintf("%s: %s",
				where, describeConvError(opt, name, iniErr.Message)))
		default:
			return configError(ErrConfigFile, fmt.Sprintf("%s: %s",
				where, iniErr.Message))
		}
	}
	var flagErr *flags.Error
	if errors.As(err, &flagErr) && flagErr.Type == flags.ErrUnknownGroup {
		section := ""
		if m := quotedName.FindStringSubmatch(flagErr.Message); m != nil {
			section = m[1]
		}
		return configError(ErrConfigFile, fmt.Sprintf("%s:%d: unknown "+
			"section [%s] (options go before any section or under "+
			"[Application Options])", path, sectionLine(data, section),
			section))
	}
	return configError(ErrConfigFile, fmt.Sprintf("%s: %v", path, err))
}

// confKeyAt returns the option name on line n (counting from 1) of a conf
// file, or "" when that line holds no key=value.
func confKeyAt(data []byte, n uint) string {
	key, _ := confLineAt(data, n)
	return key
}

// confValueAt returns the value on line n (counting from 1) of a conf file,
// or "".
func confValueAt(data []byte, n uint) string {
	_, value := confLineAt(data, n)
	return value
}

// confLineAt returns the key and value on line n (counting from 1) of a conf
// file, trimmed, or "" and "" when that line holds no key=value.
func confLineAt(data []byte, n uint) (string, string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxConfFileSize)
	for i := uint(1); sc.Scan(); i++ {
		if i == n {
			key, value, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				return "", ""
			}
			return strings.TrimSpace(key), strings.TrimSpace(value)
		}
	}
	return "", ""
}

// sectionLine returns the line (counting from 1) of the [name] header in a
// conf file, or 0.
func sectionLine(data []byte, name string) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxConfFileSize)
	for i := 1; sc.Scan(); i++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") &&
			strings.TrimSpace(line[1:len(line)-1]) == name {
			return i
		}
	}
	return 0
}

// findOption returns the option a conf file key names, or nil. Like the conf
// file parser it matches the long name or the field name, without regard to
// case.
func findOption(parser *flags.Parser, name string) *flags.Option {
	for _, group := range parser.Groups() {
		for _, opt := range group.Options() {
			if strings.EqualFold(opt.LongName, name) ||
				strings.EqualFold(opt.Field().Name, name) {
				return opt
			}
		}
	}
	return nil
}

var (
	// quotedName finds a name go-flags quotes as `name'.
	quotedName = regexp.MustCompile("`([^']*)'")

	// marshalMsg splits go-flags' message for a value that does not
	// convert into the option's long name and the conversion error.
	marshalMsg = regexp.MustCompile("^invalid argument for flag `(?:-., )?--([^']+)'(?: \\(expected [^)]*\\))?: (.*)$")

	// strconvMsg and durationMsg find the value in strconv's and
	// time.ParseDuration's errors.
	strconvMsg  = regexp.MustCompile(`^strconv\.\w+: parsing "(.*)": (.*)$`)
	durationMsg = regexp.MustCompile(`^time: .*"(.*)"$`)
)

// flagError turns a go-flags command-line error into an Error.
func flagError(parser *flags.Parser, err error) error {
	var flagErr *flags.Error
	if !errors.As(err, &flagErr) {
		return configError(ErrInvalidOption, err.Error())
	}
	switch flagErr.Type {
	case flags.ErrHelp:
		return configError(ErrHelpRequested, flagErr.Message)
	case flags.ErrUnknownFlag:
		return configError(ErrUnknownOption, flagErr.Message)
	case flags.ErrMarshal:
		if m := marshalMsg.FindStringSubmatch(flagErr.Message); m != nil {
			opt := parser.FindOptionByLongName(m[1])
			return configError(ErrInvalidOption,
				describeConvError(opt, m[1], m[2]))
		}
	}
	return configError(ErrInvalidOption, flagErr.Message)
}

// describeConvError words the failure to convert an option's value to the
// option's type: "maxpeers: "x" is not an integer".
func describeConvError(opt *flags.Option, name, msg string) string {
	name = strings.ToLower(name)
	if opt == nil {
		return name + ": " + msg
	}
	value, reason := "", msg
	if m := strconvMsg.FindStringSubmatch(msg); m != nil {
		value, reason = m[1], m[2]
	} else if m := durationMsg.FindStringSubmatch(msg); m != nil {
		value = m[1]
	}
	typ := opt.Field().Type
	if typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	switch {
	case typ == reflect.TypeOf(time.Duration(0)):
		return fmt.Sprintf("%s: %q is not a duration such as 90s, 30m "+
			"or 24h", name, value)
	case typ.Kind() == reflect.Bool:
		return fmt.Sprintf("%s: %q is not a boolean (use 1 or 0)", name,
			value)
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		if strings.Contains(reason, "out of range") {
			return fmt.Sprintf("%s: %s is out of range", name, value)
		}
		return fmt.Sprintf("%s: %q is not an integer", name, value)
	}
	return name + ": " + msg
}

// expandPath expands a leading ~ to the user's home directory and
// environment variables such as $HOME, and cleans the path.
func expandPath(path string) string {
	if path == "" {
		return ""
	}
	if path == "~" || strings.HasPrefix(path, "~/") ||
		strings.HasPrefix(path, "~"+string(filepath.Separator)) {
		if home, err := os.UserHomeDir(); err == nil {
			path = home + path[1:]
		}
	}
	path = filepath.Clean(os.ExpandEnv(path))
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path
}

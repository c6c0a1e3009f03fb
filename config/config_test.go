package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/blockdag"
)

// load writes conf (when not empty) as the default conf file of a new home
// directory and runs Load with that home directory and args.
func load(t *testing.T, conf string, args ...string) (*Config, string, error) {
	t.Helper()
	home := t.TempDir()
	if conf != "" {
		path := filepath.Join(home, DefaultConfigFilename)
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _, err := Load(append([]string{"--appdata=" + home}, args...))
	return cfg, home, err
}

func mustLoad(t *testing.T, conf string, args ...string) (*Config, string) {
	t.Helper()
	cfg, home, err := load(t, conf, args...)
	if err != nil {
		t.Fatalf("Load(%q, %q): %v", conf, args, err)
	}
	return cfg, home
}

// TestDefaults checks every default and derived field with no conf file and
// no flags.
func TestDefaults(t *testing.T) {
	cfg, home := mustLoad(t, "")
	mainnet := blockdag.MainNetParams()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"network", cfg.Params.Name, "mainnet"},
		{"configfile", cfg.ConfigFile, filepath.Join(home, "soterd.conf")},
		{"datadir", cfg.DataDir, filepath.Join(home, "data", "mainnet")},
		{"logdir", cfg.LogDir, filepath.Join(home, "logs", "mainnet")},
		{"logfile", cfg.LogFile(), filepath.Join(home, "logs", "mainnet", "soterd.log")},
		{"rpccert", cfg.RPCCert, filepath.Join(home, "rpc.cert")},
		{"rpckey", cfg.RPCKey, filepath.Join(home, "rpc.key")},
		{"debuglevel", cfg.LogLevel, btclog.LevelInfo},
		{"subsystem levels", len(cfg.SubsystemLevels), 0},
		{"logsize", cfg.LogSize, DefaultLogSizeMiB},
		{"logfiles", cfg.LogFiles, DefaultLogFiles},
		{"listen", cfg.Listeners, []string{":" + mainnet.DefaultPort}},
		{"maxpeers", cfg.MaxPeers, 125},
		{"targetoutbound", cfg.TargetOutbound, 8},
		{"maxpeersperip", cfg.MaxPeersPerIP, 5},
		{"banduration", cfg.BanDuration, 24 * time.Hour},
		{"banthreshold", cfg.BanThreshold, 100},
		{"rpclisten", cfg.RPCListeners, []string{"127.0.0.1:" + mainnet.RPCPort, "[::1]:" + mainnet.RPCPort}},
		{"norpc without credentials", cfg.DisableRPC, true},
		{"warnings", len(cfg.Warnings), 1},
		{"rpcmaxclients", cfg.RPCMaxClients, 500},
		{"rpcmaxwebsockets", cfg.RPCMaxWebsockets, 25},
		{"rpcmaxconcurrentreqs", cfg.RPCMaxConcurrentReqs, 20},
		{"miningpubkey", cfg.MiningPubKey == nil, true},
		{"miningworkers", cfg.MiningWorkers, runtime.NumCPU()},
		{"minerpace", cfg.MinerPace, time.Duration(0)},
		{"blockmaxsize", cfg.BlockMaxSize, mainnet.MaxBlockSize},
		{"minrelaytxfee", cfg.MinRelayTxFeeUnits, uint64(1000)},
		{"maxorphantx", cfg.MaxOrphanTxs, 100},
		{"maxorphanblocks", cfg.MaxOrphanBlocks, DefaultMaxOrphanBlocks},
		{"dbcache", cfg.DBCache, DefaultDBCacheMiB},
		{"minfreedisk", cfg.MinFreeDisk, DefaultMinFreeDiskMiB},
		{"txindex", cfg.TxIndex, false},
		{"utxoindex", cfg.UTXOIndex, false},
		{"profile", cfg.Profile, ""},
		{"metrics", cfg.Metrics, ""},
	}
	for _, test := range tests {
		if !reflect.DeepEqual(test.got, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, test.got, test.want)
		}
	}
}

// TestDefaultHome checks that without --appdata the home directory is
// ~/.soterd and its conf file is read.
func TestDefaultHome(t *testing.T) {
	userHome := t.TempDir()
	t.Setenv("HOME", userHome)
	home := filepath.Join(userHome, ".soterd")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(home, "soterd.conf")
	if err := os.WriteFile(conf, []byte("maxpeers=42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Load([]string{"--simnet"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, "data", "simnet"); cfg.DataDir != want {
		t.Errorf("datadir: got %s, want %s", cfg.DataDir, want)
	}
	if want := filepath.Join(home, "logs", "simnet"); cfg.LogDir != want {
		t.Errorf("logdir: got %s, want %s", cfg.LogDir, want)
	}
	if cfg.ConfigFile != conf {
		t.Errorf("configfile: got %s, want %s", cfg.ConfigFile, conf)
	}
	if cfg.MaxPeers != 42 {
		t.Errorf("maxpeers: got %d, want 42 from the conf file", cfg.MaxPeers)
	}

	// A ~ in a path is the user's home.
	cfg, _, err = Load([]string{"--datadir=~/chain", "--rpccert=~/c.pem"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(userHome, "chain", "mainnet"); cfg.DataDir != want {
		t.Errorf("~ datadir: got %s, want %s", cfg.DataDir, want)
	}
	if want := filepath.Join(userHome, "c.pem"); cfg.RPCCert != want {
		t.Errorf("~ rpccert: got %s, want %s", cfg.RPCCert, want)
	}
}

// TestPrecedence checks defaults < conf file < flags for several options of
// each type.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		conf string
		args []string
		get  func(*Config) any
		want any
	}{
		{"int default", "", nil,
			func(c *Config) any { return c.MaxPeers }, 125},
		{"int file", "maxpeers=50\n", nil,
			func(c *Config) any { return c.MaxPeers }, 50},
		{"int flag over file", "maxpeers=50\n", []string{"--maxpeers=60"},
			func(c *Config) any { return c.MaxPeers }, 60},
		{"negative pace turns pacing off", "", []string{"--minerpace=-1s"},
			func(c *Config) any { return c.MinerPace }, -time.Second},
		{"int flag", "", []string{"--targetoutbound", "3"},
			func(c *Config) any { return c.TargetOutbound }, 3},
		{"duration file", "banduration=90m\n", nil,
			func(c *Config) any { return c.BanDuration }, 90 * time.Minute},
		{"duration flag over file", "banduration=90m\n", []string{"--banduration=2h"},
			func(c *Config) any { return c.BanDuration }, 2 * time.Hour},
		{"string file", "debuglevel=debug\n", nil,
			func(c *Config) any { return c.LogLevel }, btclog.LevelDebug},
		{"string flag over file", "debuglevel=debug\n", []string{"-d", "warn"},
			func(c *Config) any { return c.LogLevel }, btclog.LevelWarn},
		{"fee file", "minrelaytxfee=0.001\n", nil,
			func(c *Config) any { return c.MinRelayTxFeeUnits }, uint64(100_000)},
		{"fee flag over file", "minrelaytxfee=0.001\n", []string{"--minrelaytxfee=0"},
			func(c *Config) any { return c.MinRelayTxFeeUnits }, uint64(0)},
		{"list file", "addpeer=10.0.0.1\naddpeer=10.0.0.2:7000\n", nil,
			func(c *Config) any { return c.AddPeers },
			[]string{"10.0.0.1:18911", "10.0.0.2:7000"}},
		{"list flag replaces file", "addpeer=10.0.0.1\naddpeer=10.0.0.2\n", []string{"-a", "10.0.0.3"},
			func(c *Config) any { return c.AddPeers }, []string{"10.0.0.3:18911"}},
		{"bool file", "testnet=1\n", nil,
			func(c *Config) any { return c.Params.Name }, "testnet"},
		{"bool flag", "", []string{"--regtest"},
			func(c *Config) any { return c.Params.Name }, "regtest"},
		{"bool file and flag", "generate=1\n", []string{"--generate"},
			func(c *Config) any { return c.Generate }, true},
		{"txindex file", "txindex=1\n", nil,
			func(c *Config) any { return c.TxIndex }, true},
		{"txindex flag", "", []string{"--txindex"},
			func(c *Config) any { return c.TxIndex }, true},
		{"utxoindex flag", "", []string{"--utxoindex"},
			func(c *Config) any { return c.UTXOIndex }, true},
		{"path file", "datadir=/srv/a\n", nil,
			func(c *Config) any { return c.DataDir }, filepath.Join("/srv/a", "mainnet")},
		{"path flag over file", "datadir=/srv/a\n", []string{"-b", "/srv/b"},
			func(c *Config) any { return c.DataDir }, filepath.Join("/srv/b", "mainnet")},
		{"credentials file, user flag", "rpcuser=alice\nrpcpass=secret\n", []string{"-u", "bob"},
			func(c *Config) any { return c.RPCUser + ":" + c.RPCPass }, "bob:secret"},
		{"rpc enabled by credentials", "rpcuser=alice\nrpcpass=secret\n", nil,
			func(c *Config) any { return c.DisableRPC }, false},
	}
	for _, test := range tests {
		cfg, _, err := load(t, test.conf, test.args...)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if got := test.get(cfg); !reflect.DeepEqual(got, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}

// TestNetworks checks the per-network directories and default ports.
func TestNetworks(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		params *blockdag.Params
	}{
		{"mainnet", nil, blockdag.MainNetParams()},
		{"testnet", []string{"--testnet"}, blockdag.TestNetParams()},
		{"regtest", []string{"--regtest"}, blockdag.RegressionNetParams()},
		{"simnet", []string{"--simnet"}, blockdag.SimNetParams()},
	}
	for _, test := range tests {
		args := append([]string{"--rpcuser=u", "--rpcpass=p"}, test.args...)
		cfg, home := mustLoad(t, "", args...)
		p := test.params
		if cfg.Params.Name != p.Name || cfg.Params.Net != p.Net {
			t.Errorf("%s: params: got %s, want %s", test.name, cfg.Params.Name, p.Name)
		}
		if want := filepath.Join(home, "data", p.Name); cfg.DataDir != want {
			t.Errorf("%s: datadir: got %s, want %s", test.name, cfg.DataDir, want)
		}
		if want := filepath.Join(home, "logs", p.Name); cfg.LogDir != want {
			t.Errorf("%s: logdir: got %s, want %s", test.name, cfg.LogDir, want)
		}
		if want := []string{":" + p.DefaultPort}; !reflect.DeepEqual(cfg.Listeners, want) {
			t.Errorf("%s: listen: got %v, want %v", test.name, cfg.Listeners, want)
		}
		want := []string{"127.0.0.1:" + p.RPCPort, "[::1]:" + p.RPCPort}
		if !reflect.DeepEqual(cfg.RPCListeners, want) {
			t.Errorf("%s: rpclisten: got %v, want %v", test.name, cfg.RPCListeners, want)
		}

		// Explicit directories get the network subdirectory too.
		cfg, _ = mustLoad(t, "", append(args, "--datadir=/srv/soterd",
			"--logdir=/var/log/soterd")...)
		if want := filepath.Join("/srv/soterd", p.Name); cfg.DataDir != want {
			t.Errorf("%s: explicit datadir: got %s, want %s", test.name, cfg.DataDir, want)
		}
		if want := filepath.Join("/var/log/soterd", p.Name); cfg.LogDir != want {
			t.Errorf("%s: explicit logdir: got %s, want %s", test.name, cfg.LogDir, want)
		}
	}
}

// TestNormalization checks the fields Load derives from the options.
func TestNormalization(t *testing.T) {
	key := "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
	cfg, _ := mustLoad(t, "",
		"--simnet",
		"--listen=127.0.0.1", "--listen=[::1]:0", "--listen=127.0.0.1:18941",
		"--externalip=203.0.113.7",
		"--connect=node.example.org", "--connect=2001:db8::1",
		"--whitelist=10.0.0.0/8", "--whitelist=192.168.1.1", "--whitelist=::1",
		"--rpcuser=u", "--rpcpass=p", "--rpclisten=localhost", "--notls",
		"--debuglevel=warn,sync=debug,PEER=trace",
		"--miningaddr="+strings.ToUpper(key), "--miningworkers=3",
		"--minerpace=250ms", "--blockmaxsize=2000",
		"--profile=6061", "--minrelaytxfee=1.5", "--metrics=9101", "--nodnsseed",
	)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"listen", cfg.Listeners, []string{"127.0.0.1:18941", "[::1]:0"}},
		{"externalip", cfg.ExternalIPs, []string{"203.0.113.7:18941"}},
		{"connect", cfg.ConnectPeers, []string{"node.example.org:18941", "[2001:db8::1]:18941"}},
		{"whitelist", fmt.Sprint(cfg.WhitelistNets), "[10.0.0.0/8 192.168.1.1/32 ::1/128]"},
		{"rpclisten", cfg.RPCListeners, []string{"localhost:18942"}},
		{"rpc on", cfg.DisableRPC, false},
		{"log level", cfg.LogLevel, btclog.LevelWarn},
		{"subsystem levels", cfg.SubsystemLevels, map[string]btclog.Level{
			"SYNC": btclog.LevelDebug, "PEER": btclog.LevelTrace}},
		{"mining key", fmt.Sprintf("%x", cfg.MiningPubKey[:]), key},
		{"miningworkers", cfg.MiningWorkers, 3},
		{"minerpace", cfg.MinerPace, 250 * time.Millisecond},
		{"blockmaxsize", cfg.BlockMaxSize, 2000},
		{"profile", cfg.Profile, "127.0.0.1:6061"},
		{"metrics", cfg.Metrics, "127.0.0.1:9101"},
		{"nodnsseed", cfg.DisableDNSSeed, true},
		{"fee", cfg.MinRelayTxFeeUnits, uint64(150_000_000)},
		{"warnings", len(cfg.Warnings), 0},
	}
	for _, test := range tests {
		if !reflect.DeepEqual(test.got, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, test.got, test.want)
		}
	}

	// --nolisten leaves no listeners.
	cfg, _ = mustLoad(t, "", "--nolisten")
	if cfg.Listeners != nil {
		t.Errorf("nolisten: listen: got %v, want none", cfg.Listeners)
	}
	// --generate without --miningaddr is fine: the daemon makes a key.
	cfg, _ = mustLoad(t, "", "--generate")
	if !cfg.Generate || cfg.MiningPubKey != nil {
		t.Errorf("generate: got generate %v, key %v", cfg.Generate, cfg.MiningPubKey)
	}
}

// TestValidationErrors checks every validation error: its kind and that its
// message names the option and the accepted range or reason.
func TestValidationErrors(t *testing.T) {
	creds := []string{"--rpcuser=u", "--rpcpass=p"}
	tests := []struct {
		name string
		conf string
		args []string
		kind ErrorKind
		want string // exact message, or a substring when it starts with "~"
	}{
		{"two networks", "", []string{"--testnet", "--simnet"},
			ErrConflictingOptions, "testnet, simnet: only one network may be chosen"},
		{"two networks file and flag", "regtest=1\n", []string{"--testnet"},
			ErrConflictingOptions, "testnet, regtest: only one network may be chosen"},
		{"debuglevel level", "", []string{"--debuglevel=loud"},
			ErrInvalidOption, "~debuglevel: unknown level \"loud\""},
		{"debuglevel subsystem", "", []string{"--debuglevel=FOO=debug"},
			ErrInvalidOption, "~debuglevel: unknown subsystem \"FOO\" (want one of CMGR"},
		{"logsize", "", []string{"--logsize=0"},
			ErrInvalidOption, "logsize: 0 is not in 1..1024"},
		{"logfiles", "", []string{"--logfiles=101"},
			ErrInvalidOption, "logfiles: 101 is not in 0..100"},
		{"profile low port", "", []string{"--profile=80"},
			ErrInvalidOption, "profile: \"80\" is not a port in 1024..65535 or a host:port with such a port"},
		{"webui without rpc", "", []string{"--webui", "--norpc"},
			ErrConflictingOptions, "~webui: cannot be used with norpc"},
		{"webui without credentials", "", []string{"--webui"},
			ErrConflictingOptions, "~webui: needs the RPC server"},
		{"metrics low port", "", []string{"--metrics=80"},
			ErrInvalidOption, "~metrics: \"80\" is not a port in 1024..65535"},
		{"metrics junk", "", []string{"--metrics=0.0.0.0:x"},
			ErrInvalidOption, "~metrics: \"0.0.0.0:x\" is not a port"},
		{"profile junk", "", []string{"--profile=abc"},
			ErrInvalidOption, "~profile: \"abc\" is not a port"},
		{"listen with nolisten", "", []string{"--nolisten", "--listen=:1"},
			ErrConflictingOptions, "listen: cannot be used with nolisten"},
		{"listen bad port", "", []string{"--listen=:70000"},
			ErrInvalidOption, "listen: port \"70000\" of \":70000\" is not in 0..65535"},
		{"listen bad host", "", []string{"--listen=no such host"},
			ErrInvalidOption, "listen: \"no such host\" is not an IP address or a host name"},
		{"externalip no host", "", []string{"--externalip=:18911"},
			ErrInvalidOption, "externalip: \":18911\" has no host"},
		{"connect port 0", "", []string{"--connect=10.0.0.1:0"},
			ErrInvalidOption, "connect: port \"0\" of \"10.0.0.1:0\" is not in 1..65535"},
		{"addpeer bad ipv6", "", []string{"--addpeer=1:2:3"},
			ErrInvalidOption, "addpeer: \"1:2:3\" is not a host, host:port, IPv6 address or [IPv6]:port"},
		{"addpeer empty", "addpeer=\n", nil,
			ErrInvalidOption, "addpeer: empty address"},
		{"connect with addpeer", "", []string{"--connect=10.0.0.1", "--addpeer=10.0.0.2"},
			ErrConflictingOptions, "addpeer: cannot be used with connect, which connects to the named peers only"},
		{"maxpeers", "", []string{"--maxpeers=-3"},
			ErrInvalidOption, "maxpeers: -3 is not in 0..10000"},
		{"targetoutbound above maxpeers", "", []string{"--maxpeers=4"},
			ErrInvalidOption, "targetoutbound: 8 is not in 0..4"},
		{"maxpeersperip", "", []string{"--maxpeersperip=0"},
			ErrInvalidOption, "maxpeersperip: 0 is not in 1..10000"},
		{"banduration", "", []string{"--banduration=500ms"},
			ErrInvalidOption, "banduration: 500ms is not in 1s..8760h0m0s"},
		{"banthreshold", "", []string{"--banthreshold=0"},
			ErrInvalidOption, "banthreshold: 0 is not in 1..1000000"},
		{"whitelist", "", []string{"--whitelist=10.0.0.0/33"},
			ErrInvalidOption, "whitelist: \"10.0.0.0/33\" is not an IP address or a CIDR network such as 192.168.0.0/16"},
		{"uacomment reserved", "", []string{"--uacomment=a/b"},
			ErrInvalidOption, "uacomment: \"a/b\" contains '/'; use printable ASCII other than /:();"},
		{"uacomment empty", "uacomment=\n", nil,
			ErrInvalidOption, "uacomment: empty comment"},
		{"uacomment long", "", []string{"--uacomment=" + strings.Repeat("c", 200)},
			ErrInvalidOption, "uacomment: comments take 202 bytes, more than the 192 the user agent has room for"},
		{"rpcuser without rpcpass", "", []string{"--rpcuser=u"},
			ErrConflictingOptions, "rpcpass: required with rpcuser"},
		{"rpcpass without rpcuser", "rpcpass=p\n", nil,
			ErrConflictingOptions, "rpcuser: required with rpcpass"},
		{"rpclimituser without pass", "", []string{"--rpclimituser=r"},
			ErrConflictingOptions, "rpclimitpass: required with rpclimituser"},
		{"same users", "", []string{"--rpcuser=u", "--rpcpass=p", "--rpclimituser=u", "--rpclimitpass=q"},
			ErrConflictingOptions, "rpclimituser: must differ from rpcuser"},
		{"rpcmaxclients", "", append(creds, "--rpcmaxclients=0"),
			ErrInvalidOption, "rpcmaxclients: 0 is not in 1..10000"},
		{"rpcmaxwebsockets", "", append(creds, "--rpcmaxwebsockets=10001"),
			ErrInvalidOption, "rpcmaxwebsockets: 10001 is not in 0..10000"},
		{"rpcmaxconcurrentreqs", "", append(creds, "--rpcmaxconcurrentreqs=0"),
			ErrInvalidOption, "rpcmaxconcurrentreqs: 0 is not in 1..10000"},
		{"rpclisten bad", "", append(creds, "--rpclisten=[::1"),
			ErrInvalidOption, "~rpclisten: "},
		{"notls on all interfaces", "", append(creds, "--notls", "--rpclisten=:18912"),
			ErrConflictingOptions, "~notls: rpclisten :18912 is not a loopback address"},
		{"notls on a LAN address", "", append(creds, "--notls", "--rpclisten=127.0.0.1", "--rpclisten=192.168.1.2"),
			ErrConflictingOptions, "~notls: rpclisten 192.168.1.2:18912 is not a loopback address"},
		{"notls on a host name", "", append(creds, "--notls", "--rpclisten=node.example.org"),
			ErrConflictingOptions, "~notls: rpclisten node.example.org:18912"},
		{"miningaddr short", "", []string{"--miningaddr=abcd"},
			ErrInvalidOption, "miningaddr: \"abcd\" is not an address: bech32m string has no prefix and '1' separator"},
		{"miningaddr not hex", "", []string{"--miningaddr=" + strings.Repeat("zz", 32)},
			ErrInvalidOption, "~miningaddr: \"zzzz"},
		{"miningaddr off curve", "", []string{"--miningaddr=" + strings.Repeat("ff", 32)},
			ErrInvalidOption, "miningaddr: " + strings.Repeat("ff", 32) + " is not a valid public key: invalid public key: x >= field prime"},
		{"miningworkers", "", []string{"--miningworkers=257"},
			ErrInvalidOption, "miningworkers: 257 is not in 0..256"},
		{"minerpace", "", []string{"--minerpace=2h"},
			ErrInvalidOption, "minerpace: 2h0m0s is more than 1h0m0s"},
		{"blockmaxsize small", "", []string{"--blockmaxsize=999"},
			ErrInvalidOption, "blockmaxsize: 999 is not in 1000..1000000"},
		{"blockmaxsize large", "", []string{"--blockmaxsize=1000001"},
			ErrInvalidOption, "blockmaxsize: 1000001 is not in 1000..1000000"},
		{"minrelaytxfee junk", "", []string{"--minrelaytxfee=cheap"},
			ErrInvalidOption, "minrelaytxfee: \"cheap\" is not an amount of coins such as 0.00001"},
		{"minrelaytxfee negative", "", []string{"--minrelaytxfee=-1"},
			ErrInvalidOption, "minrelaytxfee: \"-1\" is not an amount of coins such as 0.00001"},
		{"minrelaytxfee precision", "", []string{"--minrelaytxfee=0.000000001"},
			ErrInvalidOption, "minrelaytxfee: \"0.000000001\" has more than 8 decimal places"},
		{"minrelaytxfee huge", "", []string{"--minrelaytxfee=300000000"},
			ErrInvalidOption, "minrelaytxfee: 300000000 is more than the supply of 210000000 coins"},
		{"maxorphantx", "", []string{"--maxorphantx=-1"},
			ErrInvalidOption, "maxorphantx: -1 is not in 0..100000"},
		{"maxorphanblocks", "", []string{"--maxorphanblocks=0"},
			ErrInvalidOption, "maxorphanblocks: 0 is not in 1..10000"},
		{"dbcache", "", []string{"--dbcache=70000"},
			ErrInvalidOption, "dbcache: 70000 is not in 32..65536"},
		{"dbcache too small", "", []string{"--dbcache=16"},
			ErrInvalidOption, "dbcache: 16 is not in 32..65536"},
		{"prune below the minimum", "", []string{"--prune=5"},
			ErrInvalidOption, "prune: 5 is not 0 (keep every block) or in 31..1073741824: mainnet needs 31 MiB for the finality window"},
		{"prune below the regtest minimum", "", []string{"--regtest", "--prune=6"},
			ErrInvalidOption, "prune: 6 is not 0 (keep every block) or in 7..1073741824: regtest needs 7 MiB for the finality window"},
		{"prune with txindex", "", []string{"--prune=100", "--txindex"},
			ErrInvalidOption, "txindex: cannot be used with --prune: the index would name blocks whose bodies are deleted; use --prune=0 to keep the index"},
		{"minfreedisk zero", "", []string{"--minfreedisk=0"},
			ErrInvalidOption, "minfreedisk: 0 is not in 1..1048576"},

		// Values that do not convert to the option's type, on the
		// command line and in the file.
		{"flag not an integer", "", []string{"--maxpeers=many"},
			ErrInvalidOption, "maxpeers: \"many\" is not an integer"},
		{"flag out of int range", "", []string{"--maxpeers=99999999999999999999"},
			ErrInvalidOption, "maxpeers: 99999999999999999999 is out of range"},
		{"flag not a duration", "", []string{"--banduration=1 day"},
			ErrInvalidOption, "banduration: \"1 day\" is not a duration such as 90s, 30m or 24h"},
		{"flag without value", "", []string{"--maxpeers"},
			ErrInvalidOption, "~--maxpeers"},
		{"empty appdata", "", []string{"--appdata="},
			ErrInvalidOption, "appdata: empty path"},
		{"unknown flag", "", []string{"--maxpeer=3"},
			ErrUnknownOption, "unknown flag `maxpeer'"},
	}
	for _, test := range tests {
		_, home, err := load(t, test.conf, test.args...)
		if !errors.Is(err, test.kind) {
			t.Errorf("%s: got error %v, want kind %v", test.name, err, test.kind)
			continue
		}
		var cerr Error
		if !errors.As(err, &cerr) {
			t.Errorf("%s: got %T, want config.Error", test.name, err)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), home, "HOME")
		if sub, ok := strings.CutPrefix(test.want, "~"); ok {
			if !strings.Contains(msg, sub) {
				t.Errorf("%s: got %q, want it to contain %q", test.name, msg, sub)
			}
		} else if msg != test.want {
			t.Errorf("%s: got %q, want %q", test.name, msg, test.want)
		}
	}
}

// TestConfFileErrors checks errors in the conf file: they name the file,
// the line and the option.
func TestConfFileErrors(t *testing.T) {
	tests := []struct {
		name string
		conf string
		kind ErrorKind
		want string
	}{
		{"unknown option", "maxpeers=5\n\n; comment\nnosuchoption=1\n",
			ErrUnknownOption, "HOME/soterd.conf:4: unknown option \"nosuchoption\""},
		{"unknown option in section", "[Application Options]\nmaxpeer=5\n",
			ErrUnknownOption, "HOME/soterd.conf:2: unknown option \"maxpeer\""},
		{"configfile not allowed", "configfile=/etc/other.conf\n",
			ErrUnknownOption, "HOME/soterd.conf:1: unknown option \"configfile\""},
		{"appdata not allowed", "appdata=/tmp\n",
			ErrUnknownOption, "HOME/soterd.conf:1: unknown option \"appdata\""},
		{"not an integer", "# c\nmaxpeers = lots\n",
			ErrInvalidOption, "HOME/soterd.conf:2: maxpeers: \"lots\" is not an integer"},
		{"field name key", "MaxPeers=lots\n",
			ErrInvalidOption, "HOME/soterd.conf:1: maxpeers: \"lots\" is not an integer"},
		{"not a boolean", "nolisten=maybe\n",
			ErrInvalidOption, "HOME/soterd.conf:1: nolisten: \"maybe\" is not a boolean (use 1 or 0)"},
		{"not a duration", "\n\nbanduration=forever\n",
			ErrInvalidOption, "HOME/soterd.conf:3: banduration: \"forever\" is not a duration such as 90s, 30m or 24h"},
		{"no equals sign", "maxpeers 5\n",
			ErrConfigFile, "HOME/soterd.conf:1: malformed key=value (maxpeers 5)"},
		{"bad quoting", "rpcpass=\"abc\n",
			ErrInvalidOption, "HOME/soterd.conf:1: rpcpass: the value starts with \" but is not a quoted string"},
		{"unknown section", "maxpeers=5\n[Peers]\nlisten=:1\n",
			ErrConfigFile, "HOME/soterd.conf:2: unknown section [Peers] (options go before any section or under [Application Options])"},
		{"range error from file", "maxpeers=20000\n",
			ErrInvalidOption, "maxpeers: 20000 is not in 0..10000"},
	}
	for _, test := range tests {
		_, home, err := load(t, test.conf)
		if !errors.Is(err, test.kind) {
			t.Errorf("%s: got error %v, want kind %v", test.name, err, test.kind)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), home, "HOME")
		if sub, ok := strings.CutPrefix(test.want, "~"); ok {
			if !strings.Contains(msg, sub) {
				t.Errorf("%s: got %q, want it to contain %q", test.name, msg, sub)
			}
		} else if msg != test.want {
			t.Errorf("%s: got %q, want %q", test.name, msg, test.want)
		}
	}
}

// TestConfFileFormats checks the forms of the conf file that must work.
func TestConfFileFormats(t *testing.T) {
	tests := []struct {
		name string
		conf string
	}{
		{"plain", "maxpeers=17\nrpcuser=u\nrpcpass=p q\n"},
		{"spaces and comments", "; soterd\n# another comment\n  maxpeers = 17  \n\nrpcuser=u\nrpcpass=p q\n"},
		{"section header", "[Application Options]\nmaxpeers=17\nrpcuser=u\nrpcpass=p q\n"},
		{"options before and in section", "maxpeers=17\n[application options]\nrpcuser=u\nrpcpass=p q\n"},
		{"quoted", "maxpeers=\"17\"\nrpcuser=u\nrpcpass=\"p q\"\n"},
		{"field names", "MaxPeers=17\nRPCUser=u\nRPCPass=p q\n"},
		{"crlf", "maxpeers=17\r\nrpcuser=u\r\nrpcpass=p q\r\n"},
	}
	for _, test := range tests {
		cfg, _, err := load(t, test.conf)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if cfg.MaxPeers != 17 || cfg.RPCUser != "u" || cfg.RPCPass != "p q" {
			t.Errorf("%s: got maxpeers %d, rpcuser %q, rpcpass %q", test.name,
				cfg.MaxPeers, cfg.RPCUser, cfg.RPCPass)
		}
	}
}

// TestConfigFileLocation checks --configfile: an explicit file must exist,
// the default one need not.
func TestConfigFileLocation(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.conf")
	if err := os.WriteFile(other, []byte("maxpeers=9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An explicit file is read instead of the home directory's.
	cfg, _ := mustLoad(t, "maxpeers=8\n", "-C", other)
	if cfg.MaxPeers != 9 || cfg.ConfigFile != other {
		t.Errorf("explicit file: got maxpeers %d from %s, want 9 from %s",
			cfg.MaxPeers, cfg.ConfigFile, other)
	}

	// A missing default file is fine.
	if _, _, err := load(t, ""); err != nil {
		t.Errorf("missing default file: %v", err)
	}

	// A missing explicit file is an error naming it.
	missing := filepath.Join(dir, "missing.conf")
	_, _, err := load(t, "", "--configfile="+missing)
	if !errors.Is(err, ErrConfigFile) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing explicit file: got %v, want %v naming %s", err,
			ErrConfigFile, missing)
	}

	// A directory is not a conf file.
	_, _, err = load(t, "", "--configfile="+dir)
	if !errors.Is(err, ErrConfigFile) {
		t.Errorf("directory: got %v, want %v", err, ErrConfigFile)
	}

	// An oversized file is refused before it is read.
	big := filepath.Join(dir, "big.conf")
	data := []byte(strings.Repeat("; padding padding padding padding\n", maxConfFileSize/30))
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = load(t, "", "--configfile="+big)
	if !errors.Is(err, ErrConfigFile) {
		t.Errorf("big file: got %v, want %v", err, ErrConfigFile)
	}
}

// TestHelpAndVersion checks that --help and --version are answered before
// the conf file is read, so a broken conf file does not hide them.
func TestHelpAndVersion(t *testing.T) {
	broken := "nosuchoption=1\n"
	_, _, err := load(t, broken, "--help")
	if !errors.Is(err, ErrHelpRequested) {
		t.Fatalf("help: got %v, want %v", err, ErrHelpRequested)
	}
	for _, want := range []string{"--maxpeers", "--configfile", "~/.soterd/data", "--rpclisten"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("help text lacks %q", want)
		}
	}

	cfg, _, err := load(t, broken, "-V")
	if err != nil || !cfg.ShowVersion {
		t.Errorf("version: got %v, %v; want ShowVersion and no error", cfg, err)
	}

	// Without --version the broken file is an error.
	if _, _, err := load(t, broken); !errors.Is(err, ErrUnknownOption) {
		t.Errorf("broken file: got %v, want %v", err, ErrUnknownOption)
	}
}

// TestRemainingArgs checks that arguments that are not options come back.
func TestRemainingArgs(t *testing.T) {
	home := t.TempDir()
	_, rest, err := Load([]string{"-A", home, "extra", "--simnet", "more"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"extra", "more"}; !reflect.DeepEqual(rest, want) {
		t.Errorf("got %v, want %v", rest, want)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	flags "github.com/jessevdk/go-flags"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/internal/rpcclient"
)

// version is sotermine's version.
const version = "0.1.0"

// maxWorkers bounds --workers, as soterd bounds --miningworkers.
const maxWorkers = 256

// options are sotermine's command-line and config-file options.
type options struct {
	ConfigFile string `short:"C" long:"configfile" description:"Config file (default ~/.sotermine/sotermine.conf)"`
	rpcclient.ConnOptions
	MiningAddr    string        `long:"miningaddr" description:"address (or x-only public key in hex) that mined coins are paid to (default: the node's mining key)"`
	Workers       int           `short:"t" long:"workers" description:"Hashing goroutines; 0 means one per CPU core (0..256)"`
	Pace          time.Duration `long:"pace" description:"Least time between two blocks, such as 1s; 0 picks the network's default (its block interval on regtest and simnet, none elsewhere), a negative value such as -1s turns pacing off"`
	MaxBlocks     int           `long:"maxblocks" description:"Exit after this many accepted blocks (0: mine until stopped)"`
	StatsInterval time.Duration `long:"statsinterval" default:"10s" description:"How often to log the hash rate"`
	Bench         time.Duration `long:"bench" description:"Hash a synthetic header for this long, without a node, print the hash rate and exit"`
	DebugLevel    string        `short:"d" long:"debuglevel" default:"info" description:"Log level: trace, debug, info, warn, error, critical or off"`
	ShowVersion   bool          `short:"V" long:"version" description:"Print the version and exit"`
}

// usageError is a command line sotermine does not understand; it exits
// with status 2.
type usageError struct {
	msg string
}

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is sotermine; it returns the exit status: 0, 1 for a failure, 2 for
// a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := loadOptions(args, stdout)
	if err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "sotermine: %v\n", err)
		return 2
	}
	if opts.ShowVersion {
		fmt.Fprintf(stdout, "sotermine version %s\n", version)
		return 0
	}
	if err := setupLogging(stdout, opts.DebugLevel); err != nil {
		fmt.Fprintf(stderr, "sotermine: %v\n", err)
		return 2
	}
	home, _ := os.UserHomeDir()
	params, err := opts.Resolve(home)
	if err != nil {
		fmt.Fprintf(stderr, "sotermine: %v\n", err)
		return 2
	}
	cfg, err := minerConfigFrom(opts, params.AddressPrefix, params.NoDifficultyAdjustment, params.TargetTimePerBlock)
	if err != nil {
		fmt.Fprintf(stderr, "sotermine: %v\n", err)
		return 2
	}
	m := &miner{cfg: cfg}

	if opts.Bench > 0 {
		rate := m.bench(opts.Bench)
		fmt.Fprintf(stdout, "sotermine bench workers=%d seconds=%.1f hashes_per_s=%.0f per_worker=%.0f\n",
			cfg.workers, opts.Bench.Seconds(), rate, rate/float64(cfg.workers))
		return 0
	}

	log.Infof("sotermine %s mining on %s (%s) with %d workers", version, opts.RPCServer,
		params.Name, cfg.workers)
	if err := m.run(ctx, &opts.ConnOptions); err != nil {
		log.Errorf("%v", err)
		return 1
	}
	log.Infof("Stopped after %d blocks found, %d accepted", m.found.Load(), m.accepted.Load())
	return 0
}

// minerConfigFrom checks the mining options and applies their defaults.
// prefix is the network's address prefix; local says the network has no difficulty adjustment (regtest, simnet),
// where pacing defaults to the block interval.
func minerConfigFrom(opts *options, prefix string, local bool, interval time.Duration) (minerConfig, error) {
	cfg := minerConfig{
		workers:       opts.Workers,
		maxBlocks:     opts.MaxBlocks,
		statsInterval: opts.StatsInterval,
	}
	if opts.MiningAddr != "" {
		if _, err := address.Parse(prefix, opts.MiningAddr); err != nil {
			return cfg, usageError{fmt.Sprintf("miningaddr: %v", err)}
		}
		cfg.miningAddr = opts.MiningAddr
	}
	if cfg.workers < 0 || cfg.workers > maxWorkers {
		return cfg, usageError{fmt.Sprintf("workers: %d is not in 0..%d", cfg.workers, maxWorkers)}
	}
	if cfg.workers == 0 {
		cfg.workers = min(runtime.NumCPU(), maxWorkers)
	}
	if cfg.maxBlocks < 0 {
		return cfg, usageError{fmt.Sprintf("maxblocks: %d is negative", cfg.maxBlocks)}
	}
	if cfg.statsInterval <= 0 {
		return cfg, usageError{fmt.Sprintf("statsinterval: %v is not positive", cfg.statsInterval)}
	}
	switch {
	case opts.Pace > 0:
		cfg.pace = opts.Pace
	case opts.Pace == 0 && local:
		cfg.pace = interval
	}
	return cfg, nil
}

// loadOptions parses the command line, then the config file, then the
// command line again so flags win over the file.
func loadOptions(args []string, stdout io.Writer) (*options, error) {
	var pre options
	preParser := flags.NewParser(&pre, flags.HelpFlag|flags.PassDoubleDash)
	if _, err := preParser.ParseArgs(args); err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			fmt.Fprintln(stdout, err)
		}
		return nil, err
	}
	if pre.ShowVersion {
		return &pre, nil
	}
	home, _ := os.UserHomeDir()
	var opts options
	parser := flags.NewParser(&opts, flags.HelpFlag|flags.PassDoubleDash)
	configFile := pre.ConfigFile
	explicit := configFile != ""
	if !explicit {
		configFile = filepath.Join(home, ".sotermine", "sotermine.conf")
	}
	if err := flags.NewIniParser(parser).ParseFile(configFile); err != nil {
		var pathErr *os.PathError
		if !errors.As(err, &pathErr) || explicit {
			return nil, fmt.Errorf("config file %s: %w", configFile, err)
		}
	}
	rest, err := parser.ParseArgs(args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	return &opts, nil
}

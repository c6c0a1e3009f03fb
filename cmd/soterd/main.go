package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // served only with --profile
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/soterdag/soterd/config"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/node"
)

// dbDirName is the database's folder inside the network's data directory.
const dbDirName = "db"

// dbWriteBufferMB is LevelDB's memtable size. Two can be in memory at once
// (one filling, one being written out), so it weighs on the node's resident
// memory as much as the caches; 16 MiB keeps level-0 tables large enough
// that initial download is not slowed by compactions.
const dbWriteBufferMB = 16

// gcPercent is the garbage collector's target unless GOGC is set. LevelDB's
// write buffer (32 MiB) and the blocks in flight are long-lived heap that the
// default of 100 would double; 50 keeps an initial download of 10,000 blocks
// near 80 MB instead of 100 MB at the same speed (docs/bench.md).
const gcPercent = 50

// shutdownTimeout bounds a clean shutdown: past it the process exits anyway
// with an error, which systemd's TimeoutStopSec leaves room for.
const shutdownTimeout = 10 * time.Second

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:]))
}

// run is the daemon; its return value is the exit code.
func run(args []string) int {
	cfg, err := loadConfig(args)
	if err != nil {
		var cerr config.Error
		if errors.As(err, &cerr) && errors.Is(err, config.ErrHelpRequested) {
			fmt.Fprintln(os.Stdout, cerr.Description)
			return 0
		}
		fmt.Fprintf(os.Stderr, "soterd: %v\n", err)
		return 1
	}
	if cfg.ShowVersion {
		fmt.Printf("soterd version %s (Go %s %s/%s)\n", node.Version,
			runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}

	for _, dir := range []string{cfg.DataDir, cfg.LogDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fmt.Fprintf(os.Stderr, "soterd: create %s: %v\n", dir, err)
			return 1
		}
	}
	logCloser, err := setupLogging(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soterd: %v\n", err)
		return 1
	}
	defer logCloser.Close()

	log.Infof("soterd version %s on %s, data in %s", node.Version, cfg.Params.Name, cfg.DataDir)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if cfg.Profile != "" {
		startProfiler(cfg.Profile)
	}

	dbPath := filepath.Join(cfg.DataDir, dbDirName)
	// A disk still full after the failure that stopped the last run is
	// refused before LevelDB tries to write to it.
	if err := node.CheckDiskSpace(cfg.DataDir, uint64(cfg.MinFreeDisk)<<20); err != nil {
		log.Errorf("Cannot start: %v", err)
		fmt.Fprintf(os.Stderr, "soterd: %v\n", err)
		return 1
	}
	// NoSync: a killed process loses at most the few block batches still
	// queued behind the DAG's writer (database.WriteAsync), whole, and
	// a power loss never leaves a torn batch (package database); syncing
	// every batch would cap block processing at the disk's fsync rate.
	db, err := database.Open(dbPath, &database.Options{
		CacheSizeMB:   cfg.DBCache / 4,
		WriteBufferMB: dbWriteBufferMB,
		NoSync:        true,
	})
	if err != nil {
		log.Errorf("Cannot open the database: %v", err)
		fmt.Fprintf(os.Stderr, "soterd: %v\n", err)
		return 1
	}
	defer func() {
		// After a store failure, which was logged once with what to
		// do, these can only fail for the same reason.
		logf := log.Errorf
		if db.Err() != nil {
			logf = log.Debugf
		}
		if err := db.Sync(); err != nil {
			logf("Flushing the database: %v", err)
		}
		if err := db.Close(); err != nil {
			logf("Closing the database: %v", err)
		}
	}()

	n, err := node.NewNode(nodeConfig(cfg, db))
	if err != nil {
		log.Errorf("Cannot start the node: %v", err)
		fmt.Fprintf(os.Stderr, "soterd: %v\n", err)
		return 1
	}
	n.Start()
	if addrs := n.Server().P2PListenAddrs(); len(addrs) > 0 {
		log.Infof("Listening for peers on %v", addrs)
	}
	if rpc := n.RPCServer(); rpc != nil {
		log.Infof("RPC server listening on %v", rpc.Addrs())
		if cfg.WebUI {
			scheme := "https"
			if cfg.DisableTLS {
				scheme = "http"
			}
			for _, a := range rpc.Addrs() {
				log.Infof("Web view at %s://%s/webui/ (RPC user and password)", scheme, a)
			}
		}
	}

	// The node serves peers and RPC clients from here on.
	notifier := startNotifier(n)

	interrupt := make(chan os.Signal, 2)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	exitCode := 0
	select {
	case sig := <-interrupt:
		log.Infof("Received %v, shutting down", sig)
	case <-n.RequestedShutdown():
		log.Infof("Shutdown requested over RPC")
	case <-n.Failed():
		// The node logged why, once, to standard output and the
		// log file; the non-zero exit makes the service manager
		// restart it (docs/deploy.md).
		exitCode = 1
	}
	notifier.Stop()

	if code := stopNode(n.Stop, interrupt, shutdownTimeout, repeatSignalGap); code != 0 {
		return code
	}
	if exitCode != 0 {
		log.Infof("Shutdown complete; exiting with status %d after the failure above", exitCode)
		return exitCode
	}
	log.Infof("Shutdown complete")
	return 0
}

// repeatSignalGap is how long after the first signal a second one is taken
// as the operator insisting. Tools such as `timeout -s INT` signal both the
// process and its group, so two signals can arrive within the same instant;
// only one sent after the "shutting down" line could be read is meant as
// "exit now".
const repeatSignalGap = time.Second

// stopNode runs stop and returns the exit code: 0 once it returns, 1 when it
// takes longer than timeout or a signal arrives on interrupt at least gap
// after stopNode began. Signals within gap are dropped.
func stopNode(stop func(), interrupt <-chan os.Signal, timeout, gap time.Duration) int {
	done := make(chan struct{})
	go func() {
		stop()
		close(done)
	}()
	began := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-done:
			return 0
		case <-deadline.C:
			log.Errorf("Shutdown did not finish within %v; exiting anyway", timeout)
			return 1
		case sig := <-interrupt:
			if time.Since(began) < gap {
				log.Debugf("Ignoring %v sent together with the first signal", sig)
				continue
			}
			log.Warnf("Received %v again; exiting without a clean shutdown", sig)
			return 1
		}
	}
}

// startProfiler serves net/http/pprof on addr for the life of the process.
func startProfiler(addr string) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warnf("Profiling server not started: %v", err)
		return
	}
	log.Infof("Profiling server listening on http://%s/debug/pprof", listener.Addr())
	go func() {
		server := &http.Server{ReadHeaderTimeout: 10 * time.Second}
		if err := server.Serve(listener); err != nil {
			log.Warnf("Profiling server stopped: %v", err)
		}
	}()
}

// nodeConfig maps the daemon's options onto the node's configuration.
func nodeConfig(cfg *config.Config, db *database.DB) *node.NodeConfig {
	nc := &node.NodeConfig{
		MetricsListen: cfg.Metrics,
		Server: node.Config{
			Params:            cfg.Params,
			DataDir:           cfg.DataDir,
			DB:                db,
			ListenAddrs:       cfg.Listeners,
			DisableListen:     cfg.DisableListen,
			ConnectPeers:      cfg.ConnectPeers,
			AddPeers:          cfg.AddPeers,
			MaxPeers:          cfg.MaxPeers,
			TargetOutbound:    cfg.TargetOutbound,
			MaxPeersPerIP:     cfg.MaxPeersPerIP,
			BanDuration:       cfg.BanDuration,
			BanThreshold:      uint32(cfg.BanThreshold),
			NoBanning:         cfg.DisableBanning,
			Whitelists:        cfg.WhitelistNets,
			MinRelayTxFee:     cfg.MinRelayTxFeeUnits,
			MaxOrphanTxs:      cfg.MaxOrphanTxs,
			UserAgentComments: cfg.UserAgentComments,
			TxIndex:           cfg.TxIndex,
			PruneBytes:        uint64(cfg.Prune) << 20,
			UTXOIndex:         cfg.UTXOIndex,
			MaxOrphanBlocks:   cfg.MaxOrphanBlocks,
			DAGCacheBytes:     (cfg.DBCache - cfg.DBCache/4) << 20,
			NoDNSSeed:         cfg.DisableDNSSeed,
			AssumeValid:       cfg.AssumeValidHash,
		},
		Health: node.HealthConfig{
			DiskMinFree: uint64(cfg.MinFreeDisk) << 20,
		},
		Mining: node.MiningConfig{
			Generate:     cfg.Generate,
			PayTo:        cfg.MiningPubKey,
			Workers:      cfg.MiningWorkers,
			Pace:         cfg.MinerPace,
			BlockMaxSize: cfg.BlockMaxSize,
		},
	}
	if !cfg.DisableRPC {
		nc.RPC = &node.RPCConfig{
			ListenAddrs:       cfg.RPCListeners,
			NoTLS:             cfg.DisableTLS,
			Cert:              cfg.RPCCert,
			Key:               cfg.RPCKey,
			User:              cfg.RPCUser,
			Pass:              cfg.RPCPass,
			LimitUser:         cfg.RPCLimitUser,
			LimitPass:         cfg.RPCLimitPass,
			MaxClients:        cfg.RPCMaxClients,
			MaxWebsockets:     cfg.RPCMaxWebsockets,
			MaxConcurrentReqs: cfg.RPCMaxConcurrentReqs,
			WebUI:             cfg.WebUI,
			Version:           node.VersionMajor*1000000 + node.VersionMinor*10000 + node.VersionPatch*100,
		}
	}
	return nc
}

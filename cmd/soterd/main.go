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
	// NoSync: a killed process loses nothing the store acknowledged, and
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
		if err := db.Sync(); err != nil {
			log.Errorf("Flushing the database: %v", err)
		}
		if err := db.Close(); err != nil {
			log.Errorf("Closing the database: %v", err)
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
	}

	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt, syscall.SIGTERM)
	select {
	case sig := <-interrupt:
		log.Infof("Received %v, shutting down", sig)
	case <-n.RequestedShutdown():
		log.Infof("Shutdown requested over RPC")
	}

	done := make(chan struct{})
	go func() {
		n.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownTimeout):
		log.Errorf("Shutdown did not finish within %v; exiting anyway", shutdownTimeout)
		return 1
	case sig := <-interrupt:
		log.Warnf("Received %v again; exiting without a clean shutdown", sig)
		return 1
	}
	log.Infof("Shutdown complete")
	return 0
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
			MaxOrphanBlocks:   cfg.MaxOrphanBlocks,
			DAGCacheBytes:     (cfg.DBCache - cfg.DBCache/4) << 20,
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
			Version:           node.VersionMajor*1000000 + node.VersionMinor*10000 + node.VersionPatch*100,
		}
	}
	return nc
}

package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/config"
	"github.com/soterdag/soterd/connmgr"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/internal/logrotate"
	"github.com/soterdag/soterd/internal/sdnotify"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/metrics"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/node"
	"github.com/soterdag/soterd/peer"
	"github.com/soterdag/soterd/rpcserver"
)

// subsystemSetters maps each log subsystem tag to the package logger it
// feeds. The tags are the ones config.Subsystems accepts in --debuglevel.
var subsystemSetters = map[string]func(btclog.Logger){
	"CMGR": connmgr.UseLogger,
	"DAG":  blockdag.UseLogger,
	"DB":   database.UseLogger,
	"MINR": mining.UseLogger,
	"MTRC": metrics.UseLogger,
	"PEER": peer.UseLogger,
	"RPCS": rpcserver.UseLogger,
	"SOTD": func(l btclog.Logger) { log = l; sdnotify.UseLogger(l) },
	"SRVR": node.UseLogger,
	"SYNC": netsync.UseLogger,
	"TXMP": mempool.UseLogger,
}

// log is the daemon's own logger.
var log = btclog.Disabled

// logWriter fans log lines out to standard output and the rotating file.
type logWriter struct {
	file io.Writer
}

func (w logWriter) Write(p []byte) (int, error) {
	os.Stdout.Write(p)
	if w.file != nil {
		// A slow or full disk must never stop the node: the rotator
		// drops and counts what it cannot take.
		w.file.Write(p)
	}
	return len(p), nil
}

// setupLogging creates the log backend, opens the rotating log file unless
// file logging is off, and gives every package its subsystem logger at the
// configured level. The returned closer flushes and closes the file.
func setupLogging(cfg *config.Config) (io.Closer, error) {
	var rotator *logrotate.Writer
	if !cfg.NoFileLogging {
		var err error
		rotator, err = logrotate.New(&logrotate.Config{
			Filename:   cfg.LogFile(),
			MaxSize:    int64(cfg.LogSize) * 1024 * 1024,
			MaxBackups: cfg.LogFiles,
			Compress:   true,
		})
		if err != nil {
			return nil, fmt.Errorf("open the log file %s: %w", cfg.LogFile(), err)
		}
	}
	var w logWriter
	if rotator != nil {
		w.file = rotator
	}
	backend := btclog.NewBackend(w)
	tags := make([]string, 0, len(subsystemSetters))
	for tag := range subsystemSetters {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	for _, tag := range tags {
		logger := backend.Logger(tag)
		level := cfg.LogLevel
		if l, ok := cfg.SubsystemLevels[tag]; ok {
			level = l
		}
		logger.SetLevel(level)
		subsystemSetters[tag](logger)
	}
	if rotator == nil {
		return nopCloser{}, nil
	}
	return rotator, nil
}

// nopCloser is the closer of logging without a file.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

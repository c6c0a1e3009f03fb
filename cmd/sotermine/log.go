package main

import (
	"io"

	"github.com/btcsuite/btclog"
)

// log is sotermine's logger, disabled until setupLogging.
var log = btclog.Disabled

// setupLogging sends log lines to w at the level named (trace, debug,
// info, warn, error, critical, off).
func setupLogging(w io.Writer, level string) error {
	lvl, ok := btclog.LevelFromString(level)
	if !ok {
		return usageError{"debuglevel: " + level + " is not a level (trace, debug, info, warn, error, critical, off)"}
	}
	l := btclog.NewBackend(w).Logger("MINE")
	l.SetLevel(lvl)
	log = l
	return nil
}

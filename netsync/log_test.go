package netsync

import (
	"os"

	"github.com/btcsuite/btclog"
)

// init sends the package log to stderr at debug level when NETSYNC_DEBUG is
// set, for following a failing test.
func init() {
	if os.Getenv("NETSYNC_DEBUG") != "" {
		l := btclog.NewBackend(os.Stderr).Logger("SYNC")
		l.SetLevel(btclog.LevelDebug)
		UseLogger(l)
	}
}

// The NETSYNC_DEBUG environment variable sends the package log to stderr
// at debug level, for following a failing test.
package netsync

import (
	"os"

	"github.com/btcsuite/btclog"
)

func init() {
	if os.Getenv("NETSYNC_DEBUG") != "" {
		l := btclog.NewBackend(os.Stderr).Logger("SYNC")
		l.SetLevel(btclog.LevelDebug)
		UseLogger(l)
	}
}

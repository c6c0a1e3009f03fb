package sdnotify

import "github.com/btcsuite/btclog"

// log is the package logger, disabled until UseLogger.
var log = btclog.Disabled

// UseLogger sets the package logger.
func UseLogger(logger btclog.Logger) {
	log = logger
}

package metrics

import "github.com/btcsuite/btclog"

// log is the package logger. It is disabled until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the logger the package writes to.
func UseLogger(logger btclog.Logger) {
	log = logger
}

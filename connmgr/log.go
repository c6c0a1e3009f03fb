package connmgr

import "github.com/btcsuite/btclog"

// log is the package logger. It is disabled until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the logger the package writes to. It is meant to be called
// once, before any manager is created.
func UseLogger(logger btclog.Logger) {
	log = logger
}

package peer

import "github.com/btcsuite/btclog"

// log is the package logger. It is disabled until UseLogger is called, so
// that a library user who does not want logs pays nothing for them.
var log = btclog.Disabled

// UseLogger sets the logger the package writes to. It is meant to be called
// once, before any peer is created.
func UseLogger(logger btclog.Logger) {
	log = logger
}

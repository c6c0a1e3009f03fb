package database

import "github.com/btcsuite/btclog"

// log is the package logger. It is disabled until the caller supplies one
// with UseLogger, so that the package is silent in tests and in tools.
var log = btclog.Disabled

// UseLogger sets the logger the package writes to. It is meant to be called
// once at start-up, before Open, by the program that owns the log backend.
func UseLogger(logger btclog.Logger) {
	log = logger
}

// Package procnode implements starting, querying and stopping real soterd
// processes for integration tests, benchmarks and tools.
//
// Build compiles the soterd, soterctl, sotertx and sotermine binaries once
// into a directory (a test binary calls it from TestMain). Start launches one
// soterd process with its own home directory, a conf file holding random
// RPC credentials, and loopback listen addresses, and returns when its RPC
// server answers. The returned Node talks JSON-RPC to the process with
// encoding/json and the result structs of package rpcmodel, and controls the
// process: Stop (SIGTERM, then SIGKILL after a grace period), Kill
// (SIGKILL), Restart, Wait, PID and the peak resident set size.
//
// Ports. By default soterd binds 127.0.0.1:0 for both P2P and RPC, so the
// kernel picks free ports and no other process can take them between the
// choice and the bind, which is the race of picking a port by listening and
// closing first. Start learns the ports from the daemon's log lines
// "Listening for peers on [...]" and "RPC server listening on [...]", which
// cmd/soterd prints once the listeners are up. Restart binds the same ports
// again, so peers that were told the node's address (addnode, --connect)
// reach it after the restart; listeners set SO_REUSEADDR, so connections in
// TIME_WAIT do not stop the rebind.
//
// RPC runs over plain HTTP on loopback by default (notls), which keeps test
// calls cheap; Config.TLS serves it over TLS with the certificate soterd
// generates on first start, which the Node then trusts.
//
// Every process's standard output and error go to one log file (Config.
// LogFile, by default stdout.log in the home directory); the daemon is
// started with --nofilelogging so that file is its only log.
//
// Package procnode does not build a network topology, mine on a schedule or
// compare nodes' states: package integration does that with these pieces.
// It runs on Linux (it reads /proc for the peak RSS and asks the kernel to
// kill children whose parent dies).
package procnode

// Command soterd is the soterd full node daemon: it loads the configuration
// (defaults, then the conf file, then flags), opens the data directory's
// store, starts the node (P2P core, RPC server, optional CPU miner) and runs
// until SIGINT or SIGTERM or the stop RPC, then shuts down in order, flushes
// the store and exits 0.
//
// It stays thin: every rule and manager lives in a package; this command
// only maps options onto node.NodeConfig, owns the log backend and its
// subsystem tags, and writes a conf file with random RPC credentials on the
// very first start.
//
// Usage:
//
//	soterd [options]
//
// See soterd --help and sample-soterd.conf for every option.
package main

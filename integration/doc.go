// Package integration implements the multi-process tests of soterd: real
// soterd processes, built once per test run and started on loopback ports
// by package internal/procnode, connected into small networks, mined on,
// killed and restarted, and checked to agree on their DAG, its GHOSTDAG
// order and its UTXO set.
//
// The tests run in the default go test run with short durations (a few
// minutes on two cores, under -race, which instruments only the test
// process: the daemons are plain builds). `go test ./integration -long`, or
// SOTERD_LONG=1 (make integration-long), runs the long variants: a minute of
// mining in the mesh, a 20,000-block DAG for the late joiner. SOTERD_SEED
// fixes the random choices of a run; every test logs the seed it used.
// PROCNODE_KEEP_LOGS=dir keeps the logs of the nodes of a failed test.
//
// Package integration does not test single packages (their own tests do)
// nor run nodes in one process (package node does); it has no exported API.
package integration

// Package metrics implements soterd's Prometheus metrics: the counters the
// node bumps as it works, the gauges read from its state at scrape time, and
// the HTTP server that serves them at /metrics.
//
// Two kinds of figures live here. Events on hot paths (a block or a
// transaction processed, a ban, an RPC request) are counted by the node
// through the methods of *Metrics, which cost an atomic add or a histogram
// observation; every method is safe on a nil *Metrics, so code that counts
// needs no "metrics on?" test. Everything else (DAG size, sync progress,
// peers, mempool, LevelDB, bytes and messages by command) is read once per
// scrape through the functions in Sources, so the node pays nothing for it
// between scrapes.
//
// Package metrics does not know the node's packages: Sources and the
// arguments of the counting methods are plain values that package node
// fills in. It does not push metrics anywhere, keep history, or serve
// anything but /metrics.
//
// docs/metrics.md lists every metric.
package metrics

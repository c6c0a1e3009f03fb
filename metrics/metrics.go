package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// namespace prefixes every soterd metric.
const namespace = "soterd"

// BlockOutcome is what processing a block came to.
type BlockOutcome int

// The outcomes of processing a block.
const (
	BlockAccepted BlockOutcome = iota
	BlockOrphaned
	BlockRejected
	BlockDuplicate
)

// RPC request results other than an error code.
const (
	// RPCResultOK labels a request answered without an error.
	RPCResultOK = "ok"

	// RPCUnknownMethod labels requests for a method that does not exist,
	// so a client cannot create a label per name it makes up.
	RPCUnknownMethod = "unknown"
)

// processBuckets are the histogram buckets of block processing times: from
// an empty regtest block (~100 µs) to a full block on a slow disk (seconds).
var processBuckets = prometheus.ExponentialBuckets(50e-6, 2.5, 14)

// BlockStages are the stage labels of soterd_block_stage_seconds,
// blockdag's Stage names (node checks that they agree).
var BlockStages = []string{"validation", "ghostdag", "utxo", "store"}

// stageBuckets are the histogram buckets of one stage of a block's
// processing: from a few microseconds (GHOSTDAG of a chain block) to seconds.
var stageBuckets = prometheus.ExponentialBuckets(2e-6, 3, 14)

// rpcBuckets are the histogram buckets of RPC request times: from getinfo
// (~50 µs) to generate and long polls (a minute).
var rpcBuckets = prometheus.ExponentialBuckets(50e-6, 4, 11)

// Metrics holds the event counters and the registry the scrape reads. Its
// methods are safe for concurrent use and on a nil *Metrics, which counts
// nothing.
type Metrics struct {
	reg *prometheus.Registry

	blocksProcessed prometheus.Counter
	blocksAccepted  prometheus.Counter
	blocksOrphaned  prometheus.Counter
	blocksDuplicate prometheus.Counter
	blocksRejected  *prometheus.CounterVec
	blockProcess    prometheus.Histogram
	blockStage      *prometheus.HistogramVec

	txsAccepted prometheus.Counter
	txsRejected *prometheus.CounterVec

	bans prometheus.Counter

	rpcRequests *prometheus.CounterVec
	rpcSeconds  prometheus.Histogram
}

// New returns Metrics whose registry holds the event counters, the
// collectors reading src at scrape time, and Go runtime and process
// metrics.
func New(src Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	m.blocksProcessed = counter("blocks_processed_total",
		"Blocks handed to the DAG, from peers, the miner and RPC, whatever the outcome.")
	m.blocksAccepted = counter("blocks_accepted_total", "Blocks that joined the DAG.")
	m.blocksOrphaned = counter("blocks_orphaned_total",
		"Blocks kept in the orphan pool because a parent was missing.")
	m.blocksDuplicate = counter("blocks_duplicate_total", "Blocks the DAG already had.")
	m.blocksRejected = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
		Name: "blocks_rejected_total", Help: "Blocks refused as invalid, by the rule they broke."},
		[]string{"reason"})
	m.reg.MustRegister(m.blocksRejected)
	m.blockProcess = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace,
		Name: "block_process_seconds", Buckets: processBuckets,
		Help: "Time to process one block: validation, GHOSTDAG, UTXO and the store write."})
	m.reg.MustRegister(m.blockProcess)
	m.blockStage = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace,
		Name: "block_stage_seconds", Buckets: stageBuckets,
		Help: "Time of one stage of processing a block that joined the DAG: validation, ghostdag, utxo or store."},
		[]string{"stage"})
	m.reg.MustRegister(m.blockStage)
	for _, st := range BlockStages {
		m.blockStage.WithLabelValues(st) // present from the start, at zero
	}

	m.txsAccepted = counter("txs_accepted_total", "Transactions that entered the mempool.")
	m.txsRejected = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
		Name: "txs_rejected_total", Help: "Transactions from peers the mempool refused, by reason."},
		[]string{"reason"})
	m.reg.MustRegister(m.txsRejected)

	m.bans = counter("peer_bans_total", "Peers disconnected for misbehaviour (banned, or not with --nobanning).")

	m.rpcRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace,
		Name: "rpc_requests_total", Help: "JSON-RPC requests by method and result (ok or the error code)."},
		[]string{"method", "result"})
	m.reg.MustRegister(m.rpcRequests)
	m.rpcSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace,
		Name: "rpc_request_seconds", Buckets: rpcBuckets,
		Help: "Time to answer one JSON-RPC request, waiting for a handler slot included."})
	m.reg.MustRegister(m.rpcSeconds)

	m.reg.MustRegister(newStateCollector(src))
	m.reg.MustRegister(newGoCollector(), newProcessCollector())
	return m
}

// Registry returns the registry the scrape reads.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// BlockProcessed counts one block handed to the DAG: its outcome, the rule
// it broke when rejected (reason), and how long it took.
func (m *Metrics) BlockProcessed(outcome BlockOutcome, reason string, took time.Duration) {
	if m == nil {
		return
	}
	m.blocksProcessed.Inc()
	switch outcome {
	case BlockAccepted:
		m.blocksAccepted.Inc()
	case BlockOrphaned:
		m.blocksOrphaned.Inc()
	case BlockDuplicate:
		m.blocksDuplicate.Inc()
	case BlockRejected:
		m.blocksRejected.WithLabelValues(reason).Inc()
	}
	m.blockProcess.Observe(took.Seconds())
}

// BlockStage returns the recorder of one stage of a block's processing
// (blockdag's stage labels: validation, ghostdag, utxo, store), resolved
// once so that recording costs no label lookup. On a nil *Metrics it
// records nothing.
func (m *Metrics) BlockStage(stage string) func(took time.Duration) {
	if m == nil {
		return func(time.Duration) {}
	}
	o := m.blockStage.WithLabelValues(stage)
	return func(took time.Duration) { o.Observe(took.Seconds()) }
}

// TxAccepted counts one transaction that entered the mempool.
func (m *Metrics) TxAccepted() {
	if m == nil {
		return
	}
	m.txsAccepted.Inc()
}

// TxRejected counts one transaction refused for reason.
func (m *Metrics) TxRejected(reason string) {
	if m == nil {
		return
	}
	m.txsRejected.WithLabelValues(reason).Inc()
}

// PeerBanned counts one peer disconnected for misbehaviour.
func (m *Metrics) PeerBanned() {
	if m == nil {
		return
	}
	m.bans.Inc()
}

// RPCRequest counts one JSON-RPC request. method must be a known method's
// name or RPCUnknownMethod, result RPCResultOK or the error code.
func (m *Metrics) RPCRequest(method, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.rpcRequests.WithLabelValues(method, result).Inc()
	m.rpcSeconds.Observe(took.Seconds())
}

package metrics

import (
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Sources are the functions a scrape reads the node's state through. A nil
// function leaves its metrics out. Each must be safe for concurrent use and
// cheap: a scrape calls every one once and must stay under a few
// milliseconds at 100 peers and millions of blocks.
type Sources struct {
	DAG     func() DAGStats
	Sync    func() SyncStats
	Peers   func() PeerStats
	Mempool func() MempoolStats
	DB      func() (DBStats, error)
}

// DAGStats describe the DAG.
type DAGStats struct {
	Blocks           uint64
	Tips             int
	MaxHeight        uint32
	VirtualBlueScore uint64
	Orphans          int
}

// SyncStats describe block download.
type SyncStats struct {
	// InSyncMode is true during initial block download; IsCurrent once
	// the node is caught up (getsyncinfo's iscurrent).
	InSyncMode bool
	IsCurrent  bool

	// Progress is our max height as a percentage of the sync peer's.
	Progress float64

	// BlocksPerSecond is the acceptance rate of the last progress
	// interval.
	BlocksPerSecond float64

	// PeerMaxHeight is the greatest max height a peer announced.
	PeerMaxHeight uint32

	// BlocksInFlight are requested and not received; BlocksQueued wait to
	// be requested.
	BlocksInFlight int
	BlocksQueued   int
}

// PeerStats describe the peers and the traffic with them since start,
// disconnected peers included.
type PeerStats struct {
	Inbound, Outbound  int
	BytesRecv          uint64
	BytesSent          uint64
	MsgsRecv, MsgsSent map[string]uint64 // by wire command
}

// MempoolStats describe the mempool.
type MempoolStats struct {
	Count int
	Bytes uint64
}

// DBStats are LevelDB's own statistics; Tables to Compaction are summed
// over the levels.
type DBStats struct {
	IORead, IOWrite uint64
	WriteDelays     int64
	WriteDelay      time.Duration
	WritePaused     bool
	BlockCacheBytes int
	OpenTables      int
	Tables          int
	SizeBytes       int64
	CompactionRead  int64
	CompactionWrite int64
	Compaction      time.Duration
}

// stateCollector reads Sources at scrape time.
type stateCollector struct {
	src Sources

	dagBlocks, dagTips, dagMaxHeight, blueScore, orphans *prometheus.Desc

	syncMode, syncCurrent, syncProgress, syncRate, peerMaxHeight *prometheus.Desc
	inFlight, queued                                             *prometheus.Desc

	peers, p2pBytes, p2pMsgs *prometheus.Desc

	mempoolTxs, mempoolBytes *prometheus.Desc

	dbIO, dbWriteDelays, dbWriteDelay, dbPaused, dbCache, dbTables *prometheus.Desc
	dbLevelTables, dbLevelSize, dbLevelIO, dbLevelCompaction       *prometheus.Desc // summed over levels
}

func newStateCollector(src Sources) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
	}
	return &stateCollector{
		src:          src,
		dagBlocks:    d("dag_blocks", "Blocks in the DAG, genesis included."),
		dagTips:      d("dag_tips", "Blocks of the DAG without children."),
		dagMaxHeight: d("dag_max_height", "Greatest height of a block in the DAG."),
		blueScore:    d("virtual_blue_score", "Blue score of the virtual block."),
		orphans:      d("orphan_blocks", "Blocks waiting in the orphan pool for a parent."),

		syncMode:      d("sync_in_progress", "1 during initial block download from a sync peer, else 0."),
		syncCurrent:   d("sync_is_current", "1 when the node is caught up with its peers (getsyncinfo iscurrent)."),
		syncProgress:  d("sync_progress_ratio", "Our max height over the sync peer's, 0 to 1 (1 out of sync mode)."),
		syncRate:      d("sync_blocks_per_second", "Blocks accepted per second over the last progress interval."),
		peerMaxHeight: d("sync_peer_max_height", "Greatest max height a connected peer announced."),
		inFlight:      d("sync_blocks_in_flight", "Blocks requested from peers and not received yet."),
		queued:        d("sync_blocks_queued", "Blocks known to peers and waiting to be requested."),

		peers:    d("peers", "Connected peers with a completed handshake, by direction.", "direction"),
		p2pBytes: d("p2p_bytes_total", "Bytes exchanged with peers since start, by direction.", "direction"),
		p2pMsgs: d("p2p_messages_total", "Messages exchanged with peers since start, by direction and command.",
			"direction", "command"),

		mempoolTxs:   d("mempool_transactions", "Transactions in the mempool."),
		mempoolBytes: d("mempool_bytes", "Serialized size of the mempool's transactions."),

		dbIO:          d("leveldb_io_bytes_total", "Bytes LevelDB read from and wrote to its files.", "direction"),
		dbWriteDelays: d("leveldb_write_delays_total", "Writes LevelDB delayed to let compaction catch up."),
		dbWriteDelay:  d("leveldb_write_delay_seconds_total", "Time writes were delayed by LevelDB."),
		dbPaused:      d("leveldb_write_paused", "1 while LevelDB pauses writes for compaction."),
		dbCache:       d("leveldb_block_cache_bytes", "Bytes in LevelDB's block cache."),
		dbTables:      d("leveldb_open_tables", "Table files LevelDB holds open."),
		dbLevelTables: d("leveldb_tables", "Table files over every LevelDB level."),
		dbLevelSize:   d("leveldb_size_bytes", "Bytes of the table files over every LevelDB level."),
		dbLevelIO: d("leveldb_compaction_bytes_total", "Bytes compactions read and wrote.",
			"direction"),
		dbLevelCompaction: d("leveldb_compaction_seconds_total", "Time spent compacting."),
	}
}

// Describe sends every descriptor.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.dagBlocks, c.dagTips, c.dagMaxHeight, c.blueScore, c.orphans,
		c.syncMode, c.syncCurrent, c.syncProgress, c.syncRate, c.peerMaxHeight, c.inFlight, c.queued,
		c.peers, c.p2pBytes, c.p2pMsgs, c.mempoolTxs, c.mempoolBytes,
		c.dbIO, c.dbWriteDelays, c.dbWriteDelay, c.dbPaused, c.dbCache, c.dbTables,
		c.dbLevelTables, c.dbLevelSize, c.dbLevelIO, c.dbLevelCompaction} {
		ch <- d
	}
}

// Collect reads the sources and sends their values.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if c.src.DAG != nil {
		s := c.src.DAG()
		gauge(c.dagBlocks, float64(s.Blocks))
		gauge(c.dagTips, float64(s.Tips))
		gauge(c.dagMaxHeight, float64(s.MaxHeight))
		gauge(c.blueScore, float64(s.VirtualBlueScore))
		gauge(c.orphans, float64(s.Orphans))
	}
	if c.src.Sync != nil {
		s := c.src.Sync()
		gauge(c.syncMode, boolValue(s.InSyncMode))
		gauge(c.syncCurrent, boolValue(s.IsCurrent))
		gauge(c.syncProgress, s.Progress/100)
		gauge(c.syncRate, s.BlocksPerSecond)
		gauge(c.peerMaxHeight, float64(s.PeerMaxHeight))
		gauge(c.inFlight, float64(s.BlocksInFlight))
		gauge(c.queued, float64(s.BlocksQueued))
	}
	if c.src.Peers != nil {
		s := c.src.Peers()
		gauge(c.peers, float64(s.Inbound), "inbound")
		gauge(c.peers, float64(s.Outbound), "outbound")
		counter(c.p2pBytes, float64(s.BytesRecv), "in")
		counter(c.p2pBytes, float64(s.BytesSent), "out")
		// Commands come from decoded messages only, so the wire
		// protocol bounds the label values.
		for _, cmd := range sortedKeys(s.MsgsRecv) {
			counter(c.p2pMsgs, float64(s.MsgsRecv[cmd]), "in", cmd)
		}
		for _, cmd := range sortedKeys(s.MsgsSent) {
			counter(c.p2pMsgs, float64(s.MsgsSent[cmd]), "out", cmd)
		}
	}
	if c.src.Mempool != nil {
		s := c.src.Mempool()
		gauge(c.mempoolTxs, float64(s.Count))
		gauge(c.mempoolBytes, float64(s.Bytes))
	}
	if c.src.DB != nil {
		s, err := c.src.DB()
		if err != nil {
			log.Debugf("LevelDB statistics: %v", err)
			return
		}
		counter(c.dbIO, float64(s.IORead), "read")
		counter(c.dbIO, float64(s.IOWrite), "write")
		counter(c.dbWriteDelays, float64(s.WriteDelays))
		counter(c.dbWriteDelay, s.WriteDelay.Seconds())
		gauge(c.dbPaused, boolValue(s.WritePaused))
		gauge(c.dbCache, float64(s.BlockCacheBytes))
		gauge(c.dbTables, float64(s.OpenTables))
		gauge(c.dbLevelTables, float64(s.Tables))
		gauge(c.dbLevelSize, float64(s.SizeBytes))
		counter(c.dbLevelIO, float64(s.CompactionRead), "read")
		counter(c.dbLevelIO, float64(s.CompactionWrite), "write")
		counter(c.dbLevelCompaction, s.Compaction.Seconds())
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newGoCollector returns the Go runtime's metrics (go_*).
func newGoCollector() prometheus.Collector { return collectors.NewGoCollector() }

// newProcessCollector returns the process's metrics (process_*): CPU,
// memory, file descriptors.
func newProcessCollector() prometheus.Collector {
	return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
}

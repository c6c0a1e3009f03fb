package node

import (
	"errors"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/metrics"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/wire"
)

// reasonOther labels a refusal whose error carries no rule kind.
const reasonOther = "other"

// meteredDAG is the DAG as the sync manager sees it when metrics are on:
// every block handed to it, from peers, the miner or RPC, is counted and
// timed. Without metrics the sync manager gets the DAG itself and pays
// nothing.
type meteredDAG struct {
	*blockdag.BlockDAG
	m *metrics.Metrics
}

// ProcessBlock processes the block and counts its outcome.
func (d meteredDAG) ProcessBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (bool, error) {
	start := time.Now()
	isOrphan, err := d.BlockDAG.ProcessBlock(block, flags)
	d.count(isOrphan, err, time.Since(start))
	return isOrphan, err
}

// count records the outcome of one block's processing.
func (d meteredDAG) count(isOrphan bool, err error, took time.Duration) {
	switch {
	case err == nil && isOrphan:
		d.m.BlockProcessed(metrics.BlockOrphaned, "", took)
	case err == nil:
		d.m.BlockProcessed(metrics.BlockAccepted, "", took)
	case errors.Is(err, blockdag.ErrDuplicateBlock):
		d.m.BlockProcessed(metrics.BlockDuplicate, "", took)
	default:
		d.m.BlockProcessed(metrics.BlockRejected, ruleKind(err), took)
	}
}

// ProcessPrecheckedBlock processes a block from a peer and counts its
// outcome; its context-free checks, done before on the peer's goroutine,
// are not in the time.
func (d meteredDAG) ProcessPrecheckedBlock(pb *blockdag.PrecheckedBlock) (bool, error) {
	start := time.Now()
	isOrphan, err := d.BlockDAG.ProcessPrecheckedBlock(pb)
	d.count(isOrphan, err, time.Since(start))
	return isOrphan, err
}

// stageMetrics records the time of each stage of a block's processing
// (blockdag.StageObserver).
type stageMetrics struct {
	record [len(blockdag.StageTimes{})]func(time.Duration)
}

// newStageMetrics returns the observer; metrics.BlockStages must list
// blockdag's stage names (TestStageLabels).
func newStageMetrics(m *metrics.Metrics) *stageMetrics {
	s := &stageMetrics{}
	for _, st := range blockdag.Stages() {
		s.record[st] = m.BlockStage(st.String())
	}
	return s
}

// BlockStages implements blockdag.StageObserver.
func (s *stageMetrics) BlockStages(took *blockdag.StageTimes) {
	for i, d := range took {
		s.record[i](d)
	}
}

// meteredTxPool is the mempool as the sync manager sees it when metrics
// are on: transactions from peers that it refuses are counted by reason.
// Accepted ones are counted by the mempool's acceptance hook, whatever
// their source.
type meteredTxPool struct {
	*mempool.TxPool
	m *metrics.Metrics
}

// ProcessTransaction processes the transaction and counts a refusal.
func (p meteredTxPool) ProcessTransaction(tx *wire.MsgTx, allowOrphan bool) ([]*mempool.TxDesc, []wire.Hash, error) {
	accepted, missing, err := p.TxPool.ProcessTransaction(tx, allowOrphan)
	if err != nil {
		p.m.TxRejected(ruleKind(err))
	}
	return accepted, missing, err
}

// ruleKind names the rule err broke: a blockdag or mempool error kind, whose
// values are a fixed set of names, so they are safe as metric labels.
func ruleKind(err error) string {
	var dagKind blockdag.ErrorKind
	if errors.As(err, &dagKind) {
		return string(dagKind)
	}
	var poolKind mempool.ErrorKind
	if errors.As(err, &poolKind) {
		return string(poolKind)
	}
	return reasonOther
}

// metricsSources returns the functions a scrape reads the node's state
// through. They go through n.server, which exists before anything serves.
func (n *Node) metricsSources() metrics.Sources {
	return metrics.Sources{
		DAG: func() metrics.DAGStats {
			dag := n.server.DAG()
			return metrics.DAGStats{
				Blocks:           dag.BlockCount(),
				Tips:             len(dag.Tips()),
				MaxHeight:        dag.MaxHeight(),
				VirtualBlueScore: dag.VirtualBlueScore(),
				Orphans:          dag.OrphanCount(),
			}
		},
		Sync: func() metrics.SyncStats {
			st := n.server.SyncManager().SyncState()
			return metrics.SyncStats{
				InSyncMode:      st.InSyncMode,
				IsCurrent:       st.IsCurrent,
				Progress:        st.Progress,
				BlocksPerSecond: st.BlocksPerSecond,
				PeerMaxHeight:   st.PeerMaxHeight,
				BlocksInFlight:  st.BlocksInFlight,
				BlocksQueued:    st.BlocksQueued,
				Peers:           peersInFlight(st.Peers),
			}
		},
		Peers: func() metrics.PeerStats { return n.server.peerStats() },
		Mempool: func() metrics.MempoolStats {
			pool := n.server.TxPool()
			return metrics.MempoolStats{Count: pool.Count(), Bytes: uint64(pool.Bytes())}
		},
		DB: func() (metrics.DBStats, error) {
			s, err := n.cfg.Server.DB.Stats()
			if err != nil {
				return metrics.DBStats{}, err
			}
			return metrics.DBStats{
				IORead: s.IORead, IOWrite: s.IOWrite,
				WriteDelays: s.WriteDelays, WriteDelay: s.WriteDelay, WritePaused: s.WritePaused,
				BlockCacheBytes: s.BlockCacheBytes, OpenTables: s.OpenTables,
				Tables: s.Tables, SizeBytes: s.SizeBytes,
				CompactionRead: s.CompactionRead, CompactionWrite: s.CompactionWrite,
				Compaction: s.Compaction,
			}, nil
		},
	}
}

// peerStats counts the active peers by direction and sums the messages
// exchanged since start: the active peers' counts plus those of the peers
// gone, taken under the same lock so no peer is counted twice or missed.
func (s *Server) peerStats() metrics.PeerStats {
	st := metrics.PeerStats{
		MsgsRecv:  make(map[string]uint64, len(s.goneMsgsRecv)),
		MsgsSent:  make(map[string]uint64, len(s.goneMsgsSent)),
		BytesRecv: s.bytesRecv.Load(),
		BytesSent: s.bytesSent.Load(),
	}
	s.peersMtx.RLock()
	defer s.peersMtx.RUnlock()
	for cmd, v := range s.goneMsgsRecv {
		st.MsgsRecv[cmd] = v
	}
	for cmd, v := range s.goneMsgsSent {
		st.MsgsSent[cmd] = v
	}
	for _, sp := range s.peers {
		if sp.Inbound() {
			st.Inbound++
		} else {
			st.Outbound++
		}
		snap := sp.StatsSnapshot()
		for cmd, v := range snap.MsgsRecv {
			st.MsgsRecv[cmd] += v
		}
		for cmd, v := range snap.MsgsSent {
			st.MsgsSent[cmd] += v
		}
	}
	return st
}

// peersInFlight converts the sync manager's per-peer requests for metrics.
func peersInFlight(in []netsync.PeerInFlight) []metrics.PeerInFlight {
	if len(in) == 0 {
		return nil
	}
	out := make([]metrics.PeerInFlight, len(in))
	for i, p := range in {
		out[i] = metrics.PeerInFlight{Addr: p.Addr, Blocks: p.Blocks, Txs: p.Txs}
	}
	return out
}

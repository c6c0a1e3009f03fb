package node

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcserver"
	"github.com/soterdag/soterd/webui"
	"github.com/soterdag/soterd/wire"
)

// The adapters below present the node's managers to the RPC server through
// the small interfaces package rpcserver declares, so rpcserver never sees
// the managers themselves.

// setupRPC builds the RPC server and feeds it the DAG's and the mempool's
// notifications.
func (n *Node) setupRPC() error {
	rc := n.cfg.RPC
	s := n.server
	// Without the index the locator stays nil, so getrawtransaction says
	// it has no information instead of asking a DAG that always misses.
	var txLocator rpcserver.TxLocator
	if n.cfg.Server.TxIndex {
		txLocator = s.DAG()
	}
	// Likewise the UTXO index methods say to turn the index on.
	var utxoIndex rpcserver.UTXOIndex
	if n.cfg.Server.UTXOIndex {
		utxoIndex = s.DAG()
	}
	rpc, err := rpcserver.New(&rpcserver.Config{
		ListenAddrs:       rc.ListenAddrs,
		NoTLS:             rc.NoTLS,
		RPCCert:           rc.Cert,
		RPCKey:            rc.Key,
		CertHosts:         rc.CertHosts,
		RPCUser:           rc.User,
		RPCPass:           rc.Pass,
		RPCLimitUser:      rc.LimitUser,
		RPCLimitPass:      rc.LimitPass,
		MaxClients:        rc.MaxClients,
		MaxWebsockets:     rc.MaxWebsockets,
		MaxConcurrentReqs: rc.MaxConcurrentReqs,
		Params:            n.cfg.Server.Params,
		StartupTime:       n.started,
		Version:           rc.Version,
		RelayFee:          n.cfg.Server.MinRelayTxFee,
		DAG:               rpcDAG{BlockDAG: s.DAG(), server: s},
		SyncMgr:           rpcSync{s},
		ConnMgr:           rpcConns{s},
		Mempool:           rpcMempool{s},
		Miner:             rpcMiner{n.miner},
		TxLocator:         txLocator,
		UTXOIndex:         utxoIndex,
		Templater:         rpcTemplater{gen: n.generator, payTo: n.payTo},
		MiningAddr:        &n.payTo,
		TimeSource:        n.cfg.Server.TimeSource,
		Observer:          n.rpcObserver(),
		WebUI:             webUIHandler(rc.WebUI),
	})
	if err != nil {
		return fmt.Errorf("node: RPC server: %w", err)
	}
	n.rpc = rpc
	s.AddBlockAcceptedHook(func(d *blockdag.BlockAcceptedData) {
		rpc.NotifyBlockAccepted(d.Block, d.Hash, d.Height, d.BlueScore)
	})
	s.AddVirtualChangedHook(func(d *blockdag.VirtualChangedData) {
		rpc.NotifyVirtualChanged(d.AddedChainBlocks, d.RemovedChainBlocks,
			d.VirtualParents, d.VirtualBlueScore)
		rpc.NotifyUTXOsChanged(d.UTXOsAdded, d.UTXOsRemoved, d.VirtualBlueScore)
	})
	s.AddTxAcceptedHook(func(tx *wire.MsgTx, txID wire.Hash, _ uint64) {
		rpc.NotifyTxAccepted(tx, txID)
	})
	return nil
}

// rpcDAG is the DAG as the RPC server sees it. Blocks submitted over RPC
// take the path mined blocks take, through the sync manager, so they are
// announced to peers once accepted.
type rpcDAG struct {
	*blockdag.BlockDAG
	server *Server
}

func (d rpcDAG) ProcessBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (bool, error) {
	return d.server.SyncManager().ProcessBlock(block, flags)
}

// rpcSync presents the sync manager's snapshot.
type rpcSync struct{ s *Server }

func (r rpcSync) SyncStatus() rpcserver.SyncStatus {
	st := r.s.SyncManager().SyncState()
	return rpcserver.SyncStatus{
		SyncPeerID:        st.SyncPeerID,
		SyncPeerAddr:      st.SyncPeerAddr,
		InSyncMode:        st.InSyncMode,
		IsCurrent:         st.IsCurrent,
		MaxHeight:         st.MaxHeight,
		SyncPeerMaxHeight: st.PeerMaxHeight,
		Orphans:           st.Orphans,
		RequestedBlocks:   st.BlocksInFlight,
		BlocksProcessed:   st.BlocksProcessed,
		LastBlockTime:     st.LastProgress,
		LastProgress:      st.LastProgress,
		OnlyPrunedPeers:   st.OnlyPrunedPeers,
	}
}

func (r rpcSync) IsCurrent() bool   { return r.s.SyncManager().IsCurrent() }
func (r rpcSync) SyncPeerID() int32 { return r.s.SyncManager().SyncPeerID() }

// rpcConns presents peers, totals and addnode.
type rpcConns struct{ s *Server }

func (r rpcConns) Peers() []rpcserver.PeerInfo {
	peers := r.s.Peers()
	out := make([]rpcserver.PeerInfo, 0, len(peers))
	for _, p := range peers {
		host, _, err := net.SplitHostPort(p.Addr)
		if err != nil {
			host = p.Addr
		}
		out = append(out, rpcserver.PeerInfo{
			ID:              p.ID,
			Addr:            p.Addr,
			AddrLocal:       p.AddrLocal,
			Services:        p.Services,
			RelayTxes:       true,
			LastSend:        p.LastSend,
			LastRecv:        p.LastRecv,
			BytesSent:       p.BytesSent,
			BytesRecv:       p.BytesRecv,
			ConnTime:        p.ConnTime,
			TimeOffset:      p.TimeOffset,
			PingTime:        time.Duration(p.LastPingMicros) * time.Microsecond,
			ProtocolVersion: p.ProtocolVersion,
			UserAgent:       p.UserAgent,
			Inbound:         p.Inbound,
			StartingHeight:  p.StartingHeight,
			CurrentHeight:   p.MaxHeight,
			BanScore:        int32(r.s.BanManager().Score(host)),
		})
	}
	return out
}

func (r rpcConns) ConnectedCount() int32 { return r.s.ConnectedCount() }

func (r rpcConns) NetTotals() (uint64, uint64) {
	t := r.s.NetTotals()
	return t.BytesRecv, t.BytesSent
}

func (r rpcConns) AddNode(addr, subcmd string) error {
	switch subcmd {
	case rpcserver.AddNodeAdd:
		return r.s.ConnectPeer(addr, true)
	case rpcserver.AddNodeOneTry:
		return r.s.ConnectPeer(addr, false)
	case rpcserver.AddNodeRemove:
		return r.s.RemovePeer(addr)
	}
	return fmt.Errorf("addnode: unknown command %q (want add, remove or onetry)", subcmd)
}

func (r rpcConns) PingAll() {
	r.s.peersMtx.RLock()
	defer r.s.peersMtx.RUnlock()
	for _, sp := range r.s.peers {
		// The peer records the round trip of any ping it writes; a zero
		// nonce would mean "none outstanding", hence the low bit.
		sp.QueueMessage(&wire.MsgPing{Nonce: rand.Uint64() | 1}, nil)
	}
}

func (r rpcConns) ListenAddrs() []string {
	addrs := r.s.P2PListenAddrs()
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// rpcMempool presents the mempool.
type rpcMempool struct{ s *Server }

func (r rpcMempool) Entries() []rpcserver.MempoolEntry {
	descs := r.s.TxPool().TxDescs()
	out := make([]rpcserver.MempoolEntry, len(descs))
	for i, d := range descs {
		out[i] = rpcserver.MempoolEntry{
			Tx:     d.Tx,
			TxID:   d.TxID,
			Added:  d.Added,
			Height: uint32(d.BlueScore),
			Fee:    d.Fee,
		}
	}
	return out
}

func (r rpcMempool) FetchTransaction(txID *wire.Hash) (*wire.MsgTx, bool) {
	return r.s.TxPool().FetchTransaction(txID)
}

// ProcessTransaction adds a transaction from sendrawtransaction to the pool
// and announces what entered it to every peer: the sync manager relays only
// what peers send, so without this a transaction submitted over RPC would
// never leave the node.
func (r rpcMempool) ProcessTransaction(tx *wire.MsgTx) error {
	accepted, _, err := r.s.TxPool().ProcessTransaction(tx, false)
	if err != nil {
		return err
	}
	r.s.RelayTransactions(accepted)
	return nil
}

func (r rpcMempool) SpentBy(op wire.OutPoint) (wire.Hash, bool) {
	return r.s.TxPool().SpentBy(op)
}

func (r rpcMempool) Count() int    { return r.s.TxPool().Count() }
func (r rpcMempool) Bytes() uint64 { return uint64(r.s.TxPool().Bytes()) }

// rpcMiner presents the CPU miner.
type rpcMiner struct{ m *mining.CPUMiner }

func (r rpcMiner) IsMining() bool                   { return r.m.IsMining() }
func (r rpcMiner) SetGenerate(on bool, workers int) { r.m.SetGenerate(on, workers) }
func (r rpcMiner) Workers() int                     { return r.m.NumWorkers() }
func (r rpcMiner) HashesPerSecond() float64         { return r.m.HashesPerSecond() }

func (r rpcMiner) Generate(n uint32) ([]wire.Hash, error) {
	return r.m.Generate(int(n))
}

func (r rpcMiner) MinedBlocks() []rpcserver.MinedBlock {
	mined := r.m.MinedBlocks()
	out := make([]rpcserver.MinedBlock, len(mined))
	for i, b := range mined {
		out[i] = rpcserver.MinedBlock{
			Hash:    b.Hash,
			Height:  b.Height,
			Found:   b.Time,
			Elapsed: b.Elapsed,
			Size:    b.Size,
			TxCount: b.TxCount,
		}
	}
	return out
}

// rpcTemplater presents the block template generator to getblocktemplate.
// Templates are built paying the node's key; the RPC server gives each
// caller a coinbase of its own.
type rpcTemplater struct {
	gen   *mining.Generator
	payTo [wire.PubKeySize]byte
}

func (r rpcTemplater) NewBlockTemplate() (*rpcserver.BlockTemplate, error) {
	tmpl, err := r.gen.NewBlockTemplate(r.payTo)
	if err != nil {
		return nil, err
	}
	return &rpcserver.BlockTemplate{
		Block:            tmpl.Block,
		Height:           tmpl.Height,
		BlueScore:        tmpl.BlueScore,
		MinTimestamp:     tmpl.MinTimestamp,
		TxFees:           tmpl.TxFees,
		Subsidy:          tmpl.Subsidy,
		ExtraNonceOffset: mining.CoinbaseExtraNonceOffset,
		ExtraNonceLen:    mining.CoinbaseExtraNonceLen,
	}, nil
}

func (r rpcTemplater) NewCoinbase(blueScore uint64, payTo [wire.PubKeySize]byte) *wire.MsgTx {
	return r.gen.NewCoinbase(blueScore, payTo)
}

// rpcObserver returns the metrics as the RPC server's observer, or a nil
// interface when metrics are off (a nil *metrics.Metrics in the interface
// would cost every request a call).
func (n *Node) rpcObserver() rpcserver.RequestObserver {
	if n.metrics == nil {
		return nil
	}
	return n.metrics
}

// webUIHandler returns the web view's files when on, else nil.
func webUIHandler(on bool) http.Handler {
	if !on {
		return nil
	}
	return webui.Handler()
}

package node

import (
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/wire"
)

// RelayInventory announces iv to every connected peer except source (nil
// for none) that is not known to have it. It never blocks: announcements go
// through each peer's batched inventory queue. It implements
// netsync.PeerNotifier.
func (s *Server) RelayInventory(iv *wire.InvVect, source netsync.Peer) {
	s.peersMtx.RLock()
	defer s.peersMtx.RUnlock()
	for _, sp := range s.peers {
		if source != nil && netsync.Peer(sp) == source {
			continue
		}
		sp.QueueInventory(iv)
	}
}

// RelayTransactions announces transactions that entered the pool other than
// through a peer (the sendrawtransaction RPC) to every peer.
func (s *Server) RelayTransactions(descs []*mempool.TxDesc) {
	for _, d := range descs {
		s.RelayInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: d.TxID}, nil)
	}
}

// AddBlockAcceptedHook registers f to run for every block the DAG accepts,
// after the block was announced. Hooks run on the sync manager's goroutine,
// in acceptance order: they must return quickly and must not submit blocks.
// Register them before Start.
func (s *Server) AddBlockAcceptedHook(f func(*blockdag.BlockAcceptedData)) {
	s.hooksMtx.Lock()
	defer s.hooksMtx.Unlock()
	s.blockAcceptedHooks = append(s.blockAcceptedHooks, f)
}

// AddVirtualChangedHook registers f to run for every move of the virtual
// block, after the mempool was updated. The same rules as for
// AddBlockAcceptedHook apply.
func (s *Server) AddVirtualChangedHook(f func(*blockdag.VirtualChangedData)) {
	s.hooksMtx.Lock()
	defer s.hooksMtx.Unlock()
	s.virtualChangedHooks = append(s.virtualChangedHooks, f)
}

// AddTxAcceptedHook registers f to run for every transaction the pool
// accepts, whoever submitted it. It runs on the submitter's goroutine, after
// the pool released its lock: it must return quickly. Register hooks before
// Start.
func (s *Server) AddTxAcceptedHook(f func(tx *wire.MsgTx, txID wire.Hash, fee uint64)) {
	s.hooksMtx.Lock()
	defer s.hooksMtx.Unlock()
	s.txAcceptedHooks = append(s.txAcceptedHooks, f)
}

// handleDAGNotification is the node's DAG subscription. An accepted block
// is announced to the peers unless a download is making progress (the sync
// manager announces our tips when it ends, or when the sync peer stops
// connecting blocks, instead of one inv per downloaded block; it announces
// the node's own blocks at once); a virtual change updates the mempool.
func (s *Server) handleDAGNotification(n *blockdag.Notification) {
	switch n.Type {
	case blockdag.NTBlockAccepted:
		data, ok := n.Data.(*blockdag.BlockAcceptedData)
		if !ok {
			return
		}
		if !s.syncManager.RelayHeld() {
			iv := wire.InvVect{Type: wire.InvTypeBlock, Hash: data.Hash, Height: data.Height}
			s.RelayInventory(&iv, nil)
		}
		s.hooksMtx.RLock()
		hooks := s.blockAcceptedHooks
		s.hooksMtx.RUnlock()
		for _, f := range hooks {
			f(data)
		}

	case blockdag.NTVirtualChanged:
		data, ok := n.Data.(*blockdag.VirtualChangedData)
		if !ok {
			return
		}
		s.txPool.HandleVirtualChanged(data.AcceptedTxs, data.UnacceptedTxs)
		s.hooksMtx.RLock()
		hooks := s.virtualChangedHooks
		s.hooksMtx.RUnlock()
		for _, f := range hooks {
			f(data)
		}
	}
}

// txAccepted is the mempool's OnTxAccepted: it runs the registered hooks.
// Relay is not done here: transactions from peers are relayed by the sync
// manager (which knows the source) and those from RPC by
// RelayTransactions.
func (s *Server) txAccepted(tx *wire.MsgTx, txID wire.Hash, fee uint64) {
	s.cfg.Metrics.TxAccepted()
	s.hooksMtx.RLock()
	hooks := s.txAcceptedHooks
	s.hooksMtx.RUnlock()
	for _, f := range hooks {
		f(tx, txID, fee)
	}
}

package blockdag

import (
	"fmt"
	"math/big"

	"github.com/soterdag/soterd/wire"
)

// NotificationType identifies the kind of a Notification.
type NotificationType int

const (
	// NTBlockAccepted: a block joined the DAG. Data is
	// *BlockAcceptedData.
	NTBlockAccepted NotificationType = iota

	// NTVirtualChanged: the virtual block moved. Data is
	// *VirtualChangedData.
	NTVirtualChanged
)

// String returns the type's name.
func (t NotificationType) String() string {
	switch t {
	case NTBlockAccepted:
		return "NTBlockAccepted"
	case NTVirtualChanged:
		return "NTVirtualChanged"
	}
	return fmt.Sprintf("NotificationType(%d)", int(t))
}

// Notification is what subscribers receive.
type Notification struct {
	Type NotificationType
	Data interface{}
}

// BlockAcceptedData describes a block that joined the DAG.
type BlockAcceptedData struct {
	Block     *wire.MsgBlock
	Hash      wire.Hash
	Height    uint32
	BlueScore uint64
}

// VirtualChangedData describes a move of the virtual block.
type VirtualChangedData struct {
	// AddedChainBlocks are the blocks that joined the virtual's selected
	// chain, oldest first; RemovedChainBlocks those that left it, newest
	// first.
	AddedChainBlocks, RemovedChainBlocks []wire.Hash

	// AcceptedTxs are the transactions that became accepted (coinbases
	// included); UnacceptedTxs the non-coinbase transactions that were
	// accepted before and no longer are, so the mempool can take them
	// back. A transaction accepted both before and after is in neither.
	AcceptedTxs, UnacceptedTxs []*wire.MsgTx

	VirtualParents   []wire.Hash
	VirtualBlueScore uint64
	VirtualBlueWork  *big.Int

	// UTXOsAdded and UTXOsRemoved are the net change of the virtual's
	// UTXO set, in no particular order; they are set only when the UTXO
	// index is on (Config.UTXOIndex), for notifications by address.
	UTXOsAdded, UTXOsRemoved []UTXOChange
}

// Subscribe registers callback for every notification. Callbacks run after
// ProcessBlock released the DAG's locks, one at a time and in acceptance
// order; they may call the read methods but must not call ProcessBlock or
// CheckBlockTemplate.
func (d *BlockDAG) Subscribe(callback func(*Notification)) {
	d.subsLock.Lock()
	defer d.subsLock.Unlock()
	d.subscribers = append(d.subscribers, callback)
}

// sendNotifications delivers ns to every subscriber. It must be called with
// notifyLock held.
func (d *BlockDAG) sendNotifications(ns []*Notification) {
	if len(ns) == 0 {
		return
	}
	d.subsLock.Lock()
	subs := append([]func(*Notification){}, d.subscribers...)
	d.subsLock.Unlock()
	for _, n := range ns {
		for _, cb := range subs {
			cb(n)
		}
	}
}

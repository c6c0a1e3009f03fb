package rpcserver

import (
	"encoding/hex"
	"errors"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// noUTXOIndex is the answer of the UTXO index methods on a node without
// the index.
var noUTXOIndex = rpcmodel.NewRPCError(rpcmodel.ErrRPCMisc,
	"this node keeps no UTXO index: restart soterd with --utxoindex (it is built at the next start)")

// parseAddresses decodes address parameters to keys, dropping repeats.
func (s *Server) parseAddresses(addrs []string) ([][wire.PubKeySize]byte, error) {
	keys := make([][wire.PubKeySize]byte, 0, len(addrs))
	seen := make(map[[wire.PubKeySize]byte]struct{}, len(addrs))
	for _, a := range addrs {
		pub, err := address.Parse(s.cfg.Params.AddressPrefix, a)
		if err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidAddressOrKey, "%v", err)
		}
		if _, dup := seen[pub]; dup {
			continue
		}
		seen[pub] = struct{}{}
		keys = append(keys, pub)
	}
	return keys, nil
}

// spentInMempool reports whether a mempool transaction spends op.
func (s *Server) spentInMempool(op wire.OutPoint) bool {
	if s.cfg.Mempool == nil {
		return false
	}
	_, spent := s.cfg.Mempool.SpentBy(op)
	return spent
}

// indexError turns an index failure into an RPC error.
func indexError(err error) error {
	if errors.Is(err, blockdag.ErrNoUTXOIndex) {
		return noUTXOIndex
	}
	return rpcmodel.Errorf(rpcmodel.ErrRPCMisc, "reading the UTXO index: %v", err)
}

// handleGetBalance: getbalance address ...
func handleGetBalance(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.UTXOIndex == nil {
		return nil, noUTXOIndex
	}
	keys, err := s.parseAddresses(args.Strings(0))
	if err != nil {
		return nil, err
	}
	var balance, spendable, immature, pending uint64
	r := &rpcmodel.GetBalanceResult{}
	for _, pub := range keys {
		blueScore, err := s.cfg.UTXOIndex.ForEachUTXOOfKey(pub,
			func(vbs uint64, op wire.OutPoint, e *blockdag.UTXOEntry) bool {
				balance += e.Amount
				r.Outputs++
				switch {
				case !s.cfg.Params.IsMature(e, vbs):
					immature += e.Amount
				case s.spentInMempool(op):
					pending += e.Amount
				default:
					spendable += e.Amount
				}
				return true
			})
		if err != nil {
			return nil, indexError(err)
		}
		r.BlueScore = max(r.BlueScore, blueScore)
	}
	r.Balance = coins(balance)
	r.Spendable = coins(spendable)
	r.Immature = coins(immature)
	r.Pending = coins(pending)
	return r, nil
}

// keyText is a key as results show it: its address and its hex. A
// listing computes it once per key, not once per output.
type keyText struct {
	addr, hex string
}

func (s *Server) keyText(pub [wire.PubKeySize]byte) keyText {
	return keyText{address.Encode(s.cfg.Params.AddressPrefix, pub), hex.EncodeToString(pub[:])}
}

// unspentOutput is the JSON form of an unspent output locked to the key kt
// shows.
func (s *Server) unspentOutput(kt keyText, virtualBlueScore uint64, op wire.OutPoint, e *blockdag.UTXOEntry) rpcmodel.UnspentOutput {
	return rpcmodel.UnspentOutput{
		TxID:          op.TxID.String(),
		Vout:          op.Index,
		Address:       kt.addr,
		PubKey:        kt.hex,
		Amount:        coins(e.Amount),
		Confirmations: confirmationsOf(virtualBlueScore, e.BlueScore),
		BlueScore:     e.BlueScore,
		Coinbase:      e.IsCoinbase,
		Spendable:     s.cfg.Params.IsMature(e, virtualBlueScore),
	}
}

// handleListUnspent: listunspent address ...
func handleListUnspent(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.UTXOIndex == nil {
		return nil, noUTXOIndex
	}
	keys, err := s.parseAddresses(args.Strings(0))
	if err != nil {
		return nil, err
	}
	out := []rpcmodel.UnspentOutput{}
	tooMany := false
	for _, pub := range keys {
		kt := s.keyText(pub)
		_, err := s.cfg.UTXOIndex.ForEachUTXOOfKey(pub,
			func(vbs uint64, op wire.OutPoint, e *blockdag.UTXOEntry) bool {
				if s.spentInMempool(op) {
					return true
				}
				if len(out) >= rpcmodel.MaxListUnspent {
					tooMany = true
					return false
				}
				out = append(out, s.unspentOutput(kt, vbs, op, e))
				return true
			})
		if err != nil {
			return nil, indexError(err)
		}
		if tooMany {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
				"the addresses have more than %d unspent outputs, more than one reply holds; "+
					"ask for fewer addresses at a time", rpcmodel.MaxListUnspent)
		}
	}
	return out, nil
}

// handleNotifyUTXOs: notifyutxos address ...
func handleNotifyUTXOs(s *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	if s.cfg.UTXOIndex == nil {
		return nil, noUTXOIndex
	}
	keys, err := s.parseAddresses(args.Strings(0))
	if err != nil {
		return nil, err
	}
	c := cl.ws
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if c.watched == nil {
		c.watched = make(map[[wire.PubKeySize]byte]struct{}, len(keys))
	}
	added := 0
	for _, k := range keys {
		if _, ok := c.watched[k]; !ok {
			added++
		}
	}
	if len(c.watched)+added > rpcmodel.MaxWatchedAddresses {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
			"a client may watch at most %d addresses; it watches %d and asked for %d more",
			rpcmodel.MaxWatchedAddresses, len(c.watched), added)
	}
	for _, k := range keys {
		c.watched[k] = struct{}{}
	}
	c.watches.Store(len(c.watched) > 0)
	return nil, nil
}

// handleStopNotifyUTXOs: stopnotifyutxos (address ...)
func handleStopNotifyUTXOs(s *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	addrs := args.Strings(0)
	keys, err := s.parseAddresses(addrs)
	if err != nil {
		return nil, err
	}
	c := cl.ws
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if len(addrs) == 0 {
		c.watched = nil
	}
	for _, k := range keys {
		delete(c.watched, k)
	}
	c.watches.Store(len(c.watched) > 0)
	return nil, nil
}

// NotifyUTXOsChanged sends utxoschanged to each client watching an address
// whose outputs entered (added) or left (removed) the virtual's UTXO set.
// It never blocks. The node calls it for every virtual change when the
// UTXO index is on.
func (s *Server) NotifyUTXOsChanged(added, removed []blockdag.UTXOChange, virtualBlueScore uint64) {
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	clients := s.ntfn.subscribers(func(c *wsClient) bool { return c.watches.Load() })
	for _, c := range clients {
		n := rpcmodel.UTXOsChangedNtfn{
			VirtualBlueScore: virtualBlueScore,
			Added:            []rpcmodel.UnspentOutput{},
			Removed:          []rpcmodel.SpentOutput{},
		}
		c.watchMu.Lock()
		for i := range added {
			a := &added[i]
			if _, ok := c.watched[a.Entry.PubKey]; ok {
				n.Added = append(n.Added, s.unspentOutput(s.keyText(a.Entry.PubKey),
					virtualBlueScore, a.OutPoint, &a.Entry))
			}
		}
		for i := range removed {
			r := &removed[i]
			if _, ok := c.watched[r.Entry.PubKey]; ok {
				n.Removed = append(n.Removed, rpcmodel.SpentOutput{
					TxID:    r.OutPoint.TxID.String(),
					Vout:    r.OutPoint.Index,
					Address: address.Encode(s.cfg.Params.AddressPrefix, r.Entry.PubKey),
				})
			}
		}
		c.watchMu.Unlock()
		if len(n.Added) == 0 && len(n.Removed) == 0 {
			continue
		}
		if msg := marshalNtfn(rpcmodel.NtfnUTXOsChanged, n); msg != nil {
			c.queue(msg)
		}
	}
}

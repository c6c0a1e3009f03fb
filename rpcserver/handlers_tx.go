package rpcserver

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// handleGetRawMempool: getrawmempool (verbose=false).
func handleGetRawMempool(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Mempool == nil {
		return nil, unavailable("mempool")
	}
	entries := s.cfg.Mempool.Entries()
	if !args.Bool(0) {
		ids := make([]string, len(entries))
		for i := range entries {
			ids[i] = entries[i].TxID.String()
		}
		sort.Strings(ids)
		return ids, nil
	}
	inPool := make(map[wire.Hash]struct{}, len(entries))
	for i := range entries {
		inPool[entries[i].TxID] = struct{}{}
	}
	out := make(map[string]rpcmodel.GetRawMempoolVerboseResult, len(entries))
	for i := range entries {
		e := &entries[i]
		depends := []string{}
		seen := make(map[wire.Hash]struct{})
		for j := range e.Tx.TxIn {
			parent := e.Tx.TxIn[j].PreviousOutPoint.TxID
			if _, ok := inPool[parent]; !ok {
				continue
			}
			if _, dup := seen[parent]; dup {
				continue
			}
			seen[parent] = struct{}{}
			depends = append(depends, parent.String())
		}
		sort.Strings(depends)
		out[e.TxID.String()] = rpcmodel.GetRawMempoolVerboseResult{
			Size:    e.Tx.SerializeSize(),
			Fee:     coins(e.Fee),
			Time:    e.Added.Unix(),
			Height:  e.Height,
			Depends: depends,
		}
	}
	return out, nil
}

// handleGetMempoolInfo: getmempoolinfo.
func handleGetMempoolInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Mempool == nil {
		return nil, unavailable("mempool")
	}
	return rpcmodel.GetMempoolInfoResult{
		Size:  s.cfg.Mempool.Count(),
		Bytes: s.cfg.Mempool.Bytes(),
	}, nil
}

// noTxInfo is btcd's answer for an unknown transaction.
func noTxInfo(txID *wire.Hash) error {
	return rpcmodel.Errorf(rpcmodel.ErrRPCNoTxInfo,
		"no information available about transaction %s", txID)
}

// handleGetRawTransaction: getrawtransaction txid (verbose=0) (blockhash).
func handleGetRawTransaction(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	txID, err := decodeHash("txid", args.String(0))
	if err != nil {
		return nil, err
	}
	var (
		tx        *wire.MsgTx
		blockHash *wire.Hash
	)
	switch {
	case args.Has(2):
		blockHash, err = decodeHash("blockhash", args.String(2))
		if err != nil {
			return nil, err
		}
		block, err := s.cfg.DAG.BlockByHash(blockHash)
		if err != nil {
			return nil, blockLookupError(blockHash, err)
		}
		for _, btx := range block.Transactions {
			if btx.TxID() == *txID {
				tx = btx
				break
			}
		}
	default:
		if s.cfg.Mempool != nil {
			if mtx, ok := s.cfg.Mempool.FetchTransaction(txID); ok {
				tx = mtx
				break
			}
		}
		if s.cfg.TxLocator != nil {
			if ltx, block, ok := s.cfg.TxLocator.FindTransaction(txID); ok {
				tx, blockHash = ltx, &block
			}
		}
	}
	if tx == nil {
		if !args.Has(2) && s.cfg.TxLocator == nil {
			// Without the index only the mempool is searched: say
			// how to find a confirmed transaction.
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCNoTxInfo,
				"no information available about transaction %s: it is not in the mempool, "+
					"and without the transaction index only the mempool is searched; "+
					"restart soterd with --txindex or pass the hash of the block that holds it", txID)
		}
		return nil, noTxInfo(txID)
	}
	if args.Int(1) == 0 {
		return hex.EncodeToString(tx.Serialize()), nil
	}
	var t int64
	if blockHash != nil {
		if header, err := s.cfg.DAG.HeaderByHash(blockHash); err == nil {
			t = header.Timestamp / 1000
		}
	}
	return txRawResult(s.cfg.Params.AddressPrefix, tx, true, blockHash, t), nil
}

// decodeTx parses a hex transaction parameter: bad hex or bytes are -22.
func decodeTx(s string) (*wire.MsgTx, error) {
	b, err := decodeHex("hextx", s)
	if err != nil {
		return nil, err
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(b); err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCDeserialization, "TX decode failed: %v", err)
	}
	return &tx, nil
}

// handleSendRawTransaction: sendrawtransaction hextx (allowhighfees=false).
func handleSendRawTransaction(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Mempool == nil {
		return nil, unavailable("mempool")
	}
	tx, err := decodeTx(args.String(0))
	if err != nil {
		return nil, err
	}
	txID := tx.TxID()
	if !args.Bool(1) {
		if fee, ok := s.knownFee(tx); ok && mempool.IsHighFee(fee, tx.SerializeSize()) {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCVerify,
				"TX rejected: its fee of %v coins is more than such a transaction needs "+
					"(a forgotten change output?); fees are burned. Pass allowhighfees true to send it anyway",
				coins(fee))
		}
	}
	if err := s.cfg.Mempool.ProcessTransaction(tx); err != nil {
		log.Debugf("Rejected transaction %s from RPC: %v", txID, err)
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCVerify, "TX rejected: %v", err)
	}
	return txID.String(), nil
}

// knownFee returns the fee of tx when every output it spends is known, in
// the virtual's UTXO set or among the mempool's transactions.
func (s *Server) knownFee(tx *wire.MsgTx) (uint64, bool) {
	var in uint64
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		if e, ok := s.cfg.DAG.FetchUTXO(op); ok && e != nil {
			in += e.Amount
			continue
		}
		parent, ok := s.cfg.Mempool.FetchTransaction(&op.TxID)
		if !ok || int(op.Index) >= len(parent.TxOut) {
			return 0, false
		}
		in += parent.TxOut[op.Index].Value
	}
	var out uint64
	for i := range tx.TxOut {
		out += tx.TxOut[i].Value
	}
	if in < out || in > blockdag.MaxSupply {
		return 0, false // the mempool refuses it with the reason
	}
	return in - out, true
}

// handleGetTxOut: gettxout txid vout (includemempool=true).
func handleGetTxOut(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	txID, err := decodeHash("txid", args.String(0))
	if err != nil {
		return nil, err
	}
	index := uint32(args.Int(1))
	vi := s.cfg.DAG.VirtualInfo()
	if args.Bool(2) && s.cfg.Mempool != nil {
		if tx, ok := s.cfg.Mempool.FetchTransaction(txID); ok {
			if int(index) >= len(tx.TxOut) {
				return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidTxVout,
					"output index %d does not exist: transaction %s has %d outputs",
					index, txID, len(tx.TxOut))
			}
			out := &tx.TxOut[index]
			return &rpcmodel.GetTxOutResult{
				BestBlock: vi.SelectedParent.String(),
				Value:     coins(out.Value),
				Address:   address.Encode(s.cfg.Params.AddressPrefix, out.PubKey),
				PubKey:    hex.EncodeToString(out.PubKey[:]),
			}, nil
		}
	}
	entry, ok := s.cfg.DAG.FetchUTXO(wire.OutPoint{TxID: *txID, Index: index})
	if !ok || entry == nil {
		return nil, nil
	}
	return &rpcmodel.GetTxOutResult{
		BestBlock:     vi.SelectedParent.String(),
		Confirmations: confirmationsOf(vi.BlueScore, entry.BlueScore),
		Value:         coins(entry.Amount),
		Address:       address.Encode(s.cfg.Params.AddressPrefix, entry.PubKey),
		PubKey:        hex.EncodeToString(entry.PubKey[:]),
		Coinbase:      entry.IsCoinbase,
		BlueScore:     entry.BlueScore,
	}, nil
}

// maxCreateOutputs bounds createrawtransaction's outputs, as the decoder
// bounds a transaction's.
const maxCreateOutputs = wire.MaxTxOutPerTx

// handleCreateRawTransaction: createrawtransaction inputs outputs
// (locktime=0).
func handleCreateRawTransaction(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	var inputs []json.RawMessage
	if err := json.Unmarshal(args.Raw(0), &inputs); err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams, "inputs: %v", err)
	}
	if len(inputs) > wire.MaxTxInPerTx {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
			"inputs: %d is over the limit of %d", len(inputs), wire.MaxTxInPerTx)
	}
	tx := &wire.MsgTx{Version: wire.TxVersion, LockTime: uint64(args.Int(2))}
	for i, raw := range inputs {
		var in struct {
			TxID *string `json:"txid"`
			Vout *int64  `json:"vout"`
		}
		if err := json.Unmarshal(raw, &in); err != nil || in.TxID == nil || in.Vout == nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams,
				`inputs[%d] must be an object {"txid": "hex", "vout": n}`, i)
		}
		txID, err := decodeHash(fmt.Sprintf("inputs[%d].txid", i), *in.TxID)
		if err != nil {
			return nil, err
		}
		if *in.Vout < 0 || *in.Vout > math.MaxUint32 {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
				"inputs[%d].vout: %d is not in 0..%d", i, *in.Vout, uint32(math.MaxUint32))
		}
		tx.TxIn = append(tx.TxIn, wire.TxIn{
			PreviousOutPoint: wire.OutPoint{TxID: *txID, Index: uint32(*in.Vout)},
		})
	}
	outputs, err := parseOutputs(args.Raw(1), s.cfg.Params.AddressPrefix)
	if err != nil {
		return nil, err
	}
	tx.TxOut = outputs
	return hex.EncodeToString(tx.Serialize()), nil
}

// parseOutputs reads createrawtransaction's outputs object, keeping the
// client's order (a Go map would shuffle the outputs).
func parseOutputs(raw json.RawMessage, prefix string) ([]wire.TxOut, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the opening brace, checked by ParseParams
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams, "outputs: %v", err)
	}
	var outs []wire.TxOut
	seen := make(map[[wire.PubKeySize]byte]struct{})
	for dec.More() {
		if len(outs) >= maxCreateOutputs {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
				"outputs: more than the limit of %d", maxCreateOutputs)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams, "outputs: %v", err)
		}
		// The key of an output is an address, or its key in hex.
		keyHex, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams, "outputs: %v", err)
		}
		key, err := address.Parse(prefix, keyHex)
		if err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidAddressOrKey,
				"invalid address %s: %v", clip(keyHex), err)
		}
		if _, dup := seen[key]; dup {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
				"invalid parameter, duplicated public key: %s", keyHex)
		}
		seen[key] = struct{}{}
		amount, err := parseAmount(value)
		if err != nil {
			return nil, err
		}
		outs = append(outs, wire.TxOut{Value: amount, PubKey: key})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParams, "outputs: %v", err)
	}
	return outs, nil
}

// parseAmount converts a JSON amount in coins to base units: positive, at
// most the maximum supply, and at most 8 decimals (finer amounts are
// rounded to the nearest base unit, as btcd does).
func parseAmount(raw json.RawMessage) (uint64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, rpcmodel.Errorf(rpcmodel.ErrRPCType, "invalid amount %s: not a number",
			clip(string(raw)))
	}
	units := math.Round(f * blockdag.BaseUnitsPerCoin)
	if math.IsNaN(units) || units <= 0 || units > blockdag.MaxSupply {
		return 0, rpcmodel.Errorf(rpcmodel.ErrRPCType,
			"invalid amount %v: must be above 0 and at most %v coins",
			f, float64(blockdag.MaxSupply)/blockdag.BaseUnitsPerCoin)
	}
	return uint64(units), nil
}

// handleDecodeRawTransaction: decoderawtransaction hextx.
func handleDecodeRawTransaction(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	tx, err := decodeTx(args.String(0))
	if err != nil {
		return nil, err
	}
	return txRawResult(s.cfg.Params.AddressPrefix, tx, false, nil, 0), nil
}

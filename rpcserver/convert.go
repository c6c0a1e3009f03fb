package rpcserver

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// Conversions from domain types to the JSON shapes of rpcmodel, and the
// parameter decoders every handler shares so that bad input gets the same
// code and message wherever it appears.

// hashStrings returns hashes as byte-reversed hex; never nil, so JSON shows
// an empty array rather than null.
func hashStrings(hashes []wire.Hash) []string {
	out := make([]string, len(hashes))
	for i := range hashes {
		out[i] = hashes[i].String()
	}
	return out
}

// hashOrEmpty returns the hash as hex, or "" for the zero hash (the
// "none" of BlockInfo's SelectedParent and AcceptingBlock).
func hashOrEmpty(h wire.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()
}

// decodeHash parses a byte-reversed hex hash parameter; a bad one is btcd's
// -22.
func decodeHash(name, s string) (*wire.Hash, error) {
	h, err := wire.NewHashFromStr(s)
	if err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCDecodeHexString,
			"%s must be a hash of 64 hexadecimal characters, not %s", name, clip(s))
	}
	return h, nil
}

// decodeHex parses a hex parameter; a bad one is btcd's -22.
func decodeHex(name, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCDecodeHexString,
			"%s must be a hexadecimal string: %v", name, err)
	}
	return b, nil
}

// coins converts base units to coins for JSON amounts.
func coins(amount uint64) float64 {
	return float64(amount) / blockdag.BaseUnitsPerCoin
}

// difficultyRatio returns how many times harder than the network's easiest
// target the target of bits is: btcd's getdifficulty number.
func difficultyRatio(bits uint32, params *blockdag.Params) float64 {
	target := wire.CompactToBig(bits)
	if target.Sign() <= 0 {
		return 0
	}
	ratio := new(big.Rat).SetFrac(params.PowLimit, target)
	f, _ := ratio.Float64()
	return f
}

// bitsHex formats compact bits the way btcd shows them.
func bitsHex(bits uint32) string {
	return fmt.Sprintf("%08x", bits)
}

// blueWorkHex formats blue work as hex, "0" when unknown.
func blueWorkHex(w *big.Int) string {
	if w == nil {
		return "0"
	}
	return w.Text(16)
}

// txRawResult decodes a transaction for JSON. blockHash and t are the
// containing block and a time (unix seconds), both optional.
func txRawResult(prefix string, tx *wire.MsgTx, withHex bool, blockHash *wire.Hash, t int64) rpcmodel.TxRawResult {
	r := rpcmodel.TxRawResult{
		TxID:     tx.TxID().String(),
		Version:  tx.Version,
		Size:     tx.SerializeSize(),
		LockTime: tx.LockTime,
		Vin:      make([]rpcmodel.Vin, len(tx.TxIn)),
		Vout:     make([]rpcmodel.Vout, len(tx.TxOut)),
		Coinbase: tx.IsCoinBase(),
		Time:     t,
	}
	if withHex {
		r.Hex = hex.EncodeToString(tx.Serialize())
	}
	if len(tx.Payload) > 0 {
		r.Payload = hex.EncodeToString(tx.Payload)
	}
	for i := range tx.TxIn {
		in := &tx.TxIn[i]
		r.Vin[i] = rpcmodel.Vin{
			TxID:      in.PreviousOutPoint.TxID.String(),
			Vout:      in.PreviousOutPoint.Index,
			Signature: hex.EncodeToString(in.Signature[:]),
		}
	}
	for i := range tx.TxOut {
		out := &tx.TxOut[i]
		r.Vout[i] = rpcmodel.Vout{
			Value:   coins(out.Value),
			N:       uint32(i),
			Address: address.Encode(prefix, out.PubKey),
			PubKey:  hex.EncodeToString(out.PubKey[:]),
		}
	}
	if blockHash != nil && !blockHash.IsZero() {
		r.BlockHash = blockHash.String()
	}
	return r
}

// blockNotFound is btcd's answer for an unknown block.
func blockNotFound(hash *wire.Hash) error {
	return rpcmodel.Errorf(rpcmodel.ErrRPCBlockNotFound, "block not found: %s", hash)
}

// blockLookupError maps a DAG lookup error: not found is the client's -5,
// a pruned body -1 with the lowest height kept, anything else is ours.
func blockLookupError(hash *wire.Hash, err error) error {
	if errors.Is(err, blockdag.ErrBlockNotFound) {
		return blockNotFound(hash)
	}
	var re blockdag.RuleError
	if errors.Is(err, blockdag.ErrBlockPruned) && errors.As(err, &re) {
		// bitcoind's answer for pruned data, with where the node
		// pruned.
		return rpcmodel.Errorf(rpcmodel.ErrRPCMisc, "block not available (pruned data): %s",
			re.Description)
	}
	return fmt.Errorf("look up block %s: %w", hash, err)
}

// unavailable is the answer of a method whose state source the node did not
// configure.
func unavailable(what string) error {
	return rpcmodel.Errorf(rpcmodel.ErrRPCUnimplemented, "this node has no %s", what)
}

// confirmationsOf returns a block's confirmations: the virtual's blue score
// minus the block's, the blue blocks that came after it.
func confirmationsOf(virtualBlueScore, blueScore uint64) uint64 {
	if virtualBlueScore < blueScore {
		return 0
	}
	return virtualBlueScore - blueScore
}

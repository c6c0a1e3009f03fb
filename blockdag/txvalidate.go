package blockdag

import (
	"encoding/binary"
	"fmt"

	"github.com/soterdag/soterd/internal/schnorrbatch"
	"github.com/soterdag/soterd/wire"
)

// BlockVersion is the only block version this node accepts.
const BlockVersion int32 = 1

// minCoinbasePayloadLen is the blue score (8 bytes) every coinbase payload
// starts with; the blue score makes coinbases of different blue scores
// distinct, and the miner's extra nonce after it makes siblings distinct.
const minCoinbasePayloadLen = 8

// UTXOEntry is an unspent output with what consensus needs to spend it.
type UTXOEntry struct {
	Amount uint64
	PubKey [wire.PubKeySize]byte
	// BlueScore is the blue score of the block whose transaction created
	// the output; maturity counts from it.
	BlueScore  uint64
	IsCoinbase bool
}

// TxOut returns the entry as the output it came from, as signature hashes
// commit to it.
func (e *UTXOEntry) TxOut() wire.TxOut {
	return wire.TxOut{Value: e.Amount, PubKey: e.PubKey}
}

// CoinbaseBlueScore returns the blue score a coinbase payload starts with.
func CoinbaseBlueScore(tx *wire.MsgTx) (uint64, error) {
	if len(tx.Payload) < minCoinbasePayloadLen {
		return 0, ruleError(ErrBadCoinbasePayload, fmt.Sprintf(
			"coinbase payload of %d bytes is shorter than the %d-byte blue score",
			len(tx.Payload), minCoinbasePayloadLen))
	}
	return binary.LittleEndian.Uint64(tx.Payload), nil
}

// CheckTransactionSanity applies the context-free rules to a transaction:
// version, shape, size, output values, duplicate inputs, payload. It does not
// look at the UTXO set or signatures.
func CheckTransactionSanity(tx *wire.MsgTx, params *Params) error {
	if tx.Version != wire.TxVersion {
		return ruleError(ErrBadTxVersion, fmt.Sprintf(
			"transaction version %d is not %d", tx.Version, wire.TxVersion))
	}
	if size := tx.SerializeSize(); size > params.MaxBlockSize {
		return ruleError(ErrTxTooBig, fmt.Sprintf(
			"transaction of %d bytes exceeds the block size limit of %d",
			size, params.MaxBlockSize))
	}
	if tx.IsCoinBase() {
		n := len(tx.Payload)
		if n < minCoinbasePayloadLen || n > params.MaxCoinbasePayloadLen {
			return ruleError(ErrBadCoinbasePayload, fmt.Sprintf(
				"coinbase payload of %d bytes is outside %d..%d",
				n, minCoinbasePayloadLen, params.MaxCoinbasePayloadLen))
		}
	} else {
		if len(tx.Payload) != 0 {
			return ruleError(ErrTxPayload, "non-coinbase transaction has a payload")
		}
		if len(tx.TxOut) == 0 {
			return ruleError(ErrNoTxOutputs, "transaction has no outputs")
		}
	}
	var total uint64
	for i := range tx.TxOut {
		v := tx.TxOut[i].Value
		if v == 0 || v > MaxSupply {
			return ruleError(ErrBadTxOutValue, fmt.Sprintf(
				"output %d value %d is outside 1..%d", i, v, uint64(MaxSupply)))
		}
		total += v
		if total > MaxSupply {
			return ruleError(ErrBadTxOutValue, fmt.Sprintf(
				"outputs total more than the maximum supply %d", uint64(MaxSupply)))
		}
	}
	if len(tx.TxIn) > 1 {
		seen := make(map[wire.OutPoint]struct{}, len(tx.TxIn))
		for i := range tx.TxIn {
			op := tx.TxIn[i].PreviousOutPoint
			if _, dup := seen[op]; dup {
				return ruleError(ErrDuplicateTxInputs, fmt.Sprintf(
					"transaction spends %s twice", op))
			}
			seen[op] = struct{}{}
		}
	}
	return nil
}

// IsFinalized reports whether a transaction may be included at the given
// blue score: its lock time is zero or not above that blue score.
func IsFinalized(tx *wire.MsgTx, blueScore uint64) bool {
	return tx.LockTime == 0 || tx.LockTime <= blueScore
}

// CheckTransactionInputs checks a sane, non-coinbase transaction against the
// outputs it spends, as found in some UTXO state, at the blue score of the
// block that would include it: finality, coinbase maturity, and that inputs
// cover outputs. entries[i] is the output input i spends. It returns the fee
// (inputs minus outputs). Signatures are checked separately by
// VerifySignatures, so callers can batch that costly step across cores.
func CheckTransactionInputs(tx *wire.MsgTx, blueScore uint64, entries []*UTXOEntry,
	params *Params) (uint64, error) {

	if tx.IsCoinBase() {
		return 0, ruleError(ErrNoTxInputs, "coinbase has no inputs to check")
	}
	if len(entries) != len(tx.TxIn) {
		return 0, ruleError(ErrMissingTxOut, fmt.Sprintf(
			"%d spent outputs for %d inputs", len(entries), len(tx.TxIn)))
	}
	if !IsFinalized(tx, blueScore) {
		return 0, ruleError(ErrUnfinalizedTx, fmt.Sprintf(
			"transaction locked until blue score %d, block blue score is %d",
			tx.LockTime, blueScore))
	}
	var in uint64
	for i, e := range entries {
		if e == nil {
			return 0, ruleError(ErrMissingTxOut, fmt.Sprintf(
				"input %d spends %s, which does not exist or is spent",
				i, tx.TxIn[i].PreviousOutPoint))
		}
		if e.IsCoinbase && blueScore < e.BlueScore+params.CoinbaseMaturity {
			return 0, ruleError(ErrImmatureSpend, fmt.Sprintf(
				"input %d spends a coinbase output from blue score %d at blue score %d; "+
					"it matures after %d", i, e.BlueScore, blueScore, params.CoinbaseMaturity))
		}
		in += e.Amount
		if in > MaxSupply || e.Amount > MaxSupply {
			return 0, ruleError(ErrBadTxOutValue, "inputs total more than the maximum supply")
		}
	}
	var out uint64
	for i := range tx.TxOut {
		out += tx.TxOut[i].Value
	}
	if out > in {
		return 0, ruleError(ErrSpendTooHigh, fmt.Sprintf(
			"outputs total %d, more than the inputs' %d", out, in))
	}
	return in - out, nil
}

// VerifySignatures checks every input's BIP-340 signature against the key of
// the output it spends, one at a time (blocks batch theirs: sigverify.go).
// txID must be tx.TxID(); passing it saves recomputing it when the caller
// already has it. The rules are BIP-340's exactly (schnorrbatch.Verify):
// r below p, s below n, the key's x on the curve.
func VerifySignatures(tx *wire.MsgTx, txID wire.Hash, entries []*UTXOEntry) error {
	if len(entries) != len(tx.TxIn) {
		return ruleError(ErrMissingTxOut, fmt.Sprintf(
			"%d spent outputs for %d inputs", len(entries), len(tx.TxIn)))
	}
	prevOuts := make([]wire.TxOut, len(entries))
	for i, e := range entries {
		prevOuts[i] = e.TxOut()
	}
	prevOutsHash := wire.PrevOutsHash(prevOuts)
	for i := range tx.TxIn {
		sighash := wire.SignatureHashFromParts(txID, uint32(i), prevOutsHash)
		if err := schnorrbatch.Verify(entries[i].PubKey, sighash, tx.TxIn[i].Signature); err != nil {
			return ruleError(ErrBadSignature, fmt.Sprintf("input %d: %v", i, err))
		}
	}
	return nil
}

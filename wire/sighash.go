package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// sighashTag domain-separates signature hashes from every other hash in the
// protocol, so a signature over a sighash can never be replayed as a
// signature over something else.
var sighashTag = sha256.Sum256([]byte("soterd/sighash"))

// PrevOutsHash commits to the value and key of every output a transaction
// spends, in input order. Compute it once per transaction and pass it to
// SignatureHash for each input.
func PrevOutsHash(prevOuts []TxOut) Hash {
	h := sha256.New()
	var buf [TxOutSerializeSize]byte
	for i := range prevOuts {
		binary.LittleEndian.PutUint64(buf[:8], prevOuts[i].Value)
		copy(buf[8:], prevOuts[i].PubKey[:])
		h.Write(buf[:])
	}
	var first Hash
	h.Sum(first[:0])
	return Hash(sha256.Sum256(first[:]))
}

// SignatureHashFromParts is SignatureHash for callers that already hold the
// txid and the PrevOutsHash; it costs one short hash per input.
func SignatureHashFromParts(txID Hash, inputIndex uint32, prevOutsHash Hash) Hash {
	var buf [32 + 32 + 32 + 32 + 4]byte
	copy(buf[0:], sighashTag[:])
	copy(buf[32:], sighashTag[:])
	copy(buf[64:], txID[:])
	copy(buf[96:], prevOutsHash[:])
	binary.LittleEndian.PutUint32(buf[128:], inputIndex)
	return Hash(sha256.Sum256(buf[:]))
}

// SignatureHash returns the 32-byte message that input inputIndex of tx signs
// with BIP-340 Schnorr. It commits to the whole transaction without
// signatures (through its txid), to the input index, and to the value and key
// of every output the transaction spends (prevOuts, in input order), so a
// signer knows exactly what it spends and no signature can be moved to
// another input or transaction.
func SignatureHash(tx *MsgTx, inputIndex int, prevOuts []TxOut) (Hash, error) {
	if inputIndex < 0 || inputIndex >= len(tx.TxIn) {
		return Hash{}, messageError(ErrInvalidValue, fmt.Sprintf(
			"signature hash: input index %d out of range for %d inputs",
			inputIndex, len(tx.TxIn)))
	}
	if len(prevOuts) != len(tx.TxIn) {
		return Hash{}, messageError(ErrInvalidValue, fmt.Sprintf(
			"signature hash: %d previous outputs for %d inputs",
			len(prevOuts), len(tx.TxIn)))
	}
	return SignatureHashFromParts(tx.TxID(), uint32(inputIndex), PrevOutsHash(prevOuts)), nil
}

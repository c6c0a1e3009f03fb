package keys

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/wire"
)

// SignTx signs every input of tx in place. prevOuts[i] is the output input i
// spends (its value and key are part of what every signature commits to),
// and privKeys[i] the key that output is locked to. A key that does not
// match its output is an error rather than a signature that would fail
// verification later. Signing does not change the txid, which excludes
// signatures.
func SignTx(tx *wire.MsgTx, prevOuts []wire.TxOut, privKeys []*btcec.PrivateKey) error {
	if len(tx.TxIn) == 0 {
		return keyError(ErrSignInputs, "transaction has no inputs to sign")
	}
	if len(prevOuts) != len(tx.TxIn) {
		return keyError(ErrSignInputs, fmt.Sprintf(
			"%d previous outputs for %d inputs", len(prevOuts), len(tx.TxIn)))
	}
	if len(privKeys) != len(tx.TxIn) {
		return keyError(ErrSignInputs, fmt.Sprintf(
			"%d private keys for %d inputs", len(privKeys), len(tx.TxIn)))
	}
	for i, priv := range privKeys {
		if priv == nil {
			return keyError(ErrSignInputs, fmt.Sprintf("no private key for input %d", i))
		}
		if pub := PubKey(priv); pub != prevOuts[i].PubKey {
			return keyError(ErrKeyMismatch, fmt.Sprintf(
				"input %d spends an output locked to %x, but the key given is for %x",
				i, prevOuts[i].PubKey, pub))
		}
	}

	// The txid and the commitment to the spent outputs are the same for
	// every input: compute them once.
	txID := tx.TxID()
	prevOutsHash := wire.PrevOutsHash(prevOuts)
	sigs := make([][wire.SignatureSize]byte, len(tx.TxIn))
	for i, priv := range privKeys {
		sighash := wire.SignatureHashFromParts(txID, uint32(i), prevOutsHash)
		sig, err := schnorr.Sign(priv, sighash[:])
		if err != nil {
			return fmt.Errorf("sign input %d: %w", i, err)
		}
		copy(sigs[i][:], sig.Serialize())
	}
	// Only write the signatures once all of them were made, so a failure
	// leaves the transaction as it was.
	for i := range tx.TxIn {
		tx.TxIn[i].Signature = sigs[i]
	}
	return nil
}

// VerifyInput reports whether input i of tx carries a valid signature for
// the output it spends. prevOuts is as for SignTx. Consensus checks live in
// package blockdag; this is for tools that want to check their own work.
func VerifyInput(tx *wire.MsgTx, i int, prevOuts []wire.TxOut) bool {
	sighash, err := wire.SignatureHash(tx, i, prevOuts)
	if err != nil {
		return false
	}
	key, err := schnorr.ParsePubKey(prevOuts[i].PubKey[:])
	if err != nil {
		return false
	}
	sig, err := schnorr.ParseSignature(tx.TxIn[i].Signature[:])
	if err != nil {
		return false
	}
	return sig.Verify(sighash[:], key)
}

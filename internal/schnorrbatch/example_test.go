package schnorrbatch_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/internal/schnorrbatch"
)

// This example verifies the signatures of a block's inputs in one batch and,
// when the batch fails, names the bad input.
func ExampleBatch() {
	// Three signed inputs; in a node they come from transactions and the
	// outputs they spend.
	type input struct {
		pubKey  [32]byte
		sighash [32]byte
		sig     [64]byte
	}
	var inputs []input
	for i := byte(1); i <= 3; i++ {
		secret := sha256.Sum256([]byte{'k', i})
		priv, _ := btcec.PrivKeyFromBytes(secret[:])
		var in input
		copy(in.pubKey[:], schnorr.SerializePubKey(priv.PubKey()))
		in.sighash = sha256.Sum256([]byte{'t', 'x', i})
		sig, _ := schnorr.Sign(priv, in.sighash[:])
		copy(in.sig[:], sig.Serialize())
		inputs = append(inputs, in)
	}

	keys := schnorrbatch.NewKeyCache(1000) // shared by all workers
	b := schnorrbatch.New(len(inputs), keys)
	for _, in := range inputs {
		b.Add(in.pubKey, in.sighash, in.sig)
	}
	fmt.Println("batch valid:", b.Verify())

	// Input 1 signs another transaction.
	inputs[1].sighash[0] ^= 1
	b.Reset()
	for _, in := range inputs {
		b.Add(in.pubKey, in.sighash, in.sig)
	}
	if !b.Verify() {
		i, err := b.FirstInvalid()
		fmt.Println("bad input:", i, err != nil)
	}

	// Output:
	// batch valid: true
	// bad input: 1 true
}

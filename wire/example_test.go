package wire_test

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/wire"
)

// This example builds a transaction that spends one output, signs its input
// with BIP-340 Schnorr over the signature hash, and shows that signing does
// not change the txid.
func ExampleMsgTx_TxID() {
	// A fixed key keeps the output stable; a wallet uses a random one.
	var seed [32]byte
	seed[31] = 1
	priv, pub := btcec.PrivKeyFromBytes(seed[:])
	var pubKey [wire.PubKeySize]byte
	copy(pubKey[:], schnorr.SerializePubKey(pub))

	prevTxID, err := wire.NewHashFromStr(
		"4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")
	if err != nil {
		fmt.Println(err)
		return
	}
	tx := &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: *prevTxID, Index: 0}}},
		TxOut:   []wire.TxOut{{Value: 4_000_000_000, PubKey: pubKey}},
	}
	unsigned := tx.TxID()

	// The signature commits to the value and key of the output it spends.
	prevOuts := []wire.TxOut{{Value: 5_000_000_000, PubKey: pubKey}}
	sigHash, err := wire.SignatureHash(tx, 0, prevOuts)
	if err != nil {
		fmt.Println(err)
		return
	}
	sig, err := schnorr.Sign(priv, sigHash[:])
	if err != nil {
		fmt.Println(err)
		return
	}
	copy(tx.TxIn[0].Signature[:], sig.Serialize())

	fmt.Println("txid:", tx.TxID())
	fmt.Println("txid unchanged by signing:", tx.TxID() == unsigned)
	fmt.Println("signature verifies:", sig.Verify(sigHash[:], pub))
	fmt.Println("encoded size:", len(tx.Serialize()))

	// Output:
	// txid: 85ac0650ed7a4542b73a7d73651511f90f04148008a6c57ece2440af0a5231a9
	// txid unchanged by signing: true
	// signature verifies: true
	// encoded size: 153
}

// This example writes a ping frame to a stream and reads it back, the way a
// peer's write and read loops do.
func ExampleReadMessage() {
	var conn bytes.Buffer
	ping := &wire.MsgPing{Nonce: 0x0123456789abcdef}
	if _, err := wire.WriteMessage(&conn, ping, wire.ProtocolVersion, wire.MainNet); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("frame:", hex.EncodeToString(conn.Bytes()))

	n, msg, _, err := wire.ReadMessage(&conn, wire.ProtocolVersion, wire.MainNet)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m := msg.(type) {
	case *wire.MsgPing:
		fmt.Printf("read %d bytes: %s nonce %#x\n", n, m.Command(), m.Nonce)
	default:
		fmt.Println("unexpected", msg.Command())
	}

	// Output:
	// frame: 736f747270696e6700000000000000000800000033bc15e5efcdab8967452301
	// read 32 bytes: ping nonce 0x123456789abcdef
}

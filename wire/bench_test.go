package wire

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// benchBlock builds a block with a 3-parent header, a coinbase and txCount
// one-input one-output transactions carrying real BIP-340 signatures.
func benchBlock(tb testing.TB, txCount int) *MsgBlock {
	tb.Helper()
	var seed [32]byte
	seed[31] = 1
	priv, pub := btcec.PrivKeyFromBytes(seed[:])
	var pubKey [PubKeySize]byte
	copy(pubKey[:], schnorr.SerializePubKey(pub))

	blk := &MsgBlock{
		Header: BlockHeader{
			Version:   1,
			Parents:   []Hash{repHash(0x11), repHash(0x22), repHash(0x33)},
			Timestamp: 1700000000000,
			Bits:      0x207fffff,
		},
		Transactions: []*MsgTx{{
			Version:  TxVersion,
			TxOut:    []TxOut{{Value: 5000000000, PubKey: pubKey}},
			LockTime: 0,
			Payload:  []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		}},
	}
	prevOuts := []TxOut{{Value: 1000, PubKey: pubKey}}
	for i := 0; i < txCount; i++ {
		var prev Hash
		binary.LittleEndian.PutUint64(prev[:], uint64(i))
		tx := &MsgTx{
			Version: TxVersion,
			TxIn:    []TxIn{{PreviousOutPoint: OutPoint{TxID: prev, Index: uint32(i % 3)}}},
			TxOut:   []TxOut{{Value: 900, PubKey: pubKey}},
		}
		sigHash, err := SignatureHash(tx, 0, prevOuts)
		if err != nil {
			tb.Fatal(err)
		}
		sig, err := schnorr.Sign(priv, sigHash[:])
		if err != nil {
			tb.Fatal(err)
		}
		copy(tx.TxIn[0].Signature[:], sig.Serialize())
		blk.Transactions = append(blk.Transactions, tx)
	}
	blk.Header.MerkleRoot = BlockMerkleRoot(blk.Transactions)
	return blk
}

// BenchmarkBlockEncode measures serializing a 1,000-transaction block.
func BenchmarkBlockEncode(b *testing.B) {
	blk := benchBlock(b, 1000)
	b.SetBytes(int64(blk.SerializeSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := blk.Encode(nil, ProtocolVersion); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockDecode measures decoding a 1,000-transaction block.
func BenchmarkBlockDecode(b *testing.B) {
	raw := benchBlock(b, 1000).Serialize()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var blk MsgBlock
		if err := blk.Deserialize(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeaderHash measures the block hash of a 3-parent header.
func BenchmarkHeaderHash(b *testing.B) {
	hdr := benchBlock(b, 0).Header
	b.SetBytes(int64(hdr.SerializeSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = hdr.BlockHash()
	}
}

// BenchmarkTxID measures the txid of a signed one-input one-output
// transaction.
func BenchmarkTxID(b *testing.B) {
	tx := benchBlock(b, 1).Transactions[1]
	b.SetBytes(int64(tx.SerializeSize() - SignatureSize))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tx.TxID()
	}
}

// BenchmarkReadMessageBlock measures reading and decoding a framed
// 1,000-transaction block: header checks, payload read, checksum, decode.
func BenchmarkReadMessageBlock(b *testing.B) {
	frame, err := EncodeMessage(benchBlock(b, 1000), ProtocolVersion, MainNet)
	if err != nil {
		b.Fatal(err)
	}
	r := bytes.NewReader(frame)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Reset(frame)
		if _, _, _, err := ReadMessage(r, ProtocolVersion, MainNet); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteMessageBlock measures framing and writing a
// 1,000-transaction block.
func BenchmarkWriteMessageBlock(b *testing.B) {
	blk := benchBlock(b, 1000)
	b.SetBytes(int64(MessageHeaderSize + blk.SerializeSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := WriteMessage(io.Discard, blk, ProtocolVersion, MainNet); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMerkleRoot measures the merkle root of a 1,001-transaction
// block, txids included.
func BenchmarkMerkleRoot(b *testing.B) {
	blk := benchBlock(b, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = BlockMerkleRoot(blk.Transactions)
	}
}

// BenchmarkSignatureHash measures the sighash of one input.
func BenchmarkSignatureHash(b *testing.B) {
	tx := benchBlock(b, 1).Transactions[1]
	prevOuts := []TxOut{{Value: 1000}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SignatureHash(tx, 0, prevOuts); err != nil {
			b.Fatal(err)
		}
	}
}

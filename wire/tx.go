package wire

import (
	"encoding/binary"
	"strconv"
)

// Transaction layout (little-endian integers, varint counts):
//
//	field      type                         size
//	version    uint16                       2
//	inputs     varint count + inputs        1-9 + count*100
//	  prevTxid   hash                         32
//	  prevIndex  uint32                       4
//	  signature  [64]byte (BIP-340 Schnorr)   64
//	outputs    varint count + outputs       1-9 + count*40
//	  value      uint64 (base units)          8
//	  pubKey     [32]byte (x-only, BIP-340)   32
//	lockTime   uint64                       8
//	payload    varint length + bytes        1-9 + length
//
// The txid is the double SHA-256 of the same bytes without the signatures, so
// a signature cannot change the id of the transaction it signs. The tx hash
// is the double SHA-256 of all the bytes; blocks commit to tx hashes.

const (
	// TxVersion is the current transaction version.
	TxVersion uint16 = 1

	// SignatureSize is the size of a BIP-340 Schnorr signature.
	SignatureSize = 64

	// PubKeySize is the size of an x-only BIP-340 public key.
	PubKeySize = 32

	// TxInSerializeSize is the encoded size of one input.
	TxInSerializeSize = HashSize + 4 + SignatureSize

	// TxOutSerializeSize is the encoded size of one output.
	TxOutSerializeSize = 8 + PubKeySize

	// MinTxSerializeSize is the smallest possible encoded transaction: no
	// inputs, no outputs, empty payload.
	MinTxSerializeSize = 2 + 1 + 1 + 8 + 1

	// MaxTxPayloadSize bounds a transaction's payload on the wire. Consensus
	// allows less (package blockdag); this bound only keeps decoding cheap.
	MaxTxPayloadSize = 1024

	// MaxTxInPerTx is the most inputs a decodable transaction can have: as
	// many as fit in the largest block payload.
	MaxTxInPerTx = MaxBlockPayload / TxInSerializeSize

	// MaxTxOutPerTx is the most outputs a decodable transaction can have.
	MaxTxOutPerTx = MaxBlockPayload / TxOutSerializeSize
)

// OutPoint names one output of a transaction.
type OutPoint struct {
	TxID  Hash
	Index uint32
}

// String returns "txid:index".
func (o OutPoint) String() string {
	return o.TxID.String() + ":" + strconv.FormatUint(uint64(o.Index), 10)
}

// TxIn spends one previous output.
type TxIn struct {
	PreviousOutPoint OutPoint
	Signature        [SignatureSize]byte
}

// TxOut locks a value to a BIP-340 public key.
type TxOut struct {
	Value  uint64
	PubKey [PubKeySize]byte
}

// MsgTx is a transaction. It is also the payload of the "tx" message.
type MsgTx struct {
	Version  uint16
	TxIn     []TxIn
	TxOut    []TxOut
	LockTime uint64
	Payload  []byte
}

// IsCoinBase reports whether the transaction has the coinbase shape: no
// inputs.
func (tx *MsgTx) IsCoinBase() bool {
	return len(tx.TxIn) == 0
}

// SerializeSize returns the encoded size of the transaction with signatures.
func (tx *MsgTx) SerializeSize() int {
	return 2 + VarIntSerializeSize(uint64(len(tx.TxIn))) +
		len(tx.TxIn)*TxInSerializeSize +
		VarIntSerializeSize(uint64(len(tx.TxOut))) +
		len(tx.TxOut)*TxOutSerializeSize + 8 +
		VarIntSerializeSize(uint64(len(tx.Payload))) + len(tx.Payload)
}

// appendTx appends the encoding of tx, with or without signatures.
func (tx *MsgTx) appendTx(dst []byte, withSigs bool) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, tx.Version)
	dst = AppendVarInt(dst, uint64(len(tx.TxIn)))
	for i := range tx.TxIn {
		in := &tx.TxIn[i]
		dst = append(dst, in.PreviousOutPoint.TxID[:]...)
		dst = binary.LittleEndian.AppendUint32(dst, in.PreviousOutPoint.Index)
		if withSigs {
			dst = append(dst, in.Signature[:]...)
		}
	}
	dst = AppendVarInt(dst, uint64(len(tx.TxOut)))
	for i := range tx.TxOut {
		out := &tx.TxOut[i]
		dst = binary.LittleEndian.AppendUint64(dst, out.Value)
		dst = append(dst, out.PubKey[:]...)
	}
	dst = binary.LittleEndian.AppendUint64(dst, tx.LockTime)
	return appendVarBytes(dst, tx.Payload)
}

// AppendSerialize appends the transaction's encoding to dst.
func (tx *MsgTx) AppendSerialize(dst []byte) []byte {
	return tx.appendTx(dst, true)
}

// Serialize returns the transaction's encoding, the bytes used both on the
// wire and on disk.
func (tx *MsgTx) Serialize() []byte {
	return tx.appendTx(make([]byte, 0, tx.SerializeSize()), true)
}

// TxID returns the transaction id: the double SHA-256 of the encoding without
// signatures.
func (tx *MsgTx) TxID() Hash {
	size := tx.SerializeSize() - len(tx.TxIn)*SignatureSize
	var stack [512]byte
	buf := stack[:0]
	if size > len(stack) {
		buf = make([]byte, 0, size)
	}
	return DoubleHashH(tx.appendTx(buf, false))
}

// TxHash returns the hash of the whole transaction, signatures included:
// the double SHA-256 of its encoding. The block merkle root is built from
// these, so a block hash commits to every signature and nobody can alter a
// relayed block's signatures without changing its hash. Outpoints use the
// TxID, which signatures cannot malleate.
func (tx *MsgTx) TxHash() Hash {
	size := tx.SerializeSize()
	var stack [512]byte
	buf := stack[:0]
	if size > len(stack) {
		buf = make([]byte, 0, size)
	}
	return DoubleHashH(tx.appendTx(buf, true))
}

// Deserialize decodes a transaction from b, which must hold exactly one
// encoded transaction.
func (tx *MsgTx) Deserialize(b []byte) error {
	r := newReader(b, "tx")
	tx.decode(r)
	return r.finish()
}

// decode reads one transaction from r; the caller checks r.err.
func (tx *MsgTx) decode(r *reader) {
	tx.Version = r.uint16("version")
	nIn := r.count("input count", MaxTxInPerTx, TxInSerializeSize)
	tx.TxIn = nil
	if nIn > 0 {
		tx.TxIn = make([]TxIn, nIn)
		for i := range tx.TxIn {
			b := r.take(TxInSerializeSize, "input")
			if b == nil {
				return
			}
			in := &tx.TxIn[i]
			copy(in.PreviousOutPoint.TxID[:], b[:HashSize])
			in.PreviousOutPoint.Index = binary.LittleEndian.Uint32(b[HashSize:])
			copy(in.Signature[:], b[HashSize+4:])
		}
	}
	nOut := r.count("output count", MaxTxOutPerTx, TxOutSerializeSize)
	tx.TxOut = nil
	if nOut > 0 {
		tx.TxOut = make([]TxOut, nOut)
		for i := range tx.TxOut {
			b := r.take(TxOutSerializeSize, "output")
			if b == nil {
				return
			}
			out := &tx.TxOut[i]
			out.Value = binary.LittleEndian.Uint64(b)
			copy(out.PubKey[:], b[8:])
		}
	}
	tx.LockTime = r.uint64("lock time")
	tx.Payload = r.varBytes("payload", MaxTxPayloadSize)
	if len(tx.Payload) == 0 {
		// One representation: an empty payload always decodes as nil.
		tx.Payload = nil
	}
}

// Copy returns a deep copy of the transaction.
func (tx *MsgTx) Copy() *MsgTx {
	c := &MsgTx{Version: tx.Version, LockTime: tx.LockTime}
	if tx.TxIn != nil {
		c.TxIn = append([]TxIn(nil), tx.TxIn...)
	}
	if tx.TxOut != nil {
		c.TxOut = append([]TxOut(nil), tx.TxOut...)
	}
	if tx.Payload != nil {
		c.Payload = append([]byte(nil), tx.Payload...)
	}
	return c
}

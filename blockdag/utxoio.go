package blockdag

import (
	"encoding/binary"
	"fmt"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// UTXO set records (BucketUTXO), one per unspent output of the virtual:
//
//	key:    bucket 0x05 | txid 32 | output index uint32 big-endian 4
//	value:  field       type                 size
//	        amount      uint64 little-endian  8
//	        pubKey      x-only key            32
//	        blueScore   uint64 little-endian  8
//	        flags       byte, bit 0 coinbase  1
//
// The big-endian index keeps a transaction's outputs adjacent and in order.
//
// Past diffs (BucketUndo), the UTXO change from the state of a block's
// selected parent's past to the state of the block's past, keyed by the
// block's past key (pastKeyOf: blocks with the same parents share one):
//
//	key:    bucket 0x06 | past key 32
//	value:  field            type                          size
//	        block count      varint                        1-9
//	        per block:       hash 32, tx count varint,     33+ceil(n/8)+
//	                         acceptance bitmap ceil(n/8)
//	        removed count    varint                        1-9
//	        per removed:     outpoint 36, entry 49         85
//	        added count      varint                        1-9
//	        per added:       outpoint 36, entry 49         85
//
// Bit i of a block's bitmap (byte i/8, bit i%8) is set when its tx i was
// accepted. Removed entries are stored whole so that the diff can be undone
// and the commitment updated without the history that created them.

const (
	// utxoKeySize is the size of an outpoint in a key.
	utxoKeySize = wire.HashSize + 4
	// utxoEntrySize is the size of an encoded UTXO entry.
	utxoEntrySize = 8 + wire.PubKeySize + 8 + 1
	// utxoRecordSize is an outpoint and an entry.
	utxoRecordSize = utxoKeySize + utxoEntrySize

	utxoFlagCoinbase = 1
)

// appendOutPoint appends the key encoding of an outpoint.
func appendOutPoint(dst []byte, op wire.OutPoint) []byte {
	dst = append(dst, op.TxID[:]...)
	return binary.BigEndian.AppendUint32(dst, op.Index)
}

// decodeOutPoint decodes an outpoint from the first utxoKeySize bytes of b.
func decodeOutPoint(b []byte) wire.OutPoint {
	var op wire.OutPoint
	copy(op.TxID[:], b[:wire.HashSize])
	op.Index = binary.BigEndian.Uint32(b[wire.HashSize:])
	return op
}

// utxoKey returns the database key of an outpoint.
func utxoKey(op wire.OutPoint) []byte {
	var buf [1 + utxoKeySize]byte
	buf[0] = byte(database.BucketUTXO)
	appendOutPoint(buf[1:1], op)
	return buf[:]
}

// appendUTXOEntry appends an entry's encoding.
func appendUTXOEntry(dst []byte, e *UTXOEntry) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, e.Amount)
	dst = append(dst, e.PubKey[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, e.BlueScore)
	var flags byte
	if e.IsCoinbase {
		flags |= utxoFlagCoinbase
	}
	return append(dst, flags)
}

// decodeUTXOEntry decodes an entry of exactly utxoEntrySize bytes.
func decodeUTXOEntry(b []byte) (*UTXOEntry, error) {
	if len(b) != utxoEntrySize {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf(
			"utxo entry of %d bytes, want %d", len(b), utxoEntrySize))
	}
	e := &UTXOEntry{
		Amount:    binary.LittleEndian.Uint64(b),
		BlueScore: binary.LittleEndian.Uint64(b[8+wire.PubKeySize:]),
	}
	copy(e.PubKey[:], b[8:8+wire.PubKeySize])
	flags := b[utxoEntrySize-1]
	if flags&^utxoFlagCoinbase != 0 {
		return nil, ruleError(ErrCorruptState, fmt.Sprintf("utxo entry has unknown flags %#x", flags))
	}
	e.IsCoinbase = flags&utxoFlagCoinbase != 0
	return e, nil
}

// undoKey returns the database key of the past diff with the given key.
func undoKey(key wire.Hash) []byte {
	return database.Key(database.BucketUndo, key[:])
}

// encodePastDiff encodes a past diff.
func encodePastDiff(pd *pastDiff) []byte {
	size := 9
	for _, a := range pd.accepted {
		size += wire.HashSize + 9 + len(a.bits)
	}
	size += 18 + (len(pd.diff.removed)+len(pd.diff.added))*utxoRecordSize
	b := make([]byte, 0, size)
	b = wire.AppendVarInt(b, uint64(len(pd.accepted)))
	for _, a := range pd.accepted {
		b = append(b, a.hash[:]...)
		b = wire.AppendVarInt(b, uint64(a.txCount))
		b = append(b, a.bits...)
	}
	b = wire.AppendVarInt(b, uint64(len(pd.diff.removed)))
	for op, e := range pd.diff.removed {
		b = appendOutPoint(b, op)
		b = appendUTXOEntry(b, e)
	}
	b = wire.AppendVarInt(b, uint64(len(pd.diff.added)))
	for op, e := range pd.diff.added {
		b = appendOutPoint(b, op)
		b = appendUTXOEntry(b, e)
	}
	return b
}

// byteReader reads stored records. Every count is checked against the bytes
// left before anything is allocated, so a damaged record cannot make the
// node allocate more than the record's own size.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) fail(what string) {
	if r.err == nil {
		r.err = ruleError(ErrCorruptState, "stored record is damaged: "+what)
	}
}

func (r *byteReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail(what + " is truncated")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) varint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail(what + " is truncated")
		return 0
	}
	var n int
	switch r.b[0] {
	case 0xfd:
		n = 2
	case 0xfe:
		n = 4
	case 0xff:
		n = 8
	default:
		v := uint64(r.b[0])
		r.b = r.b[1:]
		return v
	}
	b := r.take(1+n, what)
	if b == nil {
		return 0
	}
	// Only the shortest encoding is accepted, as on the wire, so every
	// record has one byte representation.
	var v, least uint64
	switch n {
	case 2:
		v, least = uint64(binary.LittleEndian.Uint16(b[1:])), 0xfd
	case 4:
		v, least = uint64(binary.LittleEndian.Uint32(b[1:])), 0x10000
	default:
		v, least = binary.LittleEndian.Uint64(b[1:]), 0x100000000
	}
	if v < least {
		r.fail(what + " is not in its shortest encoding")
		return 0
	}
	return v
}

// count reads a count of items of at least minSize bytes each and checks it
// against the bytes left.
func (r *byteReader) count(what string, minSize int) int {
	n := r.varint(what)
	if r.err != nil {
		return 0
	}
	if n > uint64(len(r.b)/minSize) {
		r.fail(fmt.Sprintf("%s %d is more than the record can hold", what, n))
		return 0
	}
	return int(n)
}

func (r *byteReader) uint32() uint32 {
	b := r.take(4, "uint32")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *byteReader) uint64() uint64 {
	b := r.take(8, "uint64")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *byteReader) hash(what string) wire.Hash {
	var h wire.Hash
	if b := r.take(wire.HashSize, what); b != nil {
		copy(h[:], b)
	}
	return h
}

func (r *byteReader) finish(what string) error {
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Sprintf("%s has %d trailing bytes", what, len(r.b)))
	}
	return r.err
}

// storedPastDiff is a decoded past diff whose blocks are still hashes.
type storedPastDiff struct {
	blocks  []wire.Hash
	txCount []int
	bits    [][]byte
	removed map[wire.OutPoint]*UTXOEntry
	added   map[wire.OutPoint]*UTXOEntry
}

// decodePastDiff decodes a past diff record.
func decodePastDiff(b []byte) (*storedPastDiff, error) {
	r := &byteReader{b: b}
	n := r.count("past diff block count", wire.HashSize+1)
	s := &storedPastDiff{
		blocks:  make([]wire.Hash, n),
		txCount: make([]int, n),
		bits:    make([][]byte, n),
	}
	for i := 0; i < n && r.err == nil; i++ {
		s.blocks[i] = r.hash("past diff block hash")
		// A tx takes at least one bit of the bitmap.
		c := r.varint("past diff tx count")
		if c > uint64(len(r.b))*8 || c > wire.MaxTxPerBlock {
			r.fail("past diff tx count is out of range")
			break
		}
		s.txCount[i] = int(c)
		if bm := r.take(int((c+7)/8), "past diff bitmap"); bm != nil {
			s.bits[i] = append([]byte(nil), bm...)
		}
	}
	readEntries := func(what string) map[wire.OutPoint]*UTXOEntry {
		n := r.count(what, utxoRecordSize)
		m := make(map[wire.OutPoint]*UTXOEntry, n)
		for i := 0; i < n && r.err == nil; i++ {
			rec := r.take(utxoRecordSize, what)
			if rec == nil {
				break
			}
			e, err := decodeUTXOEntry(rec[utxoKeySize:])
			if err != nil {
				r.err = err
				break
			}
			m[decodeOutPoint(rec)] = e
		}
		return m
	}
	s.removed = readEntries("past diff removed entries")
	s.added = readEntries("past diff added entries")
	if err := r.finish("past diff"); err != nil {
		return nil, err
	}
	return s, nil
}

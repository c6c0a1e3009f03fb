package blockdag

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"github.com/soterdag/soterd/wire"
)

// The UTXO commitment is a multiset hash over every entry of the virtual's
// UTXO set, kept incrementally: adding an entry adds its element, spending
// it subtracts the same element, so the commitment after a block costs one
// element per changed entry and two nodes with the same UTXO set have the
// same commitment whatever path led there.
//
// Construction (an additive multiset hash, "AdHash" of Bellare and
// Micciancio, at a width chosen for security): the element of an entry is
// 4096 bits, the first 64 outputs of the ChaCha8 generator (C2SP
// chacha8rand, Go's math/rand/v2 ChaCha8) seeded with seed =
// SHA-256("soterd/utxo-multiset" || outpoint key || entry encoding), taken as
// the state's 64-bit words from the least significant up. The set's state is
// the sum of its elements modulo 2^4096, and the commitment is the double
// SHA-256 of that state (512 bytes, little-endian 64-bit words).
//
// Strength: finding two different multisets with the same sum is a k-sum
// problem in Z_(2^4096). The best known generic attack, Wagner's generalized
// birthday algorithm, costs about 2^(2*sqrt(4096)) = 2^128 operations; the
// 4096-bit width is what buys that margin (a 256-bit sum would be broken in
// practice). SHA-256 makes the seed collision resistant and ChaCha8, a
// stream cipher keyed by it, expands it to the element's width, the way
// Bitcoin Core's MuHash3072 expands with ChaCha20. An element costs one
// SHA-256 of about 100 bytes and 1 kB of keystream, about 0.6 us, where the
// sixteen further SHA-256 compressions of the first construction cost 1.6
// us: every spent and created output of every block updates the
// commitment, so this was a fifth of an assumed-valid download's CPU.
// Hashing to an elliptic curve (ECMH) would cost several times more.

// multisetWords is the width of the multiset state in 64-bit words.
const multisetWords = 64

// multisetTag domain-separates multiset elements from every other hash.
var multisetTag = []byte("soterd/utxo-multiset")

// multiset is an additive multiset hash state.
type multiset struct {
	w [multisetWords]uint64
}

// element is one entry's 4096-bit multiset element.
type element [multisetWords]uint64

// utxoElement computes the multiset element of an entry.
func utxoElement(op wire.OutPoint, e *UTXOEntry, out *element) {
	var buf [64 + utxoKeySize + utxoEntrySize]byte
	b := append(buf[:0], multisetTag...)
	b = appendOutPoint(b, op)
	b = appendUTXOEntry(b, e)
	c := rand.NewChaCha8(sha256.Sum256(b))
	for i := range out {
		out[i] = c.Uint64()
	}
}

// addElement adds e to the state modulo 2^4096 (the carry out of the top
// word is dropped). bits.Add64 compiles to a chain of add-with-carry.
func (m *multiset) addElement(e *element) {
	var carry uint64
	for i := range m.w {
		m.w[i], carry = bits.Add64(m.w[i], e[i], carry)
	}
}

// subElement subtracts e from the state modulo 2^4096.
func (m *multiset) subElement(e *element) {
	var borrow uint64
	for i := range m.w {
		m.w[i], borrow = bits.Sub64(m.w[i], e[i], borrow)
	}
}

// add adds another state's sum to this one.
func (m *multiset) add(o *multiset) {
	e := element(o.w)
	m.addElement(&e)
}

// sub subtracts another state's sum from this one.
func (m *multiset) sub(o *multiset) {
	e := element(o.w)
	m.subElement(&e)
}

// addEntry adds an entry's element.
func (m *multiset) addEntry(op wire.OutPoint, e *UTXOEntry) {
	var el element
	utxoElement(op, e, &el)
	m.addElement(&el)
}

// removeEntry subtracts an entry's element.
func (m *multiset) removeEntry(op wire.OutPoint, e *UTXOEntry) {
	var el element
	utxoElement(op, e, &el)
	m.subElement(&el)
}

// bytes returns the state's 512-byte encoding.
func (m *multiset) bytes() []byte {
	b := make([]byte, multisetWords*8)
	for i, w := range m.w {
		binary.LittleEndian.PutUint64(b[i*8:], w)
	}
	return b
}

// setBytes decodes a state from its 512-byte encoding.
func (m *multiset) setBytes(b []byte) bool {
	if len(b) != multisetWords*8 {
		return false
	}
	for i := range m.w {
		m.w[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return true
}

// hash returns the commitment: the double SHA-256 of the state.
func (m *multiset) hash() wire.Hash {
	return wire.DoubleHashH(m.bytes())
}

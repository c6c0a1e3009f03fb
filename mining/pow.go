package mining

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"math/bits"

	"github.com/soterdag/soterd/wire"
)

// The proof-of-work search below is exported so that miners outside the
// node (cmd/sotermine) hash exactly as the built-in CPU miner does: the same
// loop, the same comparison, the same cost per nonce.

// mul64 returns the 128-bit product of a and b as (high, low).
func mul64(a, b uint64) (uint64, uint64) {
	return bits.Mul64(a, b)
}

// Target is a proof-of-work target as a 256-bit big-endian number, the form
// the nonce search compares block hashes with (no big.Int per hash).
type Target [32]byte

// TargetFromBits returns the target compact bits encode. Bits that encode
// zero or a negative number give the zero target, which only the zero hash
// meets; a target above 2^256-1 is capped there.
func TargetFromBits(bits uint32) Target {
	var t Target
	n := wire.CompactToBig(bits)
	if n.Sign() <= 0 {
		return t
	}
	if n.BitLen() > 256 {
		n = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	}
	n.FillBytes(t[:])
	return t
}

// Met reports whether hash, read as a little-endian number the way proof of
// work reads it (wire.HashToBig), is at most the target.
func (t *Target) Met(hash *[32]byte) bool {
	for i := 0; i < 32; i++ {
		hb, tb := hash[31-i], t[i]
		if hb != tb {
			return hb < tb
		}
	}
	return true
}

// HeaderHasher hashes one block header with varying nonces without
// allocating: the nonce is the serialized header's last eight bytes, so
// only they change between two attempts. A HeaderHasher is not safe for
// concurrent use; give each hashing goroutine its own.
type HeaderHasher struct {
	buf []byte
}

// NewHeaderHasher returns a hasher over the serialization of header. Later
// changes to header do not affect it.
func NewHeaderHasher(header *wire.BlockHeader) *HeaderHasher {
	return &HeaderHasher{buf: header.Serialize()}
}

// Hash returns the block hash the header has with the given nonce.
func (h *HeaderHasher) Hash(nonce uint64) [32]byte {
	binary.LittleEndian.PutUint64(h.buf[len(h.buf)-8:], nonce)
	first := sha256.Sum256(h.buf)
	return sha256.Sum256(first[:])
}

// Search tries count nonces from start upwards (wrapping at 2^64) and
// returns the first whose hash meets target. tried is the number of hashes
// computed, count when none met the target.
func (h *HeaderHasher) Search(start uint64, count int, target *Target) (nonce uint64, tried int, found bool) {
	nonce = start
	for i := 0; i < count; i++ {
		hash := h.Hash(nonce)
		if target.Met(&hash) {
			return nonce, i + 1, true
		}
		nonce++
	}
	return 0, count, false
}

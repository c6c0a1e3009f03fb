package mining

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"github.com/soterdag/soterd/wire"
)

// mul64 returns the 128-bit product of a and b as (high, low).
func mul64(a, b uint64) (uint64, uint64) {
	return bits.Mul64(a, b)
}

// hasher hashes one serialized header with varying nonces without
// allocating: the nonce is the header's last eight bytes.
type hasher struct {
	buf []byte
}

// newHasher returns a hasher over the serialization of header.
func newHasher(header *wire.BlockHeader) *hasher {
	return &hasher{buf: header.Serialize()}
}

// hash returns the block hash with the given nonce.
func (h *hasher) hash(nonce uint64) [32]byte {
	binary.LittleEndian.PutUint64(h.buf[len(h.buf)-8:], nonce)
	first := sha256.Sum256(h.buf)
	return sha256.Sum256(first[:])
}

// meetsTarget reports whether hash, read as a little-endian number the way
// proof of work reads it, is at most the big-endian target.
func meetsTarget(hash *[32]byte, target *[32]byte) bool {
	for i := 0; i < 32; i++ {
		hb, tb := hash[31-i], target[i]
		if hb != tb {
			return hb < tb
		}
	}
	return true
}

package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the size in bytes of a block hash, txid or merkle root.
const HashSize = 32

// MaxHashStringSize is the length of a hash written as hex.
const MaxHashStringSize = HashSize * 2

// Hash is a double SHA-256 digest. It is stored in the byte order the hash
// function produced it; people and RPC clients see it byte-reversed, the
// convention of btcd.
type Hash [HashSize]byte

// ZeroHash is the hash with every byte zero. In getblocks it means "up to the
// tips".
var ZeroHash Hash

// String returns the hash as byte-reversed hex.
func (h Hash) String() string {
	var r [HashSize]byte
	for i := 0; i < HashSize; i++ {
		r[i] = h[HashSize-1-i]
	}
	return hex.EncodeToString(r[:])
}

// IsZero reports whether every byte of the hash is zero.
func (h *Hash) IsZero() bool {
	return *h == ZeroHash
}

// Compare orders hashes by their bytes as stored (not as displayed): it
// returns -1, 0 or +1. Parent lists are sorted by this order.
func (h *Hash) Compare(o *Hash) int {
	return bytes.Compare(h[:], o[:])
}

// Less reports whether h sorts before o by Compare.
func (h *Hash) Less(o *Hash) bool {
	return h.Compare(o) < 0
}

// MarshalText encodes the hash as byte-reversed hex, so JSON shows what people
// expect.
func (h Hash) MarshalText() ([]byte, error) {
	return []byte(h.String()), nil
}

// UnmarshalText decodes byte-reversed hex.
func (h *Hash) UnmarshalText(text []byte) error {
	parsed, err := NewHashFromStr(string(text))
	if err != nil {
		return err
	}
	*h = *parsed
	return nil
}

// NewHashFromStr parses a byte-reversed hex hash of exactly 64 characters.
func NewHashFromStr(s string) (*Hash, error) {
	if len(s) != MaxHashStringSize {
		return nil, messageError(ErrInvalidValue, fmt.Sprintf(
			"hash string has %d characters, want %d", len(s), MaxHashStringSize))
	}
	var r [HashSize]byte
	if _, err := hex.Decode(r[:], []byte(s)); err != nil {
		return nil, messageError(ErrInvalidValue, fmt.Sprintf(
			"hash string is not hex: %v", err))
	}
	var h Hash
	for i := 0; i < HashSize; i++ {
		h[i] = r[HashSize-1-i]
	}
	return &h, nil
}

// DoubleHashH returns SHA-256(SHA-256(b)).
func DoubleHashH(b []byte) Hash {
	first := sha256.Sum256(b)
	return Hash(sha256.Sum256(first[:]))
}

// Checksum returns the first four bytes of the double SHA-256 of b, the frame
// checksum.
func Checksum(b []byte) [4]byte {
	h := DoubleHashH(b)
	return [4]byte{h[0], h[1], h[2], h[3]}
}

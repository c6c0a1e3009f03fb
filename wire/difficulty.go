package wire

import "math/big"

// Compact bits encode a 256-bit target as a floating-point number the way
// Bitcoin does: the high byte is a base-256 exponent, the low 23 bits the
// mantissa, and bit 23 the sign.

var (
	bigOne = big.NewInt(1)
	// oneLsh256 is 2^256, the size of the hash space.
	oneLsh256 = new(big.Int).Lsh(bigOne, 256)
)

// CompactToBig converts compact bits to the target they represent.
func CompactToBig(compact uint32) *big.Int {
	mantissa := compact & 0x007fffff
	isNegative := compact&0x00800000 != 0
	exponent := uint(compact >> 24)

	var bn *big.Int
	if exponent <= 3 {
		mantissa >>= 8 * (3 - exponent)
		bn = big.NewInt(int64(mantissa))
	} else {
		bn = big.NewInt(int64(mantissa))
		bn.Lsh(bn, 8*(exponent-3))
	}
	if isNegative {
		bn = bn.Neg(bn)
	}
	return bn
}

// BigToCompact converts a target to compact bits, losing precision below the
// mantissa's 23 bits.
func BigToCompact(n *big.Int) uint32 {
	if n.Sign() == 0 {
		return 0
	}
	var mantissa uint32
	exponent := uint(len(n.Bytes()))
	if exponent <= 3 {
		mantissa = uint32(n.Bits()[0])
		mantissa <<= 8 * (3 - exponent)
	} else {
		tn := new(big.Int).Abs(n)
		mantissa = uint32(tn.Rsh(tn, 8*(exponent-3)).Bits()[0])
	}
	// A mantissa with its sign bit set would read as negative: shift it down
	// a byte and raise the exponent.
	if mantissa&0x00800000 != 0 {
		mantissa >>= 8
		exponent++
	}
	compact := uint32(exponent<<24) | mantissa
	if n.Sign() < 0 {
		compact |= 0x00800000
	}
	return compact
}

// CalcWork returns the expected number of hashes needed to find a block at
// the given compact target: 2^256 / (target+1). A non-positive target has no
// work.
func CalcWork(bits uint32) *big.Int {
	target := CompactToBig(bits)
	if target.Sign() <= 0 {
		return big.NewInt(0)
	}
	denom := new(big.Int).Add(target, bigOne)
	return new(big.Int).Div(oneLsh256, denom)
}

// HashToBig interprets a hash as a little-endian 256-bit number, the way
// proof of work compares it with the target.
func HashToBig(h *Hash) *big.Int {
	var be [HashSize]byte
	for i := 0; i < HashSize; i++ {
		be[i] = h[HashSize-1-i]
	}
	return new(big.Int).SetBytes(be[:])
}

package schnorrbatch

import (
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"math/bits"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// secp256k1 has an efficiently computable endomorphism: φ(x, y) = (β·x, y)
// is the same as multiplying the point by λ, where β is a cube root of unity
// mod p and λ one mod n. Writing k = k1 + k2·λ (mod n) with k1 and k2 of
// about 128 bits turns k·P into k1·P + k2·φ(P): half the doublings, and
// φ(P) costs one field multiplication. The split (Gallant, Lambert and
// Vanstone; Guide to Elliptic Curve Cryptography, algorithm 3.74) rounds k
// onto the short lattice basis (a1, b1), (a2, b2) of {(x, y): x + y·λ ≡ 0}.
// The constants are the published ones for secp256k1; TestEndomorphism
// checks every relation they must satisfy.
var (
	// endoLambda is λ, a nontrivial cube root of 1 mod n.
	endoLambda = scalarFromHex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")

	// endoBeta is β, the cube root of 1 mod p with φ(P) = λ·P.
	endoBeta = fieldFromHex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")

	// glvB1Neg and glvB2 are -b1 and b2 of the short basis (a1, b1),
	// (a2, b2); b1 is negative. TestEndomorphism holds a1 and a2.
	glvB1Neg = bigFromHex("e4437ed6010e88286f547fa90abfe4c3")
	glvB2    = bigFromHex("3086d221a7d46bcde86c90e49284eb15")

	// glvB1Mod, glvB2Mod and lambdaNeg are -b1, -b2 and -λ mod n, the
	// factors splitScalar multiplies by.
	glvB1Mod  = scalarFromBig(glvB1Neg)
	glvB2Mod  = negScalar(scalarFromBig(glvB2))
	lambdaNeg = negScalar(endoLambda)

	// glvG1 and glvG2 are b2 and -b1 in fixed point: round(x·2^384/n).
	glvG1 = roundedQuotient(glvB2)
	glvG2 = roundedQuotient(glvB1Neg)
)

// glvShift is the fixed-point precision of glvG1 and glvG2. With 384 bits
// the rounding error of c1 and c2 below is at most one, which keeps the
// halves under 2^129 (TestSplitScalar checks the bound).
const glvShift = 384

// splitScalar returns k1 and k2 with k ≡ k1 + k2·λ (mod n). Reduced to
// their signed magnitudes (see shortScalar) both are below 2^129.
func splitScalar(k *secp256k1.ModNScalar) (k1, k2 secp256k1.ModNScalar) {
	kLimbs := scalarLimbs(k)

	// c1 = round(k·b2/n), c2 = round(-k·b1/n); then
	// k2 = -c1·b1 - c2·b2 and k1 = k - k2·λ, so k1 + k2·λ ≡ k whatever
	// c1 and c2 are; the rounding only decides how short the halves are.
	var c1, c2, t secp256k1.ModNScalar
	setScalarLimbs(&c1, mulShiftRound(&kLimbs, &glvG1))
	setScalarLimbs(&c2, mulShiftRound(&kLimbs, &glvG2))
	k2.Mul2(&c1, &glvB1Mod)
	t.Mul2(&c2, &glvB2Mod)
	k2.Add(&t)
	t.Mul2(&k2, &lambdaNeg)
	k1.Add2(k, &t)
	return k1, k2
}

// mulShiftRound returns round(k·g / 2^384) for 256-bit k and g. The result
// is below 2^128 because g < 2^256 and k < 2^256.
func mulShiftRound(k, g *[4]uint64) [4]uint64 {
	var r [8]uint64
	for i := 0; i < 4; i++ {
		var carry uint64
		for j := 0; j < 4; j++ {
			// hi:lo + r + carry fits in 128 bits: (2^64-1)^2 + 2(2^64-1)
			// is 2^128-1.
			hi, lo := bits.Mul64(k[i], g[j])
			var c uint64
			lo, c = bits.Add64(lo, r[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			r[i+j] = lo
			carry = hi
		}
		r[i+4] = carry
	}
	// Bits 384..511 are limbs 6 and 7; bit 383 rounds.
	var c uint64
	lo, c := bits.Add64(r[6], r[5]>>63, 0)
	hi := r[7] + c
	return [4]uint64{lo, hi, 0, 0}
}

// shortScalar is the signed magnitude of a scalar half: the term it belongs
// to adds neg ? -mag·P : mag·P.
type shortScalar struct {
	mag  [4]uint64 // little-endian limbs
	bits int       // bit length of mag; 0 when mag is 0
	neg  bool
}

// set sets s to the shorter of k and n-k, with the sign that gets back
// k.
func (s *shortScalar) set(k *secp256k1.ModNScalar) {
	s.neg = k.IsOverHalfOrder()
	if s.neg {
		var m secp256k1.ModNScalar
		m.NegateVal(k)
		s.mag = scalarLimbs(&m)
	} else {
		s.mag = scalarLimbs(k)
	}
	s.bits = limbsBitLen(&s.mag)
}

// scalarLimbs returns k as little-endian 64-bit limbs.
func scalarLimbs(k *secp256k1.ModNScalar) [4]uint64 {
	b := k.Bytes()
	return [4]uint64{
		binary.BigEndian.Uint64(b[24:32]),
		binary.BigEndian.Uint64(b[16:24]),
		binary.BigEndian.Uint64(b[8:16]),
		binary.BigEndian.Uint64(b[0:8]),
	}
}

// setScalarLimbs sets k to the little-endian limbs l, reduced mod n.
func setScalarLimbs(k *secp256k1.ModNScalar, l [4]uint64) {
	var b [32]byte
	binary.BigEndian.PutUint64(b[0:8], l[3])
	binary.BigEndian.PutUint64(b[8:16], l[2])
	binary.BigEndian.PutUint64(b[16:24], l[1])
	binary.BigEndian.PutUint64(b[24:32], l[0])
	k.SetBytes(&b)
}

// limbsBitLen returns the bit length of the little-endian limbs l.
func limbsBitLen(l *[4]uint64) int {
	for i := 3; i >= 0; i-- {
		if l[i] != 0 {
			return 64*i + bits.Len64(l[i])
		}
	}
	return 0
}

// roundedQuotient returns round(x·2^384 / n) as little-endian limbs.
func roundedQuotient(x *big.Int) [4]uint64 {
	n := secp256k1.Params().N
	q := new(big.Int).Lsh(x, glvShift)
	q.Add(q, new(big.Int).Rsh(n, 1))
	q.Div(q, n)
	if q.BitLen() > 256 {
		panic("schnorrbatch: GLV constant does not fit in 256 bits")
	}
	var b [32]byte
	q.FillBytes(b[:])
	return [4]uint64{
		binary.BigEndian.Uint64(b[24:32]),
		binary.BigEndian.Uint64(b[16:24]),
		binary.BigEndian.Uint64(b[8:16]),
		binary.BigEndian.Uint64(b[0:8]),
	}
}

// bigFromHex parses a constant hex string.
func bigFromHex(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("schnorrbatch: bad hex constant " + s)
	}
	return v
}

// scalarFromBig returns v mod n as a ModNScalar.
func scalarFromBig(v *big.Int) secp256k1.ModNScalar {
	var b [32]byte
	new(big.Int).Mod(v, secp256k1.Params().N).FillBytes(b[:])
	var s secp256k1.ModNScalar
	s.SetBytes(&b)
	return s
}

// scalarFromHex parses a constant scalar below n.
func scalarFromHex(s string) secp256k1.ModNScalar {
	return scalarFromBig(bigFromHex(s))
}

// negScalar returns -k mod n.
func negScalar(k secp256k1.ModNScalar) secp256k1.ModNScalar {
	k.Negate()
	return k
}

// fieldFromHex parses a constant field element below p.
func fieldFromHex(s string) secp256k1.FieldVal {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		panic("schnorrbatch: bad field constant " + s)
	}
	var f secp256k1.FieldVal
	if f.SetByteSlice(b) {
		panic("schnorrbatch: field constant overflows p " + s)
	}
	return f
}

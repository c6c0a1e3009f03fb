package schnorrbatch

import (
	"crypto/sha256"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// challengeTag is SHA-256("BIP0340/challenge"); BIP-340 prefixes it twice
// to the challenge hash input so the hash cannot collide with other uses.
var challengeTag = sha256.Sum256([]byte("BIP0340/challenge"))

// parsedSig is one signature after parsing: the lifted points and the two
// scalars the verification equation needs.
type parsedSig struct {
	p secp256k1.JacobianPoint // public key, affine, even y
	r secp256k1.JacobianPoint // R, affine, even y; only X when not lifted
	s secp256k1.ModNScalar
	e secp256k1.ModNScalar // the challenge
}

// parse checks everything about one signature that needs no scalar
// multiplication, in the order of BIP-340's verification steps, and fills
// ps. The key comes from keys when it is there, and goes in when it is
// valid (keys may be nil). With liftR it also lifts R, which only batch
// verification needs.
func parse(ps *parsedSig, pubKey, msg *[32]byte, sig *[64]byte, keys *KeyCache, liftR bool) error {
	if keys == nil || !keys.lookup(pubKey, &ps.p) {
		switch liftX(pubKey, &ps.p) {
		case liftTooBig:
			return sigError(ErrPubKeyTooBig, "public key is not below the field prime")
		case liftNotOnCurve:
			return sigError(ErrPubKeyNotOnCurve, "public key is not an x coordinate on the curve")
		}
		if keys != nil {
			keys.insert(pubKey, &ps.p)
		}
	}

	rBytes := (*[32]byte)(sig[0:32])
	if liftR {
		switch liftX(rBytes, &ps.r) {
		case liftTooBig:
			return sigError(ErrSigRTooBig, "signature r is not below the field prime")
		case liftNotOnCurve:
			// Reported after the s check below so that the order of
			// the range checks is the same with and without lifting.
			if sTooBig(sig) {
				return sigError(ErrSigSTooBig, "signature s is not below the group order")
			}
			return sigError(ErrSigRNotOnCurve, "signature r is not an x coordinate on the curve")
		}
	} else if ps.r.X.SetBytes(rBytes) != 0 {
		return sigError(ErrSigRTooBig, "signature r is not below the field prime")
	}
	if ps.s.SetBytes((*[32]byte)(sig[32:64])) != 0 {
		return sigError(ErrSigSTooBig, "signature s is not below the group order")
	}

	// e = int(tagged_hash("BIP0340/challenge", r || P.x || m)) mod n; the
	// key bytes are P.x as given, since they are below p.
	var buf [2*sha256.Size + 96]byte
	copy(buf[0:32], challengeTag[:])
	copy(buf[32:64], challengeTag[:])
	copy(buf[64:96], rBytes[:])
	copy(buf[96:128], pubKey[:])
	copy(buf[128:160], msg[:])
	h := sha256.Sum256(buf[:])
	ps.e.SetBytes(&h) // reduces mod n, as BIP-340 says
	return nil
}

// sTooBig reports whether the s of sig is not below n.
func sTooBig(sig *[64]byte) bool {
	var s secp256k1.ModNScalar
	return s.SetBytes((*[32]byte)(sig[32:64])) != 0
}

// liftResult says whether liftX found a point.
type liftResult int

const (
	liftOK liftResult = iota
	liftTooBig
	liftNotOnCurve
)

// liftX sets p to BIP-340's lift_x(x): the affine point with x coordinate x
// and even y.
func liftX(x *[32]byte, p *secp256k1.JacobianPoint) liftResult {
	if p.X.SetBytes(x) != 0 {
		return liftTooBig
	}
	if !secp256k1.DecompressY(&p.X, false, &p.Y) {
		return liftNotOnCurve
	}
	p.Y.Normalize()
	p.Z.SetInt(1)
	return liftOK
}

// verifyParsed is BIP-340's single verification of a parsed signature:
// R' = s·G - e·P must not be infinity, must have even y and x = r.
func verifyParsed(m *msm, ps *parsedSig) error {
	var sG, eP secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&ps.s, &sG)
	pts := [1]secp256k1.JacobianPoint{ps.p}
	var negE [1]secp256k1.ModNScalar
	negE[0].NegateVal(&ps.e)
	m.mult(pts[:], negE[:], &eP)
	var r secp256k1.JacobianPoint
	secp256k1.AddNonConst(&sG, &eP, &r)
	if isInfinity(&r) {
		return sigError(ErrSigRInfinity, "s*G - e*P is the point at infinity")
	}
	r.ToAffine()
	if r.Y.IsOdd() {
		return sigError(ErrSigROddY, "s*G - e*P has an odd y coordinate")
	}
	if !r.X.Equals(&ps.r.X) {
		return sigError(ErrSigRMismatch, "the x coordinate of s*G - e*P is not r")
	}
	return nil
}

// msmPool holds scratch space for Verify, which has no Batch to keep it.
var msmPool = sync.Pool{New: func() any { return new(msm) }}

// Verify checks one BIP-340 signature of the 32-byte msg by the x-only
// pubKey and returns nil when it is valid, or an Error whose kind says why
// not. It is BIP-340's single verification, with the range checks that a
// Batch applies: a signature passes Verify exactly when a Batch holding it
// alone passes. It is safe for concurrent use.
func Verify(pubKey [32]byte, msg [32]byte, sig [64]byte) error {
	var ps parsedSig
	if err := parse(&ps, &pubKey, &msg, &sig, nil, false); err != nil {
		return err
	}
	m := msmPool.Get().(*msm)
	defer msmPool.Put(m)
	return verifyParsed(m, &ps)
}

package schnorrbatch

import (
	"crypto/sha256"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// triple is one (key, message, signature) input.
type triple struct {
	pubKey [32]byte
	msg    [32]byte
	sig    [64]byte
}

// refVerify is the reference verdict: btcec's schnorr.ParsePubKey,
// ParseSignature and Signature.Verify, plus the check that s is below n,
// which btcec v2.3.5's ParseSignature leaves out (it reduces s mod n,
// against BIP-340's "fail if s >= n"; upstream fixed that later).
func refVerify(tr *triple) bool {
	key, err := schnorr.ParsePubKey(tr.pubKey[:])
	if err != nil {
		return false
	}
	if sTooBig(&tr.sig) {
		return false
	}
	sig, err := schnorr.ParseSignature(tr.sig[:])
	if err != nil {
		return false
	}
	return sig.Verify(tr.msg[:], key)
}

// testKeys returns n deterministic private keys.
func testKeys(n int, seed uint64) []*btcec.PrivateKey {
	r := rand.New(rand.NewPCG(seed, 1))
	keys := make([]*btcec.PrivateKey, n)
	for i := range keys {
		k := randScalar(r)
		if k.IsZero() {
			k.SetInt(1)
		}
		keys[i] = btcec.PrivKeyFromScalar(&k)
	}
	return keys
}

// signTriple signs msg with priv by BIP-340 (schnorr.Sign).
func signTriple(t testing.TB, priv *btcec.PrivateKey, msg [32]byte) triple {
	t.Helper()
	sig, err := schnorr.Sign(priv, msg[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	var tr triple
	copy(tr.pubKey[:], schnorr.SerializePubKey(priv.PubKey()))
	tr.msg = msg
	copy(tr.sig[:], sig.Serialize())
	return tr
}

var (
	poolOnce sync.Once
	pool     []triple
)

// poolSize is enough valid signatures for the largest batch the tests use
// (257), so the expensive signing happens once per test binary.
const poolSize = 300

// validPool returns poolSize valid signatures by 40 keys, so keys repeat
// as they do in blocks. Every one is checked with refVerify once.
func validPool(t testing.TB) []triple {
	t.Helper()
	poolOnce.Do(func() {
		keys := testKeys(40, 7)
		pool = make([]triple, poolSize)
		for i := range pool {
			msg := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'm'})
			pool[i] = signTriple(t, keys[i%len(keys)], msg)
			if !refVerify(&pool[i]) {
				t.Fatalf("pool signature %d does not verify", i)
			}
		}
	})
	return pool
}

// corrupt returns tr spoilt in one of several ways picked by r, with the
// reference verdict (almost always false; refVerify decides).
func corrupt(r *rand.Rand, tr triple, other *triple) (triple, bool) {
	switch r.IntN(9) {
	case 0: // another message
		tr.msg[r.IntN(32)] ^= 1 << r.IntN(8)
	case 1: // flip a bit of r
		tr.sig[r.IntN(32)] ^= 1 << r.IntN(8)
	case 2: // flip a bit of s
		tr.sig[32+r.IntN(32)] ^= 1 << r.IntN(8)
	case 3: // flip a bit of the key
		tr.pubKey[r.IntN(32)] ^= 1 << r.IntN(8)
	case 4: // another signer's signature
		tr.sig = other.sig
	case 5: // negated s
		var s secp256k1.ModNScalar
		s.SetBytes((*[32]byte)(tr.sig[32:64]))
		s.Negate()
		s.PutBytesUnchecked(tr.sig[32:64])
	case 6: // s out of range
		copy(tr.sig[32:], fromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"))
	case 7: // r out of range
		copy(tr.sig[:32], fromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"))
	case 8: // key out of range
		copy(tr.pubKey[:], fromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30"))
	}
	return tr, refVerify(&tr)
}

// signRaw makes a signature with the private scalar d and nonce k as given,
// without BIP-340's negations for odd y: s = k + e·d with r = x(k·G) and the
// key x(d·G). It is valid exactly when both k·G and d·G have even y.
func signRaw(d, k secp256k1.ModNScalar, msg [32]byte) triple {
	var dG, kG secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&d, &dG)
	secp256k1.ScalarBaseMultNonConst(&k, &kG)
	dG.ToAffine()
	kG.ToAffine()
	var tr triple
	dG.X.PutBytes(&tr.pubKey)
	tr.msg = msg
	var r [32]byte
	kG.X.PutBytes(&r)
	copy(tr.sig[:32], r[:])
	var ps parsedSig
	if err := parse(&ps, &tr.pubKey, &tr.msg, &tr.sig, nil, false); err != nil {
		panic(err)
	}
	var s secp256k1.ModNScalar
	s.Mul2(&ps.e, &d).Add(&k)
	s.PutBytesUnchecked(tr.sig[32:])
	return tr
}

// yIsOdd reports whether k·G has an odd y.
func yIsOdd(k secp256k1.ModNScalar) bool {
	var p secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&k, &p)
	p.ToAffine()
	return p.Y.IsOdd()
}

// scalarWithParity returns the first of start, start+1, ... whose point
// has the given y parity.
func scalarWithParity(start uint32, odd bool) secp256k1.ModNScalar {
	var k secp256k1.ModNScalar
	for v := start; ; v++ {
		k.SetInt(v)
		if yIsOdd(k) == odd {
			return k
		}
	}
}

// batchOf returns a batch holding trs.
func batchOf(trs []triple, keys *KeyCache) *Batch {
	b := New(len(trs), keys)
	for i := range trs {
		b.Add(trs[i].pubKey, trs[i].msg, trs[i].sig)
	}
	return b
}

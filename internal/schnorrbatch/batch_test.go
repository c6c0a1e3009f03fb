package schnorrbatch

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// TestBatchAgainstSingle builds batches of valid signatures from the pool,
// spoils none, one or many at random places, and expects Verify to agree
// with the reference verifier on every entry and FirstInvalid to name the
// first entry the reference rejects.
func TestBatchAgainstSingle(t *testing.T) {
	valid := validPool(t)
	r := testRand(t)
	keys := NewKeyCache(16)
	b := New(0, keys)
	for _, size := range []int{1, 2, 3, 16, 64, 257} {
		for _, bad := range []string{"none", "one", "many"} {
			trs := make([]triple, size)
			ok := make([]bool, size)
			start := r.IntN(len(valid) - size + 1)
			for i := range trs {
				trs[i], ok[i] = valid[start+i], true
			}
			var spoil []int
			switch bad {
			case "one":
				spoil = []int{r.IntN(size)}
			case "many":
				for i := range trs {
					if r.IntN(4) == 0 {
						spoil = append(spoil, i)
					}
				}
			}
			for _, i := range spoil {
				trs[i], ok[i] = corrupt(r, trs[i], &valid[r.IntN(len(valid))])
			}
			wantFirst := -1
			for i := range ok {
				if !ok[i] {
					wantFirst = i
					break
				}
			}
			name := fmt.Sprintf("size %d, %s bad", size, bad)

			b.Reset()
			for i := range trs {
				b.Add(trs[i].pubKey, trs[i].msg, trs[i].sig)
			}
			if b.Len() != size {
				t.Errorf("%s: Len: got %d, want %d", name, b.Len(), size)
			}
			if got, want := b.Verify(), wantFirst < 0; got != want {
				t.Errorf("%s: Verify: got %v, want %v", name, got, want)
			}
			idx, err := b.FirstInvalid()
			if idx != wantFirst || (err != nil) != (wantFirst >= 0) {
				t.Errorf("%s: FirstInvalid: got %d (%v), want %d", name, idx, err, wantFirst)
			}
			if idx >= 0 {
				serr := Verify(trs[idx].pubKey, trs[idx].msg, trs[idx].sig)
				if serr == nil {
					t.Errorf("%s: FirstInvalid names %d, which Verify accepts", name, idx)
				}
			}
		}
	}
}

// TestBatchEdgeCases checks the rules of BIP-340 one at a time, each on its
// own and in a batch between valid signatures.
func TestBatchEdgeCases(t *testing.T) {
	valid := validPool(t)
	good := valid[0]
	msg := sha256.Sum256([]byte("edge"))
	even := scalarWithParity(2, false)
	odd := scalarWithParity(2, true)
	nonceEven := scalarWithParity(1000, false)
	nonceOdd := scalarWithParity(1000, true)
	setR := func(tr triple, hexR string) triple { copy(tr.sig[:32], fromHex(hexR)); return tr }
	setS := func(tr triple, hexS string) triple { copy(tr.sig[32:], fromHex(hexS)); return tr }
	setKey := func(tr triple, hexKey string) triple { copy(tr.pubKey[:], fromHex(hexKey)); return tr }

	// s + n, when it fits in 32 bytes, is the same scalar mod n: btcec
	// v2.3.5 accepts it, BIP-340 does not.
	sPlusN := good
	sBig := new(big.Int).SetBytes(good.sig[32:])
	sBig.Add(sBig, secp256k1.Params().N)
	if sBig.BitLen() <= 256 {
		sBig.FillBytes(sPlusN.sig[32:])
	} else {
		copy(sPlusN.sig[32:], fromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"))
	}
	// A key with no point on the curve: x^3 + 7 is not a square for x = 5.
	noPointX := fmt.Sprintf("%064x", 5)
	if !notOnCurve(5) {
		t.Fatalf("5 is an x coordinate; pick another")
	}

	tests := []struct {
		name string
		tr   triple
		want error // nil for valid
	}{
		{"valid", good, nil},
		{"signed with even key and nonce", signRaw(even, nonceEven, msg), nil},
		{"R with odd y", signRaw(even, nonceOdd, msg), ErrSigROddY},
		{"key with odd y used as is", signRaw(odd, nonceEven, msg), errAnyMath},
		{"both odd", signRaw(odd, nonceOdd, msg), errAnyMath},
		{"r = p", setR(good, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"), ErrSigRTooBig},
		{"r = 2^256-1", setR(good, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), ErrSigRTooBig},
		{"r not on the curve", setR(good, noPointX), ErrSigRMismatch},
		{"r = 0", setR(good, fmt.Sprintf("%064x", 0)), errAnyMath},
		{"s = n", setS(good, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"), ErrSigSTooBig},
		{"s = 2^256-1", setS(good, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), ErrSigSTooBig},
		{"s + n", sPlusN, ErrSigSTooBig},
		{"s = 0", setS(good, fmt.Sprintf("%064x", 0)), errAnyMath},
		{"key = p", setKey(good, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"), ErrPubKeyTooBig},
		{"key not on the curve", setKey(good, noPointX), ErrPubKeyNotOnCurve},
		{"key = 0", setKey(good, fmt.Sprintf("%064x", 0)), ErrPubKeyNotOnCurve},
		{"other message", triple{good.pubKey, msg, good.sig}, errAnyMath},
	}
	for _, test := range tests {
		err := Verify(test.tr.pubKey, test.tr.msg, test.tr.sig)
		if !matches(err, test.want) {
			t.Errorf("%s: Verify: got %v, want %v", test.name, err, test.want)
		}
		if got := refVerify(&test.tr); got != (test.want == nil) {
			t.Errorf("%s: reference verifier: got %v, want %v", test.name, got, test.want == nil)
		}
		// Alone, twice, and in the middle of valid signatures.
		layouts := [][]triple{
			{test.tr},
			{test.tr, test.tr},
			{valid[1], valid[2], test.tr, valid[3], valid[4]},
		}
		firsts := []int{0, 0, 2}
		for j, trs := range layouts {
			b := batchOf(trs, NewKeyCache(8))
			if got := b.Verify(); got != (test.want == nil) {
				t.Errorf("%s, layout %d: Verify: got %v, want %v", test.name, j, got, test.want == nil)
			}
			idx, berr := b.FirstInvalid()
			wantIdx := -1
			if test.want != nil {
				wantIdx = firsts[j]
			}
			if idx != wantIdx {
				t.Errorf("%s, layout %d: FirstInvalid: got %d, want %d", test.name, j, idx, wantIdx)
			}
			// Lifting R catches an r off the curve before any
			// multiplication.
			want := test.want
			if test.name == "r not on the curve" {
				want = ErrSigRNotOnCurve
			}
			if !matches(berr, want) && !(errors.Is(berr, ErrSigRNotOnCurve) && want == errAnyMath) {
				t.Errorf("%s, layout %d: FirstInvalid error: got %v, want %v", test.name, j, berr, want)
			}
		}
	}
}

// errAnyMath stands for any failure of the final comparison.
var errAnyMath = errors.New("any of ErrSigRInfinity, ErrSigROddY, ErrSigRMismatch")

func matches(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAnyMath:
		return isMathKind(err)
	}
	return errors.Is(err, want)
}

// notOnCurve reports whether x is not the x coordinate of a curve point.
func notOnCurve(x uint16) bool {
	var fx, fy secp256k1.FieldVal
	fx.SetInt(x)
	return !secp256k1.DecompressY(&fx, false, &fy)
}

func TestEmptyBatch(t *testing.T) {
	b := New(0, nil)
	if !b.Verify() {
		t.Errorf("empty batch: Verify: got false, want true")
	}
	if idx, err := b.FirstInvalid(); idx != -1 || err != nil {
		t.Errorf("empty batch: FirstInvalid: got %d, %v, want -1, nil", idx, err)
	}
}

// TestWeightsMatter spoils two signatures so that their errors cancel in
// the unweighted sum: s_1 + d and s_2 - d. With all weights 1 the batch
// equation would hold; the random weights must catch it.
func TestWeightsMatter(t *testing.T) {
	valid := validPool(t)
	trs := []triple{valid[5], valid[6], valid[7]}
	var d, s secp256k1.ModNScalar
	d.SetInt(12345)
	s.SetBytes((*[32]byte)(trs[0].sig[32:]))
	s.Add(&d).PutBytesUnchecked(trs[0].sig[32:])
	d.Negate()
	s.SetBytes((*[32]byte)(trs[2].sig[32:]))
	s.Add(&d).PutBytesUnchecked(trs[2].sig[32:])

	// The unweighted sum really cancels.
	var ps [3]parsedSig
	var sum secp256k1.ModNScalar
	var rhs, term, lhs secp256k1.JacobianPoint
	for i := range trs {
		if err := parse(&ps[i], &trs[i].pubKey, &trs[i].msg, &trs[i].sig, nil, true); err != nil {
			t.Fatal(err)
		}
		sum.Add(&ps[i].s)
		secp256k1.ScalarMultNonConst(&ps[i].e, &ps[i].p, &term)
		secp256k1.AddNonConst(&rhs, &term, &rhs)
		secp256k1.AddNonConst(&rhs, &ps[i].r, &rhs)
	}
	secp256k1.ScalarBaseMultNonConst(&sum, &lhs)
	if !samePoint(lhs, rhs) {
		t.Fatalf("the spoilt signatures do not cancel without weights")
	}

	b := batchOf(trs, nil)
	for i := 0; i < 3; i++ {
		if b.Verify() {
			t.Errorf("run %d: batch with cancelling errors passes", i)
		}
	}
	if idx, err := b.FirstInvalid(); idx != 0 || err == nil {
		t.Errorf("FirstInvalid: got %d, %v, want 0", idx, err)
	}
}

// TestBatchReuse checks that Reset forgets a failure and that entries
// added after a Verify are checked.
func TestBatchReuse(t *testing.T) {
	valid := validPool(t)
	bad := valid[9]
	bad.msg[0] ^= 1
	b := New(2, nil)
	b.Add(bad.pubKey, bad.msg, bad.sig)
	if b.Verify() {
		t.Fatalf("bad signature passes")
	}
	b.Reset()
	for i := 0; i < 5; i++ {
		b.Add(valid[i].pubKey, valid[i].msg, valid[i].sig)
	}
	if !b.Verify() {
		t.Errorf("after Reset: valid batch fails")
	}
	b.Add(bad.pubKey, bad.msg, bad.sig)
	if b.Verify() {
		t.Errorf("bad signature added after Verify passes")
	}
	if idx, _ := b.FirstInvalid(); idx != 5 {
		t.Errorf("FirstInvalid: got %d, want 5", idx)
	}
	// A parse failure before a math failure: the lower index wins.
	b.Reset()
	outOfRange := valid[1]
	copy(outOfRange.sig[32:], fromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"))
	for _, tr := range []triple{valid[0], bad, valid[2], outOfRange} {
		b.Add(tr.pubKey, tr.msg, tr.sig)
	}
	if idx, err := b.FirstInvalid(); idx != 1 || !isMathKind(err) {
		t.Errorf("math failure at 1, parse failure at 3: got %d, %v", idx, err)
	}
}

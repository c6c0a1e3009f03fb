package schnorrbatch

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// testRand returns a deterministic source so that a failure reproduces.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(0x5eed, uint64(len(t.Name()))))
}

// randScalar returns a uniformly random scalar.
func randScalar(r *rand.Rand) secp256k1.ModNScalar {
	var b [32]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	var k secp256k1.ModNScalar
	k.SetBytes(&b)
	return k
}

// randPoint returns k·G in affine form for a random k.
func randPoint(r *rand.Rand) secp256k1.JacobianPoint {
	k := randScalar(r)
	var p secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&k, &p)
	p.ToAffine()
	return p
}

// samePoint reports whether two Jacobian points are the same group
// element.
func samePoint(a, b secp256k1.JacobianPoint) bool {
	if isInfinity(&a) || isInfinity(&b) {
		return isInfinity(&a) == isInfinity(&b)
	}
	a.ToAffine()
	b.ToAffine()
	return a.X.Equals(&b.X) && a.Y.Equals(&b.Y)
}

// naiveMSM is the reference: one ScalarMultNonConst per term.
func naiveMSM(points []secp256k1.JacobianPoint, scalars []secp256k1.ModNScalar) secp256k1.JacobianPoint {
	var sum secp256k1.JacobianPoint
	for i := range points {
		var p secp256k1.JacobianPoint
		secp256k1.ScalarMultNonConst(&scalars[i], &points[i], &p)
		secp256k1.AddNonConst(&sum, &p, &sum)
	}
	return sum
}

func scalarFromInt(v int64) secp256k1.ModNScalar {
	return scalarFromBig(big.NewInt(v))
}

func TestEndomorphism(t *testing.T) {
	n := secp256k1.Params().N
	p := secp256k1.Params().P
	lambda := new(big.Int).SetBytes(func() []byte { b := endoLambda.Bytes(); return b[:] }())
	beta := new(big.Int).SetBytes(endoBeta.Bytes()[:])
	one := big.NewInt(1)
	if got := new(big.Int).Exp(lambda, big.NewInt(3), n); got.Cmp(one) != 0 || lambda.Cmp(one) == 0 {
		t.Errorf("lambda^3 mod n: got %x, want 1", got)
	}
	if got := new(big.Int).Exp(beta, big.NewInt(3), p); got.Cmp(one) != 0 || beta.Cmp(one) == 0 {
		t.Errorf("beta^3 mod p: got %x, want 1", got)
	}

	// The short basis: a + b·λ ≡ 0 for both vectors, determinant n.
	a1 := bigFromHex("3086d221a7d46bcde86c90e49284eb15")
	a2 := bigFromHex("114ca50f7a8e2f3f657c1108d9d44cfd8")
	b1 := new(big.Int).Neg(glvB1Neg)
	b2 := glvB2
	for i, v := range [][2]*big.Int{{a1, b1}, {a2, b2}} {
		s := new(big.Int).Mul(v[1], lambda)
		s.Add(s, v[0]).Mod(s, n)
		if s.Sign() != 0 {
			t.Errorf("basis vector %d: a + b*lambda = %x mod n, want 0", i+1, s)
		}
	}
	det := new(big.Int).Sub(new(big.Int).Mul(a1, b2), new(big.Int).Mul(a2, b1))
	if det.Cmp(n) != 0 {
		t.Errorf("basis determinant: got %x, want n", det)
	}

	// φ is multiplication by λ, on G and on a random point.
	r := testRand(t)
	for _, pt := range []secp256k1.JacobianPoint{randPoint(r), randPoint(r)} {
		var want, got secp256k1.JacobianPoint
		secp256k1.ScalarMultNonConst(&endoLambda, &pt, &want)
		endomorphism(&pt, &got)
		if !samePoint(got, want) {
			t.Errorf("phi(P) != lambda*P for P = (%v, %v)", pt.X, pt.Y)
		}
	}
}

func TestSplitScalar(t *testing.T) {
	nMinus1 := scalarFromInt(-1)
	halfN := scalarFromBig(new(big.Int).Rsh(secp256k1.Params().N, 1))
	tests := []struct {
		name string
		k    secp256k1.ModNScalar
	}{
		{"zero", scalarFromInt(0)},
		{"one", scalarFromInt(1)},
		{"n-1", nMinus1},
		{"(n-1)/2", halfN},
		{"lambda", endoLambda},
		{"-lambda", lambdaNeg},
		{"2^128", scalarFromBig(new(big.Int).Lsh(big.NewInt(1), 128))},
		{"2^255", scalarFromBig(new(big.Int).Lsh(big.NewInt(1), 255))},
	}
	r := testRand(t)
	for i := 0; i < 2000; i++ {
		tests = append(tests, struct {
			name string
			k    secp256k1.ModNScalar
		}{fmt.Sprintf("random %d", i), randScalar(r)})
	}
	for _, test := range tests {
		k1, k2 := splitScalar(&test.k)
		var sum secp256k1.ModNScalar
		sum.Mul2(&k2, &endoLambda).Add(&k1)
		if !sum.Equals(&test.k) {
			t.Errorf("%s: k1 + k2*lambda = %v, want %v", test.name, sum, test.k)
		}
		var s1, s2 shortScalar
		s1.set(&k1)
		s2.set(&k2)
		if s1.bits > 129 || s2.bits > 129 {
			t.Errorf("%s: halves of %d and %d bits, want at most 129", test.name, s1.bits, s2.bits)
		}
	}
}

// limbsToBig converts little-endian limbs.
func limbsToBig(l [4]uint64) *big.Int {
	v := new(big.Int)
	for i := 3; i >= 0; i-- {
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(l[i]))
	}
	return v
}

func randMag(r *rand.Rand, bitLen int) [4]uint64 {
	var l [4]uint64
	for i := range l {
		l[i] = r.Uint64()
	}
	for b := bitLen; b < 256; b++ {
		l[b/64] &^= 1 << (b % 64)
	}
	return l
}

func TestWNAF(t *testing.T) {
	r := testRand(t)
	mags := [][4]uint64{{}, {1}, {15}, {16}, {^uint64(0)}, {0, 1}, {^uint64(0), ^uint64(0), ^uint64(0), 1 << 62}}
	for i := 0; i < 500; i++ {
		mags = append(mags, randMag(r, 1+r.IntN(255)))
	}
	for _, w := range []uint{2, 4, 5, 7} {
		for _, mag := range mags {
			digits := make([]int8, limbsBitLen(&mag)+1)
			wnaf(mag, w, digits)
			sum := new(big.Int)
			lastNonzero := 1 << 20
			for i := len(digits) - 1; i >= 0; i-- {
				d := int64(digits[i])
				sum.Lsh(sum, 1).Add(sum, big.NewInt(d))
				if d == 0 {
					continue
				}
				if d%2 == 0 || d >= 1<<(w-1) || d <= -(1<<(w-1)) {
					t.Errorf("w=%d mag %x: digit %d at %d out of range", w, mag, d, i)
				}
				if lastNonzero-i < int(w) {
					t.Errorf("w=%d mag %x: nonzero digits at %d and %d", w, mag, i, lastNonzero)
				}
				lastNonzero = i
			}
			if sum.Cmp(limbsToBig(mag)) != 0 {
				t.Errorf("w=%d: wNAF of %x sums to %x", w, mag, sum)
			}
		}
	}
}

func TestSignedDigits(t *testing.T) {
	r := testRand(t)
	for _, c := range []int{2, 5, 8, 11, 15} {
		for i := 0; i < 200; i++ {
			bitLen := 1 + r.IntN(255)
			mag := randMag(r, bitLen)
			digits := make([]int16, (bitLen+c)/c)
			signedDigits(&mag, c, digits)
			sum := new(big.Int)
			for w := len(digits) - 1; w >= 0; w-- {
				d := int64(digits[w])
				if d > 1<<(c-1) || d < -(1<<(c-1)) {
					t.Errorf("c=%d: digit %d out of range", c, d)
				}
				sum.Lsh(sum, uint(c)).Add(sum, big.NewInt(d))
			}
			if sum.Cmp(limbsToBig(mag)) != 0 {
				t.Errorf("c=%d: digits of %x sum to %x", c, mag, sum)
			}
		}
	}
}

// TestMSMAgainstNaive compares both algorithms with the sum of single
// scalar multiplications, on random inputs mixed with the awkward ones:
// zero, one and n-1 scalars, 128-bit scalars (which skip the split), a
// point that appears twice and a point next to its negation.
func TestMSMAgainstNaive(t *testing.T) {
	r := testRand(t)
	type algo struct {
		name string
		run  func(m *msm, pts []secp256k1.JacobianPoint, out *secp256k1.JacobianPoint)
	}
	algos := []algo{
		{"strauss", (*msm).strauss},
		{"pippenger", (*msm).pippenger},
	}
	var m msm
	for _, size := range []int{1, 2, 3, 7, 40, 200} {
		for trial := 0; trial < 3; trial++ {
			pts := make([]secp256k1.JacobianPoint, size)
			ks := make([]secp256k1.ModNScalar, size)
			for i := range pts {
				pts[i] = randPoint(r)
				ks[i] = randScalar(r)
				switch r.IntN(8) {
				case 0:
					ks[i] = scalarFromInt(int64(r.IntN(3)))
				case 1:
					ks[i] = scalarFromInt(-1)
				case 2:
					setScalarLimbs(&ks[i], [4]uint64{r.Uint64(), r.Uint64()})
				}
			}
			if size >= 3 {
				pts[1] = pts[0]
				negateAffine(&pts[0], &pts[2])
			}
			want := naiveMSM(pts, ks)
			for _, a := range algos {
				m.split(ks)
				var got secp256k1.JacobianPoint
				if len(m.terms) > 0 {
					a.run(&m, pts, &got)
				}
				if !samePoint(got, want) {
					t.Errorf("%s size %d trial %d: MSM differs from the naive sum", a.name, size, trial)
				}
			}
			var got secp256k1.JacobianPoint
			m.mult(pts, ks, &got)
			if !samePoint(got, want) {
				t.Errorf("mult size %d trial %d: MSM differs from the naive sum", size, trial)
			}
		}
	}

	// A sum that cancels to infinity: k·P + (n-k)·P.
	p := randPoint(r)
	k := randScalar(r)
	var kNeg secp256k1.ModNScalar
	kNeg.NegateVal(&k)
	var got secp256k1.JacobianPoint
	m.mult([]secp256k1.JacobianPoint{p, p}, []secp256k1.ModNScalar{k, kNeg}, &got)
	if !isInfinity(&got) {
		t.Errorf("k*P + (n-k)*P: got %v, want infinity", got)
	}
}

// TestPippengerBuckets steers points into chosen buckets (window width 8,
// scalars 1..128 are their own digits) so that the affine rounds meet
// every case: a bucket filled, a point added to itself, a point added to
// its negation (the bucket empties and is filled again), and rounds too
// small to batch that spill into Jacobian buckets.
func TestPippengerBuckets(t *testing.T) {
	r := testRand(t)
	var pts []secp256k1.JacobianPoint
	var ks []secp256k1.ModNScalar
	add := func(p secp256k1.JacobianPoint, k int) {
		pts = append(pts, p)
		ks = append(ks, scalarFromInt(int64(k)))
	}
	base := make([]secp256k1.JacobianPoint, 128)
	for j := range base {
		base[j] = randPoint(r)
		add(base[j], j+1) // round 0: fills bucket j
	}
	for j := 0; j < 100; j++ { // round 1: 100 additions, batched
		if j%2 == 0 {
			add(base[j], j+1) // P + P
		} else {
			var neg secp256k1.JacobianPoint
			negateAffine(&base[j], &neg)
			add(neg, j+1) // P + (-P)
		}
	}
	for j := 0; j < 100; j++ { // round 2: 2P + P, or refill
		add(base[j], j+1)
	}
	for j := 0; j < 10; j++ { // round 3: too few, spilt
		add(randPoint(r), j+1)
	}
	want := naiveMSM(pts, ks)
	m := msm{window: 8}
	m.split(ks)
	var got secp256k1.JacobianPoint
	m.pippenger(pts, &got)
	if !samePoint(got, want) {
		t.Errorf("pippenger with steered buckets differs from the naive sum")
	}
}

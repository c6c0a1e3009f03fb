package schnorrbatch

import (
	"math/bits"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Tuning of the multi-scalar multiplication, from BenchmarkMSM on an amd64
// server core (the relative costs are what matter, and those depend on the
// field arithmetic, not the machine).
const (
	// straussWindow is the wNAF width of Strauss's method: each base point
	// gets a table of 2^(w-2) odd multiples, and one addition every w+1
	// bits on average. 5 balances the 8-entry table against the additions
	// for 129-bit halves.
	straussWindow = 5

	// pippengerMinTerms is the number of scalar halves from which the
	// bucket method beats Strauss: it needs no tables, but pays for summing
	// its buckets in every window.
	pippengerMinTerms = 224

	// The costs of the point operations in mixed additions (Z2 = 1), the
	// unit of pippengerWindow's estimate; an affine addition includes its
	// share of a batched inversion.
	costMixedAdd  = 1.0
	costAdd       = 1.42
	costDouble    = 0.6
	costAffineAdd = 0.75
)

// straussTableSize is the number of odd multiples P, 3P, ..., (2^(w-1)-1)P
// in a Strauss table.
const straussTableSize = 1 << (straussWindow - 2)

// msmTerm is one scalar half of a multi-scalar multiplication: it adds
// ±mag·P, or ±mag·φ(P) when endo is set, for the input point P of index
// base.
type msmTerm struct {
	shortScalar
	base int
	endo bool
}

// msm computes multi-scalar multiplications. It keeps its buffers between
// calls, so a Batch reuses one; it is not safe for concurrent use.
type msm struct {
	// window fixes Pippenger's window width when nonzero; tests set it to
	// steer points into chosen buckets.
	window int

	terms   []msmTerm
	hasEndo []bool                    // per point: a term uses φ(P)
	tables  []secp256k1.JacobianPoint // Strauss: odd multiples per point
	phi     []secp256k1.JacobianPoint // φ of tables (Strauss) or points (Pippenger)
	twice   []secp256k1.JacobianPoint // 2P per point, for affineTables
	naf     []int8                    // Strauss: wNAF digits per term
	digits  []int16                   // Pippenger: signed digits per term
	dens    []secp256k1.FieldVal      // values to invert together
	zAcc    []secp256k1.FieldVal      // batchInvert's scratch

	// Pippenger's buckets: affine when full, with Jacobian spill buckets
	// for the additions too few to batch.
	buckets []secp256k1.JacobianPoint
	spill   []secp256k1.JacobianPoint
	full    []bool
	counts  []int32
	order   []int32
	active  []int32
	ops     []bucketOp
}

// mult sets result to the sum of scalars[i]·points[i]. Every point must be
// affine (Z = 1), normalized and not the point at infinity, as lifted
// public keys and R values are. The result is normalized.
func (m *msm) mult(points []secp256k1.JacobianPoint, scalars []secp256k1.ModNScalar,
	result *secp256k1.JacobianPoint) {

	m.split(scalars)
	switch {
	case len(m.terms) == 0:
		*result = secp256k1.JacobianPoint{}
	case len(m.terms) < pippengerMinTerms:
		m.strauss(points, result)
	default:
		m.pippenger(points, result)
	}
}

// split turns every scalar into at most two terms of at most 129 bits: a
// scalar that is already short (the random weights are 128 bits) stays
// whole, the others go through the endomorphism.
func (m *msm) split(scalars []secp256k1.ModNScalar) {
	m.terms = m.terms[:0]
	m.hasEndo = resize(m.hasEndo, len(scalars))
	for i := range scalars {
		m.hasEndo[i] = false
		var whole msmTerm
		whole.set(&scalars[i])
		whole.base = i
		if whole.bits <= 128 {
			if whole.bits > 0 {
				m.terms = append(m.terms, whole)
			}
			continue
		}
		k1, k2 := splitScalar(&scalars[i])
		t1 := msmTerm{base: i}
		t1.set(&k1)
		if t1.bits > 0 {
			m.terms = append(m.terms, t1)
		}
		t2 := msmTerm{base: i, endo: true}
		t2.set(&k2)
		if t2.bits > 0 {
			m.terms = append(m.terms, t2)
			m.hasEndo[i] = true
		}
	}
}

// maxBits returns the longest term's bit length.
func (m *msm) maxBits() int {
	n := 0
	for i := range m.terms {
		n = max(n, m.terms[i].bits)
	}
	return n
}

// strauss computes the sum by Strauss's method (interleaved wNAF): one
// chain of doublings shared by all terms, and an addition of a table entry
// wherever a term's digit is nonzero.
func (m *msm) strauss(points []secp256k1.JacobianPoint, result *secp256k1.JacobianPoint) {
	// Odd multiples of every point, affine so that every addition in the
	// main loop is a mixed one; the φ tables follow from them at one
	// multiplication per entry.
	m.tables = resize(m.tables, len(points)*straussTableSize)
	if len(points) >= straussAffineTables {
		m.affineTables(points)
	} else {
		for b := range points {
			t := m.tables[b*straussTableSize : (b+1)*straussTableSize]
			t[0] = points[b]
			var twice secp256k1.JacobianPoint
			secp256k1.DoubleNonConst(&points[b], &twice)
			for j := 1; j < straussTableSize; j++ {
				secp256k1.AddNonConst(&t[j-1], &twice, &t[j])
			}
		}
		m.toAffine(m.tables)
	}
	m.phi = resize(m.phi, len(m.tables))
	for b := range points {
		if !m.hasEndo[b] {
			continue
		}
		for j := b * straussTableSize; j < (b+1)*straussTableSize; j++ {
			endomorphism(&m.tables[j], &m.phi[j])
		}
	}

	stride := m.maxBits() + 1
	m.naf = resize(m.naf, len(m.terms)*stride)
	clear(m.naf)
	for i := range m.terms {
		wnaf(m.terms[i].mag, straussWindow, m.naf[i*stride:(i+1)*stride])
	}

	var q, neg secp256k1.JacobianPoint
	for bit := stride - 1; bit >= 0; bit-- {
		secp256k1.DoubleNonConst(&q, &q)
		for i := range m.terms {
			d := m.naf[i*stride+bit]
			if d == 0 {
				continue
			}
			t := &m.terms[i]
			idx := t.base*straussTableSize + int(abs8(d)-1)/2
			pt := &m.tables[idx]
			if t.endo {
				pt = &m.phi[idx]
			}
			if (d < 0) != t.neg {
				negateAffine(pt, &neg)
				pt = &neg
			}
			secp256k1.AddNonConst(&q, pt, &q)
		}
	}
	*result = q
}

// pippenger computes the sum by the bucket method: per window of c bits,
// every term adds its point into the bucket of its signed digit, and the
// buckets are summed with weights 1..2^(c-1) by a running sum.
//
// The buckets are affine, filled in rounds of additions that share one
// field inversion (Montgomery's trick): an affine addition is then about
// six multiplications where a mixed Jacobian one is eleven.
func (m *msm) pippenger(points []secp256k1.JacobianPoint, result *secp256k1.JacobianPoint) {
	maxBits := m.maxBits()
	c := m.window
	if c == 0 {
		c = pippengerWindow(len(m.terms), maxBits)
	}
	// Signed digits can carry one past the top bit.
	windows := (maxBits + c) / c
	half := 1 << (c - 1)

	m.phi = resize(m.phi, len(points))
	for b := range points {
		if m.hasEndo[b] {
			endomorphism(&points[b], &m.phi[b])
		}
	}
	m.digits = resize(m.digits, len(m.terms)*windows)
	for i := range m.terms {
		signedDigits(&m.terms[i].mag, c, m.digits[i*windows:(i+1)*windows])
	}
	m.buckets = resize(m.buckets, half)
	m.spill = resize(m.spill, half)
	m.full = resize(m.full, half)

	var acc secp256k1.JacobianPoint
	for w := windows - 1; w >= 0; w-- {
		for range c {
			secp256k1.DoubleNonConst(&acc, &acc)
		}
		clear(m.full)
		clear(m.spill)
		m.fillBuckets(points, windows, w, half)

		// running holds the sum of buckets j and above, so adding it once
		// per j weights bucket j by j+1.
		var running, sum secp256k1.JacobianPoint
		for j := half - 1; j >= 0; j-- {
			if m.full[j] {
				secp256k1.AddNonConst(&running, &m.buckets[j], &running)
			}
			if !isInfinity(&m.spill[j]) {
				secp256k1.AddNonConst(&running, &m.spill[j], &running)
			}
			secp256k1.AddNonConst(&sum, &running, &sum)
		}
		secp256k1.AddNonConst(&acc, &sum, &acc)
	}
	*result = acc
}

// pippengerMinRound is the fewest additions worth a shared inversion, which
// costs about two hundred multiplications. Smaller rounds, the tail where a
// few buckets still have several points waiting, go to the Jacobian spill
// buckets instead.
const pippengerMinRound = 64

// bucketOp is an affine addition waiting for its share of the inversion:
// bucket = bucket + (x2, ...), with slope num/den.
type bucketOp struct {
	bucket int32
	x2     secp256k1.FieldVal
	num    secp256k1.FieldVal
}

// fillBuckets adds the points of every term with a nonzero digit in window
// w into the buckets. The terms are sorted by bucket first, so round k adds
// the k-th point of every bucket that has one: no bucket twice in a round.
func (m *msm) fillBuckets(points []secp256k1.JacobianPoint, windows, w, half int) {
	m.counts = resize(m.counts, half+1)
	clear(m.counts)
	for i := range m.terms {
		if d := m.digits[i*windows+w]; d != 0 {
			m.counts[abs16(d)]++
		}
	}
	// counts[b+1] becomes the start of bucket b's run in order, and
	// counts[b] its end once the runs are filled.
	for b := 1; b <= half; b++ {
		m.counts[b] += m.counts[b-1]
	}
	m.order = resize(m.order, int(m.counts[half]))
	for i := range m.terms {
		if d := m.digits[i*windows+w]; d != 0 {
			b := abs16(d) - 1
			m.order[m.counts[b]] = int32(i)
			m.counts[b]++
		}
	}
	// Now bucket b's terms are order[start(b):counts[b]], start(b) being
	// counts[b-1] (0 for b = 0).
	start := func(b int32) int32 {
		if b == 0 {
			return 0
		}
		return m.counts[b-1]
	}

	m.active = m.active[:0]
	for b := int32(0); b < int32(half); b++ {
		if start(b) < m.counts[b] {
			m.active = append(m.active, b)
		}
	}
	var x2, y2 secp256k1.FieldVal
	for k := int32(0); len(m.active) > 0; k++ {
		if k > 0 && len(m.active) < pippengerMinRound {
			m.spillRest(points, windows, w, k, start)
			return
		}
		m.ops = m.ops[:0]
		m.dens = m.dens[:0]
		next := m.active[:0]
		for _, bi := range m.active {
			m.termPoint(points, m.order[start(bi)+k], windows, w, &x2, &y2)
			if start(bi)+k+1 < m.counts[bi] {
				next = append(next, bi)
			}
			b := &m.buckets[bi]
			if !m.full[bi] {
				b.X.Set(&x2)
				b.Y.Set(&y2)
				b.Z.SetInt(1)
				m.full[bi] = true
				continue
			}
			op := bucketOp{bucket: bi}
			op.x2.Set(&x2)
			var den secp256k1.FieldVal
			if b.X.Equals(&x2) {
				if !b.Y.Equals(&y2) {
					// P + (-P): the bucket is empty again.
					m.full[bi] = false
					continue
				}
				// P + P: the tangent's slope 3x^2 / 2y.
				op.num.SquareVal(&b.X).MulInt(3)
				den.Set(&b.Y).MulInt(2)
			} else {
				op.num.NegateVal(&b.Y, 1).Add(&y2)
				den.NegateVal(&b.X, 1).Add(&x2)
			}
			m.ops = append(m.ops, op)
			m.dens = append(m.dens, den)
		}
		m.active = next

		m.zAcc = resize(m.zAcc, len(m.dens))
		batchInvert(m.dens, m.zAcc)
		var lambda secp256k1.FieldVal
		for j := range m.ops {
			op := &m.ops[j]
			b := &m.buckets[op.bucket]
			lambda.Mul2(&op.num, &m.dens[j])
			affineSum(b, &op.x2, &lambda, b)
		}
	}
}

// affineSum sets r to p + q for affine p and q, given q's x and the slope λ
// of the line through them (the tangent when q = p):
// x3 = λ^2 - x1 - x2, y3 = λ(x1 - x3) - y1. r may be p.
func affineSum(p *secp256k1.JacobianPoint, x2, lambda *secp256k1.FieldVal, r *secp256k1.JacobianPoint) {
	var x3, t secp256k1.FieldVal
	x3.SquareVal(lambda)
	t.NegateVal(&p.X, 1)
	x3.Add(&t)
	t.NegateVal(x2, 1)
	x3.Add(&t).Normalize()
	t.NegateVal(&x3, 1).Add(&p.X)
	r.Y.NegateVal(&p.Y, 1).Add(t.Mul(lambda)).Normalize()
	r.X.Set(&x3)
	r.Z.SetInt(1)
}

// straussAffineTables is the number of points from which affineTables is
// cheaper: its eight inversions (one per table column) cost about what
// the Jacobian tables of 14 points cost more.
const straussAffineTables = 16

// affineTables fills m.tables with the odd multiples of every point in
// affine coordinates, one column at a time: 2P for all points, then
// (2j+1)P = (2j-1)P + 2P for all points, each column with affine
// additions that share one inversion. No denominator is zero: 2y is not,
// since no curve point has order 2, and (2j-1)P = ±2P would need a point
// of order below 2^(w-1), and the group order n is prime.
func (m *msm) affineTables(points []secp256k1.JacobianPoint) {
	n := len(points)
	m.twice = resize(m.twice, n)
	m.dens = resize(m.dens, n)
	m.zAcc = resize(m.zAcc, n)
	var lambda, num secp256k1.FieldVal

	// 2P: slope 3x^2 / 2y.
	for b := range points {
		m.tables[b*straussTableSize] = points[b]
		m.dens[b].Set(&points[b].Y).MulInt(2)
	}
	batchInvert(m.dens, m.zAcc)
	for b := range points {
		p := &points[b]
		num.SquareVal(&p.X).MulInt(3)
		lambda.Mul2(&num, &m.dens[b])
		affineSum(p, &p.X, &lambda, &m.twice[b])
	}

	// (2j+1)P: slope (y2 - y1) / (x2 - x1) with 2P as the second point.
	for j := 1; j < straussTableSize; j++ {
		for b := range points {
			prev := &m.tables[b*straussTableSize+j-1]
			m.dens[b].NegateVal(&prev.X, 1).Add(&m.twice[b].X)
		}
		batchInvert(m.dens, m.zAcc)
		for b := range points {
			prev := &m.tables[b*straussTableSize+j-1]
			num.NegateVal(&prev.Y, 1).Add(&m.twice[b].Y)
			lambda.Mul2(&num, &m.dens[b])
			affineSum(prev, &m.twice[b].X, &lambda, &m.tables[b*straussTableSize+j])
		}
	}
}

// spillRest adds the points from the k-th on of every active bucket into
// its Jacobian spill bucket.
func (m *msm) spillRest(points []secp256k1.JacobianPoint, windows, w int, k int32,
	start func(int32) int32) {

	var pt secp256k1.JacobianPoint
	pt.Z.SetInt(1)
	for _, bi := range m.active {
		s := &m.spill[bi]
		for j := start(bi) + k; j < m.counts[bi]; j++ {
			m.termPoint(points, m.order[j], windows, w, &pt.X, &pt.Y)
			secp256k1.AddNonConst(s, &pt, s)
		}
	}
}

// termPoint sets x and y to the affine point that term i adds in window w,
// its sign applied.
func (m *msm) termPoint(points []secp256k1.JacobianPoint, i int32, windows, w int,
	x, y *secp256k1.FieldVal) {

	t := &m.terms[i]
	pt := &points[t.base]
	if t.endo {
		pt = &m.phi[t.base]
	}
	x.Set(&pt.X)
	if (m.digits[int(i)*windows+w] < 0) != t.neg {
		y.NegateVal(&pt.Y, 1).Normalize()
	} else {
		y.Set(&pt.Y)
	}
}

// pippengerWindow returns the window width that minimises the estimated
// cost of terms scalars of the given bit length. With fewer buckets than
// pippengerMinRound the bucket additions are Jacobian (see fillBuckets).
func pippengerWindow(terms, bitLen int) int {
	best, bestCost := 2, -1.0
	for c := 2; c <= 15; c++ {
		windows := float64((bitLen + c) / c)
		buckets := float64(int(1) << (c - 1))
		add := costAffineAdd
		if buckets < pippengerMinRound {
			add = costMixedAdd
		}
		cost := windows * (float64(terms)*add + buckets*(costMixedAdd+costAdd) + float64(c)*costDouble)
		if bestCost < 0 || cost < bestCost {
			best, bestCost = c, cost
		}
	}
	return best
}

// toAffine scales every point to Z = 1 with one field inversion for all.
// No point may be at infinity.
func (m *msm) toAffine(pts []secp256k1.JacobianPoint) {
	m.dens = resize(m.dens, len(pts))
	for i := range pts {
		m.dens[i].Set(&pts[i].Z)
	}
	m.zAcc = resize(m.zAcc, len(pts))
	batchInvert(m.dens, m.zAcc)
	var zInv2 secp256k1.FieldVal
	for i := range pts {
		p := &pts[i]
		zInv2.SquareVal(&m.dens[i])
		p.X.Mul(&zInv2).Normalize()
		p.Y.Mul(zInv2.Mul(&m.dens[i])).Normalize()
		p.Z.SetInt(1)
	}
}

// batchInvert replaces every value by its inverse with one field inversion
// for all (Montgomery's trick): invert the product, then peel off one
// inverse at a time. acc is scratch of the same length. No value may be
// zero, and each must have a magnitude of at most 8.
func batchInvert(vals, acc []secp256k1.FieldVal) {
	if len(vals) == 0 {
		return
	}
	acc[0].Set(&vals[0])
	for i := 1; i < len(vals); i++ {
		acc[i].Mul2(&acc[i-1], &vals[i])
	}
	var inv, v secp256k1.FieldVal
	inv.Set(&acc[len(vals)-1]).Inverse()
	for i := len(vals) - 1; i > 0; i-- {
		// inv is 1/(vals[0]...vals[i]).
		v.Set(&vals[i])
		vals[i].Mul2(&inv, &acc[i-1])
		inv.Mul(&v)
	}
	vals[0].Set(&inv)
}

// endomorphism sets r to φ(p) = (β·x, y) = λ·p for an affine p.
func endomorphism(p, r *secp256k1.JacobianPoint) {
	r.X.Mul2(&endoBeta, &p.X).Normalize()
	r.Y.Set(&p.Y)
	r.Z.SetInt(1)
}

// negateAffine sets r to -p for an affine p.
func negateAffine(p, r *secp256k1.JacobianPoint) {
	r.X.Set(&p.X)
	r.Y.NegateVal(&p.Y, 1).Normalize()
	r.Z.SetInt(1)
}

// wnaf writes the width-w non-adjacent form of mag into digits, which must
// be zeroed and longer than the bit length of mag: mag is the sum of
// digits[i]·2^i, every digit is zero or odd with |d| < 2^(w-1), and of any w
// consecutive digits at most one is nonzero.
func wnaf(mag [4]uint64, w uint, digits []int8) {
	pos := 0
	for mag != [4]uint64{} {
		if mag[0]&1 == 0 {
			tz := trailingZeros(&mag)
			shiftRight(&mag, tz)
			pos += int(tz)
			continue
		}
		d := int64(mag[0] & (1<<w - 1))
		if d >= 1<<(w-1) {
			d -= 1 << w
		}
		digits[pos] = int8(d)
		// mag - d is a multiple of 2^w, so the next w-1 digits are 0.
		if d > 0 {
			subSmall(&mag, uint64(d))
		} else {
			addSmall(&mag, uint64(-d))
		}
		shiftRight(&mag, w)
		pos += int(w)
	}
}

// signedDigits writes mag in base 2^c with digits in
// [-(2^(c-1)-1), 2^(c-1)] into digits, least significant first. digits must
// have room for the carry out of the top window.
func signedDigits(mag *[4]uint64, c int, digits []int16) {
	var carry uint64
	for w := range digits {
		v := windowBits(mag, w*c, c) + carry
		if v > 1<<(c-1) {
			digits[w] = int16(int64(v) - 1<<c)
			carry = 1
		} else {
			digits[w] = int16(v)
			carry = 0
		}
	}
}

// windowBits returns bits [off, off+c) of mag, c < 64.
func windowBits(mag *[4]uint64, off, c int) uint64 {
	limb, sh := off/64, uint(off%64)
	if limb >= 4 {
		return 0
	}
	v := mag[limb] >> sh
	if sh != 0 && limb+1 < 4 {
		v |= mag[limb+1] << (64 - sh)
	}
	return v & (1<<c - 1)
}

// trailingZeros returns the number of trailing zero bits of a nonzero mag.
func trailingZeros(mag *[4]uint64) uint {
	for i, l := range mag {
		if l != 0 {
			return uint(64*i + bits.TrailingZeros64(l))
		}
	}
	return 256
}

// shiftRight shifts mag right by n bits.
func shiftRight(mag *[4]uint64, n uint) {
	for ; n >= 64; n -= 64 {
		mag[0], mag[1], mag[2], mag[3] = mag[1], mag[2], mag[3], 0
	}
	if n == 0 {
		return
	}
	mag[0] = mag[0]>>n | mag[1]<<(64-n)
	mag[1] = mag[1]>>n | mag[2]<<(64-n)
	mag[2] = mag[2]>>n | mag[3]<<(64-n)
	mag[3] >>= n
}

// subSmall subtracts v from mag, which must be at least v.
func subSmall(mag *[4]uint64, v uint64) {
	var b uint64
	mag[0], b = bits.Sub64(mag[0], v, 0)
	mag[1], b = bits.Sub64(mag[1], 0, b)
	mag[2], b = bits.Sub64(mag[2], 0, b)
	mag[3], _ = bits.Sub64(mag[3], 0, b)
}

// addSmall adds v to mag, which must stay below 2^256.
func addSmall(mag *[4]uint64, v uint64) {
	var c uint64
	mag[0], c = bits.Add64(mag[0], v, 0)
	mag[1], c = bits.Add64(mag[1], 0, c)
	mag[2], c = bits.Add64(mag[2], 0, c)
	mag[3], _ = bits.Add64(mag[3], 0, c)
}

func abs8(d int8) int8 {
	if d < 0 {
		return -d
	}
	return d
}

func abs16(d int16) int16 {
	if d < 0 {
		return -d
	}
	return d
}

// resize returns s with length n, reusing its array when it is big enough.
// The elements are not cleared.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// isInfinity reports whether p is the point at infinity, in the
// convention of the secp256k1 package (Z = 0, or X = Y = 0).
func isInfinity(p *secp256k1.JacobianPoint) bool {
	return (p.X.IsZero() && p.Y.IsZero()) || p.Z.IsZero()
}

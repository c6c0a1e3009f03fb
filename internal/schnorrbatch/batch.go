package schnorrbatch

import (
	"crypto/rand"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// weightBytes is the size of the random weights a_2..a_u. With 128-bit
// weights an invalid batch passes with probability at most 2^-127 per
// attempt: fix every weight but that of an invalid entry i other than the
// first, whose term a_i(s_i G - R_i - e_i P_i) is then a nonzero multiple
// of a point of prime order n, and at most one of the 2^128 values of a_i
// (two with zero mapped to one) makes the sum vanish; if the first entry is
// the only invalid one, the sum cannot vanish at all. Full-size weights
// would not take the bound below the 2^-128 security of the curve, and the
// short ones halve the work on the R terms.
const weightBytes = 16

// bisectLeaf is the size of a range that FirstInvalid checks one signature
// at a time instead of halving again: a single check of 4 costs about what
// a batch of 2 and the two checks after it cost.
const bisectLeaf = 4

// entry is one signature as added.
type entry struct {
	pubKey [32]byte
	msg    [32]byte
	sig    [64]byte
}

// Batch collects BIP-340 signatures and verifies them together. The zero
// value is not usable; make one with New. A Batch keeps its buffers across
// Reset, so a worker should keep one and reuse it. It is not safe for
// concurrent use.
type Batch struct {
	entries []entry
	keys    *KeyCache

	// parsed holds the parsed form of entries[:len(parsed)]. Parsing stops
	// at the first entry that fails (badIndex, with badErr).
	parsed   []parsedSig
	badIndex int
	badErr   error

	m       msm
	points  []secp256k1.JacobianPoint
	scalars []secp256k1.ModNScalar
	keyTerm map[[32]byte]int // index in points of each key's term
	random  []byte
}

// New returns an empty batch with room for capacity signatures. Keys are
// looked up in and added to keys, which may be nil for no cache.
func New(capacity int, keys *KeyCache) *Batch {
	capacity = max(capacity, 0)
	return &Batch{
		entries:  make([]entry, 0, capacity),
		parsed:   make([]parsedSig, 0, capacity),
		keys:     keys,
		badIndex: -1,
	}
}

// Add appends the signature sig of the 32-byte message msg by the x-only
// public key pubKey. It does no checking: every failure, a malformed key or
// signature included, shows in Verify and FirstInvalid.
func (b *Batch) Add(pubKey [32]byte, msg [32]byte, sig [64]byte) {
	b.entries = append(b.entries, entry{pubKey: pubKey, msg: msg, sig: sig})
}

// Len returns the number of signatures added since New or Reset.
func (b *Batch) Len() int {
	return len(b.entries)
}

// Reset empties the batch, keeping its buffers and key cache.
func (b *Batch) Reset() {
	b.entries = b.entries[:0]
	b.parsed = b.parsed[:0]
	b.badIndex = -1
	b.badErr = nil
}

// Verify reports whether every signature in the batch is valid; an empty
// batch is. A batch of valid signatures always passes. A batch holding an
// invalid one fails except with probability at most 2^-127, drawn afresh on
// every call from crypto/rand, so an attacker who cannot predict the
// weights cannot make it pass. When it returns false, FirstInvalid names
// the culprit.
func (b *Batch) Verify() bool {
	if !b.parse() {
		return false
	}
	return b.verifyRange(0, len(b.entries))
}

// FirstInvalid returns the index of the lowest-indexed invalid signature
// and why it is invalid, or -1 and nil when all are valid. It verifies the
// batch and, when that fails, bisects it (each half with fresh weights)
// down to a few signatures that it checks singly, so with one bad
// signature among u it costs about two batch verifications of u. Its
// verdict is single verification's: an index it returns fails Verify.
func (b *Batch) FirstInvalid() (int, error) {
	b.parse()
	end := len(b.entries)
	if b.badIndex >= 0 {
		end = b.badIndex
	}
	if !b.verifyRange(0, end) {
		// [lo, hi) holds the lowest invalid entry, all before lo being
		// valid.
		lo, hi := 0, end
		for hi-lo > bisectLeaf {
			mid := lo + (hi-lo)/2
			if b.verifyRange(lo, mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		// The leaf holds it, but a batch that passes is right only with
		// overwhelming probability; single checks of the rest, and then
		// of what came before, make the answer certain.
		for _, r := range [][2]int{{lo, end}, {0, lo}} {
			for i := r[0]; i < r[1]; i++ {
				if err := verifyParsed(&b.m, &b.parsed[i]); err != nil {
					return i, err
				}
			}
		}
	}
	if b.badIndex >= 0 {
		return b.badIndex, b.badErr
	}
	return -1, nil
}

// parse parses the entries not parsed yet, stopping at the first failure,
// and reports whether all parsed.
func (b *Batch) parse() bool {
	for b.badIndex < 0 && len(b.parsed) < len(b.entries) {
		i := len(b.parsed)
		b.parsed = append(b.parsed, parsedSig{})
		e := &b.entries[i]
		if err := parse(&b.parsed[i], &e.pubKey, &e.msg, &e.sig, b.keys, true); err != nil {
			b.parsed = b.parsed[:i]
			b.badIndex, b.badErr = i, err
		}
	}
	return b.badIndex < 0
}

// verifyRange checks the parsed entries [lo, hi) with the batch equation
//
//	(Σ a_i s_i) G == Σ a_i R_i + Σ (a_i e_i) P_i
//
// for a_lo = 1 and random 128-bit a_i otherwise. A single entry is checked
// with single verification, which needs no R and is cheaper.
func (b *Batch) verifyRange(lo, hi int) bool {
	u := hi - lo
	switch {
	case u <= 0:
		return true
	case u == 1:
		return verifyParsed(&b.m, &b.parsed[lo]) == nil
	}
	ps := b.parsed[lo:hi]

	// crypto/rand.Read does not fail: the runtime aborts the program
	// rather than return an error from the system's generator.
	b.random = resize(b.random, weightBytes*(u-1))
	rand.Read(b.random)

	// A key that signs several entries gets one term: its scalars add up,
	// which saves two of the three terms of every repeat (a wallet spends
	// several outputs of one key in one block).
	b.points = b.points[:0]
	b.scalars = b.scalars[:0]
	if b.keyTerm == nil {
		b.keyTerm = make(map[[32]byte]int)
	}
	clear(b.keyTerm)
	var sum, a, as, ae secp256k1.ModNScalar
	for i := range ps {
		if i == 0 {
			a.SetInt(1)
		} else {
			var buf [32]byte
			copy(buf[32-weightBytes:], b.random[weightBytes*(i-1):weightBytes*i])
			a.SetBytes(&buf)
			if a.IsZero() {
				// A zero weight would drop the entry from the check.
				a.SetInt(1)
			}
		}
		as.Mul2(&a, &ps[i].s)
		sum.Add(&as)
		b.points = append(b.points, ps[i].r)
		b.scalars = append(b.scalars, a)
		ae.Mul2(&a, &ps[i].e)
		key := b.entries[lo+i].pubKey
		if j, ok := b.keyTerm[key]; ok {
			b.scalars[j].Add(&ae)
			continue
		}
		b.keyTerm[key] = len(b.points)
		b.points = append(b.points, ps[i].p)
		b.scalars = append(b.scalars, ae)
	}

	// The two sides are equal when their difference is infinity.
	var lhs, rhs secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&sum, &lhs)
	b.m.mult(b.points, b.scalars, &rhs)
	lhs.Y.Negate(1).Normalize()
	secp256k1.AddNonConst(&rhs, &lhs, &rhs)
	return isInfinity(&rhs)
}

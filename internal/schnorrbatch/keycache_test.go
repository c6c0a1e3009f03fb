package schnorrbatch

import (
	"sync"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// keyN returns a valid x-only key distinct for each i.
func keyN(t *testing.T, i int) ([32]byte, secp256k1.JacobianPoint) {
	t.Helper()
	var k secp256k1.ModNScalar
	k.SetInt(uint32(i + 1))
	var p secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&k, &p)
	p.ToAffine()
	var key [32]byte
	p.X.PutBytes(&key)
	var lifted secp256k1.JacobianPoint
	if liftX(&key, &lifted) != liftOK {
		t.Fatalf("key %d does not lift", i)
	}
	return key, lifted
}

func TestKeyCacheEviction(t *testing.T) {
	c := NewKeyCache(4)
	keys := make([][32]byte, 6)
	points := make([]secp256k1.JacobianPoint, 6)
	for i := range keys {
		keys[i], points[i] = keyN(t, i)
	}
	for i := 0; i < 4; i++ {
		c.insert(&keys[i], &points[i])
	}
	var p secp256k1.JacobianPoint
	// Key 0 is used, so the hand passes it over and evicts key 1.
	if !c.lookup(&keys[0], &p) || !samePoint(p, points[0]) {
		t.Fatalf("key 0: not cached, or the wrong point")
	}
	c.insert(&keys[4], &points[4])
	tests := []struct {
		name   string
		key    int
		cached bool
	}{
		{"used key survives", 0, true},
		{"unused key is evicted", 1, false},
		{"other key kept", 2, true},
		{"new key cached", 4, true},
		{"never added", 5, false},
	}
	for _, test := range tests {
		got := c.lookup(&keys[test.key], &p)
		if got != test.cached {
			t.Errorf("%s: lookup: got %v, want %v", test.name, got, test.cached)
		}
		if got && !samePoint(p, points[test.key]) {
			t.Errorf("%s: cached point differs from lift_x", test.name)
		}
	}
	if c.Len() != 4 {
		t.Errorf("Len: got %d, want 4", c.Len())
	}
	// Adding a cached key again changes nothing.
	c.insert(&keys[0], &points[0])
	if c.Len() != 4 {
		t.Errorf("Len after re-adding: got %d, want 4", c.Len())
	}
	if NewKeyCache(0).limit != 1 {
		t.Errorf("capacity 0 is not raised to 1")
	}
}

// TestKeyCacheInBatch checks that only valid keys are cached and that a
// cached key gives the same verdicts.
func TestKeyCacheInBatch(t *testing.T) {
	valid := validPool(t)
	c := NewKeyCache(100)
	badKey := valid[0]
	copy(badKey.pubKey[:], fromHex("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34"))
	for round := 0; round < 2; round++ {
		b := batchOf(valid[:50], c)
		if !b.Verify() {
			t.Errorf("round %d: valid batch fails", round)
		}
		b = batchOf([]triple{valid[0], badKey}, c)
		if idx, err := b.FirstInvalid(); idx != 1 || err == nil {
			t.Errorf("round %d: bad key: FirstInvalid got %d, %v", round, idx, err)
		}
	}
	// The pool has 40 distinct keys; the bad one is not among them.
	if c.Len() != 40 {
		t.Errorf("Len: got %d, want 40", c.Len())
	}
}

// TestKeyCacheConcurrent runs batches sharing a small cache from several
// goroutines, so that lookups, insertions and evictions race (run it with
// -race).
func TestKeyCacheConcurrent(t *testing.T) {
	valid := validPool(t)
	c := NewKeyCache(8)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				lo := (g*37 + i*11) % (len(valid) - 20)
				if !batchOf(valid[lo:lo+20], c).Verify() {
					errs <- "valid batch fails"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if c.Len() > 8 {
		t.Errorf("Len: got %d, want at most 8", c.Len())
	}
}

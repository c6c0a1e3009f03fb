package schnorrbatch

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// bip340Vector is one line of testdata/bip340-test-vectors.csv.
type bip340Vector struct {
	index   string
	tr      triple
	valid   bool
	comment string
}

func fromHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// loadVectors reads the BIP-340 test vectors.
func loadVectors(t testing.TB) []bip340Vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "bip340-test-vectors.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var vs []bip340Vector
	for _, row := range rows[1:] {
		var v bip340Vector
		v.index = row[0]
		copy(v.tr.pubKey[:], fromHex(row[2]))
		copy(v.tr.msg[:], fromHex(row[4]))
		copy(v.tr.sig[:], fromHex(row[5]))
		v.valid = row[6] == "TRUE"
		v.comment = row[7]
		if len(fromHex(row[2])) != 32 || len(fromHex(row[4])) != 32 || len(fromHex(row[5])) != 64 {
			t.Fatalf("vector %s: field of the wrong size", v.index)
		}
		vs = append(vs, v)
	}
	if len(vs) != 15 {
		t.Fatalf("got %d vectors, want 15", len(vs))
	}
	return vs
}

// wantKinds are the failures the BIP's comments name: a vector in the
// table must fail with that kind in single verification. Vectors 7 and 8
// (negated message, negated s) give a random R', whose failure may be
// either its y parity or its x.
var wantKinds = map[string]ErrorKind{
	"5":  ErrPubKeyNotOnCurve,
	"6":  ErrSigROddY,
	"9":  ErrSigRInfinity,
	"10": ErrSigRInfinity,
	"11": ErrSigRMismatch,
	"12": ErrSigRTooBig,
	"13": ErrSigSTooBig,
	"14": ErrPubKeyTooBig,
}

// mathKinds are the failures found only by the scalar multiplications.
var mathKinds = []ErrorKind{ErrSigRInfinity, ErrSigROddY, ErrSigRMismatch}

func isMathKind(err error) bool {
	for _, k := range mathKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func TestBIP340Vectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		name := "vector " + v.index + " " + v.comment
		err := Verify(v.tr.pubKey, v.tr.msg, v.tr.sig)
		if (err == nil) != v.valid {
			t.Errorf("%s: Verify: got %v, want valid=%v", name, err, v.valid)
		}
		if kind, ok := wantKinds[v.index]; ok && !errors.Is(err, kind) {
			t.Errorf("%s: Verify: got %v, want %v", name, err, kind)
		}
		if e := (Error{}); err != nil && !errors.As(err, &e) {
			t.Errorf("%s: Verify error %T is not an Error", name, err)
		}
		if got := refVerify(&v.tr); got != v.valid {
			t.Errorf("%s: reference verifier: got %v, want %v", name, got, v.valid)
		}

		// A batch of one, and a batch of the vector twice.
		for _, n := range []int{1, 2} {
			trs := make([]triple, n)
			for i := range trs {
				trs[i] = v.tr
			}
			b := batchOf(trs, nil)
			if got := b.Verify(); got != v.valid {
				t.Errorf("%s: batch of %d: got %v, want %v", name, n, got, v.valid)
			}
			idx, berr := b.FirstInvalid()
			wantIdx := -1
			if !v.valid {
				wantIdx = 0
			}
			if idx != wantIdx {
				t.Errorf("%s: batch of %d: FirstInvalid: got %d (%v), want %d", name, n, idx, berr, wantIdx)
			}
			// The batch reports what single verification reports,
			// except that lifting R finds an r off the curve first.
			switch {
			case errors.Is(berr, ErrSigRNotOnCurve):
				if !isMathKind(err) {
					t.Errorf("%s: batch says %v, single verification %v", name, berr, err)
				}
			case !errors.Is(berr, errorKind(err)):
				t.Errorf("%s: batch says %v, single verification %v", name, berr, err)
			}
		}
	}
}

// errorKind returns the ErrorKind err wraps, or nil.
func errorKind(err error) error {
	var kind ErrorKind
	if errors.As(err, &kind) {
		return kind
	}
	return nil
}

// TestBIP340VectorsBatched puts every invalid vector among all the valid
// ones at each position and expects the batch to fail there.
func TestBIP340VectorsBatched(t *testing.T) {
	var valid, invalid []bip340Vector
	for _, v := range loadVectors(t) {
		if v.valid {
			valid = append(valid, v)
		} else {
			invalid = append(invalid, v)
		}
	}
	trs := make([]triple, 0, len(valid)+1)
	for _, v := range valid {
		trs = append(trs, v.tr)
	}
	if b := batchOf(trs, nil); !b.Verify() {
		t.Fatalf("batch of the %d valid vectors fails", len(trs))
	}
	for _, bad := range invalid {
		for pos := 0; pos <= len(valid); pos++ {
			mixed := append(append(append([]triple{}, trs[:pos]...), bad.tr), trs[pos:]...)
			b := batchOf(mixed, NewKeyCache(4))
			if b.Verify() {
				t.Errorf("vector %s at %d: batch passes", bad.index, pos)
			}
			if idx, err := b.FirstInvalid(); idx != pos || err == nil {
				t.Errorf("vector %s at %d: FirstInvalid: got %d, %v", bad.index, pos, idx, err)
			}
		}
	}
}

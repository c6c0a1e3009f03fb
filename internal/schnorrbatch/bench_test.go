package schnorrbatch

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// benchSizes are the batch sizes of the per-signature benchmarks.
var benchSizes = []int{1, 16, 64, 256, 1024}

var (
	benchOnce     sync.Once
	benchDistinct []triple // every signature by its own key
	benchReused   []triple // 1024 signatures by 32 keys
)

func benchPools(b *testing.B) ([]triple, []triple) {
	b.Helper()
	benchOnce.Do(func() {
		const n = 1024
		distinctKeys := testKeys(n, 11)
		reusedKeys := testKeys(32, 13)
		benchDistinct = make([]triple, n)
		benchReused = make([]triple, n)
		for i := 0; i < n; i++ {
			msg := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'b'})
			benchDistinct[i] = signTriple(b, distinctKeys[i], msg)
			benchReused[i] = signTriple(b, reusedKeys[i%len(reusedKeys)], msg)
		}
	})
	return benchDistinct, benchReused
}

// perSig measures a benchmark per signature: wall time as ns/sig, and the
// process's CPU time as cpu-ns/sig, which is what to compare on a machine
// that other work shares.
type perSig struct {
	b        *testing.B
	cpuStart time.Duration
}

// startPerSig starts measuring; call it right before the timed loop.
func startPerSig(b *testing.B) perSig {
	b.ReportAllocs()
	return perSig{b: b, cpuStart: processCPU()}
}

// report adds the metrics for size signatures per iteration.
func (p perSig) report(size int) {
	n := float64(p.b.N * size)
	p.b.ReportMetric(float64(p.b.Elapsed().Nanoseconds())/n, "ns/sig")
	if cpu := processCPU() - p.cpuStart; cpu > 0 {
		p.b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/sig")
	}
}

// BenchmarkVerifyBtcec is the baseline: what blockdag does today per
// input, parsing included.
func BenchmarkVerifyBtcec(b *testing.B) {
	trs, _ := benchPools(b)
	m := startPerSig(b)
	i := 0
	for b.Loop() {
		tr := &trs[i%len(trs)]
		i++
		key, err := schnorr.ParsePubKey(tr.pubKey[:])
		if err != nil {
			b.Fatal(err)
		}
		sig, err := schnorr.ParseSignature(tr.sig[:])
		if err != nil {
			b.Fatal(err)
		}
		if !sig.Verify(tr.msg[:], key) {
			b.Fatal("invalid")
		}
	}
	m.report(1)
}

// BenchmarkVerify is this package's single verification.
func BenchmarkVerify(b *testing.B) {
	trs, _ := benchPools(b)
	m := startPerSig(b)
	i := 0
	for b.Loop() {
		tr := &trs[i%len(trs)]
		i++
		if err := Verify(tr.pubKey, tr.msg, tr.sig); err != nil {
			b.Fatal(err)
		}
	}
	m.report(1)
}

// BenchmarkBatch verifies batches of valid signatures: "distinct" has a
// key per signature and no cache, "reused" 32 keys and a warm KeyCache.
func BenchmarkBatch(b *testing.B) {
	distinct, reused := benchPools(b)
	for _, keys := range []string{"distinct", "reused"} {
		for _, size := range benchSizes {
			b.Run(fmt.Sprintf("keys=%s/size=%d", keys, size), func(b *testing.B) {
				trs := distinct[:size]
				var cache *KeyCache
				if keys == "reused" {
					trs = reused[:size]
					cache = NewKeyCache(64)
				}
				batch := New(size, cache)
				m := startPerSig(b)
				for b.Loop() {
					batch.Reset()
					for i := range trs {
						batch.Add(trs[i].pubKey, trs[i].msg, trs[i].sig)
					}
					if !batch.Verify() {
						b.Fatal("valid batch fails")
					}
				}
				m.report(size)
			})
		}
	}
}

// BenchmarkFirstInvalid finds one bad signature among 256: the cost of
// naming the culprit after a failed batch.
func BenchmarkFirstInvalid(b *testing.B) {
	distinct, _ := benchPools(b)
	trs := append([]triple{}, distinct[:256]...)
	trs[200].msg[0] ^= 1
	batch := New(len(trs), nil)
	m := startPerSig(b)
	for b.Loop() {
		batch.Reset()
		for i := range trs {
			batch.Add(trs[i].pubKey, trs[i].msg, trs[i].sig)
		}
		if idx, _ := batch.FirstInvalid(); idx != 200 {
			b.Fatalf("FirstInvalid: got %d, want 200", idx)
		}
	}
	m.report(len(trs))
}

// BenchmarkMSM times both algorithms on the shape of a batch of u
// signatures: u points with 128-bit scalars and u with full ones (split in
// two), 3u terms. It sets pippengerMinTerms.
func BenchmarkMSM(b *testing.B) {
	r := testRand(b)
	for _, u := range []int{8, 16, 32, 48, 64, 96, 128, 256, 1024} {
		pts := make([]secp256k1.JacobianPoint, 2*u)
		ks := make([]secp256k1.ModNScalar, 2*u)
		for i := range pts {
			pts[i] = randPoint(r)
			ks[i] = randScalar(r)
			if i%2 == 0 {
				setScalarLimbs(&ks[i], [4]uint64{r.Uint64(), r.Uint64()})
			}
		}
		for _, algo := range []string{"strauss", "pippenger"} {
			b.Run(fmt.Sprintf("terms=%d/%s", 3*u, algo), func(b *testing.B) {
				var m msm
				var out secp256k1.JacobianPoint
				b.ReportAllocs()
				cpuStart := processCPU()
				for b.Loop() {
					m.split(ks)
					if algo == "strauss" {
						m.strauss(pts, &out)
					} else {
						m.pippenger(pts, &out)
					}
				}
				n := float64(b.N * 3 * u)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/term")
				if cpu := processCPU() - cpuStart; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/term")
				}
			})
		}
	}
}

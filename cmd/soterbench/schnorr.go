package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// Bounds of the schnorr command's options.
const (
	// schnorrSamples is how many distinct signatures the workers cycle
	// through, so no cache or branch predictor sees one input only.
	schnorrSamples = 256

	// maxSchnorrSeconds bounds -seconds.
	maxSchnorrSeconds = 600

	// maxSchnorrCPU bounds -cpu: more goroutines than that measure the
	// scheduler, not the curve.
	maxSchnorrCPU = 1024
)

// schnorrSample is one signature to verify, serialized as a transaction
// input and the output it spends carry it.
type schnorrSample struct {
	pubKey  [wire.PubKeySize]byte
	sig     [wire.SignatureSize]byte
	sighash [32]byte
}

// cmdSchnorr measures how many BIP-340 signatures the machine verifies per
// second on C goroutines, each verification doing what blockdag does per
// input: parse the output's x-only key, parse the signature, verify.
func cmdSchnorr(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("schnorr", stderr)
	seconds := fs.Float64("seconds", 3, "how long to measure, in seconds (0.1..600)")
	cpu := fs.Int("cpu", runtime.NumCPU(), "verifying goroutines (1..1024); the default is one per core")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *seconds < 0.1 || *seconds > maxSchnorrSeconds {
		return usageError{fmt.Sprintf("-seconds must be in 0.1..%d, got %v", maxSchnorrSeconds, *seconds)}
	}
	if *cpu < 1 || *cpu > maxSchnorrCPU {
		return usageError{fmt.Sprintf("-cpu must be in 1..%d, got %d", maxSchnorrCPU, *cpu)}
	}
	samples, err := makeSchnorrSamples(schnorrSamples)
	if err != nil {
		return err
	}
	dur := time.Duration(*seconds * float64(time.Second))
	cpuBefore, cpuErr := processCPUTime(os.Getpid())
	count, elapsed, err := measureSchnorr(ctx, samples, *cpu, dur)
	if err != nil {
		return err
	}
	rate := float64(count) / elapsed.Seconds()
	// On a shared machine the rate per CPU-second is the figure other
	// load does not change; soterbench ibd reports the node's the same
	// way.
	if cpuAfter, err := processCPUTime(os.Getpid()); err == nil && cpuErr == nil && cpuAfter > cpuBefore {
		used := (cpuAfter - cpuBefore).Seconds()
		fmt.Fprintf(stderr, "soterbench: %.2f CPU-seconds (%.2f cores on average; load average %s): "+
			"%.0f verifies per CPU-second\n", used, used/elapsed.Seconds(), loadAverage(),
			float64(count)/used)
	}
	fmt.Fprintf(stdout, "schnorr cpu=%d seconds=%.2f verifies=%d verifies_per_s=%.0f\n",
		*cpu, elapsed.Seconds(), count, rate)
	return nil
}

// makeSchnorrSamples signs n distinct messages with n keys.
func makeSchnorrSamples(n int) ([]schnorrSample, error) {
	samples := make([]schnorrSample, n)
	for i := range samples {
		priv, pub, err := keys.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("generate a key: %w", err)
		}
		s := &samples[i]
		s.pubKey = pub
		s.sighash = sha256.Sum256([]byte(fmt.Sprintf("soterbench schnorr sample %d", i)))
		sig, err := schnorr.Sign(priv, s.sighash[:])
		if err != nil {
			return nil, fmt.Errorf("sign a sample: %w", err)
		}
		copy(s.sig[:], sig.Serialize())
	}
	return samples, nil
}

// verifySample parses and verifies one sample.
func verifySample(s *schnorrSample) bool {
	key, err := schnorr.ParsePubKey(s.pubKey[:])
	if err != nil {
		return false
	}
	sig, err := schnorr.ParseSignature(s.sig[:])
	if err != nil {
		return false
	}
	return sig.Verify(s.sighash[:], key)
}

// measureSchnorr runs workers goroutines verifying samples for about dur
// and returns the verifications done and the time they took. A sample that
// fails to verify is an error: the figure would be meaningless.
func measureSchnorr(ctx context.Context, samples []schnorrSample, workers int,
	dur time.Duration) (uint64, time.Duration, error) {

	var (
		total  atomic.Uint64
		failed atomic.Bool
		stop   atomic.Bool
		wg     sync.WaitGroup
	)
	start := time.Now()
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(offset int) {
			defer wg.Done()
			var n uint64
			for i := offset; !stop.Load(); i++ {
				if !verifySample(&samples[i%len(samples)]) {
					failed.Store(true)
					break
				}
				n++
			}
			total.Add(n)
		}(g * len(samples) / workers)
	}
	timer := time.NewTimer(dur)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if failed.Load() {
		return 0, 0, fmt.Errorf("a sample signature did not verify")
	}
	return total.Load(), elapsed, nil
}

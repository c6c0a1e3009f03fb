package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/wire"
)

// Bounds of the hashrate command.
const (
	// maxHashrateRounds bounds -rounds.
	maxHashrateRounds = 100

	// hashRateSample is how often the built-in miner's rate is read: the
	// interval over which it computes HashesPerSecond.
	hashRateSample = 2 * time.Second

	// hardBits is the difficulty both miners hash at: a target near
	// 2^224, met once in some four billion hashes, so the measurement is
	// hashing and nothing else.
	hardBits = 0x1d00ffff
)

// sotermineName is the external miner's executable name.
const sotermineName = "sotermine"

// benchLine matches the result line of sotermine --bench.
var benchLine = regexp.MustCompile(`per_worker=([0-9.]+)`)

// cmdHashrate compares the hash rate per worker of the built-in CPU miner
// and of sotermine, in turns so that both see the same machine load.
func cmdHashrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hashrate", stderr)
	seconds := fs.Float64("seconds", 6, "seconds each miner hashes per round (4..600)")
	rounds := fs.Int("rounds", 3, fmt.Sprintf("rounds, each miner once per round (1..%d)", maxHashrateRounds))
	workers := fs.Int("workers", 1, "hashing goroutines of each miner (1..256)")
	sotermine := fs.String("sotermine", "", "sotermine executable (default: beside soterbench, bin/sotermine or on PATH)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *seconds < 4 || *seconds > 600 {
		return usageError{fmt.Sprintf("-seconds must be in 4..600, got %g", *seconds)}
	}
	if *rounds < 1 || *rounds > maxHashrateRounds {
		return usageError{fmt.Sprintf("-rounds must be in 1..%d, got %d", maxHashrateRounds, *rounds)}
	}
	if *workers < 1 || *workers > 256 {
		return usageError{fmt.Sprintf("-workers must be in 1..256, got %d", *workers)}
	}
	binary, err := findBinary(sotermineName, *sotermine, "-sotermine")
	if err != nil {
		return err
	}
	d := time.Duration(*seconds * float64(time.Second))
	var builtin, external []float64
	for r := 0; r < *rounds; r++ {
		b, err := builtinRate(ctx, *workers, d)
		if err != nil {
			return err
		}
		e, err := sotermineRate(ctx, binary, *workers, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "soterbench: round %d: built-in %.0f, sotermine %.0f hashes/s per worker\n",
			r+1, b, e)
		builtin, external = append(builtin, b), append(external, e)
	}
	b, e := median(builtin), median(external)
	fmt.Fprintf(stdout, "hashrate workers=%d seconds=%g rounds=%d builtin_per_worker=%.0f "+
		"sotermine_per_worker=%.0f ratio=%.3f\n", *workers, *seconds, *rounds, b, e, e/b)
	return nil
}

// builtinRate runs package mining's CPU miner on a template that cannot be
// solved for d and returns its hashes per second per worker, the mean of
// its own rate readings after the first.
func builtinRate(ctx context.Context, workers int, d time.Duration) (float64, error) {
	params := blockdag.MainNetParams()
	gen, err := mining.NewGenerator(&mining.Config{
		Params: params,
		TemplateState: func() (mining.TemplateState, error) {
			return mining.TemplateState{Parents: []wire.Hash{{1}}, BlueScore: 1, Bits: hardBits,
				Height: 1}, nil
		},
	})
	if err != nil {
		return 0, err
	}
	miner, err := mining.NewCPUMiner(&mining.MinerConfig{
		Generator:   gen,
		PayTo:       [wire.PubKeySize]byte{2},
		NumWorkers:  workers,
		SubmitBlock: func(*wire.MsgBlock) (bool, error) { return false, nil },
	})
	if err != nil {
		return 0, err
	}
	miner.Start()
	defer miner.Stop()
	var readings []float64
	tick := time.NewTicker(hashRateSample)
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-tick.C:
			readings = append(readings, miner.HashesPerSecond())
		case <-end:
			if len(readings) < 2 {
				return 0, errors.New("too short a run for two rate readings")
			}
			var sum float64
			for _, r := range readings[1:] {
				sum += r
			}
			return sum / float64(len(readings)-1) / float64(workers), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// sotermineRate runs sotermine --bench for d and returns its rate per
// worker.
func sotermineRate(ctx context.Context, binary string, workers int, d time.Duration) (float64, error) {
	cmd := exec.CommandContext(ctx, binary, "--bench", d.String(), "-t", strconv.Itoa(workers))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s --bench: %w\n%s", binary, err, out.String())
	}
	m := benchLine.FindSubmatch(out.Bytes())
	if m == nil {
		return 0, fmt.Errorf("%s --bench printed no rate: %q", binary, out.String())
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// median returns the median of xs (sorted in place).
func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

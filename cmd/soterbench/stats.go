package main

import (
	"math"
	"sort"
	"time"
)

// percentile returns the p-th percentile (0..100) of ds by the
// nearest-rank method: the smallest value that at least p percent of the
// values are at or below. It sorts ds in place; an empty ds gives 0.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := int(math.Ceil(p / 100 * float64(len(ds))))
	rank = min(max(rank, 1), len(ds))
	return ds[rank-1]
}

// millis returns d in milliseconds with microsecond resolution.
func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

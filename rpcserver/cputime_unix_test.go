//go:build unix

package rpcserver

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used. Benchmarks report
// it next to wall time because the machines they run on are shared: CPU
// time does not count the time another process held the core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

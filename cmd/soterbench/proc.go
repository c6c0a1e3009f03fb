package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is the unit of the CPU times in /proc/<pid>/stat
// (USER_HZ), 100 on every Linux architecture Go supports.
const clockTicksPerSecond = 100

// processCPUTime returns the user plus system CPU time a running process
// has used, from /proc/<pid>/stat. Dividing work by it gives a rate per
// CPU-second, which other load on the machine does not change.
func processCPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(string(data))
}

// parseProcStatCPU returns utime+stime of a /proc/<pid>/stat line. The
// command name (field 2) is in parentheses and may hold spaces, so the
// fields are counted from the last ')'.
func parseProcStatCPU(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	// After ")": state is field 3, utime field 14, stime field 15.
	fields := strings.Fields(stat[end+1:])
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(fields) <= stimeIdx {
		return 0, fmt.Errorf("/proc stat line has %d fields after the name, want more than %d",
			len(fields), stimeIdx)
	}
	utime, err := strconv.ParseUint(fields[utimeIdx], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	stime, err := strconv.ParseUint(fields[stimeIdx], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicksPerSecond, nil
}

// loadAverage returns the one-minute load average, or "" when it cannot be
// read: the figures of a benchmark on a shared machine mean little without
// it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

package procnode

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// PeakRSS returns the peak resident set size of the current process in
// bytes: VmHWM of /proc/<pid>/status while it runs, the rusage maximum
// after it exited. Each run counts on its own; a restart starts from zero.
func (n *Node) PeakRSS() (uint64, error) {
	p := n.current()
	if p == nil {
		return 0, procError(ErrNotRunning, "procnode: peak RSS: never started")
	}
	if !p.exited() {
		rss, err := readVmHWM(p.cmd.Process.Pid)
		if err == nil {
			return rss, nil
		}
		if !p.exited() {
			return 0, err
		}
		// It exited between the check and the read: the rusage has
		// the figure.
	}
	<-p.done
	if ru, ok := p.state.SysUsage().(*syscall.Rusage); ok && ru != nil {
		// Linux reports ru_maxrss in KiB.
		return uint64(ru.Maxrss) * 1024, nil
	}
	return 0, procError(ErrProc, "procnode: peak RSS: no rusage for the exited process")
}

// RSS returns the current resident set size of the running process in
// bytes (VmRSS of /proc/<pid>/status).
func (n *Node) RSS() (uint64, error) {
	p := n.current()
	if p == nil || p.exited() {
		return 0, procError(ErrNotRunning, "procnode: RSS: not running")
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, procError(ErrProc, fmt.Sprintf("procnode: %v", err))
	}
	return parseStatusKB(data, "VmRSS")
}

// readVmHWM reads the VmHWM line ("VmHWM:   123456 kB") of a process's
// status file and returns bytes.
func readVmHWM(pid int) (uint64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, procError(ErrProc, fmt.Sprintf("procnode: %v", err))
	}
	return parseVmHWM(data)
}

// parseVmHWM finds the VmHWM value in the contents of /proc/<pid>/status.
func parseVmHWM(data []byte) (uint64, error) {
	return parseStatusKB(data, "VmHWM")
}

// parseStatusKB finds a field given in kB ("VmRSS:   123 kB") in the
// contents of /proc/<pid>/status and returns bytes.
func parseStatusKB(data []byte, field string) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, procError(ErrProc, fmt.Sprintf("procnode: malformed "+
				"%s line %q", field, line))
		}
		kib, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil || kib > 1<<44 {
			return 0, procError(ErrProc, fmt.Sprintf("procnode: malformed "+
				"%s line %q", field, line))
		}
		return kib * 1024, nil
	}
	return 0, procError(ErrProc, fmt.Sprintf("procnode: no %s line in the status file", field))
}

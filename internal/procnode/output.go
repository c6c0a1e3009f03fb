package procnode

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// Log lines cmd/soterd prints once its listeners are up; the addresses
// follow in brackets, as fmt prints a []net.Addr.
const (
	p2pLinePrefix = "SOTD: Listening for peers on ["
	rpcLinePrefix = "SOTD: RPC server listening on ["
)

// maxLineLen bounds the partial line kept while waiting for its end: no log
// line of soterd comes near it, and a runaway one must not grow memory.
const maxLineLen = 64 << 10

// tailLines is how many of the last output lines a watcher keeps for error
// messages and failure reports.
const tailLines = 80

// outputWatcher takes a process's standard output and error: it copies
// everything to the log file and watches the lines for the listen
// addresses. exec.Cmd calls Write from one goroutine at a time when Stdout
// and Stderr are the same writer; the mutex covers the readers.
type outputWatcher struct {
	file io.Writer

	mu      sync.Mutex
	partial []byte
	tail    []string
	p2pAddr string
	rpcAddr string
	ready   chan struct{}
	closed  bool
}

// newOutputWatcher returns a watcher writing to file.
func newOutputWatcher(file io.Writer) *outputWatcher {
	return &outputWatcher{file: file, ready: make(chan struct{})}
}

// Write copies p to the log file and scans its complete lines.
func (w *outputWatcher) Write(p []byte) (int, error) {
	// A failing log file must not kill the process by a broken pipe: the
	// bytes are dropped and the watcher still sees them.
	w.file.Write(p)

	w.mu.Lock()
	defer w.mu.Unlock()
	data := p
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(w.partial)+len(data) <= maxLineLen {
				w.partial = append(w.partial, data...)
			}
			break
		}
		var line string
		if len(w.partial) > 0 {
			line = string(append(w.partial, data[:i]...))
			w.partial = w.partial[:0]
		} else {
			line = string(data[:i])
		}
		w.scanLine(line)
		data = data[i+1:]
	}
	return len(p), nil
}

// scanLine records one complete line. It must be called with mu held.
func (w *outputWatcher) scanLine(line string) {
	if len(w.tail) == tailLines {
		copy(w.tail, w.tail[1:])
		w.tail = w.tail[:tailLines-1]
	}
	w.tail = append(w.tail, line)

	if addr, ok := bracketAddr(line, p2pLinePrefix); ok {
		w.p2pAddr = addr
	}
	if addr, ok := bracketAddr(line, rpcLinePrefix); ok {
		w.rpcAddr = addr
		if !w.closed {
			w.closed = true
			close(w.ready)
		}
	}
}

// bracketAddr returns the first address of the bracketed list after prefix
// in line.
func bracketAddr(line, prefix string) (string, bool) {
	i := strings.Index(line, prefix)
	if i < 0 {
		return "", false
	}
	rest := line[i+len(prefix):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return "", false
	}
	fields := strings.Fields(rest[:end])
	if len(fields) == 0 {
		return "", false
	}
	return fields[0], true
}

// addrs returns the P2P and RPC addresses seen so far.
func (w *outputWatcher) addrs() (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.p2pAddr, w.rpcAddr
}

// lastLines returns up to n of the last complete lines, and the partial
// line, joined by newlines.
func (w *outputWatcher) lastLines(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := w.tail
	if n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, "\n")
	if len(w.partial) > 0 {
		out += "\n" + string(w.partial)
	}
	return out
}

package rpcserver

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// refusalSummaryInterval is how often refused requests are summed up in the
// log. A client hammering a full server can be refused thousands of times a
// second; one line per refusal buried everything else (7,082 lines in 2 s
// at 200-way parallelism).
const refusalSummaryInterval = 10 * time.Second

// Refusal reasons, as the summary line names them.
const (
	refusedClientLimit = "HTTP client limit reached"
	refusedWSLimit     = "websocket client limit reached"
	refusedAuth        = "authentication failed"
	refusedTooLarge    = "request too large"
)

// refusalLog logs the first refused request at once and then, at most once
// per interval, one line that counts the refusals since, by reason. It is
// safe for concurrent access.
type refusalLog struct {
	interval time.Duration
	logf     func(format string, args ...interface{})

	mu      sync.Mutex
	pending map[string]int
	sources map[string]struct{}
	timer   *time.Timer // non-nil while a summary is due
	stopped bool
}

// newRefusalLog returns a refusal log writing through logf.
func newRefusalLog(interval time.Duration, logf func(string, ...interface{})) *refusalLog {
	return &refusalLog{interval: interval, logf: logf,
		pending: make(map[string]int), sources: make(map[string]struct{})}
}

// maxSummarySources bounds the client addresses a summary names.
const maxSummarySources = 5

// refuse records one refused request from addr. detail is logged with the
// first refusal of a quiet period.
func (r *refusalLog) refuse(reason, addr, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.timer == nil {
		r.logf("Refused RPC request from %s: %s%s (further refusals are summed up every %v)",
			addr, reason, detail, r.interval)
		r.timer = time.AfterFunc(r.interval, r.flush)
		return
	}
	r.pending[reason]++
	if len(r.sources) < maxSummarySources {
		r.sources[hostOf(addr)] = struct{}{}
	}
}

// flush logs the summary of the refusals since the last line. With none,
// the next refusal is logged at once again.
func (r *refusalLog) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if len(r.pending) == 0 {
		r.timer = nil
		return
	}
	r.logf("%s", r.summaryLocked())
	r.pending = make(map[string]int)
	r.sources = make(map[string]struct{})
	r.timer = time.AfterFunc(r.interval, r.flush)
}

// summaryLocked describes the pending refusals; r.mu must be held.
func (r *refusalLog) summaryLocked() string {
	reasons := make([]string, 0, len(r.pending))
	total := 0
	for reason, n := range r.pending {
		reasons = append(reasons, fmt.Sprintf("%d %s", n, reason))
		total += n
	}
	sort.Strings(reasons)
	hosts := make([]string, 0, len(r.sources))
	for h := range r.sources {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return fmt.Sprintf("Refused %d more RPC requests in the last %v (%s) from %s",
		total, r.interval, strings.Join(reasons, ", "), strings.Join(hosts, ", "))
}

// stop logs what is pending and ends the summaries.
func (r *refusalLog) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if len(r.pending) > 0 {
		r.logf("%s", r.summaryLocked())
	}
}

// hostOf returns the host of a host:port address, or addr itself.
func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

package wanproxy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultMaxBuffered is the default bound on the bytes in transit in
	// one direction of one connection: 16 MiB holds a 300 ms round trip
	// at 400 Mbit/s, beyond any link the benchmarks model.
	DefaultMaxBuffered = 16 << 20

	// readChunk is the most a pipe reads at once. At 1 Mbit/s it takes
	// 260 ms to serialise, which is the coarsest the pacing gets.
	readChunk = 32 << 10

	// dialTimeout bounds the connection to the target.
	dialTimeout = 5 * time.Second
)

// Config describes a proxy.
type Config struct {
	// Target is the host:port every accepted connection is forwarded
	// to; required.
	Target string

	// Listen is the address to listen on; empty means 127.0.0.1:0.
	Listen string

	// Delay is the one-way delay of each direction, so a round trip
	// through the proxy takes twice it; Jitter adds a uniformly random
	// extra delay in [0, Jitter) to every chunk, without reordering.
	Delay  time.Duration
	Jitter time.Duration

	// Mbit is the bandwidth cap of each direction of each connection in
	// megabits (10^6 bits) per second; zero means no cap.
	Mbit float64

	// MaxBuffered bounds the bytes in transit in one direction of one
	// connection; zero means DefaultMaxBuffered.
	MaxBuffered int

	// CorruptBlocks makes the proxy a lying peer: every block message
	// from the target has a byte of its coinbase flipped, with the
	// frame's checksum made right again, so the block decodes and
	// names the hash that was asked for but does not match its merkle
	// root (corrupt.go).
	CorruptBlocks bool
}

// Proxy forwards connections to a target over modelled links. Its methods
// are safe for concurrent access.
type Proxy struct {
	target      string
	maxBuffered int
	ln          net.Listener

	delay  atomic.Int64  // time.Duration
	jitter atomic.Int64  // time.Duration
	rate   atomic.Uint64 // math.Float64bits of bytes per second, 0: none

	bytesUp   atomic.Uint64
	bytesDown atomic.Uint64

	corruptBlocks bool
	corrupted     atomic.Uint64

	mu    sync.Mutex
	links map[*link]struct{}
	cut   bool
	done  bool

	wg sync.WaitGroup
}

// New starts a proxy listening on cfg.Listen. Close stops it.
func New(cfg *Config) (*Proxy, error) {
	switch {
	case cfg.Target == "":
		return nil, configError("wanproxy: no target address")
	case cfg.Delay < 0 || cfg.Jitter < 0:
		return nil, configError(fmt.Sprintf("wanproxy: delay %v and jitter %v must not be negative",
			cfg.Delay, cfg.Jitter))
	case cfg.Mbit < 0 || math.IsNaN(cfg.Mbit) || math.IsInf(cfg.Mbit, 0):
		return nil, configError(fmt.Sprintf("wanproxy: bandwidth %v Mbit/s must be a positive number, "+
			"or zero for none", cfg.Mbit))
	case cfg.MaxBuffered < 0:
		return nil, configError(fmt.Sprintf("wanproxy: max buffered %d must not be negative", cfg.MaxBuffered))
	}
	listen := cfg.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, Error{Err: ErrListen, Description: fmt.Sprintf("wanproxy: listen on %s: %v", listen, err)}
	}
	p := &Proxy{
		target:        cfg.Target,
		maxBuffered:   cfg.MaxBuffered,
		ln:            ln,
		links:         make(map[*link]struct{}),
		corruptBlocks: cfg.CorruptBlocks,
	}
	if p.maxBuffered == 0 {
		p.maxBuffered = DefaultMaxBuffered
	}
	p.SetDelay(cfg.Delay, cfg.Jitter)
	p.SetMbit(cfg.Mbit)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the address the proxy listens on.
func (p *Proxy) Addr() string {
	return p.ln.Addr().String()
}

// SetDelay changes the one-way delay and the jitter of every direction;
// bytes already in transit keep theirs.
func (p *Proxy) SetDelay(delay, jitter time.Duration) {
	p.delay.Store(int64(max(delay, 0)))
	p.jitter.Store(int64(max(jitter, 0)))
}

// SetMbit changes the bandwidth cap of every direction of every
// connection (zero removes it), from the next chunk on: throttling a peer
// mid-download.
func (p *Proxy) SetMbit(mbit float64) {
	var bps float64
	if mbit > 0 {
		bps = mbit * 1e6 / 8
	}
	p.rate.Store(math.Float64bits(bps))
}

// Bytes returns the bytes forwarded from the connecting side to the
// target (up) and back (down) since the proxy started.
func (p *Proxy) Bytes() (up, down uint64) {
	return p.bytesUp.Load(), p.bytesDown.Load()
}

// Cut closes every connection through the proxy at once, without
// delivering what is in transit, and closes the connections it accepts
// afterwards until Restore: a link that went down.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close()
	}
	log.Debugf("Proxy %s to %s: cut %d connections", p.Addr(), p.target, len(links))
}

// Restore lets new connections through again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Connections returns the number of open connections.
func (p *Proxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops listening, closes every connection and returns once every
// goroutine of the proxy has exited. It is safe to call twice.
func (p *Proxy) Close() error {
	p.mu.Lock()
	first := !p.done
	p.done = true
	p.mu.Unlock()
	var err error
	if first {
		err = p.ln.Close()
	}
	p.Cut()
	p.wg.Wait()
	return err
}

// acceptLoop accepts connections until the listener is closed.
func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Warnf("Proxy %s: accept: %v", p.Addr(), err)
			}
			return
		}
		p.mu.Lock()
		refuse := p.cut || p.done
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve dials the target for an accepted connection and runs its two
// pipes until either side closes or the proxy cuts it.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	t, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		log.Debugf("Proxy %s: dial %s: %v", p.Addr(), p.target, err)
		c.Close()
		return
	}
	l := &link{a: c, b: t, quit: make(chan struct{})}
	p.mu.Lock()
	if p.cut || p.done {
		p.mu.Unlock()
		l.close()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()

	up := newPipe(p, l, c, t, &p.bytesUp)
	down := newPipe(p, l, t, c, &p.bytesDown)
	var wg sync.WaitGroup
	for _, pp := range []*pipe{up, down} {
		read := pp.readLoop
		if pp == down && p.corruptBlocks {
			read = pp.readFrames
		}
		wg.Add(2)
		go func() { defer wg.Done(); read() }()
		go func() { defer wg.Done(); pp.writeLoop() }()
	}
	wg.Wait()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// link is one proxied connection: the accepted side a and the target side
// b.
type link struct {
	a, b net.Conn
	once sync.Once
	quit chan struct{}
}

// close closes both sides; it is safe to call more than once.
func (l *link) close() {
	l.once.Do(func() {
		l.a.Close()
		l.b.Close()
		close(l.quit)
	})
}

// chunk is bytes in transit and when they leave the link.
type chunk struct {
	data      []byte
	deliverAt time.Time
}

// pipe is one direction of a link. The read loop puts what it reads in
// transit; the write loop delivers it when its time comes.
type pipe struct {
	p        *Proxy
	l        *link
	src, dst net.Conn
	counter  *atomic.Uint64

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []chunk
	buffered int
	eof      bool

	// linkFree is when the modelled link finishes serialising what it
	// was given; lastDeliver keeps deliveries in order under jitter.
	linkFree    time.Time
	lastDeliver time.Time
}

func newPipe(p *Proxy, l *link, src, dst net.Conn, counter *atomic.Uint64) *pipe {
	pp := &pipe{p: p, l: l, src: src, dst: dst, counter: counter}
	pp.cond = sync.NewCond(&pp.mu)
	return pp
}

// readLoop reads from src and schedules each chunk's delivery: it is
// serialised after the previous one at the bandwidth cap and delivered the
// delay (plus jitter) later. It stops reading while MaxBuffered bytes are
// in transit.
func (pp *pipe) readLoop() {
	buf := make([]byte, readChunk)
	for {
		n, err := pp.src.Read(buf)
		if n > 0 {
			data := make([]byte, n)
			copy(data, buf[:n])
			if !pp.put(data) {
				return
			}
		}
		if err != nil {
			pp.finish()
			return
		}
	}
}

// finish tells the write loop that the source ended: it delivers what is
// in transit and closes the link.
func (pp *pipe) finish() {
	pp.mu.Lock()
	pp.eof = true
	pp.cond.Broadcast()
	pp.mu.Unlock()
}

// put schedules data; it reports false when the link closed meanwhile.
func (pp *pipe) put(data []byte) bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	for pp.buffered >= pp.p.maxBuffered && !pp.eof {
		pp.cond.Wait()
	}
	if pp.eof {
		return false
	}
	now := time.Now()
	start := now
	if pp.linkFree.After(start) {
		start = pp.linkFree
	}
	if bps := math.Float64frombits(pp.p.rate.Load()); bps > 0 {
		start = start.Add(time.Duration(float64(len(data)) / bps * float64(time.Second)))
	}
	pp.linkFree = start
	deliver := start.Add(time.Duration(pp.p.delay.Load()))
	if j := pp.p.jitter.Load(); j > 0 {
		deliver = deliver.Add(time.Duration(rand.Int64N(j)))
	}
	if deliver.Before(pp.lastDeliver) {
		deliver = pp.lastDeliver
	}
	pp.lastDeliver = deliver
	pp.queue = append(pp.queue, chunk{data: data, deliverAt: deliver})
	pp.buffered += len(data)
	pp.cond.Broadcast()
	return true
}

// writeLoop delivers the chunks in transit at their times, and closes the
// link when the source ended and everything was delivered, or when a
// write fails.
func (pp *pipe) writeLoop() {
	defer pp.l.close()
	defer pp.stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		pp.mu.Lock()
		for len(pp.queue) == 0 && !pp.eof {
			pp.cond.Wait()
		}
		if len(pp.queue) == 0 {
			pp.mu.Unlock()
			return
		}
		c := pp.queue[0]
		pp.mu.Unlock()

		if d := time.Until(c.deliverAt); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-pp.l.quit:
				return
			}
		}
		if _, err := pp.dst.Write(c.data); err != nil {
			return
		}
		pp.counter.Add(uint64(len(c.data)))
		pp.mu.Lock()
		pp.queue[0] = chunk{}
		pp.queue = pp.queue[1:]
		pp.buffered -= len(c.data)
		pp.cond.Broadcast()
		pp.mu.Unlock()
	}
}

// stop ends the read side's wait for room, so both loops exit once the
// link is closed.
func (pp *pipe) stop() {
	pp.mu.Lock()
	pp.eof = true
	pp.queue = nil
	pp.buffered = 0
	pp.cond.Broadcast()
	pp.mu.Unlock()
}

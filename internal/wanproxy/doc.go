// Package wanproxy implements a TCP proxy that makes a loopback connection
// behave like a wide-area link, for tests and benchmarks of the peer-to-peer
// protocol: each direction gets a one-way delay, optional jitter and a
// bandwidth cap, and the proxy can cut its connections or change the delay
// and the cap while they run.
//
// A Proxy listens on a loopback port and forwards every connection it
// accepts to one target address. Each direction of a connection is a pipe
// modelled on a link: bytes are serialised at the bandwidth cap, one after
// another, and delivered the delay (plus jitter) after they were
// serialised, in order. The bytes in transit are held in memory, bounded
// by Config.MaxBuffered; when the bound is reached the proxy stops reading
// and TCP flow control pushes back on the sender, as a full router queue
// would.
//
// With Config.CorruptBlocks the proxy also lies for its target: it reads
// the target's side frame by frame and flips a byte of every block's
// coinbase, mending the frame checksum, so that only block validation
// catches it (corrupt.go).
//
// The package does not model loss, reordering or a shared bottleneck
// between connections: every connection gets its own cap. It is not meant
// for anything but loopback tests; it trusts both ends.
package wanproxy

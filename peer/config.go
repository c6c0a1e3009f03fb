package peer

import (
	"time"

	"github.com/soterdag/soterd/wire"
)

// Defaults for the zero values of Config.
const (
	// DefaultPingInterval is how often a ping is sent. Two minutes keeps
	// NAT mappings alive and the round-trip time fresh at a negligible
	// cost in bytes.
	DefaultPingInterval = 2 * time.Minute

	// DefaultIdleTimeout is how long a peer may stay silent. It is more
	// than twice the ping interval, so a live peer always answers a ping
	// in time.
	DefaultIdleTimeout = 5 * time.Minute

	// DefaultHandshakeTimeout bounds the version/verack exchange, so that
	// a connection that never speaks cannot hold a slot.
	DefaultHandshakeTimeout = 30 * time.Second

	// DefaultStallTimeout is how long a getblocks or getdata may wait for
	// its first (or next) answer before the peer counts as stalled.
	DefaultStallTimeout = 30 * time.Second

	// DefaultTrickleInterval is how long transaction announcements are
	// batched. Half a second merges the inventory of a burst of
	// transactions into one message and blurs the timing that would
	// otherwise tell which peer a transaction came from first, at a delay
	// people do not notice.
	DefaultTrickleInterval = 500 * time.Millisecond

	// DefaultMaxQueuedMessages bounds the messages waiting to be written
	// to one peer. The queue holds references to messages the caller
	// already owns (a block relayed to every peer is one object), not
	// encodings, so the bound is on the count. A peer that falls this far
	// behind is not reading and is disconnected.
	DefaultMaxQueuedMessages = 5000

	// DefaultMaxQueuedBytes bounds the encoded bytes waiting to be
	// written to one peer. A count bound alone let a peer that sends
	// getblocks and never reads pin 5,000 inv pages (200 MB); in bytes,
	// a peer that does not read costs at most this much of write queue
	// whatever it asks for. It holds one block of the largest size
	// (wire.MaxBlockPayload, 4 MiB) and half a MiB more, so a single
	// answer always fits; the message being written counts until its
	// write completes.
	DefaultMaxQueuedBytes = wire.MaxBlockPayload + 512*1024
)

// MessageListeners are the callbacks a peer invokes for the messages it
// reads. Every callback is optional. OnVersion and OnVerAck run on the
// handshake goroutine, OnWrite on the write goroutine, OnMisbehavior on the
// goroutine that noticed the misbehaviour, and the rest on the read
// goroutine: a callback that blocks stops the peer from reading (the stall
// timer is paused meanwhile), so callbacks should hand work to another
// goroutine and return.
type MessageListeners struct {
	// OnVersion is called with the remote's version message once the
	// peer's own checks (network, genesis, protocol version, self
	// connection) have passed. Returning a non-nil reject sends it to the
	// remote and ends the connection; nil accepts the version.
	OnVersion func(p *Peer, msg *wire.MsgVersion) *wire.MsgReject

	// OnVerAck is called when the remote's verack completes the
	// handshake, before the read and write loops start; messages queued
	// from it are sent first. Disconnecting from it stops the peer.
	OnVerAck func(p *Peer, msg *wire.MsgVerAck)

	// OnPing is called after the pong has been queued.
	OnPing func(p *Peer, msg *wire.MsgPing)

	// OnPong is called after the round-trip time has been recorded.
	OnPong func(p *Peer, msg *wire.MsgPong)

	// OnInv is called after the announced inventory has been marked as
	// known to the peer.
	OnInv func(p *Peer, msg *wire.MsgInv)

	// OnGetData is called for a request of blocks and transactions.
	OnGetData func(p *Peer, msg *wire.MsgGetData)

	// OnNotFound is called for the objects the remote does not have.
	OnNotFound func(p *Peer, msg *wire.MsgNotFound)

	// OnGetBlocks is called for a request of block inventory.
	OnGetBlocks func(p *Peer, msg *wire.MsgGetBlocks)

	// OnGetHeaders is called for a request of block headers.
	OnGetHeaders func(p *Peer, msg *wire.MsgGetHeaders)

	// OnHeaders is called with block headers.
	OnHeaders func(p *Peer, msg *wire.MsgHeaders)

	// OnBlock is called with a block and its serialized bytes, so the
	// node can store them without encoding the block again.
	OnBlock func(p *Peer, msg *wire.MsgBlock, buf []byte)

	// OnTx is called with a transaction.
	OnTx func(p *Peer, msg *wire.MsgTx)

	// OnAddr is called with gossiped addresses.
	OnAddr func(p *Peer, msg *wire.MsgAddr)

	// OnGetAddr is called for a request of known addresses.
	OnGetAddr func(p *Peer, msg *wire.MsgGetAddr)

	// OnMemPool is called for a request of mempool inventory.
	OnMemPool func(p *Peer, msg *wire.MsgMemPool)

	// OnReject is called with a reject the remote sent us.
	OnReject func(p *Peer, msg *wire.MsgReject)

	// OnRead is called after every read attempt, the handshake's
	// included, with the bytes read and either the message or the error.
	OnRead func(p *Peer, bytesRead int, msg wire.Message, err error)

	// OnWrite is called after every write attempt, with the bytes written
	// and the error if the write failed.
	OnWrite func(p *Peer, bytesWritten int, msg wire.Message, err error)

	// OnMisbehavior is called when the remote breaks the protocol, with a
	// score (see the Score constants) and a reason. The peer does not ban;
	// the callback decides.
	OnMisbehavior func(p *Peer, score uint32, reason string)
}

// Config is the configuration of a peer. Zero durations and bounds take the
// Default values. The peer keeps a copy, so the caller may reuse it.
type Config struct {
	// Net is the network magic every frame must carry.
	Net wire.SoterNet

	// GenesisHash is our genesis block; a remote with another is on
	// another chain and is refused.
	GenesisHash wire.Hash

	// Services are the services we advertise.
	Services wire.ServiceFlag

	// UserAgentName and UserAgentVersion form our user agent,
	// "/name:version/".
	UserAgentName    string
	UserAgentVersion string

	// ProtocolVersion is the version we announce; zero means
	// wire.ProtocolVersion.
	ProtocolVersion uint32

	// NewestTips returns our max height and tips for the version message.
	// Tips past wire.MaxVersionTips are cut, so it should return the tips
	// with the most blue work first. Nil announces height 0 and no tips.
	NewestTips func() (maxHeight uint32, tips []wire.Hash)

	// EarlyGetBlocks returns, for an outbound peer, the getblocks to send
	// right after our version and an early verack, before the remote's
	// version arrives (none when empty). Their answers then come back
	// with the remote's version and verack: a round trip sooner than
	// getblocks sent once the handshake is done, which is a tenth of a
	// download at 10,000 blocks over a 300 ms round trip. The remote
	// answers them only if the handshake succeeds. Inbound peers ignore
	// it. At most maxEarlyGetBlocks are sent.
	EarlyGetBlocks func() []*wire.MsgGetBlocks

	// LowestHeight returns the lowest height whose block bodies we serve,
	// for the version message when Services has wire.SFNodePruned; nil
	// announces 0.
	LowestHeight func() uint32

	// BestLocalAddress returns the address we advertise to the given
	// remote in our version message. Nil uses the connection's local
	// address.
	BestLocalAddress func(remote *wire.NetAddress) *wire.NetAddress

	// Nonces is the set of our own version nonces used to detect a
	// connection to ourselves. Every peer of one node must share the same
	// set. Nil uses one set for the whole process, which is right when the
	// process runs a single node; a process running several nodes gives
	// each its own NewNonceSet, or they would take each other for
	// themselves.
	Nonces *NonceSet

	// Listeners are the message callbacks.
	Listeners MessageListeners

	// PingInterval is the time between pings.
	PingInterval time.Duration

	// IdleTimeout disconnects a peer that sends nothing for this long, or
	// whose single write takes this long. It must be well above
	// PingInterval, since a quiet peer's pongs are what keep it alive.
	IdleTimeout time.Duration

	// HandshakeTimeout bounds the whole version/verack exchange.
	HandshakeTimeout time.Duration

	// StallTimeout bounds the wait for an answer to getblocks (inv) and
	// getdata (block, tx or notfound).
	StallTimeout time.Duration

	// TrickleInterval is how long transaction announcements are batched.
	TrickleInterval time.Duration

	// MaxQueuedMessages bounds the write queue; past it the peer is
	// disconnected.
	MaxQueuedMessages int

	// MaxQueuedBytes bounds the encoded size of the write queue; past it
	// the peer is disconnected, except that a message always fits an
	// empty queue. QueueMessageWait waits for room instead.
	MaxQueuedBytes int

	// MaxBlockPayload, when not zero, is the largest block frame read
	// from the peer (the network's consensus block size); a longer one is
	// refused before its payload is read, as an oversized frame. Zero
	// leaves the wire's limit (wire.MaxBlockPayload).
	MaxBlockPayload uint32

	// MaxHeadersPayload, when not zero, is the largest headers frame read
	// from the peer (wire.MaxHeadersPerMsg headers of the network's most
	// parents); a longer one is refused before its payload is read. Zero
	// leaves the wire's limit, which allows 64 parents a header.
	MaxHeadersPayload uint32
}

// withDefaults returns a copy of cfg with zero values replaced by defaults.
// A nil cfg gives an all-default configuration.
func withDefaults(cfg *Config) Config {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.ProtocolVersion == 0 {
		c.ProtocolVersion = wire.ProtocolVersion
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.TrickleInterval <= 0 {
		c.TrickleInterval = DefaultTrickleInterval
	}
	if c.MaxQueuedMessages <= 0 {
		c.MaxQueuedMessages = DefaultMaxQueuedMessages
	}
	if c.MaxQueuedBytes <= 0 {
		c.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if c.Nonces == nil {
		c.Nonces = defaultNonces
	}
	return c
}

// userAgent builds "/name:version/", cut to wire.MaxUserAgentLen so that our
// version message always encodes.
func (c *Config) userAgent() string {
	ua := "/" + c.UserAgentName + ":" + c.UserAgentVersion + "/"
	if len(ua) > wire.MaxUserAgentLen {
		ua = ua[:wire.MaxUserAgentLen]
	}
	return ua
}

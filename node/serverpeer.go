package node

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/connmgr"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/peer"
	"github.com/soterdag/soterd/wire"
)

const (
	// getDataWindow bounds the answers to one getdata that wait in the
	// peer's write queue. Serving pauses (and with it the peer's read
	// loop) until the writer catches up, so one request for thousands of
	// blocks costs at most this many blocks of memory.
	getDataWindow = 64

	// persistentScoreFloor is the smallest misbehaviour score added as
	// persistent ban score. Smaller ones (an unknown command, a repeated
	// handshake message) may be a harmless difference in software and
	// are added as transient score that decays.
	persistentScoreFloor = 10
)

// serverPeer is a connected peer with the node's state about it.
type serverPeer struct {
	*peer.Peer

	server *Server

	// connReq is the connection manager's request for an outbound peer,
	// nil for an inbound one.
	connReq *connmgr.ConnReq

	// host is the remote IP, the key of the ban manager.
	host string

	whitelisted bool

	// localAddr is our end of the connection, for getpeerinfo's
	// addrlocal.
	localAddr string

	// active is set once the handshake completed and the peer was handed
	// to the sync manager.
	active atomic.Bool

	// startingHeight is the max height the peer announced in its
	// version message, for getpeerinfo.
	startingHeight atomic.Uint32

	// sentAddrs is set once a getaddr was answered: one answer per
	// connection, so a peer cannot map our whole address book.
	sentAddrs atomic.Bool
}

// newServerPeer builds the peer for a connection, inbound when req is nil.
func (s *Server) newServerPeer(conn net.Conn, req *connmgr.ConnReq) (*serverPeer, error) {
	sp := &serverPeer{server: s, connReq: req}
	if la := conn.LocalAddr(); la != nil {
		sp.localAddr = la.String()
	}
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		host = conn.RemoteAddr().String()
	}
	sp.host = host
	sp.whitelisted = s.banManager.IsWhitelisted(host)
	cfg := s.peerConfig(sp)
	if req == nil {
		sp.Peer = peer.NewInboundPeer(cfg)
		return sp, nil
	}
	p, err := peer.NewOutboundPeer(cfg, req.Addr)
	if err != nil {
		return nil, err
	}
	sp.Peer = p
	return sp, nil
}

// peerConfig returns the peer configuration with sp's listeners.
func (s *Server) peerConfig(sp *serverPeer) *peer.Config {
	return &peer.Config{
		Net:              s.params.Net,
		GenesisHash:      s.params.GenesisHash,
		Services:         s.services(),
		UserAgentName:    userAgentName,
		UserAgentVersion: s.userAgentVersion,
		NewestTips:       s.newestTips,
		LowestHeight:     s.lowestServedHeight,
		// An outbound peer's first getblocks go with our version, and
		// their answers come with the peer's version: should we sync
		// from it, the first pages are a round trip sooner (netsync's
		// startSyncRange takes them as the range's first). A download
		// under way with another peer would drop a new peer's pages,
		// so it is asked for one.
		EarlyGetBlocks: func() []*wire.MsgGetBlocks {
			return netsync.EarlyGetBlocks(s.dag.MaxHeight(),
				s.dag.IsCurrent() || s.syncManager.InSyncMode())
		},
		Nonces:          s.nonces,
		PingInterval:    s.cfg.PeerPingInterval,
		IdleTimeout:     s.cfg.PeerIdleTimeout,
		StallTimeout:    s.cfg.PeerStallTimeout,
		TrickleInterval: s.cfg.TrickleInterval,
		// A peer that never reads costs at most a queue of one block of
		// the consensus size and half a MiB, and a block frame of that
		// size being read (docs/peer.md, "What one peer can cost").
		MaxBlockPayload: uint32(s.params.MaxBlockSize),
		MaxQueuedBytes:  s.params.MaxBlockSize + 512*1024,
		// A headers answer holds headers of at most the network's
		// MaxParents (0.75 MB for 10), not the wire's 64 (4.2 MB): the
		// bound of what the sync manager's queue can hold of them.
		MaxHeadersPayload: uint32(3 + wire.MaxHeadersPerMsg*
			(wire.MinBlockHeaderSize+wire.HashSize*s.params.MaxParents)),
		Listeners: peer.MessageListeners{
			OnVersion:     sp.onVersion,
			OnVerAck:      sp.onVerAck,
			OnInv:         sp.onInv,
			OnGetData:     sp.onGetData,
			OnNotFound:    sp.onNotFound,
			OnGetBlocks:   sp.onGetBlocks,
			OnGetHeaders:  sp.onGetHeaders,
			OnHeaders:     sp.onHeaders,
			OnBlock:       sp.onBlock,
			OnTx:          sp.onTx,
			OnAddr:        sp.onAddr,
			OnGetAddr:     sp.onGetAddr,
			OnMemPool:     sp.onMemPool,
			OnReject:      sp.onReject,
			OnRead:        sp.onRead,
			OnWrite:       sp.onWrite,
			OnMisbehavior: sp.onMisbehavior,
		},
	}
}

// services returns the services we advertise: the DAG, and whether we
// pruned it.
func (s *Server) services() wire.ServiceFlag {
	if s.dag.PruneInfo().Pruned {
		return wire.SFNodeNetwork | wire.SFNodePruned
	}
	return wire.SFNodeNetwork
}

// lowestServedHeight returns the lowest height whose block bodies we keep,
// for our version message when we prune.
func (s *Server) lowestServedHeight() uint32 {
	return s.dag.PruneInfo().LowestHeight
}

// newestTips returns our max height and tips for our version message.
func (s *Server) newestTips() (uint32, []wire.Hash) {
	return s.dag.MaxHeight(), s.dag.Tips()
}

// onVersion checks the remote's version beyond what package peer checks:
// an outbound peer must serve the DAG, since that is what we connect for.
func (sp *serverPeer) onVersion(p *peer.Peer, msg *wire.MsgVersion) *wire.MsgReject {
	if !p.Inbound() && msg.Services&wire.SFNodeNetwork == 0 {
		return &wire.MsgReject{Cmd: wire.CmdVersion, Code: wire.RejectNonstandard,
			Reason: "outbound peers must serve the block DAG"}
	}
	sp.startingHeight.Store(msg.MaxHeight)
	return nil
}

// onVerAck makes the peer active once the handshake completed: it joins the
// relay set and the sync manager, and an outbound peer is asked for
// addresses and recorded as good in the address book.
func (sp *serverPeer) onVerAck(p *peer.Peer, _ *wire.MsgVerAck) {
	s := sp.server
	if !s.addActivePeer(sp) {
		p.Disconnect()
		return
	}
	if sp.connReq != nil {
		s.connManager.HandshakeDone(sp.connReq.ID())
	}
	s.clock.add(p.Addr(), time.Duration(p.TimeOffset())*time.Second)
	if !p.Inbound() {
		s.addrManager.Good(p.Addr())
		p.QueueMessage(&wire.MsgGetAddr{}, nil)
	}
	s.syncManager.NewPeer(sp)
}

func (sp *serverPeer) onInv(_ *peer.Peer, msg *wire.MsgInv) {
	sp.server.syncManager.QueueInv(msg, sp)
}

func (sp *serverPeer) onBlock(_ *peer.Peer, msg *wire.MsgBlock, _ []byte) {
	sp.server.syncManager.QueueBlock(msg, sp)
}

func (sp *serverPeer) onTx(_ *peer.Peer, msg *wire.MsgTx) {
	sp.server.syncManager.QueueTx(msg, sp)
}

func (sp *serverPeer) onNotFound(_ *peer.Peer, msg *wire.MsgNotFound) {
	sp.server.syncManager.QueueNotFound(msg, sp)
}

// rawBlockMsg is a block message that carries the stored serialization of
// a block, so serving getdata costs a store read and a copy rather than a
// decode and an encode.
type rawBlockMsg struct {
	buf []byte
}

// Command implements wire.Message.
func (m *rawBlockMsg) Command() string { return wire.CmdBlock }

// MaxPayloadLength implements wire.Message.
func (m *rawBlockMsg) MaxPayloadLength(uint32) uint32 { return wire.MaxBlockPayload }

// Encode implements wire.Message.
func (m *rawBlockMsg) Encode(dst []byte, _ uint32) ([]byte, error) {
	return append(dst, m.buf...), nil
}

// Decode implements wire.Message.
func (m *rawBlockMsg) Decode(b []byte, _ uint32) error {
	m.buf = append(m.buf[:0], b...)
	return nil
}

// SerializeSize lets wire.EncodeMessage allocate the frame once.
func (m *rawBlockMsg) SerializeSize() int { return len(m.buf) }

// RawPayload implements peer.RawPayloader: the writer sends the stored
// bytes after a header of their own instead of copying them into a frame.
func (m *rawBlockMsg) RawPayload() []byte { return m.buf }

// onGetData serves blocks from their stored bytes and transactions from the
// pool, and names what we do not have in one notfound. It keeps at most
// getDataWindow answers queued and waits for room in the peer's write
// queue (bounded in bytes) before each one, so a peer that asks for large
// blocks and does not read costs a bounded amount of memory and stops
// being read. Each entry is answered once: a request that names the same
// block many times is amplification, not a need. Serving stops as soon as
// the peer is gone.
func (sp *serverPeer) onGetData(p *peer.Peer, msg *wire.MsgGetData) {
	s := sp.server
	var notFound []wire.InvVect
	done := make(chan struct{}, getDataWindow)
	pending := 0
	seen := make(map[wire.InvVect]struct{}, len(msg.InvList))
	for i := range msg.InvList {
		iv := &msg.InvList[i]
		key := wire.InvVect{Type: iv.Type, Hash: iv.Hash}
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		if !p.Connected() {
			return
		}
		var out wire.Message
		switch iv.Type {
		case wire.InvTypeBlock:
			buf, err := s.dag.BlockBytesByHash(&iv.Hash)
			if err != nil {
				switch {
				case errors.Is(err, blockdag.ErrBlockPruned):
					log.Debugf("Peer %s asked for block %s: %v", p, iv.Hash, err)
				case !errors.Is(err, blockdag.ErrBlockNotFound):
					storeLogf(err)("Reading block %s for peer %s: %v", iv.Hash, p, err)
				}
				notFound = append(notFound, *iv)
				continue
			}
			out = &rawBlockMsg{buf: buf}
		case wire.InvTypeTx:
			tx, ok := s.txPool.FetchTransaction(&iv.Hash)
			if !ok {
				notFound = append(notFound, *iv)
				continue
			}
			out = tx
		default:
			continue
		}
		if pending == getDataWindow {
			// The write loop signals done for every message it writes
			// or drops, so this wait ends even if the peer goes.
			<-done
			pending--
		}
		p.AddKnownInventory(iv)
		if err := p.QueueMessageWait(out, done); err != nil {
			return
		}
		pending++
	}
	if len(notFound) > 0 {
		p.QueueMessageWait(&wire.MsgNotFound{InvList: notFound}, nil)
	}
}

// onGetBlocks answers a getblocks with the inventory of the blocks from its
// start height in the past of its end hash (of our tips when zero), at most
// wire.MaxBlocksPerInv. It always answers, with an empty inv for an unknown
// end hash, because the requester matches answers to requests.
func (sp *serverPeer) onGetBlocks(p *peer.Peer, msg *wire.MsgGetBlocks) {
	list, err := sp.server.dag.LocateBlocks(msg.StartHeight, &msg.EndHash, wire.MaxBlocksPerInv)
	if err != nil {
		if !errors.Is(err, blockdag.ErrBlockNotFound) {
			storeLogf(err)("Locating blocks for peer %s: %v", p, err)
		}
		list = nil
	}
	// Waiting for room is the backpressure on a peer that sends
	// getblocks and does not read the answers.
	p.QueueMessageWait(&wire.MsgInv{InvList: list}, nil)
}

// onGetHeaders answers a getheaders with the headers of the wanted blocks
// and their past, newest first, at most wire.MaxHeadersPerMsg: a walk of
// bounded work (blockdag.HeadersInPast). It always answers, with an empty
// headers message when we hold none of the wanted blocks, so that the
// requester can ask another peer at once.
func (sp *serverPeer) onGetHeaders(p *peer.Peer, msg *wire.MsgGetHeaders) {
	headers, err := sp.server.dag.HeadersInPast(msg.Wanted, wire.MaxHeadersPerMsg)
	if err != nil {
		storeLogf(err)("Walking headers for peer %s: %v", p, err)
		headers = nil
	}
	// Waiting for room is the backpressure on a peer that sends
	// getheaders and does not read the answers.
	p.QueueMessageWait(&wire.MsgHeaders{Headers: headers}, nil)
}

func (sp *serverPeer) onHeaders(_ *peer.Peer, msg *wire.MsgHeaders) {
	sp.server.syncManager.QueueHeaders(msg, sp)
}

// onGetAddr answers the first getaddr of an inbound peer from the address
// book. Outbound peers are not answered: a node we chose could otherwise
// learn our whole book by asking.
func (sp *serverPeer) onGetAddr(p *peer.Peer, _ *wire.MsgGetAddr) {
	if !p.Inbound() || sp.sentAddrs.Swap(true) {
		return
	}
	addrs := sp.server.addrManager.AddressCache()
	if len(addrs) == 0 {
		return
	}
	if len(addrs) > wire.MaxAddrPerMsg {
		addrs = addrs[:wire.MaxAddrPerMsg]
	}
	p.QueueMessage(&wire.MsgAddr{AddrList: addrs}, nil)
}

// onAddr adds gossiped addresses to the address book.
func (sp *serverPeer) onAddr(p *peer.Peer, msg *wire.MsgAddr) {
	if len(msg.AddrList) == 0 {
		return
	}
	sp.server.addrManager.AddAddresses(msg.AddrList, p.Addr())
}

// onMemPool announces the pool's transactions through the peer's batched
// inventory queue, which skips what the peer is known to have.
func (sp *serverPeer) onMemPool(p *peer.Peer, _ *wire.MsgMemPool) {
	for _, txID := range sp.server.txPool.TxIDs() {
		p.QueueInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: txID})
	}
}

func (sp *serverPeer) onReject(p *peer.Peer, msg *wire.MsgReject) {
	log.Debugf("Peer %s rejected our %s %s: %s (%s)", p, msg.Cmd, msg.Hash, msg.Reason, msg.Code)
}

func (sp *serverPeer) onRead(_ *peer.Peer, n int, _ wire.Message, _ error) {
	sp.server.bytesRecv.Add(uint64(n))
}

func (sp *serverPeer) onWrite(_ *peer.Peer, n int, _ wire.Message, _ error) {
	sp.server.bytesSent.Add(uint64(n))
}

func (sp *serverPeer) onMisbehavior(_ *peer.Peer, score uint32, reason string) {
	sp.server.addBanScore(sp, score, reason)
}

// addBanScore adds misbehaviour score to a peer's host and disconnects the
// peer when the host reaches the ban threshold. With NoBanning the ban is
// lifted at once: the peer is only disconnected. Whitelisted hosts are only
// logged.
func (s *Server) addBanScore(sp *serverPeer, score uint32, reason string) {
	if sp.whitelisted {
		log.Debugf("Misbehaviour by whitelisted peer %s (score %d): %s", sp, score, reason)
		return
	}
	var persistent, transient uint32
	if score >= persistentScoreFloor {
		persistent = score
	} else {
		transient = score
	}
	if !s.banManager.AddScore(sp.host, persistent, transient, reason) {
		return
	}
	s.cfg.Metrics.PeerBanned()
	if s.cfg.NoBanning {
		s.banManager.Unban(sp.host)
		log.Infof("Disconnecting misbehaving peer %s (banning is off): %s", sp, reason)
	} else {
		log.Infof("Banned peer %s: %s", sp, reason)
	}
	sp.Disconnect()
}

// String names the peer for logs.
func (sp *serverPeer) String() string {
	return fmt.Sprintf("%s (id %d)", sp.Addr(), sp.ID())
}

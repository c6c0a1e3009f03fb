package peer

import (
	"math/rand/v2"
	"time"

	"github.com/soterdag/soterd/wire"
)

// readMessage reads one frame and updates the receive counters and the
// OnRead listener.
func (p *Peer) readMessage(pver uint32) (wire.Message, []byte, error) {
	n, msg, buf, err := wire.ReadMessageMax(p.conn, pver, p.cfg.Net, p.frameLimit)
	if n > 0 {
		p.bytesRecv.Add(uint64(n))
		p.lastRecv.Store(time.Now().UnixNano())
	}
	if err == nil {
		p.statsMtx.Lock()
		p.msgsRecv[msg.Command()]++
		p.statsMtx.Unlock()
	}
	if f := p.cfg.Listeners.OnRead; f != nil {
		f(p, n, msg, err)
	}
	return msg, buf, err
}

// frameLimit is the peer's own payload limit per command (wire.ReadMessageMax).
func (p *Peer) frameLimit(command string) uint32 {
	switch command {
	case wire.CmdBlock:
		return p.cfg.MaxBlockPayload
	case wire.CmdHeaders:
		return p.cfg.MaxHeadersPayload
	}
	return 0
}

// isQuitting reports whether the peer is disconnecting.
func (p *Peer) isQuitting() bool {
	select {
	case <-p.quit:
		return true
	default:
		return false
	}
}

// inHandler is the read goroutine: it reads messages until the connection
// fails, the remote breaks the protocol, or nothing arrives for the idle
// timeout, and dispatches each to the listeners. It owns one count of p.wg.
func (p *Peer) inHandler() {
	defer p.wg.Done()

	pver := p.ProtocolVersion()
	for {
		p.conn.SetReadDeadline(time.Now().Add(p.cfg.IdleTimeout))
		msg, buf, err := p.readMessage(pver)
		if err != nil {
			if p.isQuitting() {
				return
			}
			action, rerr := classifyReadError(err, false)
			if rerr.Score > 0 {
				p.misbehave(rerr.Score, rerr.Description)
			}
			if action == readContinue {
				continue
			}
			if rerr.Score > 0 {
				log.Infof("Disconnecting peer %s: %v", p, rerr)
			}
			p.disconnectWith(rerr)
			return
		}
		p.handleMessage(msg, buf)
	}
}

// handleMessage does the peer's own bookkeeping for a message and hands it
// to its listener.
func (p *Peer) handleMessage(msg wire.Message, buf []byte) {
	now := time.Now()
	p.answerReceived(msg, now)
	p.callbackStarted(now)
	defer func() { p.callbackEnded(time.Now()) }()

	l := &p.cfg.Listeners
	switch m := msg.(type) {
	case *wire.MsgVersion:
		p.misbehave(ScoreDuplicateHandshake, "version after the handshake")

	case *wire.MsgVerAck:
		p.misbehave(ScoreDuplicateHandshake, "verack after the handshake")

	case *wire.MsgPing:
		p.QueueMessage(&wire.MsgPong{Nonce: m.Nonce}, nil)
		if l.OnPing != nil {
			l.OnPing(p, m)
		}

	case *wire.MsgPong:
		p.handlePong(m, now)
		if l.OnPong != nil {
			l.OnPong(p, m)
		}

	case *wire.MsgInv:
		for i := range m.InvList {
			p.AddKnownInventory(&m.InvList[i])
		}
		if l.OnInv != nil {
			l.OnInv(p, m)
		}

	case *wire.MsgGetData:
		if l.OnGetData != nil {
			l.OnGetData(p, m)
		}

	case *wire.MsgNotFound:
		if l.OnNotFound != nil {
			l.OnNotFound(p, m)
		}

	case *wire.MsgGetBlocks:
		if l.OnGetBlocks != nil {
			l.OnGetBlocks(p, m)
		}

	case *wire.MsgGetHeaders:
		if l.OnGetHeaders != nil {
			l.OnGetHeaders(p, m)
		}

	case *wire.MsgHeaders:
		if l.OnHeaders != nil {
			l.OnHeaders(p, m)
		}

	case *wire.MsgBlock:
		hash := m.BlockHash()
		p.AddKnownInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: hash})
		if l.OnBlock != nil {
			l.OnBlock(p, m, buf)
		}

	case *wire.MsgTx:
		txid := m.TxID()
		p.AddKnownInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: txid})
		if l.OnTx != nil {
			l.OnTx(p, m)
		}

	case *wire.MsgAddr:
		if l.OnAddr != nil {
			l.OnAddr(p, m)
		}

	case *wire.MsgGetAddr:
		if l.OnGetAddr != nil {
			l.OnGetAddr(p, m)
		}

	case *wire.MsgMemPool:
		if l.OnMemPool != nil {
			l.OnMemPool(p, m)
		}

	case *wire.MsgReject:
		log.Debugf("Peer %s rejected our %s (%s): %s", p, m.Cmd, m.Code, m.Reason)
		if l.OnReject != nil {
			l.OnReject(p, m)
		}
	}
}

// handlePong records the round-trip time if the pong answers our last ping.
// Other pongs (late, or unsolicited) are ignored.
func (p *Peer) handlePong(m *wire.MsgPong, now time.Time) {
	p.statsMtx.Lock()
	defer p.statsMtx.Unlock()
	if p.lastPingNonce == 0 || m.Nonce != p.lastPingNonce {
		return
	}
	p.lastPingMicros = now.Sub(p.lastPingTime).Microseconds()
	p.lastPingNonce = 0
}

// timeHandler is the timer goroutine: it sends pings, flushes batched
// inventory and disconnects a stalled peer. It owns one count of p.wg.
func (p *Peer) timeHandler() {
	defer p.wg.Done()

	pingTicker := time.NewTicker(p.cfg.PingInterval)
	defer pingTicker.Stop()
	trickleTicker := time.NewTicker(p.cfg.TrickleInterval)
	defer trickleTicker.Stop()
	stallTicker := time.NewTicker(stallCheckInterval(p.cfg.StallTimeout))
	defer stallTicker.Stop()

	// Ping at once, so the round-trip time is known from the start.
	p.sendPing()
	for {
		select {
		case <-pingTicker.C:
			p.sendPing()

		case <-trickleTicker.C:
			p.flushInventory()

		case <-stallTicker.C:
			if err := p.checkStall(time.Now()); err != nil {
				p.statsMtx.Lock()
				p.stalls++
				p.statsMtx.Unlock()
				log.Infof("Disconnecting stalled peer %s: %v", p, err)
				p.disconnectWith(err)
				return
			}

		case <-p.quit:
			return
		}
	}
}

// sendPing queues a ping with a fresh nonce. The nonce is never zero, since
// zero marks "no ping outstanding".
func (p *Peer) sendPing() {
	nonce := rand.Uint64()
	for nonce == 0 {
		nonce = rand.Uint64()
	}
	p.QueueMessage(&wire.MsgPing{Nonce: nonce}, nil)
}

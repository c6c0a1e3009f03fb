package peer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/soterdag/soterd/wire"
)

// Priorities of the write queue, highest first. The writer always sends
// from the highest non-empty queue, so a pong is never stuck behind a block
// and a reply is never stuck behind a relayed announcement.
const (
	// priControl is for ping, pong, verack and reject: small, and their
	// timing matters (round-trip times, the remote's idle timer).
	priControl = iota

	// priReply is for everything else given to QueueMessage: answers to
	// requests, our own requests, blocks and transactions.
	priReply

	// priInventory is for announcements batched by QueueInventory.
	priInventory

	numPriorities
)

// outMsg is a message waiting in the write queue, with its encoded size
// as counted against Config.MaxQueuedBytes.
type outMsg struct {
	msg  wire.Message
	done chan<- struct{}
	size int
}

// RawPayloader is a message that holds its encoded payload, such as a
// block served from the store's bytes. The writer sends the payload as it
// is after the frame header, so a large answer is not copied into a frame
// of its own: a peer that does not read pins the payload once, not twice.
type RawPayloader interface {
	wire.Message
	RawPayload() []byte
}

// msgSize returns the encoded size of a message: what it pins in the write
// queue, near enough. Messages that know their size say so; inventory
// lists are counted by entries; the rest are small control messages,
// counted by encoding them (they are a few hundred bytes at most).
func msgSize(msg wire.Message, pver uint32) int {
	switch m := msg.(type) {
	case RawPayloader:
		return wire.MessageHeaderSize + len(m.RawPayload())
	case interface{ SerializeSize() int }:
		return wire.MessageHeaderSize + m.SerializeSize()
	case *wire.MsgInv:
		return wire.MessageHeaderSize + 3 + len(m.InvList)*wire.InvVectSize
	case *wire.MsgGetData:
		return wire.MessageHeaderSize + 3 + len(m.InvList)*wire.InvVectSize
	case *wire.MsgNotFound:
		return wire.MessageHeaderSize + 3 + len(m.InvList)*wire.InvVectSize
	case *wire.MsgAddr:
		return wire.MessageHeaderSize + 3 + len(m.AddrList)*wire.NetAddressSize
	}
	buf, err := msg.Encode(nil, pver)
	if err != nil {
		// The writer reports the encoding error; count the header.
		return wire.MessageHeaderSize
	}
	return wire.MessageHeaderSize + len(buf)
}

// msgQueue is a FIFO of messages. It pops from a head index and compacts
// when the dead prefix is over half the slice, so push and pop are amortised
// O(1) without a linked list.
type msgQueue struct {
	items []outMsg
	head  int
}

func (q *msgQueue) len() int {
	return len(q.items) - q.head
}

func (q *msgQueue) push(m outMsg) {
	if q.head > 0 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, m)
}

func (q *msgQueue) pop() outMsg {
	m := q.items[q.head]
	q.items[q.head] = outMsg{}
	q.head++
	if q.head == len(q.items) {
		q.items = q.items[:0]
		q.head = 0
	}
	return m
}

// priorityOf returns the queue a message given to QueueMessage goes to.
func priorityOf(msg wire.Message) int {
	switch msg.(type) {
	case *wire.MsgPing, *wire.MsgPong, *wire.MsgVerAck, *wire.MsgReject:
		return priControl
	}
	return priReply
}

// signalDone signals a done channel without blocking. The caller gives a
// channel with room for the signal (buffered), like os/signal.Notify.
func signalDone(done chan<- struct{}) {
	if done == nil {
		return
	}
	select {
	case done <- struct{}{}:
	default:
		log.Errorf("Done channel of a queued message is full; use a buffered channel")
	}
}

// QueueMessage queues msg to be sent ahead of any relayed inventory, and
// signals done (if not nil) once it has been written or dropped. done must
// have buffer room for the signal: the peer never blocks on it.
//
// QueueMessage never blocks. A peer whose queue is over its bound is
// disconnected instead; messages queued to a disconnected peer are dropped.
// Messages queued before the handshake completes are sent after it.
func (p *Peer) QueueMessage(msg wire.Message, done chan<- struct{}) {
	if msg == nil {
		log.Errorf("Nil message queued for peer %s", p)
		signalDone(done)
		return
	}
	p.enqueue(priorityOf(msg), outMsg{msg: msg, done: done, size: msgSize(msg, p.ProtocolVersion())})
}

// QueueMessageWait queues msg like QueueMessage, but first waits until the
// write queue has room for it under seven eighths of Config.MaxQueuedBytes
// (or is empty),
// so that a handler producing large answers slows down to the remote's
// reading speed instead of filling the queue. Called from a message
// listener it pauses the peer's read loop, which is the backpressure: a
// remote that does not read is not read either. It returns an error of
// kind ErrConnectionClosed, without queueing, once the peer is
// disconnecting, so the caller can stop preparing answers.
func (p *Peer) QueueMessageWait(msg wire.Message, done chan<- struct{}) error {
	if msg == nil {
		p.QueueMessage(msg, done)
		return nil
	}
	size := msgSize(msg, p.ProtocolVersion())
	// Waiting producers leave an eighth of the bound free for what is
	// queued without waiting (pongs, announcements, relayed
	// transactions), so a slow but honest reader is never disconnected
	// because a large answer filled its queue to the brim.
	limit := p.cfg.MaxQueuedBytes - p.cfg.MaxQueuedBytes/8
	for {
		p.queueMtx.Lock()
		closed := p.queueClosed
		room := p.queuedBytes == 0 || p.queuedBytes+size <= limit
		p.queueMtx.Unlock()
		if closed || p.isQuitting() {
			signalDone(done)
			return ruleError(ErrConnectionClosed, "peer disconnected while an answer waited for room")
		}
		if room {
			break
		}
		select {
		case <-p.roomSignal:
		case <-p.quit:
		}
	}
	p.enqueue(priorityOf(msg), outMsg{msg: msg, done: done, size: size})
	return nil
}

// QueuedBytes returns the encoded size of the messages waiting to be
// written, the one being written included.
func (p *Peer) QueuedBytes() int {
	p.queueMtx.Lock()
	defer p.queueMtx.Unlock()
	return p.queuedBytes
}

// enqueue adds a message to one of the queues, applying the bound.
func (p *Peer) enqueue(pri int, m outMsg) {
	p.queueMtx.Lock()
	if p.queueClosed {
		p.queueMtx.Unlock()
		signalDone(m.done)
		return
	}
	var err error
	switch {
	case p.queued >= p.cfg.MaxQueuedMessages:
		err = ruleError(ErrSendQueueFull, fmt.Sprintf(
			"write queue holds %d messages, over the bound of %d: "+
				"the peer is not reading", p.queued, p.cfg.MaxQueuedMessages))
	case p.queuedBytes > 0 && p.queuedBytes+m.size > p.cfg.MaxQueuedBytes:
		// An empty queue takes any message, so one answer of the
		// largest size always goes out.
		err = ruleError(ErrSendQueueFull, fmt.Sprintf(
			"write queue holds %d bytes, a %s of %d bytes would pass the bound of %d: "+
				"the peer is not reading", p.queuedBytes, m.msg.Command(), m.size,
			p.cfg.MaxQueuedBytes))
	}
	if err != nil {
		p.queueMtx.Unlock()
		signalDone(m.done)
		log.Infof("Disconnecting peer %s: %v", p, err)
		p.disconnectWith(err)
		return
	}
	p.queues[pri].push(m)
	p.queued++
	p.queuedBytes += m.size
	p.queueMtx.Unlock()

	select {
	case p.queueSignal <- struct{}{}:
	default:
	}
}

// QueueInventory announces iv to the remote unless it is known to have it.
// Transactions are batched and sent every TrickleInterval; a block flushes
// the batch at once, since block latency matters for the whole DAG. A batch
// that reaches wire.MaxInvPerMsg is flushed at once too. It never blocks.
func (p *Peer) QueueInventory(iv *wire.InvVect) {
	if p.IsKnownInventory(iv) {
		return
	}
	// Marked now rather than when written, so a second call before the
	// flush does not put it in the batch twice.
	p.AddKnownInventory(iv)

	p.queueMtx.Lock()
	if p.queueClosed {
		p.queueMtx.Unlock()
		return
	}
	p.pendingInv = append(p.pendingInv, *iv)
	flush := iv.Type == wire.InvTypeBlock || len(p.pendingInv) >= wire.MaxInvPerMsg
	var batch []wire.InvVect
	if flush {
		batch = p.pendingInv
		p.pendingInv = nil
	}
	p.queueMtx.Unlock()

	if batch != nil {
		p.enqueueInv(batch)
	}
}

// flushInventory queues the pending inventory batch, if any, as one inv.
func (p *Peer) flushInventory() {
	p.queueMtx.Lock()
	batch := p.pendingInv
	p.pendingInv = nil
	p.queueMtx.Unlock()
	if len(batch) > 0 {
		p.enqueueInv(batch)
	}
}

// enqueueInv queues an announcement batch.
func (p *Peer) enqueueInv(batch []wire.InvVect) {
	msg := &wire.MsgInv{InvList: batch}
	p.enqueue(priInventory, outMsg{msg: msg, size: msgSize(msg, 0)})
}

// written takes a written (or dropped) message's bytes off the queue's
// count and wakes a QueueMessageWait waiting for room.
func (p *Peer) written(m outMsg) {
	p.queueMtx.Lock()
	p.queuedBytes = max(p.queuedBytes-m.size, 0)
	p.queueMtx.Unlock()
	select {
	case p.roomSignal <- struct{}{}:
	default:
	}
}

// dequeue pops the highest-priority message, if any.
func (p *Peer) dequeue() (outMsg, bool) {
	p.queueMtx.Lock()
	defer p.queueMtx.Unlock()
	for i := range p.queues {
		if p.queues[i].len() > 0 {
			p.queued--
			return p.queues[i].pop(), true
		}
	}
	return outMsg{}, false
}

// closeQueue refuses further messages and signals the done channels of the
// ones still queued, so nobody waits for a write that will not happen.
func (p *Peer) closeQueue() {
	p.queueMtx.Lock()
	p.queueClosed = true
	var dropped []outMsg
	for i := range p.queues {
		for p.queues[i].len() > 0 {
			dropped = append(dropped, p.queues[i].pop())
		}
	}
	p.queued = 0
	p.queuedBytes = 0
	p.pendingInv = nil
	p.queueMtx.Unlock()
	for _, m := range dropped {
		signalDone(m.done)
	}
}

// outHandler is the write goroutine: it writes queued messages in priority
// order until the peer disconnects. It owns one count of p.wg.
func (p *Peer) outHandler() {
	defer p.wg.Done()
	defer p.closeQueue()

	for {
		select {
		case <-p.quit:
			return
		default:
		}
		m, ok := p.dequeue()
		if !ok {
			select {
			case <-p.queueSignal:
				continue
			case <-p.quit:
				return
			}
		}
		err := p.writeMessage(m.msg)
		p.written(m)
		signalDone(m.done)
		if err != nil {
			var encErr wire.MessageError
			if errors.As(err, &encErr) {
				// We built a message the protocol does not allow:
				// our bug, not the remote's. Drop it and go on.
				log.Errorf("Cannot encode %s for peer %s: %v",
					m.msg.Command(), p, err)
				continue
			}
			p.disconnectWith(writeError(err))
			return
		}
	}
}

// writeError maps a failed connection write to a disconnect reason.
func writeError(err error) error {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ruleError(ErrIdleTimeout, "write not completed within the idle timeout")
	}
	return ruleError(ErrConnectionClosed, fmt.Sprintf("write failed: %v", err))
}

// writeMessage encodes and writes one message, with a deadline so that a
// remote that stops reading cannot hold the writer forever, and updates the
// counters, the ping state and the stall detector.
func (p *Peer) writeMessage(msg wire.Message) error {
	var frame net.Buffers
	if raw, ok := msg.(RawPayloader); ok {
		payload := raw.RawPayload()
		if len(payload) > wire.MaxMessagePayload || uint32(len(payload)) > msg.MaxPayloadLength(p.ProtocolVersion()) {
			return wire.MessageError{Err: wire.ErrPayloadTooLarge, Description: fmt.Sprintf(
				"%s payload of %d bytes is over its limit", msg.Command(), len(payload))}
		}
		frame = net.Buffers{frameHeader(p.cfg.Net, msg.Command(), payload), payload}
	} else {
		buf, err := wire.EncodeMessage(msg, p.ProtocolVersion(), p.cfg.Net)
		if err != nil {
			return err
		}
		frame = net.Buffers{buf}
	}
	now := time.Now()
	if ping, ok := msg.(*wire.MsgPing); ok {
		p.statsMtx.Lock()
		p.lastPingNonce = ping.Nonce
		p.lastPingTime = now
		p.statsMtx.Unlock()
	}
	p.requestSent(msg, now)

	p.conn.SetWriteDeadline(now.Add(p.cfg.IdleTimeout))
	n64, err := frame.WriteTo(p.conn)
	n := int(n64)
	if n > 0 {
		p.bytesSent.Add(uint64(n))
		p.lastSend.Store(time.Now().UnixNano())
	}
	if err == nil {
		p.statsMtx.Lock()
		p.msgsSent[msg.Command()]++
		p.statsMtx.Unlock()
	}
	if f := p.cfg.Listeners.OnWrite; f != nil {
		f(p, n, msg, err)
	}
	return err
}

// frameHeader returns the frame header of a payload: magic, command,
// length and checksum, as wire.EncodeMessage lays them out.
func frameHeader(soterNet wire.SoterNet, cmd string, payload []byte) []byte {
	hdr := make([]byte, wire.MessageHeaderSize)
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(soterNet))
	copy(hdr[4:16], cmd)
	binary.LittleEndian.PutUint32(hdr[16:20], uint32(len(payload)))
	sum := wire.Checksum(payload)
	copy(hdr[20:24], sum[:])
	return hdr
}

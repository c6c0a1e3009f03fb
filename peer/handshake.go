package peer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/soterdag/soterd/wire"
)

// maxEarlyGetBlocks bounds the getblocks sent in a handshake: the pages a
// sync keeps waiting for an answer (netsync).
const maxEarlyGetBlocks = 8

// negotiate runs the version/verack handshake under one deadline for the
// whole exchange. An outbound peer speaks first; an inbound one answers the
// remote's version with its own, so a connection to ourselves is caught on
// the inbound side before it sends anything.
func (p *Peer) negotiate() error {
	p.conn.SetDeadline(time.Now().Add(p.cfg.HandshakeTimeout))

	if !p.inbound {
		if err := p.writeHandshake(p.localVersionMsg()); err != nil {
			return err
		}
		// With a first request to make, the verack goes out at once
		// and the request behind it: the remote reads our version,
		// sends its own, reads our verack and then answers the
		// request, so the answer arrives with its version, a round
		// trip sooner. Should its version not suit us, we disconnect
		// as we would have anyway.
		if p.cfg.EarlyGetBlocks != nil {
			if gbs := p.cfg.EarlyGetBlocks(); len(gbs) > 0 {
				gbs = gbs[:min(len(gbs), maxEarlyGetBlocks)]
				if err := p.writeHandshake(&wire.MsgVerAck{}); err != nil {
					return err
				}
				for _, gb := range gbs {
					if err := p.writeHandshake(gb); err != nil {
						return err
					}
				}
				p.statsMtx.Lock()
				p.earlyGetBlocks = gbs
				p.statsMtx.Unlock()
			}
		}
	}
	if err := p.readRemoteVersion(); err != nil {
		return err
	}
	if p.inbound {
		if err := p.writeHandshake(p.localVersionMsg()); err != nil {
			return err
		}
	}
	if len(p.EarlyGetBlocks()) == 0 {
		if err := p.writeHandshake(&wire.MsgVerAck{}); err != nil {
			return err
		}
	}
	verAck, err := p.readRemoteVerAck()
	if err != nil {
		return err
	}

	p.conn.SetDeadline(time.Time{})
	p.statsMtx.Lock()
	p.handshakeDone = true
	p.statsMtx.Unlock()
	if f := p.cfg.Listeners.OnVerAck; f != nil {
		f(p, verAck)
	}
	return nil
}

// localVersionMsg builds our version message with a fresh nonce, which it
// remembers for self-connection detection.
func (p *Peer) localVersionMsg() *wire.MsgVersion {
	var maxHeight uint32
	var tips []wire.Hash
	if p.cfg.NewestTips != nil {
		maxHeight, tips = p.cfg.NewestTips()
	}
	if len(tips) > wire.MaxVersionTips {
		tips = tips[:wire.MaxVersionTips]
	}

	remote := netAddressFromAddr(p.conn.RemoteAddr(), 0)
	var local *wire.NetAddress
	if p.cfg.BestLocalAddress != nil {
		local = p.cfg.BestLocalAddress(remote)
	}
	if local == nil {
		local = netAddressFromAddr(p.conn.LocalAddr(), p.cfg.Services)
	}

	nonce := rand.Uint64()
	p.cfg.Nonces.add(nonce)
	var lowest uint32
	if p.cfg.LowestHeight != nil && p.cfg.Services&wire.SFNodePruned != 0 {
		lowest = p.cfg.LowestHeight()
	}

	return &wire.MsgVersion{
		ProtocolVersion: p.cfg.ProtocolVersion,
		Services:        p.cfg.Services,
		Timestamp:       time.Now().Unix(),
		AddrRecv:        *remote,
		AddrFrom:        *local,
		Nonce:           nonce,
		UserAgent:       p.cfg.userAgent(),
		GenesisHash:     p.cfg.GenesisHash,
		MaxHeight:       maxHeight,
		Tips:            append([]wire.Hash(nil), tips...),
		LowestHeight:    lowest,
	}
}

// netAddressFromAddr converts a connection address; an address that is not
// ip:port gives the unspecified address, which is what a version message
// carries when we do not know better.
func netAddressFromAddr(addr net.Addr, services wire.ServiceFlag) *wire.NetAddress {
	na := &wire.NetAddress{
		Timestamp: time.Now().Unix(),
		Services:  services,
		IP:        net.IPv6unspecified,
	}
	if addr == nil {
		return na
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		na.IP = tcp.IP
		na.Port = uint16(tcp.Port)
		return na
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return na
	}
	if ip := net.ParseIP(host); ip != nil {
		na.IP = ip
	}
	if n, err := strconv.ParseUint(port, 10, 16); err == nil {
		na.Port = uint16(n)
	}
	return na
}

// writeHandshake writes a handshake message directly: the write loop is not
// running yet.
func (p *Peer) writeHandshake(msg wire.Message) error {
	err := p.writeMessage(msg)
	if err == nil {
		return nil
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ruleError(ErrHandshakeTimeout, "handshake not completed in time")
	}
	return ruleError(ErrConnectionClosed, fmt.Sprintf("handshake: %s: %v",
		msg.Command(), err))
}

// readHandshakeMessage reads one message during the handshake, reporting
// misbehaviour for a broken frame.
func (p *Peer) readHandshakeMessage() (wire.Message, error) {
	msg, _, err := p.readMessage(p.cfg.ProtocolVersion)
	if err == nil {
		return msg, nil
	}
	_, rerr := classifyReadError(err, true)
	if rerr.Score > 0 {
		p.misbehave(rerr.Score, rerr.Description)
	}
	return nil, rerr
}

// readRemoteVersion reads and checks the remote's version message.
func (p *Peer) readRemoteVersion() error {
	msg, err := p.readHandshakeMessage()
	if err != nil {
		return err
	}
	ver, ok := msg.(*wire.MsgVersion)
	if !ok {
		reason := fmt.Sprintf("handshake: first message is %s, not version", msg.Command())
		p.misbehave(ScoreHandshakeViolation, reason)
		return RuleError{Err: ErrHandshakeProtocol, Description: reason,
			Score: ScoreHandshakeViolation}
	}

	if p.cfg.Nonces.contains(ver.Nonce) {
		return ruleError(ErrSelfConnection, "connected to ourselves")
	}
	if ver.ProtocolVersion < wire.MinProtocolVersion {
		reason := fmt.Sprintf("protocol version %d is below the minimum %d",
			ver.ProtocolVersion, wire.MinProtocolVersion)
		p.sendHandshakeReject(wire.RejectObsolete, reason)
		return ruleError(ErrOldVersion, reason)
	}
	if ver.GenesisHash != p.cfg.GenesisHash {
		reason := fmt.Sprintf("genesis %s is not ours (%s)", ver.GenesisHash,
			p.cfg.GenesisHash)
		p.sendHandshakeReject(wire.RejectInvalid, reason)
		return ruleError(ErrWrongGenesis, reason)
	}

	p.statsMtx.Lock()
	p.versionKnown = true
	p.protocolVersion = min(p.cfg.ProtocolVersion, ver.ProtocolVersion)
	p.services = ver.Services
	p.userAgent = ver.UserAgent
	p.timeOffset = ver.Timestamp - time.Now().Unix()
	p.maxHeight = ver.MaxHeight
	p.lowestHeight = ver.LowestHeight
	p.tips = append([]wire.Hash(nil), ver.Tips...)
	p.statsMtx.Unlock()

	if f := p.cfg.Listeners.OnVersion; f != nil {
		if reject := f(p, ver); reject != nil {
			if err := p.writeMessage(reject); err != nil {
				log.Debugf("Cannot send reject to peer %s: %v", p, err)
			}
			return ruleError(ErrVersionRejected, fmt.Sprintf(
				"version rejected: %s", reject.Reason))
		}
	}
	return nil
}

// sendHandshakeReject tells the remote why we hang up, best effort: it is
// still bound by the handshake deadline.
func (p *Peer) sendHandshakeReject(code wire.RejectCode, reason string) {
	if len(reason) > wire.MaxRejectReasonLen {
		reason = reason[:wire.MaxRejectReasonLen]
	}
	reject := &wire.MsgReject{Cmd: wire.CmdVersion, Code: code, Reason: reason}
	if err := p.writeMessage(reject); err != nil {
		log.Debugf("Cannot send reject to peer %s: %v", p, err)
	}
}

// readRemoteVerAck reads the remote's verack, which completes the
// handshake.
func (p *Peer) readRemoteVerAck() (*wire.MsgVerAck, error) {
	msg, err := p.readHandshakeMessage()
	if err != nil {
		return nil, err
	}
	verAck, ok := msg.(*wire.MsgVerAck)
	if !ok {
		reason := fmt.Sprintf("handshake: second message is %s, not verack", msg.Command())
		p.misbehave(ScoreHandshakeViolation, reason)
		return nil, RuleError{Err: ErrHandshakeProtocol, Description: reason,
			Score: ScoreHandshakeViolation}
	}
	return verAck, nil
}

package peer

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/soterdag/soterd/wire"
)

// Misbehaviour scores reported through OnMisbehavior. The scale matches the
// default ban threshold of package connmgr (100): a score of 100 bans at
// once, 50 bans at the second offence, and 1 only matters when it repeats
// quickly. Violations that end the connection are meant to be added as
// persistent score; the small ones for what may be a harmless difference in
// software as transient score that decays.
const (
	// ScoreOversizedFrame is for a frame declaring more payload than
	// MaxMessagePayload or than its command allows. Our encoder cannot
	// produce one, so it is deliberate: a memory attack.
	ScoreOversizedFrame uint32 = 100

	// ScoreMalformed is for a known command whose payload does not decode
	// (truncated, over a list bound, trailing bytes, unknown inventory
	// type). The checksum matched, so the sender built it that way.
	ScoreMalformed uint32 = 100

	// ScoreBadChecksum is for a payload that does not match its checksum.
	// TCP makes corruption in transit very rare, but not impossible, so
	// it takes two to ban.
	ScoreBadChecksum uint32 = 50

	// ScoreBadMagic is for a frame of another network, or garbage where a
	// frame header should be. A misconfigured node is not an attacker, so
	// it takes two to ban.
	ScoreBadMagic uint32 = 50

	// ScoreBadCommand is for a command field that is not NUL-padded
	// printable ASCII, which in practice means garbage bytes.
	ScoreBadCommand uint32 = 50

	// ScoreHandshakeViolation is for a first message other than version,
	// or a second other than verack. The connection ends; the score stays
	// small because a half-compatible client can cause it.
	ScoreHandshakeViolation uint32 = 10

	// ScoreUnknownCommand is for a frame with a command we do not know.
	// It is skipped and the connection kept: a newer peer may speak a
	// command we do not.
	ScoreUnknownCommand uint32 = 1

	// ScoreDuplicateHandshake is for a version or verack after the
	// handshake. It is ignored.
	ScoreDuplicateHandshake uint32 = 1
)

// misbehave reports misbehaviour to the listener and the log.
func (p *Peer) misbehave(score uint32, reason string) {
	log.Debugf("Misbehaviour by peer %s (score %d): %s", p, score, reason)
	if f := p.cfg.Listeners.OnMisbehavior; f != nil {
		f(p, score, reason)
	}
}

// readErrorAction says what the read loop does after a failed read.
type readErrorAction int

const (
	// readContinue skips the frame and keeps reading.
	readContinue readErrorAction = iota

	// readDisconnect ends the connection.
	readDisconnect
)

// classifyReadError maps a failed wire.ReadMessage to a disconnect reason
// and a misbehaviour score (zero for none), and says whether the stream can
// still be read. It is pure so that the mapping can be tested as a table.
func classifyReadError(err error, handshake bool) (readErrorAction, RuleError) {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		if handshake {
			return readDisconnect, ruleError(ErrHandshakeTimeout,
				"handshake not completed in time")
		}
		return readDisconnect, ruleError(ErrIdleTimeout,
			"no message within the idle timeout")

	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed):
		return readDisconnect, ruleError(ErrConnectionClosed,
			"connection closed by the remote")
	}

	var msgErr wire.MessageError
	if !errors.As(err, &msgErr) {
		return readDisconnect, ruleError(ErrConnectionClosed,
			fmt.Sprintf("read failed: %v", err))
	}

	violation := func(score uint32) RuleError {
		return RuleError{
			Err:         ErrProtocolViolation,
			Description: "protocol violation: " + msgErr.Description,
			Score:       score,
		}
	}
	switch {
	case errors.Is(err, wire.ErrUnknownCommand):
		if handshake {
			return readDisconnect, RuleError{
				Err:         ErrHandshakeProtocol,
				Description: "handshake: " + msgErr.Description,
				Score:       ScoreHandshakeViolation,
			}
		}
		return readContinue, RuleError{
			Err:         ErrProtocolViolation,
			Description: msgErr.Description,
			Score:       ScoreUnknownCommand,
		}

	case errors.Is(err, wire.ErrBadMagic):
		if handshake {
			return readDisconnect, RuleError{
				Err:         ErrWrongNetwork,
				Description: "wrong network: " + msgErr.Description,
				Score:       ScoreBadMagic,
			}
		}
		return readDisconnect, violation(ScoreBadMagic)

	case errors.Is(err, wire.ErrBadCommand):
		return readDisconnect, violation(ScoreBadCommand)

	case errors.Is(err, wire.ErrBadChecksum):
		return readDisconnect, violation(ScoreBadChecksum)

	case errors.Is(err, wire.ErrPayloadTooLarge):
		return readDisconnect, violation(ScoreOversizedFrame)
	}

	// Everything else is a payload that failed to decode.
	return readDisconnect, violation(ScoreMalformed)
}

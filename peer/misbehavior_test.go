package peer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// timeoutError is a net.Error that timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestClassifyReadError checks the mapping of read failures to disconnect
// reasons and scores.
func TestClassifyReadError(t *testing.T) {
	msgErr := func(kind wire.ErrorKind) error {
		return wire.MessageError{Err: kind, Description: string(kind)}
	}
	tests := []struct {
		name       string
		err        error
		handshake  bool
		wantAction readErrorAction
		wantKind   ErrorKind
		wantScore  uint32
	}{
		{"timeout", timeoutError{}, false, readDisconnect, ErrIdleTimeout, 0},
		{"handshake timeout", timeoutError{}, true, readDisconnect, ErrHandshakeTimeout, 0},
		{"deadline", os.ErrDeadlineExceeded, false, readDisconnect, ErrIdleTimeout, 0},
		{"eof", io.EOF, false, readDisconnect, ErrConnectionClosed, 0},
		{"unexpected eof", io.ErrUnexpectedEOF, false, readDisconnect, ErrConnectionClosed, 0},
		{"closed", net.ErrClosed, false, readDisconnect, ErrConnectionClosed, 0},
		{"other", errors.New("connection reset"), false, readDisconnect, ErrConnectionClosed, 0},
		{"unknown command", msgErr(wire.ErrUnknownCommand), false, readContinue, ErrProtocolViolation, ScoreUnknownCommand},
		{"unknown command in handshake", msgErr(wire.ErrUnknownCommand), true, readDisconnect, ErrHandshakeProtocol, ScoreHandshakeViolation},
		{"bad magic", msgErr(wire.ErrBadMagic), false, readDisconnect, ErrProtocolViolation, ScoreBadMagic},
		{"bad magic in handshake", msgErr(wire.ErrBadMagic), true, readDisconnect, ErrWrongNetwork, ScoreBadMagic},
		{"bad command", msgErr(wire.ErrBadCommand), false, readDisconnect, ErrProtocolViolation, ScoreBadCommand},
		{"bad checksum", msgErr(wire.ErrBadChecksum), false, readDisconnect, ErrProtocolViolation, ScoreBadChecksum},
		{"too large", msgErr(wire.ErrPayloadTooLarge), false, readDisconnect, ErrProtocolViolation, ScoreOversizedFrame},
		{"malformed", msgErr(wire.ErrMalformed), false, readDisconnect, ErrProtocolViolation, ScoreMalformed},
		{"too many", msgErr(wire.ErrTooMany), false, readDisconnect, ErrProtocolViolation, ScoreMalformed},
		{"trailing", msgErr(wire.ErrTrailingBytes), false, readDisconnect, ErrProtocolViolation, ScoreMalformed},
		{"invalid value", msgErr(wire.ErrInvalidValue), false, readDisconnect, ErrProtocolViolation, ScoreMalformed},
		{"wrapped", fmt.Errorf("read: %w", msgErr(wire.ErrBadChecksum)), false, readDisconnect, ErrProtocolViolation, ScoreBadChecksum},
	}
	for _, test := range tests {
		action, rerr := classifyReadError(test.err, test.handshake)
		if action != test.wantAction {
			t.Errorf("%s: got action %v, want %v", test.name, action, test.wantAction)
		}
		if !errors.Is(rerr, test.wantKind) {
			t.Errorf("%s: got kind %v, want %v", test.name, rerr.Err, test.wantKind)
		}
		if rerr.Score != test.wantScore {
			t.Errorf("%s: got score %d, want %d", test.name, rerr.Score, test.wantScore)
		}
		var asRule RuleError
		if !errors.As(error(rerr), &asRule) || asRule.Description == "" {
			t.Errorf("%s: RuleError without a description", test.name)
		}
	}
}

// TestBadFrames sends broken frames after a good handshake: each ends the
// connection and reports a score, except an unknown command, which is
// skipped.
func TestBadFrames(t *testing.T) {
	ping, err := wire.EncodeMessage(&wire.MsgPing{Nonce: 9}, wire.ProtocolVersion, wire.SimNet)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	badSum := append([]byte(nil), ping...)
	badSum[20] ^= 0xff
	short := []byte{1, 2, 3}
	unknown := []byte("hello")

	tests := []struct {
		name      string
		bytes     []byte
		wantKind  ErrorKind // empty: the connection stays up
		wantScore uint32
	}{{
		name:      "garbage",
		bytes:     []byte("\x00\x01\x02\x03 this is not a frame at all, just noise"),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreBadCommand,
	}, {
		name:      "bad checksum",
		bytes:     badSum,
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreBadChecksum,
	}, {
		name:      "oversized frame",
		bytes:     frame(wire.SimNet, wire.CmdBlock, wire.MaxMessagePayload+1, [4]byte{}, nil),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreOversizedFrame,
	}, {
		name:      "over the command's limit",
		bytes:     frame(wire.SimNet, wire.CmdPing, 9, [4]byte{}, nil),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreOversizedFrame,
	}, {
		// The peer's own block limit (the consensus size), below the
		// wire's: refused before the payload is read.
		name:      "over the peer's block limit",
		bytes:     frame(wire.SimNet, wire.CmdBlock, 1001, [4]byte{}, nil),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreOversizedFrame,
	}, {
		name:      "over the peer's headers limit",
		bytes:     frame(wire.SimNet, wire.CmdHeaders, 2001, [4]byte{}, nil),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreOversizedFrame,
	}, {
		name:      "bad magic",
		bytes:     frame(wire.MainNet, wire.CmdPing, 8, wire.Checksum(make([]byte, 8)), make([]byte, 8)),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreBadMagic,
	}, {
		name:      "malformed payload",
		bytes:     frame(wire.SimNet, wire.CmdPing, 3, wire.Checksum(short), short),
		wantKind:  ErrProtocolViolation,
		wantScore: ScoreMalformed,
	}, {
		name:      "unknown command",
		bytes:     frame(wire.SimNet, "frobnicate", 5, wire.Checksum(unknown), unknown),
		wantScore: ScoreUnknownCommand,
	}}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			var mis misbehaviorLog
			cfg := testConfig()
			cfg.Listeners.OnMisbehavior = mis.listener
			cfg.MaxBlockPayload = 1000
			cfg.MaxHeadersPayload = 2000
			p, client := rawInbound(t, cfg)
			defer client.Close()
			defer p.Disconnect()
			if _, err := client.Write(test.bytes); err != nil {
				t.Fatalf("write: %v", err)
			}

			if test.wantKind == "" {
				// The stream must still be aligned: a ping after the
				// skipped frame is answered.
				writeMsg(t, client, &wire.MsgPing{Nonce: 77})
				for {
					msg := readMsg(t, client)
					if pong, ok := msg.(*wire.MsgPong); ok && pong.Nonce == 77 {
						break
					}
				}
				if !p.Connected() {
					t.Fatalf("disconnected: %v", p.DisconnectReason())
				}
			} else {
				var wg sync.WaitGroup
				drain(client, &wg)
				err := waitDisconnect(t, p, 5*time.Second)
				if !isKind(err, test.wantKind) {
					t.Fatalf("got reason %v, want %v", err, test.wantKind)
				}
				var rerr RuleError
				if !errors.As(err, &rerr) || rerr.Score != test.wantScore {
					t.Errorf("reason score: got %+v, want %d", rerr, test.wantScore)
				}
				client.Close()
				wg.Wait()
			}
			if got := mis.total(); got != test.wantScore {
				t.Errorf("misbehaviour score: got %d, want %d", got, test.wantScore)
			}
		})
	}
}

// TestDuplicateVersion checks that a version after the handshake is scored
// and ignored.
func TestDuplicateVersion(t *testing.T) {
	var mis misbehaviorLog
	cfg := testConfig()
	cfg.Listeners.OnMisbehavior = mis.listener
	p, client := rawInbound(t, cfg)
	defer client.Close()
	defer p.Disconnect()
	writeMsg(t, client, remoteVersion())
	writeMsg(t, client, &wire.MsgVerAck{})
	waitFor(t, "scores", 2*time.Second, func() bool { return mis.total() == 2*ScoreDuplicateHandshake })
	if !p.Connected() {
		t.Fatalf("disconnected: %v", p.DisconnectReason())
	}
}

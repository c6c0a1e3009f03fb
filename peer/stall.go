package peer

import (
	"fmt"
	"sync"
	"time"

	"github.com/soterdag/soterd/wire"
)

// stallState tracks the requests we sent that expect an answer: each
// getblocks expects one inv, each item of a getdata expects a block, a tx or
// a notfound entry. While answers are outstanding there is a deadline,
// pushed back by StallTimeout whenever an answer arrives, so a slow but
// steady peer is not cut off in the middle of a long download.
type stallState struct {
	mtx sync.Mutex

	pendingInv  int
	invDeadline time.Time

	pendingData  int
	dataDeadline time.Time

	// callbackStart is when the read goroutine entered a listener (zero
	// when it is not in one). While our own code runs, the remote's
	// answers sit unread, so the deadlines are paused.
	callbackStart time.Time
}

// requestSent records a getblocks or getdata being written at now.
func (p *Peer) requestSent(msg wire.Message, now time.Time) {
	s := &p.stall
	switch m := msg.(type) {
	case *wire.MsgGetBlocks:
		s.mtx.Lock()
		if s.pendingInv == 0 {
			s.invDeadline = now.Add(p.cfg.StallTimeout)
		}
		s.pendingInv++
		s.mtx.Unlock()

	case *wire.MsgGetData:
		if len(m.InvList) == 0 {
			return
		}
		s.mtx.Lock()
		if s.pendingData == 0 {
			s.dataDeadline = now.Add(p.cfg.StallTimeout)
		}
		s.pendingData += len(m.InvList)
		s.mtx.Unlock()
	}
}

// answerReceived records an answer read at now. Unrequested messages (an
// announcement with nothing pending) change nothing.
func (p *Peer) answerReceived(msg wire.Message, now time.Time) {
	s := &p.stall
	s.mtx.Lock()
	defer s.mtx.Unlock()
	switch m := msg.(type) {
	case *wire.MsgInv:
		if s.pendingInv > 0 {
			s.pendingInv--
			s.invDeadline = now.Add(p.cfg.StallTimeout)
		}
	case *wire.MsgBlock, *wire.MsgTx:
		if s.pendingData > 0 {
			s.pendingData--
			s.dataDeadline = now.Add(p.cfg.StallTimeout)
		}
	case *wire.MsgNotFound:
		if s.pendingData > 0 {
			s.pendingData -= min(len(m.InvList), s.pendingData)
			s.dataDeadline = now.Add(p.cfg.StallTimeout)
		}
	}
}

// callbackStarted pauses the stall deadlines while a listener runs.
func (p *Peer) callbackStarted(now time.Time) {
	p.stall.mtx.Lock()
	p.stall.callbackStart = now
	p.stall.mtx.Unlock()
}

// callbackEnded resumes the deadlines, moved back by the time the listener
// took.
func (p *Peer) callbackEnded(now time.Time) {
	s := &p.stall
	s.mtx.Lock()
	defer s.mtx.Unlock()
	if s.callbackStart.IsZero() {
		return
	}
	took := now.Sub(s.callbackStart)
	s.callbackStart = time.Time{}
	if s.pendingInv > 0 {
		s.invDeadline = s.invDeadline.Add(took)
	}
	if s.pendingData > 0 {
		s.dataDeadline = s.dataDeadline.Add(took)
	}
}

// checkStall returns a non-nil reason if an outstanding request is past its
// deadline at now.
func (p *Peer) checkStall(now time.Time) error {
	s := &p.stall
	s.mtx.Lock()
	defer s.mtx.Unlock()
	if !s.callbackStart.IsZero() {
		return nil
	}
	if s.pendingInv > 0 && now.After(s.invDeadline) {
		return ruleError(ErrStalled, fmt.Sprintf(
			"no inv answering %d getblocks within %v", s.pendingInv, p.cfg.StallTimeout))
	}
	if s.pendingData > 0 && now.After(s.dataDeadline) {
		return ruleError(ErrStalled, fmt.Sprintf(
			"%d getdata items unanswered within %v", s.pendingData, p.cfg.StallTimeout))
	}
	return nil
}

// stallCheckInterval is how often the timer loop checks for stalls: a
// quarter of the timeout, so a stall is noticed at most 25% late, kept
// between 10ms (tests) and one second (no point in checking more often).
func stallCheckInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

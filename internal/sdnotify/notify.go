package sdnotify

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Environment variables systemd sets for a Type=notify service.
const (
	envSocket      = "NOTIFY_SOCKET"
	envWatchdogUS  = "WATCHDOG_USEC"
	envWatchdogPID = "WATCHDOG_PID"
)

// sendTimeout bounds one datagram write: systemd reads its socket at once,
// and a daemon must not hang on a stuck manager.
const sendTimeout = time.Second

// DefaultStatusInterval is how often a Notifier refreshes STATUS=.
const DefaultStatusInterval = 5 * time.Second

// Send sends one message, such as "READY=1" or "STATUS=syncing", to the
// socket named by socketPath. An empty socketPath does nothing: the
// process does not run under systemd's notify protocol.
func Send(socketPath, msg string) error {
	if socketPath == "" {
		return nil
	}
	if msg == "" {
		return ruleError(ErrBadMessage, "sdnotify: empty message")
	}
	// A leading '@' (abstract namespace) needs no translation: package
	// syscall turns it into the NUL byte the kernel expects.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socketPath, Net: "unixgram"})
	if err != nil {
		return ruleError(ErrSend, "sdnotify: connect to %s: %v", socketPath, err)
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	if _, err := conn.Write([]byte(msg)); err != nil {
		return ruleError(ErrSend, "sdnotify: send to %s: %v", socketPath, err)
	}
	return nil
}

// WatchdogInterval returns the watchdog period systemd asks for through
// $WATCHDOG_USEC, or zero when it asks for none or asks another process
// ($WATCHDOG_PID names a different PID).
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, error) {
	usec := getenv(envWatchdogUS)
	if usec == "" {
		return 0, nil
	}
	if p := getenv(envWatchdogPID); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, ruleError(ErrBadEnv, "sdnotify: WATCHDOG_PID %q is not a number", p)
		}
		if n != pid {
			return 0, nil
		}
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 {
		return 0, ruleError(ErrBadEnv, "sdnotify: WATCHDOG_USEC %q is not a positive number", usec)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// Config configures a Notifier.
type Config struct {
	// Socket is the notification socket's path, $NOTIFY_SOCKET. Empty
	// makes the Notifier do nothing.
	Socket string

	// Watchdog is the watchdog period systemd expects pings within
	// (WatchdogInterval); zero sends none.
	Watchdog time.Duration

	// Status returns the text of the next STATUS= line; nil sends none.
	// It is called from the Notifier's goroutine and must not block.
	Status func() string

	// StatusInterval is how often STATUS= is refreshed; zero means
	// DefaultStatusInterval.
	StatusInterval time.Duration
}

// FromEnv returns the Config systemd's environment gives this process.
func FromEnv() (Config, error) {
	wd, err := WatchdogInterval(os.Getenv, os.Getpid())
	return Config{Socket: os.Getenv(envSocket), Watchdog: wd}, err
}

// Notifier tells systemd that the daemon is ready, what it is doing, that
// it is alive, and that it is stopping. It is safe for concurrent access.
type Notifier struct {
	cfg Config

	startOnce, stopOnce sync.Once
	quit                chan struct{}
	done                chan struct{}

	// running is set by Start when the goroutine runs; Stop reads it
	// after startOnce, which orders the two.
	running bool

	// failed is set after a send failed, so a wrong $NOTIFY_SOCKET costs
	// one warning, not one every interval. Start, the goroutine and Stop
	// send one after the other, never at once.
	failed bool
}

// New returns a Notifier for cfg. Nothing is sent until Start.
func New(cfg *Config) *Notifier {
	c := *cfg
	if c.StatusInterval <= 0 {
		c.StatusInterval = DefaultStatusInterval
	}
	return &Notifier{cfg: c, quit: make(chan struct{}), done: make(chan struct{})}
}

// Start sends READY=1 (with the first status) and starts the goroutine that
// refreshes the status and pings the watchdog. Calls after the first do
// nothing.
func (n *Notifier) Start() {
	n.startOnce.Do(func() {
		if n.cfg.Socket == "" {
			return
		}
		n.running = true
		msg := "READY=1\nMAINPID=" + strconv.Itoa(os.Getpid())
		if st := n.status(); st != "" {
			msg += "\n" + st
		}
		n.send(msg)
		go n.run()
	})
}

// Stop sends STOPPING=1 and returns when the goroutine has exited. It is
// safe to call twice, and without Start.
func (n *Notifier) Stop() {
	n.stopOnce.Do(func() {
		// A Start after Stop must not start the goroutine.
		n.startOnce.Do(func() {})
		close(n.quit)
		if n.running {
			<-n.done
			n.send("STOPPING=1")
		}
	})
}

// run refreshes the status and pings the watchdog until Stop.
func (n *Notifier) run() {
	defer close(n.done)
	status := time.NewTicker(n.cfg.StatusInterval)
	defer status.Stop()
	var watchdog <-chan time.Time
	if n.cfg.Watchdog > 0 {
		// Half the period, as sd_watchdog_enabled(3) advises, so one
		// late ping does not get the service killed.
		t := time.NewTicker(n.cfg.Watchdog / 2)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case <-n.quit:
			return
		case <-status.C:
			if st := n.status(); st != "" {
				n.send(st)
			}
		case <-watchdog:
			n.send("WATCHDOG=1")
		}
	}
}

// status returns the STATUS= line, or "" when there is none. A line break
// in the text would start another assignment, so it becomes a space.
func (n *Notifier) status() string {
	if n.cfg.Status == nil {
		return ""
	}
	text := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, n.cfg.Status())
	if text == "" {
		return ""
	}
	return "STATUS=" + text
}

// send sends msg, logging a failure: systemd's bookkeeping must never stop
// the node.
func (n *Notifier) send(msg string) {
	err := Send(n.cfg.Socket, msg)
	switch {
	case err != nil && !n.failed:
		log.Warnf("Telling systemd %q: %v", strings.SplitN(msg, "\n", 2)[0], err)
	case err != nil:
		log.Debugf("Telling systemd %q: %v", strings.SplitN(msg, "\n", 2)[0], err)
	}
	n.failed = err != nil
}

package procnode

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Node is one soterd process and an RPC client for it. After Stop or Kill
// the process can be started again with Restart. It is safe for concurrent
// access, but Stop, Kill and Restart of one Node should come from one
// goroutine at a time.
type Node struct {
	cfg Config

	mu      sync.Mutex
	proc    *process
	p2pAddr string
	rpcAddr string
	client  *http.Client
	rpcURL  string
	starts  int

	rpcID atomic.Uint64
}

// process is one run of the binary.
type process struct {
	cmd     *exec.Cmd
	out     *outputWatcher
	logFile *os.File
	started time.Time

	// done is closed when the process has exited and state is set.
	done  chan struct{}
	state *os.ProcessState
}

// exitCode returns the exit code of an exited process, -1 when a signal
// ended it.
func (p *process) exitCode() int {
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start writes the conf file, launches soterd and returns when its RPC
// server answers. When the process exits first, the error is an Error of
// kind ErrExited with its exit code and last output lines; the process is
// never left running after an error.
func Start(cfg *Config) (*Node, error) {
	if cfg == nil {
		return nil, procError(ErrInvalidConfig, "procnode: nil config")
	}
	n := &Node{cfg: *cfg}
	n.cfg.ConfLines = append([]string(nil), cfg.ConfLines...)
	n.cfg.ExtraArgs = append([]string(nil), cfg.ExtraArgs...)
	if err := n.cfg.normalize(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(n.cfg.HomeDir, 0o700); err != nil {
		return nil, procError(ErrInvalidConfig, fmt.Sprintf("procnode: %v", err))
	}
	if err := n.launch(n.cfg.ListenAddr, n.cfg.RPCAddr); err != nil {
		return nil, err
	}
	return n, nil
}

// Restart starts the process again after it exited, on the ports it had
// bound before, and returns when RPC answers. A running process is stopped
// first; a stop that does not end in exit code 0 is returned as an error
// and the process is not started again.
func (n *Node) Restart() error {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p != nil && !p.exited() {
		code, err := n.Stop()
		if err != nil {
			return err
		}
		if code != 0 {
			return procError(ErrExited, fmt.Sprintf("procnode: restart: "+
				"soterd exited with code %d on stop", code))
		}
	}
	n.mu.Lock()
	listen, rpc := n.p2pAddr, n.rpcAddr
	n.mu.Unlock()
	if listen == "" {
		listen = n.cfg.ListenAddr
	}
	if rpc == "" {
		rpc = n.cfg.RPCAddr
	}
	return n.launch(listen, rpc)
}

// writeConf writes the conf file: the RPC credentials, whether TLS is off,
// and the caller's extra lines. It is written at every start, so a Node
// always knows the credentials of its process.
func (n *Node) writeConf() error {
	var b strings.Builder
	b.WriteString("; written by internal/procnode for a test node\n")
	fmt.Fprintf(&b, "rpcuser=%s\nrpcpass=%s\n", n.cfg.RPCUser, n.cfg.RPCPass)
	if !n.cfg.TLS {
		b.WriteString("notls=1\n")
	}
	for _, line := range n.cfg.ConfLines {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(n.cfg.HomeDir, ConfFilename)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: write the "+
			"conf file: %v", err))
	}
	return nil
}

// args returns soterd's command line for the listen addresses.
func (n *Node) args(listen, rpc string) []string {
	args := []string{
		"--" + n.cfg.Network,
		"--appdata=" + n.cfg.HomeDir,
		"--rpclisten=" + rpc,
		"--nofilelogging",
	}
	if n.cfg.NoListen {
		args = append(args, "--nolisten")
	} else {
		args = append(args, "--listen="+listen)
	}
	return append(args, n.cfg.ExtraArgs...)
}

// launch starts one run of the process and waits until it is ready.
func (n *Node) launch(listen, rpc string) error {
	if err := n.writeConf(); err != nil {
		return err
	}
	logFile, err := os.OpenFile(n.cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: log file: %v", err))
	}
	args := n.args(listen, rpc)
	fmt.Fprintf(logFile, "=== procnode %s: %s %s\n", time.Now().Format(time.RFC3339Nano),
		n.cfg.Binary, strings.Join(args, " "))

	out := newOutputWatcher(logFile)
	cmd := exec.Command(n.cfg.Binary, args...)
	cmd.Dir = n.cfg.HomeDir
	cmd.Stdout, cmd.Stderr = out, out
	// If the test process dies without its cleanup (a panic, a timeout),
	// the kernel kills the node too instead of leaving it running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return procError(ErrInvalidConfig, fmt.Sprintf("procnode: start %s: %v",
			n.cfg.Binary, err))
	}
	p := &process{cmd: cmd, out: out, logFile: logFile, started: time.Now(),
		done: make(chan struct{})}
	go func() {
		// Wait also waits for the output copy to finish.
		cmd.Wait()
		p.state = cmd.ProcessState
		fmt.Fprintf(logFile, "=== procnode %s: pid %d exited: %v\n",
			time.Now().Format(time.RFC3339Nano), cmd.Process.Pid, cmd.ProcessState)
		logFile.Close()
		close(p.done)
	}()
	n.mu.Lock()
	n.proc = p
	n.starts++
	n.mu.Unlock()
	log.Debugf("Started %s pid %d (%s)", n.cfg.Binary, cmd.Process.Pid, n.cfg.HomeDir)

	deadline := time.NewTimer(n.cfg.StartTimeout)
	defer deadline.Stop()
	select {
	case <-out.ready:
	case <-p.done:
		return n.exitedEarly(p)
	case <-deadline.C:
		return n.startTimedOut(p)
	}

	p2p, rpcAddr := out.addrs()
	client, url, err := n.newClient(rpcAddr)
	if err != nil {
		cmd.Process.Kill()
		<-p.done
		return err
	}
	n.mu.Lock()
	if !n.cfg.NoListen {
		n.p2pAddr = p2p
	}
	n.rpcAddr = rpcAddr
	n.client = client
	n.rpcURL = url
	n.mu.Unlock()

	// The log line comes after the RPC server started, but a request
	// proves the credentials and the TLS set-up too.
	for {
		_, err := n.Call("uptime")
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return n.exitedEarly(p)
		case <-deadline.C:
			return n.startTimedOut(p)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// exitedEarly returns the ErrExited error of a process that exited before
// it was ready.
func (n *Node) exitedEarly(p *process) error {
	output := p.out.lastLines(tailLines)
	return Error{
		Err: ErrExited,
		Description: fmt.Sprintf("procnode: soterd (%s) exited with code %d "+
			"before its RPC server was ready; last output:\n%s",
			n.cfg.HomeDir, p.exitCode(), output),
		ExitCode: p.exitCode(),
		Output:   output,
	}
}

// startTimedOut kills a process that did not become ready in time and
// returns the ErrStartTimeout error.
func (n *Node) startTimedOut(p *process) error {
	p.cmd.Process.Kill()
	<-p.done
	output := p.out.lastLines(tailLines)
	return Error{
		Err: ErrStartTimeout,
		Description: fmt.Sprintf("procnode: soterd (%s) was not ready within "+
			"%v and was killed; last output:\n%s", n.cfg.HomeDir,
			n.cfg.StartTimeout, output),
		ExitCode: p.exitCode(),
		Output:   output,
	}
}

// current returns the current run, nil before the first.
func (n *Node) current() *process {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc
}

// Stop sends SIGTERM and waits for the process to exit, and returns its exit
// code. When it has not exited after Config.StopTimeout it is killed and the
// error is of kind ErrStopTimeout. Stopping an exited process returns its
// exit code again.
func (n *Node) Stop() (int, error) {
	p := n.current()
	if p == nil {
		return -1, procError(ErrNotRunning, "procnode: stop: never started")
	}
	if p.exited() {
		return p.exitCode(), nil
	}
	log.Debugf("Stopping pid %d", p.cmd.Process.Pid)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, procError(ErrNotRunning, fmt.Sprintf("procnode: stop: %v", err))
	}
	timer := time.NewTimer(n.cfg.StopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.exitCode(), nil
	case <-timer.C:
	}
	p.cmd.Process.Kill()
	<-p.done
	output := p.out.lastLines(tailLines)
	return p.exitCode(), Error{
		Err: ErrStopTimeout,
		Description: fmt.Sprintf("procnode: soterd (%s) did not exit within "+
			"%v of SIGTERM and was killed; last output:\n%s", n.cfg.HomeDir,
			n.cfg.StopTimeout, output),
		ExitCode: p.exitCode(),
		Output:   output,
	}
}

// Kill sends SIGKILL and waits for the process to exit, as a crash or a
// power cut would end it. Killing an exited process does nothing.
func (n *Node) Kill() error {
	p := n.current()
	if p == nil {
		return procError(ErrNotRunning, "procnode: kill: never started")
	}
	if p.exited() {
		return nil
	}
	log.Debugf("Killing pid %d", p.cmd.Process.Pid)
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return procError(ErrNotRunning, fmt.Sprintf("procnode: kill: %v", err))
	}
	<-p.done
	return nil
}

// Wait waits for the current process to exit on its own (the stop RPC, a
// fatal error) and returns its exit code.
func (n *Node) Wait() (int, error) {
	p := n.current()
	if p == nil {
		return -1, procError(ErrNotRunning, "procnode: wait: never started")
	}
	<-p.done
	return p.exitCode(), nil
}

// Done returns a channel closed when the current process has exited.
func (n *Node) Done() <-chan struct{} {
	p := n.current()
	if p == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return p.done
}

// Running reports whether the current process has not exited.
func (n *Node) Running() bool {
	p := n.current()
	return p != nil && !p.exited()
}

// ExitCode returns the exit code of the last process and whether it has
// exited; -1 means a signal ended it.
func (n *Node) ExitCode() (int, bool) {
	p := n.current()
	if p == nil || !p.exited() {
		return 0, false
	}
	return p.exitCode(), true
}

// PID returns the process id of the current process, 0 before the first.
func (n *Node) PID() int {
	p := n.current()
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Starts returns how many times the process was launched.
func (n *Node) Starts() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.starts
}

// P2PAddr returns the host:port the node accepts peers on, "" with
// NoListen.
func (n *Node) P2PAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.p2pAddr
}

// RPCAddr returns the host:port of the RPC server.
func (n *Node) RPCAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rpcAddr
}

// Config returns the node's configuration with the defaults filled in,
// including the RPC credentials.
func (n *Node) Config() Config {
	c := n.cfg
	c.ConfLines = append([]string(nil), n.cfg.ConfLines...)
	c.ExtraArgs = append([]string(nil), n.cfg.ExtraArgs...)
	return c
}

// HomeDir returns soterd's home directory.
func (n *Node) HomeDir() string { return n.cfg.HomeDir }

// ConfFile returns the path of the conf file.
func (n *Node) ConfFile() string { return filepath.Join(n.cfg.HomeDir, ConfFilename) }

// CertFile returns the path of the RPC certificate (present with TLS).
func (n *Node) CertFile() string { return filepath.Join(n.cfg.HomeDir, CertFilename) }

// LogFile returns the path of the file with the process's output.
func (n *Node) LogFile() string { return n.cfg.LogFile }

// OutputTail returns up to lines of the last lines the current process
// printed.
func (n *Node) OutputTail(lines int) string {
	p := n.current()
	if p == nil {
		return ""
	}
	return p.out.lastLines(lines)
}

// randomToken returns n random bytes as URL-safe base64: safe in a conf file
// and in HTTP basic auth.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

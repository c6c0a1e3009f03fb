package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/soterdag/soterd/internal/procnode"
)

// soterdName is the daemon's executable name.
const soterdName = "soterd"

// findSoterd returns the soterd executable to run: the -soterd option if
// given, else soterd beside the soterbench executable (make build puts both
// in bin/), else bin/soterd under the working directory, else soterd on
// PATH.
func findSoterd(flagValue string) (string, error) {
	return findBinary(soterdName, flagValue, "-soterd")
}

// findBinary returns the executable name to run: the flag's value if
// given, else the one beside the soterbench executable, else bin/name
// under the working directory, else name on PATH.
func findBinary(name, flagValue, flagName string) (string, error) {
	if flagValue != "" {
		path, err := filepath.Abs(flagValue)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%s: %w", flagName, err)
		}
		return path, nil
	}
	var candidates []string
	if self, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(self), name))
	}
	candidates = append(candidates, filepath.Join("bin", name))
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.Mode().IsRegular() {
			return filepath.Abs(c)
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		return filepath.Abs(path)
	}
	return "", fmt.Errorf("no %s executable found beside soterbench, in bin/ or on PATH; "+
		"run make build or pass %s PATH", name, flagName)
}

// cluster owns the soterd processes a benchmark starts and stops them all,
// whatever way the benchmark ends. It is safe for concurrent access.
type cluster struct {
	mu    sync.Mutex
	nodes []*procnode.Node
	log   io.Writer
}

// start starts a node and records it for stopAll.
func (c *cluster) start(cfg *procnode.Config) (*procnode.Node, error) {
	n, err := procnode.Start(cfg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.mu.Unlock()
	return n, nil
}

// stopAll stops every node, the last started first, and reports the ones
// that did not exit cleanly on c.log. It returns when all have exited.
func (c *cluster) stopAll() {
	c.mu.Lock()
	nodes := c.nodes
	c.nodes = nil
	c.mu.Unlock()
	var wg sync.WaitGroup
	for i := len(nodes) - 1; i >= 0; i-- {
		wg.Add(1)
		go func(n *procnode.Node) {
			defer wg.Done()
			code, err := n.Stop()
			if c.log == nil {
				return
			}
			switch {
			case err != nil:
				fmt.Fprintf(c.log, "soterbench: stop %s: %v\n", n.HomeDir(), err)
			case code != 0:
				fmt.Fprintf(c.log, "soterbench: soterd in %s exited with code %d; see %s\n",
					n.HomeDir(), code, n.LogFile())
			}
		}(nodes[i])
	}
	wg.Wait()
}

// workDir returns the directory a benchmark keeps its node homes in: dir
// when given (created if needed, kept afterwards), else a new temporary
// directory that the returned cleanup removes.
func workDir(dir, pattern string) (string, func(), error) {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", nil, err
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", nil, err
		}
		return abs, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

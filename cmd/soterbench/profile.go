package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// maxProfileSeconds bounds -profileseconds.
const maxProfileSeconds = 3600

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago, for soterd's --profile, which needs a port up front. Another
// process could take it in between; soterd then logs that its profiler did
// not start and the profile fetch fails with a clear error.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

// profileURL returns the pprof URL of a --profile value: a port alone
// means 127.0.0.1, as soterd reads it.
func profileURL(profile, path string) string {
	host := profile
	if !strings.Contains(profile, ":") {
		host = "127.0.0.1:" + profile
	}
	return "http://" + host + "/debug/pprof/" + path
}

// cpuProfile fetches a CPU profile of the given length from a soterd
// profiling server into a file, in the background.
type cpuProfile struct {
	done chan struct{}
	err  error
}

// startCPUProfile starts fetching seconds of CPU profile from the server at
// profile into path. The server starts with the process, so the first
// attempts may be refused; they are retried for a few seconds.
func startCPUProfile(ctx context.Context, profile, path string, seconds int) *cpuProfile {
	p := &cpuProfile{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		url := profileURL(profile, fmt.Sprintf("profile?seconds=%d", seconds))
		deadline := time.Now().Add(5 * time.Second)
		for {
			p.err = fetchToFile(ctx, url, path)
			if p.err == nil || time.Now().After(deadline) || ctx.Err() != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return p
}

// wait returns when the profile is written, or ctx is done.
func (p *cpuProfile) wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetchToFile writes the body of a GET of url to path.
func fetchToFile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return f.Close()
}

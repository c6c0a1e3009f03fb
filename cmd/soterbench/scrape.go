package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// scraper fetches a node's /metrics page at an interval, as Prometheus
// would, and records how long each scrape took. One goroutine owns it from
// start until stop.
type scraper struct {
	url      string
	interval time.Duration

	mu        sync.Mutex
	durations []time.Duration
	failures  int

	quit chan struct{}
	done chan struct{}
}

// startScraper scrapes http://addr/metrics every interval until stop.
func startScraper(addr string, interval time.Duration) *scraper {
	s := &scraper{url: "http://" + addr + "/metrics", interval: interval,
		quit: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *scraper) run() {
	defer close(s.done)
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-ticker.C:
			s.scrapeOnce(context.Background())
		}
	}
}

// scrapeOnce fetches the page once and records the time or the failure.
func (s *scraper) scrapeOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	err := fetch(ctx, s.url)
	took := time.Since(start)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// The node's metrics server may not be up yet.
		s.failures++
		return
	}
	s.durations = append(s.durations, took)
}

// stop ends the scrapes and waits for the goroutine.
func (s *scraper) stop() {
	close(s.quit)
	<-s.done
}

// summary describes the recorded scrapes: count, median and maximum.
func (s *scraper) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.durations) == 0 {
		return fmt.Sprintf("scrapes=0 failures=%d", s.failures)
	}
	d := slices.Clone(s.durations)
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	return fmt.Sprintf("scrapes=%d scrape_ms_median=%.2f scrape_ms_max=%.2f", len(d), ms(d[len(d)/2]), ms(d[len(d)-1]))
}

// fetch GETs url and reads the whole body.
func fetch(ctx context.Context, url string) error {
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
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// BenchmarkBlockProcessed measures the cost the node pays per block for
// counting it.
func BenchmarkBlockProcessed(b *testing.B) {
	m := New(Sources{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.BlockProcessed(BlockAccepted, "", 300*time.Microsecond)
	}
}

// BenchmarkScrape measures one /metrics page, rendered and written, with
// 100 peers' worth of message commands, LevelDB levels and rejection
// reasons; the sources are fakes, so this is the package's own share.
func BenchmarkScrape(b *testing.B) {
	src := fakeSources()
	peers := src.Peers()
	for i := 0; i < 20; i++ {
		peers.MsgsRecv[fmt.Sprintf("cmd%d", i)] = uint64(i)
		peers.MsgsSent[fmt.Sprintf("cmd%d", i)] = uint64(i)
	}
	src.Peers = func() PeerStats { return peers }
	m := New(src)
	for i := 0; i < 30; i++ {
		m.BlockProcessed(BlockRejected, fmt.Sprintf("ErrRule%d", i), time.Millisecond)
		m.RPCRequest(fmt.Sprintf("method%d", i), RPCResultOK, time.Millisecond)
	}
	h := promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, rec.Body)
	}
}

package metrics

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// metricName matches a soterd metric name in documentation.
var metricName = regexp.MustCompile(`soterd_[a-z0-9_]+`)

// TestDocsNameRealMetrics checks that every soterd metric docs/metrics.md
// and the Grafana dashboard name exists, and that docs/metrics.md lists
// every metric the node exports.
func TestDocsNameRealMetrics(t *testing.T) {
	m := New(fakeSources())
	// Every labelled counter needs a value to be exported.
	m.BlockProcessed(BlockRejected, "ErrBadMerkleRoot", time.Millisecond)
	m.TxRejected("ErrDuplicate")
	m.RPCRequest("getinfo", RPCResultOK, time.Millisecond)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := make(map[string]bool)
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), namespace+"_") {
			exported[f.GetName()] = true
		}
	}
	base := func(name string) string {
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if trimmed := strings.TrimSuffix(name, suffix); trimmed != name && exported[trimmed] {
				return trimmed
			}
		}
		return name
	}
	docs := map[string]bool{}
	for _, file := range []string{"metrics.md", "grafana-soterd.json"} {
		data, err := os.ReadFile(filepath.Join("..", "docs", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range metricName.FindAllString(string(data), -1) {
			name = base(name)
			if !exported[name] {
				t.Errorf("%s names %s, which the node does not export", file, name)
			}
			if file == "metrics.md" {
				docs[name] = true
			}
		}
	}
	for name := range exported {
		if !docs[name] {
			t.Errorf("docs/metrics.md does not list %s", name)
		}
	}
}

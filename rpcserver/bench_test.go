package rpcserver

import (
	"encoding/json"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
)

// benchServer returns a server for calling processBody directly, without
// HTTP, so the benchmarks measure dispatch, validation and encoding.
func benchServer(b *testing.B) *testServer {
	return newTestServer(b, nil)
}

func benchBody(b *testing.B, method string, params ...interface{}) []byte {
	req, err := rpcmodel.NewRequest(1, method, params...)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(req)
	return body
}

// BenchmarkProcessGetBlockCount measures the fixed cost of one request.
func BenchmarkProcessGetBlockCount(b *testing.B) {
	ts := benchServer(b)
	body := benchBody(b, "getblockcount")
	cl := &clientInfo{isAdmin: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.processBody(body, cl)
	}
}

// BenchmarkProcessGetBlockVerbose measures getblock with decoded
// transactions, the heaviest common read.
func BenchmarkProcessGetBlockVerbose(b *testing.B) {
	ts := benchServer(b)
	body := benchBody(b, "getblock", ts.f.dag.c.String(), 2)
	cl := &clientInfo{isAdmin: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.processBody(body, cl)
	}
}

// BenchmarkCheckAuth measures the per-request authentication cost.
func BenchmarkCheckAuth(b *testing.B) {
	ts := benchServer(b)
	header := basicAuth(limitUser, limitPass).Get("Authorization")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _ := ts.checkAuthHeader(header); !ok {
			b.Fatal("auth failed")
		}
	}
}

// BenchmarkHTTPGetBlockCount measures a full request over loopback HTTP.
func BenchmarkHTTPGetBlockCount(b *testing.B) {
	ts := benchServer(b)
	body := string(benchBody(b, "getblockcount"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.post(b, adminUser, adminPass, body)
	}
}

package rpcmodel

import (
	"encoding/json"
	"testing"
)

// BenchmarkParseParams measures validating a typical request's params, paid
// by every call the server answers.
func BenchmarkParseParams(b *testing.B) {
	m, _ := LookupMethod("getblock")
	raw := json.RawMessage(`["4ed7a5e2728c995f75c55883f1767d7dc55014992ddb992ddcd88ef2e9413326", 2]`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.ParseParams(raw); err != nil {
			b.Fatal(err)
		}
	}
}

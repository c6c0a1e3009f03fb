package keys

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// BenchmarkSignTx measures signing a one-input transaction.
func BenchmarkSignTx(b *testing.B) {
	priv, _, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	keys := []*btcec.PrivateKey{priv}
	tx, prevOuts := spendTx(keys)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := SignTx(tx, prevOuts, keys); err != nil {
			b.Fatal(err)
		}
	}
}

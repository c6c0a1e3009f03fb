package blockdag

import (
	"testing"

	"github.com/soterdag/soterd/wire"
)

// TestGenesisHashes pins each network's genesis hash, so an accidental
// change to the genesis construction or to header hashing fails loudly.
func TestGenesisHashes(t *testing.T) {
	tests := []struct {
		name   string
		params *Params
		want   string
	}{
		{"mainnet", MainNetParams(), "0000094c13677c59c94733d1b2207d97d9e3be103f6e43f1f5589e50d30024d6"},
		{"testnet", TestNetParams(), "000011a760db82a55cea9a4177b6a436274d72f7895d279d1e11e8c6c4e0d041"},
		{"regtest", RegressionNetParams(), "654953a845750577c9afe47fa280f9268bafbf234f8c09cb26bcb27a0895bace"},
		{"simnet", SimNetParams(), "0355b6641888a0a707e193926dcbe8ee28167cba48c3b759daa42d5f1b451ede"},
	}
	for _, test := range tests {
		got := test.params.GenesisBlock.BlockHash()
		if got.String() != test.want {
			t.Errorf("%s: got genesis %v, want %v", test.name, got, test.want)
		}
		if test.params.GenesisHash != got {
			t.Errorf("%s: GenesisHash field %v differs from the block's hash %v",
				test.name, test.params.GenesisHash, got)
		}
		if wire.HashToBig(&got).Cmp(test.params.PowLimit) > 0 {
			t.Errorf("%s: genesis hash is above the proof-of-work limit", test.name)
		}
		if test.params.Name != test.name {
			t.Errorf("%s: Name is %q", test.name, test.params.Name)
		}
	}
}

// TestParamsDistinct checks that no two networks share a magic, a port or a
// genesis.
func TestParamsDistinct(t *testing.T) {
	all := []*Params{MainNetParams(), TestNetParams(), RegressionNetParams(), SimNetParams()}
	ports := map[string]string{}
	nets := map[wire.SoterNet]string{}
	genesis := map[wire.Hash]string{}
	for _, p := range all {
		for _, port := range []string{p.DefaultPort, p.RPCPort} {
			if other, ok := ports[port]; ok {
				t.Errorf("%s: port %s also used by %s", p.Name, port, other)
			}
			ports[port] = p.Name
		}
		if other, ok := nets[p.Net]; ok {
			t.Errorf("%s: magic also used by %s", p.Name, other)
		}
		nets[p.Net] = p.Name
		if other, ok := genesis[p.GenesisHash]; ok {
			t.Errorf("%s: genesis also used by %s", p.Name, other)
		}
		genesis[p.GenesisHash] = p.Name
		if p.MaxBlockSize > wire.MaxBlockPayload {
			t.Errorf("%s: MaxBlockSize %d over the wire limit", p.Name, p.MaxBlockSize)
		}
		if p.MaxParents > wire.MaxParentsPerHeader {
			t.Errorf("%s: MaxParents %d over the wire limit", p.Name, p.MaxParents)
		}
		byName, err := ParamsByName(p.Name)
		if err != nil || byName.GenesisHash != p.GenesisHash {
			t.Errorf("%s: ParamsByName mismatch (%v)", p.Name, err)
		}
		byNet, err := ParamsForNet(p.Net)
		if err != nil || byNet.Name != p.Name {
			t.Errorf("%s: ParamsForNet mismatch (%v)", p.Name, err)
		}
	}
	if _, err := ParamsByName("moonnet"); err == nil {
		t.Errorf("ParamsByName(moonnet): got nil error")
	}
}

func TestCalcBlockSubsidy(t *testing.T) {
	p := RegressionNetParams() // halving every 150
	tests := []struct {
		blueScore uint64
		want      uint64
	}{
		{0, 50 * BaseUnitsPerCoin},
		{149, 50 * BaseUnitsPerCoin},
		{150, 25 * BaseUnitsPerCoin},
		{300, 1250000000},
		{150 * 64, 0},
		{^uint64(0), 0},
	}
	for _, test := range tests {
		if got := p.CalcBlockSubsidy(test.blueScore); got != test.want {
			t.Errorf("blue score %d: got %d, want %d", test.blueScore, got, test.want)
		}
	}
}

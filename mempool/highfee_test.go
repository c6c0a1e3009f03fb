package mempool

import "testing"

func TestIsHighFee(t *testing.T) {
	tests := []struct {
		name string
		fee  uint64
		size int
		want bool
	}{
		{"normal", 250, 250, false},
		{"at the floor", HighFeeFloor, 250, false},
		{"forgotten change of 40 coins", 40 * 100_000_000, 250, true},
		{"just over the floor, small tx", HighFeeFloor + 1, 250, true},
		{"over the floor, huge tx at the rate", 2 * HighFeeFloor, 20_000, false},
		{"over the floor, huge tx above the rate", 2*HighFeeFloor + 1, 20_000, true},
	}
	for _, test := range tests {
		if got := IsHighFee(test.fee, test.size); got != test.want {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}

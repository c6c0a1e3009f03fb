package mempool

import (
	"container/heap"
	"math/bits"
)

// feeRateLess reports whether fee1/size1 < fee2/size2, exactly: the cross
// products can pass 64 bits (a fee of up to 2^55 base units times a size of
// up to 2^22 bytes), so they are compared as 128-bit numbers.
func feeRateLess(fee1 uint64, size1 int, fee2 uint64, size2 int) bool {
	hi1, lo1 := bits.Mul64(fee1, uint64(size2))
	hi2, lo2 := bits.Mul64(fee2, uint64(size1))
	return hi1 < hi2 || (hi1 == hi2 && lo1 < lo2)
}

// feePerKB returns fee per 1000 bytes of size, rounded down, as reported in
// TxDesc.FeePerKB.
func feePerKB(fee uint64, size int) uint64 {
	if size <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(fee, 1000)
	if hi >= uint64(size) {
		// Cannot happen for fees below the maximum supply; saturate.
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, uint64(size))
	return q
}

// meetsFeeRate reports whether fee for size bytes pays at least rate base
// units per 1000 bytes, without rounding: fee*1000 >= rate*size.
func meetsFeeRate(fee uint64, size int, rate uint64) bool {
	return !feeRateLess(fee, size, rate, 1000)
}

// evictHeap orders pool transactions by fee rate, lowest first, so the pool
// can find what to evict when it is full without sorting itself. Ties go to
// the newer transaction, which has waited least.
type evictHeap []*poolTx

// Len implements heap.Interface.
func (h evictHeap) Len() int { return len(h) }

// Less implements heap.Interface.
func (h evictHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if feeRateLess(a.Fee, a.Size, b.Fee, b.Size) {
		return true
	}
	if feeRateLess(b.Fee, b.Size, a.Fee, a.Size) {
		return false
	}
	return a.seq > b.seq
}

// Swap implements heap.Interface and keeps the heap indexes current.
func (h evictHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}

// Push implements heap.Interface; use heap.Push.
func (h *evictHeap) Push(x any) {
	ptx := x.(*poolTx)
	ptx.heapIdx = len(*h)
	*h = append(*h, ptx)
}

// Pop implements heap.Interface; use heap.Pop.
func (h *evictHeap) Pop() any {
	old := *h
	n := len(old)
	ptx := old[n-1]
	old[n-1] = nil
	ptx.heapIdx = -1
	*h = old[:n-1]
	return ptx
}

// remove takes ptx out of the heap if it is in it.
func (h *evictHeap) remove(ptx *poolTx) {
	if ptx.heapIdx >= 0 && ptx.heapIdx < len(*h) && (*h)[ptx.heapIdx] == ptx {
		heap.Remove(h, ptx.heapIdx)
	}
	ptx.heapIdx = -1
}

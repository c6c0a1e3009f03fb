package blockdag

import (
	"container/list"
	"sync"

	"github.com/soterdag/soterd/wire"
)

// lruCache is a least-recently-used cache bounded by the total cost of its
// values. It is safe for concurrent access.
type lruCache[K comparable, V any] struct {
	mu      sync.Mutex
	items   map[K]*list.Element
	order   *list.List // most recent at the front
	cost    int
	maxCost int
	costOf  func(V) int
}

type lruEntry[K comparable, V any] struct {
	key   K
	value V
	cost  int
}

func newLRUCache[K comparable, V any](maxCost int, costOf func(V) int) *lruCache[K, V] {
	return &lruCache[K, V]{
		items:   make(map[K]*list.Element),
		order:   list.New(),
		maxCost: maxCost,
		costOf:  costOf,
	}
}

// get returns the value under key and marks it recently used.
func (c *lruCache[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).value, true
	}
	var zero V
	return zero, false
}

// put stores value under key, evicting the least recently used values while
// the cache is over its bound. A value costlier than the whole bound is not
// kept.
func (c *lruCache[K, V]) put(key K, value V) {
	cost := c.costOf(value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		old := e.Value.(*lruEntry[K, V])
		c.cost += cost - old.cost
		old.value, old.cost = value, cost
		c.order.MoveToFront(e)
	} else {
		if cost > c.maxCost {
			return
		}
		c.items[key] = c.order.PushFront(&lruEntry[K, V]{key: key, value: value, cost: cost})
		c.cost += cost
	}
	for c.cost > c.maxCost {
		back := c.order.Back()
		if back == nil {
			break
		}
		ent := back.Value.(*lruEntry[K, V])
		c.order.Remove(back)
		delete(c.items, ent.key)
		c.cost -= ent.cost
	}
}

// blockData is a block body with its transaction ids, as acceptance and
// notifications need them.
type blockData struct {
	msg   *wire.MsgBlock
	txids []wire.Hash
	size  int
}

func blockDataCost(b *blockData) int {
	return b.size*2 + len(b.txids)*wire.HashSize
}

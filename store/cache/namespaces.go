package cache

import (
	"sync"

	"github.com/rankflow/rankflow/rank"
)

// namespaces holds a feature table and flight per namespace.
type namespaces struct {
	policy Policy
	m      sync.Map // namespace → *featureCache
}

// featureCache caches the features of one namespace by entity id.
type featureCache struct {
	table  *table[*rank.Record]
	flight batchFlight[*rank.Record]
}

func newNamespaces(p Policy) *namespaces { return &namespaces{policy: p} }

// get returns the cache of namespace, creating it on first use.
func (n *namespaces) get(namespace string) *featureCache {
	if f, ok := n.m.Load(namespace); ok {
		return f.(*featureCache)
	}
	f, _ := n.m.LoadOrStore(namespace, &featureCache{table: newTable[*rank.Record](n.policy)})
	return f.(*featureCache)
}

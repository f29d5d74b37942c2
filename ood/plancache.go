package ood

import (
	"fmt"
	"slices"
	"sync"

	"github.com/oodgpu/oodgpu/graph"
)

// PlanCache keeps an extractor's compiled plans across runs, with the executors that ran them,
// so that scoring one image after another (the browser app, the server) builds, plans and
// lowers its graph once rather than at every image. It holds at most Max plans; the least
// recently used one is forgotten by its executors when a new one needs room. Safe for concurrent
// use; one cache serves one model (one Build function).
type PlanCache struct {
	// Max is the number of plans kept; 0 means DefaultPlans.
	Max int

	mu    sync.Mutex
	plans []*cachedPlan // least recently used first
}

// DefaultPlans is how many plans a PlanCache keeps by default: a few batch shapes, since every
// plan holds its executors' buffers.
const DefaultPlans = 4

// MaxCachedPlanBytes bounds the storage (graph.Plan.Bytes) of a plan a PlanCache keeps: one
// image's plan of the default Glow takes a few MB; the large batches of a bulk scoring run are
// built for it and released after it, so that a long-lived server returns their memory.
const MaxCachedPlanBytes = 64 << 20

type cachedPlan struct {
	key    string
	plan   *graph.Plan
	layers []string
	execs  []graph.Executor
}

// lookup returns the cached plan for key and its layers, recording that exec runs it, or nil.
func (c *PlanCache) lookup(key string, exec graph.Executor) (*graph.Plan, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.plans {
		if p.key == key {
			c.plans = append(append(c.plans[:i:i], c.plans[i+1:]...), p)
			if !slices.Contains(p.execs, exec) {
				p.execs = append(p.execs, exec)
			}
			return p.plan, p.layers
		}
	}
	return nil, nil
}

// add caches plan under key, as run by exec, making room by forgetting the least recently used
// plan. It reports false, caching nothing, for a plan over MaxCachedPlanBytes of storage: the
// caller forgets that one after its run, as without a cache.
func (c *PlanCache) add(key string, exec graph.Executor, plan *graph.Plan, layers []string) bool {
	if plan.Bytes() > MaxCachedPlanBytes {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := DefaultPlans
	if c.Max > 0 {
		limit = c.Max
	}
	for len(c.plans) >= limit {
		old := c.plans[0]
		c.plans = c.plans[1:]
		for _, e := range old.execs {
			e.Forget(old.plan)
		}
	}
	c.plans = append(c.plans, &cachedPlan{key: key, plan: plan, layers: layers, execs: []graph.Executor{exec}})
	return true
}

// Forget releases every cached plan from the executors that ran it and empties the cache.
func (c *PlanCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.plans {
		for _, e := range p.execs {
			e.Forget(p.plan)
		}
	}
	c.plans = nil
}

func planKey(batch int, groups []int) string { return fmt.Sprint(batch, groups) }

//go:build cgo

package gpu

import (
	"fmt"
	"os"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

func TestZView(t *testing.T) {
	if os.Getenv("ZPROF") == "" {
		t.Skip()
	}
	f, _ := zoo.Default()
	m, _ := scorer.FromFile("default", f)
	g := graph.New()
	obj, _ := m.Net.Build(g, 1)
	feats, _ := g.GradSqNorms(obj.LogLik, g.Params(), 1)
	p, _ := graph.Compile(g, obj.NLL, feats)
	readers := map[*graph.Node][]int{}
	idx := map[*graph.Node]int{}
	for i, n := range p.Steps {
		idx[n] = i
		for _, in := range n.Inputs() {
			readers[in] = append(readers[in], i)
		}
	}
	cnt := map[string]int{}
	red := map[string]int{}
	for i, n := range p.Steps {
		k := n.Op().Kind()
		if k == "sumsquares" || k == "sum" {
			src := n.Inputs()[0]
			sk := "leaf"
			if j, ok := idx[src]; ok {
				sk = src.Op().Kind()
				if p.Chains[j] != nil {
					sk += "(chain)"
				}
			}
			red[fmt.Sprintf("%s chained=%v of %s readers %d", k, p.Chains[i] != nil, sk, len(readers[src]))]++
		}
		if k != "slice" && k != "broadcast" {
			continue
		}
		kinds := ""
		allChain := true
		for _, r := range readers[n] {
			c := p.Chains[r]
			if c == nil {
				allChain = false
				kinds += p.Steps[r].Op().Kind() + ","
			}
		}
		cnt[fmt.Sprintf("%s allchain=%v %s", k, allChain, kinds)]++
	}
	for k, v := range cnt {
		fmt.Println(v, k)
	}
	for k, v := range red {
		fmt.Println(v, k)
	}
}

func TestZConst(t *testing.T) {
	if os.Getenv("ZPROF") == "" {
		t.Skip()
	}
	f, _ := zoo.Default()
	m, _ := scorer.FromFile("default", f)
	g := graph.New()
	obj, _ := m.Net.Build(g, 1)
	feats, _ := g.GradSqNorms(obj.LogLik, g.Params(), 1)
	p, _ := graph.Compile(g, obj.NLL, feats)
	isConst := map[*graph.Node]bool{}
	for _, n := range g.Params() {
		isConst[n] = true
	}
	cnt := map[string]int{}
	total := 0
	for _, n := range p.Steps {
		c := true
		for _, in := range n.Inputs() {
			if _, ok := in.Op().(*graph.ConstOp); ok {
				continue
			}
			if !isConst[in] {
				c = false
			}
		}
		if c {
			isConst[n] = true
			cnt[n.Op().Kind()]++
			total++
		}
	}
	fmt.Println(total, cnt)
}

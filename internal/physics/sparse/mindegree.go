package sparse

// MinDegreeOrder returns the minimum-degree elimination order of the
// graph with neighbour lists adj (symmetric, without self-loops or
// duplicates; it is not modified): at each step the node of smallest
// degree in the elimination graph, ties broken by the smaller index.
// perm[k] is the node eliminated k-th. Each step costs the size of the
// clique it forms, plus a heap operation per degree change.
func MinDegreeOrder(adj [][]int) []int {
	n := len(adj)
	// Work on a copy in one backing array; each list's capacity ends at its
	// length, so a list that grows moves out instead of overwriting the next.
	total := 0
	for _, l := range adj {
		total += len(l)
	}
	buf := make([]int, 0, total)
	g := make([][]int, n)
	for i, l := range adj {
		start := len(buf)
		buf = append(buf, l...)
		g[i] = buf[start:len(buf):len(buf)]
	}
	// Keys deg*n+node order the heap by degree, then index; entries whose
	// degree is out of date are skipped when they surface.
	h := make(intHeap, n)
	for v := range n {
		h[v] = len(g[v])*n + v
	}
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	done := make([]bool, n)
	mark := make([]int, n)
	perm := make([]int, 0, n)
	stamp := 0
	for len(perm) < n {
		key := h.pop()
		v, deg := key%n, key/n
		if done[v] || deg != len(g[v]) {
			continue
		}
		done[v] = true
		perm = append(perm, v)
		nb := g[v]
		g[v] = nil
		// Connect the neighbours of v into a clique and drop v.
		for _, u := range nb {
			stamp++
			mark[u] = stamp
			out := g[u][:0]
			for _, w := range g[u] {
				if w != v && !done[w] {
					mark[w] = stamp
					out = append(out, w)
				}
			}
			for _, w := range nb {
				if mark[w] != stamp {
					mark[w] = stamp
					out = append(out, w)
				}
			}
			g[u] = out
			h.push(len(out)*n + u)
		}
	}
	return perm
}

// intHeap is a binary min-heap of ints (container/heap would box each
// key in an interface, an allocation per push).
type intHeap []int

func (h *intHeap) push(x int) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	a := *h
	x := a[0]
	a[0] = a[len(a)-1]
	*h = a[:len(a)-1]
	h.down(0)
	return x
}

func (h intHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

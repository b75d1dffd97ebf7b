package main

import "math/rand"

// pairwise returns rows (one value index per dimension) that together hold
// every feasible pair of values of every two dimensions, far fewer rows than
// the full product. valid says whether a partial row (-1 = unassigned) can
// still be completed; a pair it rejects is left out. The result depends only
// on seed.
//
// The method is the greedy one of AETG: each row starts from an uncovered
// pair and fills the other dimensions, in random order, with the value that
// covers most uncovered pairs; the best of several candidate rows is kept.
func pairwise(sizes []int, valid func(row []int) bool, seed int64) [][]int {
	n := len(sizes)
	rng := rand.New(rand.NewSource(seed))
	type pair struct{ i, a, j, b int }
	uncovered := map[pair]bool{}
	var order []pair // deterministic iteration order
	blank := func() []int {
		r := make([]int, n)
		for k := range r {
			r[k] = -1
		}
		return r
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for a := 0; a < sizes[i]; a++ {
				for b := 0; b < sizes[j]; b++ {
					r := blank()
					r[i], r[j] = a, b
					if valid(r) {
						p := pair{i, a, j, b}
						uncovered[p] = true
						order = append(order, p)
					}
				}
			}
		}
	}
	gain := func(row []int, d, v int) int {
		g := 0
		for k := 0; k < n; k++ {
			if k == d || row[k] < 0 {
				continue
			}
			p := pair{k, row[k], d, v}
			if d < k {
				p = pair{d, v, k, row[k]}
			}
			if uncovered[p] {
				g++
			}
		}
		return g
	}
	var rows [][]int
	for len(uncovered) > 0 {
		var seedPair pair
		for _, p := range order {
			if uncovered[p] {
				seedPair = p
				break
			}
		}
		var best []int
		bestScore := -1
		for c := 0; c < 20; c++ {
			row := blank()
			row[seedPair.i], row[seedPair.j] = seedPair.a, seedPair.b
			for _, d := range rng.Perm(n) {
				if row[d] >= 0 {
					continue
				}
				bestV, bestG := -1, -1
				for _, v := range rng.Perm(sizes[d]) {
					row[d] = v
					if !valid(row) {
						continue
					}
					if g := gain(row, d, v); g > bestG {
						bestV, bestG = v, g
					}
				}
				row[d] = bestV
			}
			score := 0
			for i := 0; i < n; i++ {
				for j := i + 1; j < n; j++ {
					if uncovered[pair{i, row[i], j, row[j]}] {
						score++
					}
				}
			}
			if score > bestScore {
				best, bestScore = row, score
			}
		}
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				delete(uncovered, pair{i, best[i], j, best[j]})
			}
		}
		rows = append(rows, best)
	}
	return rows
}

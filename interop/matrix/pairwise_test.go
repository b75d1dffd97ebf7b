package main

import "testing"

// TestPairwiseCoversEveryPair checks the covering property on the real
// dimensions (11 suites, 10 keys, 4 frames, 4 sizes, 3 contexts) with the
// one-byte-frame constraint, and that the result is far below the product.
func TestPairwiseCoversEveryPair(t *testing.T) {
	sizes := []int{11, 10, 4, 4, 3}
	valid := func(r []int) bool { return !(r[2] == 0 && r[3] == 3) }
	rows := pairwise(sizes, valid, 1)
	for _, r := range rows {
		for _, v := range r {
			if v < 0 {
				t.Fatalf("incomplete row %v", r)
			}
		}
		if !valid(r) {
			t.Fatalf("row %v breaks the constraint", r)
		}
	}
	for i := range sizes {
		for j := i + 1; j < len(sizes); j++ {
			for a := 0; a < sizes[i]; a++ {
				for b := 0; b < sizes[j]; b++ {
					p := []int{-1, -1, -1, -1, -1}
					p[i], p[j] = a, b
					if !valid(p) {
						continue
					}
					found := false
					for _, r := range rows {
						if r[i] == a && r[j] == b {
							found = true
							break
						}
					}
					if !found {
						t.Errorf("pair (%d=%d, %d=%d) not covered", i, a, j, b)
					}
				}
			}
		}
	}
	if len(rows) > 130 {
		t.Errorf("%d rows; want close to the 110 the two largest dimensions need", len(rows))
	}
	t.Logf("%d rows for a product of %d", len(rows), 11*10*4*4*3)
}

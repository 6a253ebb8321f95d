package grid

import "testing"

func TestBranchRating(t *testing.T) {
	b := Branch{RateA: 100, RateB: 120, RateC: 150}
	for _, tc := range []struct {
		column string
		valid  bool
		want   float64
	}{
		{"A", true, 100}, {"a", true, 100}, {"B", true, 120}, {"b", true, 120},
		{"C", true, 150}, {"c", true, 150}, {"", false, 100}, {"D", false, 100},
	} {
		if got := b.Rating(tc.column); got != tc.want {
			t.Errorf("Rating(%q) = %v, want %v", tc.column, got, tc.want)
		}
		if got := ValidRating(tc.column); got != tc.valid {
			t.Errorf("ValidRating(%q) = %v, want %v", tc.column, got, tc.valid)
		}
	}
}

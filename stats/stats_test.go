package stats

import "testing"

func TestPercentile(t *testing.T) {
	tests := []struct {
		xs   []int64
		p    float64
		want int64
	}{
		{nil, 50, 0},
		{[]int64{7}, 50, 7},
		{[]int64{7}, 99, 7},
		{[]int64{1, 2, 3, 4}, 50, 2},
		{[]int64{1, 2, 3, 4}, 75, 3},
		{[]int64{1, 2, 3, 4}, 76, 4},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 1},
	}
	for _, tt := range tests {
		if got := Percentile(tt.xs, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %d, want %d", tt.xs, tt.p, got, tt.want)
		}
	}
}

func TestOfOrderIndependent(t *testing.T) {
	a := Of([]int64{5, 1, 4, 2, 3})
	b := Of([]int64{1, 2, 3, 4, 5})
	if a != b {
		t.Fatalf("order changed the result: %+v vs %+v", a, b)
	}
	if a.P50 != 3 || a.Max != 5 || a.Min != 1 || a.Sum != 15 || a.Mean != 3 {
		t.Fatalf("unexpected %+v", a)
	}
}

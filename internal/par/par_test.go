package par_test

import (
	"sync/atomic"
	"testing"
	"time"

	"bbcs/internal/par"
)

func TestEachCallsEveryItemOnceWithinTheWorkerLimit(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 50} {
		const n = 20
		var calls [n]atomic.Int32
		var running, most atomic.Int32
		par.Each(n, workers, func(i int) {
			now := running.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			calls[i].Add(1)
		})
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("workers %d: item %d called %d times", workers, i, c)
			}
		}
		if limit := int32(max(1, min(workers, n))); most.Load() > limit {
			t.Errorf("workers %d: %d calls at once, want at most %d", workers, most.Load(), limit)
		}
		// Items that each take a while overlap when there are workers for
		// it: a loop calling them one by one would pass the checks above.
		if workers > 1 && most.Load() < 2 {
			t.Errorf("workers %d: never more than one call at once", workers)
		}
	}
}

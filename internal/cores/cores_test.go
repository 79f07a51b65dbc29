package cores

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// With one of two cores held, yielding workers run one at a time; once it
// is released, two at a time; one always runs, even with every core held.
func TestTakeLeavesHeldCoresAlone(t *testing.T) {
	p := New(2)
	release := p.Hold(1)
	ctx := context.Background()
	var running, most atomic.Int32
	work := func(wg *sync.WaitGroup, gate <-chan struct{}) {
		defer wg.Done()
		give, err := p.Take(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		defer give()
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-gate
		running.Add(-1)
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go work(&wg, gate)
	}
	// Let the four try; only one can be in.
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if got := running.Load(); got != 1 {
		t.Fatalf("with one core held, %d workers run at once, want 1", got)
	}
	release()
	for running.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := running.Load(); got != 2 {
		t.Fatalf("after the release, %d workers run at once, want 2", got)
	}
	close(gate)
	wg.Wait()
	if most.Load() != 2 {
		t.Errorf("at most %d at once, want 2", most.Load())
	}

	all := p.Hold(5)
	defer all()
	give, err := p.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	give()
}

func TestTakeEndsWithItsContext(t *testing.T) {
	p := New(1)
	give, _ := p.Take(context.Background())
	defer give()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Take(ctx); err == nil {
		t.Error("Take on an ended context with no core free succeeded")
	}
	var nilPool *Pool
	g, err := nilPool.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g()
	nilPool.Hold(3)()
}

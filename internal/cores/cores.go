// Package cores shares the machine's cores between gates that run at
// once. Gates run concurrently, and a gate whose work is one steady stream
// (a backup's decompression, which cannot be split) is slowed by every
// goroutine another gate starts: Go shares its threads evenly among the
// goroutines that can run. Work that can be divided into many small
// pieces (the secret scan's files and commits) yields instead: it takes a
// core for each piece, and there are only as many as the steady work
// leaves free, though always one, so that it never stops.
//
// A nil *Pool limits nothing.
package cores

import (
	"context"
	"sync"
)

// Pool is the machine's cores, counted: those held by steady work and
// those taken by yielding workers.
type Pool struct {
	mu    sync.Mutex
	free  chan struct{} // closed and replaced whenever a core may have come free
	total int
	held  int
	taken int
}

// New is a pool of total cores (runtime.GOMAXPROCS(0), usually).
func New(total int) *Pool {
	return &Pool{total: max(total, 1), free: make(chan struct{})}
}

// Hold counts n cores as kept busy by work that does not yield, until
// release is called. It never waits.
func (p *Pool) Hold(n int) (release func()) {
	if p == nil || n <= 0 {
		return func() {}
	}
	p.mu.Lock()
	p.held += n
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.held -= n
			p.wake()
			p.mu.Unlock()
		})
	}
}

// Take waits for a core a yielding worker may use for one piece of work,
// and returns the function that gives it back. A worker gets one when no
// other yielding worker holds one, or when the cores held and taken leave
// one free. It fails only when ctx ends.
func (p *Pool) Take(ctx context.Context) (give func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	for {
		p.mu.Lock()
		if p.taken == 0 || p.held+p.taken < p.total {
			p.taken++
			p.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					p.mu.Lock()
					p.taken--
					p.wake()
					p.mu.Unlock()
				})
			}, nil
		}
		free := p.free
		p.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return func() {}, ctx.Err()
		}
	}
}

// wake tells every waiting worker to look again; p.mu is held.
func (p *Pool) wake() {
	close(p.free)
	p.free = make(chan struct{})
}

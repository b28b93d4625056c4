package devstack

import (
	"bytes"
	"sync"
)

// Buffer collects what processes (or loggers) write while others read it: services' output,
// an emulator's log, a suite's log lines.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Len is how many bytes were written so far, a mark for From.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// From is what was written from mark i on.
func (b *Buffer) From(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf.Bytes()[i:])
}

func (b *Buffer) String() string { return b.From(0) }

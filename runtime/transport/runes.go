package transport

import "unicode/utf8"

// A message larger than one read comes to the handler in parts (Next), and a
// handler may write a part on as a message of its own, as an echo does. Text
// is decoded part by part then: by the client of a long poll, an event
// stream or a WebSocket text frame, which must be UTF-8 on its own. So a part
// that ends inside a UTF-8 sequence keeps the sequence's first bytes for the
// next part. For binary data this only moves a boundary by three bytes at
// most; the bytes and their order are the same.

// runeTail holds the first bytes of a UTF-8 sequence that a part cut off.
type runeTail struct {
	b [utf8.UTFMax - 1]byte
	n int
}

// cut moves the incomplete UTF-8 sequence at the end of p, if any, into the
// tail, and returns the rest of p.
func (t *runeTail) cut(p []byte) []byte {
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		if !utf8.RuneStart(p[i]) {
			continue
		}
		if utf8.FullRune(p[i:]) {
			return p
		}
		t.n = copy(t.b[:], p[i:])
		return p[:i]
	}
	return p
}

// take appends the tail to p, empties it and returns p.
func (t *runeTail) take(p []byte) []byte {
	p = append(p, t.b[:t.n]...)
	t.n = 0
	return p
}

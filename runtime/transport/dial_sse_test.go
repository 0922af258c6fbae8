package transport

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestEventReader(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		events []string
	}{
		{"LF", "data: a\n\ndata: b\n\n", []string{"a", "b"}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		{"CR", "data: a\r\rdata: b\r\r", []string{"a", "b"}},
		{"mixed ends", "data: a\r\n\ndata: b\r\r\ndata: c\n\r", []string{"a", "b", "c"}},
		{"lines joined by LF", "data: one\ndata: two\r\ndata: three\n\n", []string{"one\ntwo\nthree"}},
		{"one space dropped", "data:a\ndata:  b\ndata: \n\n", []string{"a\n b\n"}},
		{"no colon", "data\n\ndata\ndata\n\n", []string{"", "\n"}},
		{"comments", ":\r\n: hello\r\ndata: a\r\n:\r\n\r\n", []string{"a"}},
		{"other fields", "id: 1\nretry: 10\nfoo: bar\ndata: a\ndatum: b\n\n", []string{"a"}},
		{"no data, no event", "id: 1\n\n\n\ndata: a\n\n", []string{"a"}},
		{"named events", "event: other\ndata: x\n\nevent: message\ndata: a\n\nevent\ndata: b\n\n", []string{"a", "b"}},
		{"name reset", "event: other\n\ndata: a\n\n", []string{"a"}},
		{"byte-order mark", "\uFEFFdata: a\n\n", []string{"a"}},
		{"one mark only", "\uFEFF\uFEFFdata: a\n\n", nil},
		{"unfinished event", "data: a\n\ndata: b\n", []string{"a"}},
		{"colon in value", "data: a: b\n\n", []string{"a: b"}},
		{"record separators", "data: {}\x1e{\"type\":6}\x1e\n\n", []string{"{}\x1e{\"type\":6}\x1e"}},
		{"long line", "data: " + strings.Repeat("x", 10000) + "\n\n", []string{strings.Repeat("x", 10000)}},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			e := eventReader{r: wrap(strings.NewReader(tt.stream))}
			var got []string
			dst := []byte("kept")
			for {
				var err error
				dst, err = e.next(dst)
				if err != nil {
					if err != io.EOF {
						t.Errorf("%s, %s: %v", tt.name, rname, err)
					}
					break
				}
				got = append(got, string(dst[len("kept"):]))
				dst = dst[:len("kept")]
			}
			if string(dst) != "kept" {
				t.Errorf("%s, %s: dst = %q at the end", tt.name, rname, dst)
			}
			if strings.Join(got, "|") != strings.Join(tt.events, "|") || len(got) != len(tt.events) {
				t.Errorf("%s, %s: events %q, want %q", tt.name, rname, got, tt.events)
			}
		}
	}
}

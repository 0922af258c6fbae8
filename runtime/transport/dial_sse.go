package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
)

// clientSSE receives as Server-Sent Events, one event a read, and sends by
// POST. It carries text only.
type clientSSE struct {
	*clientHTTP
	body   io.ReadCloser
	events eventReader
}

func (cfg *dialConfig) dialServerSentEvents(ctx context.Context, n *negotiated) (clientTransport, error) {
	t := &clientSSE{clientHTTP: cfg.newClientHTTP(n)}
	// The stream lives with the transport; ctx bounds its opening only.
	stop := context.AfterFunc(ctx, t.cancel)
	resp, err := t.open()
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		t.abort()
		if resp != nil {
			resp.Body.Close()
		}
		return nil, fmt.Errorf("EventSource failed to connect: %w", err)
	}
	t.body = resp.Body
	t.events.r = resp.Body
	return t, nil
}

// open sends the GET that opens the event stream, and checks the answer as
// EventSource does.
func (t *clientSSE) open() (*http.Response, error) {
	req, err := t.request(t.ctx, http.MethodGet, "", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := t.send(t.untimed, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, discardResponse(resp)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("the response is not an event stream: Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return resp, nil
}

func (t *clientSSE) read(dst []byte) ([]byte, error) {
	dst, err := t.events.next(dst)
	if err == io.EOF {
		err = ErrEventStreamEnded
	}
	return dst, err
}

func (t *clientSSE) abort() {
	t.clientHTTP.abort()
	if t.body != nil {
		t.body.Close()
	}
}

// eventReader reads the data of Server-Sent Events as EventSource does
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines end
// with CRLF, LF or CR; the values of an event's data fields are its data,
// joined by LF; an empty line ends the event. Comments and other fields are
// ignored, and so are events with a type other than "message", which an
// EventSource's onmessage does not see, and an event the stream ends in.
type eventReader struct {
	r     io.Reader
	buf   []byte // read from r; buf[off:] is not parsed yet
	off   int
	cr    bool // the last line ended with CR: a LF right after it ends it too
	begun bool // a byte-order mark at the start is behind
}

// eventStreamBOM is the byte-order mark an event stream may start with.
var eventStreamBOM = []byte("\uFEFF")

// next appends the data of the next event to dst. The data may be empty.
func (e *eventReader) next(dst []byte) ([]byte, error) {
	start := len(dst)
	data := false  // the event has a data field
	named := false // the event has a type other than "message"
	for {
		line, err := e.line()
		if err != nil {
			return dst[:start], err
		}
		if len(line) == 0 {
			if data && !named {
				return dst, nil
			}
			dst, data, named = dst[:start], false, false
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "": // a comment
		case "data":
			if data {
				dst = append(dst, '\n')
			}
			dst = append(dst, value...)
			data = true
		case "event":
			named = len(value) > 0 && string(value) != "message"
		}
	}
}

// line returns the next line without its end. It is valid until the next call.
func (e *eventReader) line() ([]byte, error) {
	scanned := 0 // the bytes of buf[off:] known to hold no line end
	for {
		b := e.buf[e.off:]
		switch {
		case len(b) == 0:
		case e.cr:
			e.cr = false
			if b[0] == '\n' {
				e.off++
			}
			continue
		case !e.begun:
			if len(b) < len(eventStreamBOM) && bytes.HasPrefix(eventStreamBOM, b) {
				break // perhaps a byte-order mark: read on
			}
			e.begun = true
			if bytes.HasPrefix(b, eventStreamBOM) {
				e.off += len(eventStreamBOM)
			}
			continue
		default:
			if i := bytes.IndexAny(b[scanned:], "\r\n"); i >= 0 {
				i += scanned
				e.cr = b[i] == '\r'
				e.off += i + 1
				return b[:i], nil
			}
			scanned = len(b)
		}
		if err := e.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more into buf, keeping what is not parsed yet.
func (e *eventReader) fill() error {
	if e.off > 0 {
		n := copy(e.buf, e.buf[e.off:])
		e.buf, e.off = e.buf[:n], 0
	}
	if len(e.buf) == cap(e.buf) {
		e.buf = slices.Grow(e.buf, max(4096, len(e.buf)))
	}
	n, err := e.r.Read(e.buf[len(e.buf):cap(e.buf)])
	e.buf = e.buf[:len(e.buf)+n]
	if n > 0 {
		return nil
	}
	return err
}

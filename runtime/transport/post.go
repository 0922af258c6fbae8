package transport

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// postInput is what Server-Sent Events and Long Polling clients send, by
// POST: each POST hands its body to the handler's goroutine, which reads it
// in Next, and answers once the body has been read.
type postInput struct {
	c      *Conn
	bodies chan *post // unbuffered: a POST waits for the reader
	cur    *post      // the body Next reads; owned by the handler's goroutine
	buf    *[]byte    // what the handler holds
	tail   runeTail   // the start of a UTF-8 sequence the last part of cur cut off
}

// post is one POST's body, lent to the reader.
type post struct {
	r    io.Reader
	left int64      // bytes still to come, when the length is known; else -1
	done chan error // the body was read: nil, or why it could not be
	mu   sync.Mutex // held by the reader while it reads the body
	gone bool       // the POST stopped waiting: the body may no longer be read
}

func newPostInput(c *Conn) postInput { return postInput{c: c, bodies: make(chan *post)} }

// errEnded refuses a POST that arrives after its connection ended.
var errEnded = errors.New("transport: the connection has ended")

// take lends r's body to the reader and waits until it has been read, or the
// connection ended. It returns ErrPostTooLarge for a body over max.
func (in *postInput) take(w http.ResponseWriter, r *http.Request, max int64) error {
	err := in.lend(w, r, max)
	if err != nil {
		// Nothing more is read of a body the connection does not want: a
		// read in progress fails at once, and the TCP connection closes
		// after the answer, which net/http would otherwise drain it for.
		w.Header().Set("Connection", "close")
		http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	return err
}

// lend is take until the POST stops waiting; the body may then be unread.
func (in *postInput) lend(w http.ResponseWriter, r *http.Request, max int64) error {
	c := in.c
	if r.ContentLength > max {
		return ErrPostTooLarge
	}
	if r.ContentLength == 0 {
		return nil
	}
	p := &post{r: http.MaxBytesReader(w, r.Body, max), left: r.ContentLength, done: make(chan error, 1)}
	select {
	case in.bodies <- p:
	case <-c.ctx.Done():
		return errEnded
	case <-r.Context().Done():
		return r.Context().Err()
	}
	var err error
	select {
	case err = <-p.done:
		return err
	case <-c.ctx.Done():
		err = ErrAborted
	case <-r.Context().Done():
		err = r.Context().Err()
	}
	// A read in progress fails at once.
	http.NewResponseController(w).SetReadDeadline(time.Now())
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
	return err
}

func (in *postInput) next() ([]byte, error) {
	c := in.c
	in.release()
	for {
		if in.cur == nil {
			select {
			case p := <-in.bodies:
				in.cur = p
			case <-c.ctx.Done():
				return nil, c.nextErr()
			}
		}
		p := in.cur
		b := getBuf()
		*b = in.tail.take(*b)
		held := len(*b)
		var n int
		var err error
		p.mu.Lock()
		if p.gone {
			err = ErrAborted
		} else {
			n, err = p.r.Read((*b)[held:cap(*b)])
		}
		p.mu.Unlock()
		*b = (*b)[:held+n]
		if n > 0 {
			c.lastRead.Store(time.Now().UnixNano())
			if p.left > 0 {
				// A body whose end has arrived is answered at once, not after
				// the handler has handled it.
				if p.left -= int64(n); p.left == 0 && err == nil {
					err = io.EOF
				}
			}
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			switch {
			case err == io.EOF:
				err = nil
			case errors.As(err, &tooLarge):
				err = ErrPostTooLarge
			}
			in.cur = nil
			p.done <- err
		} else {
			*b = in.tail.cut(*b) // the body goes on
		}
		if len(*b) > 0 {
			in.buf = b
			return *b, nil
		}
		freeBuf(b)
	}
}

func (in *postInput) release() {
	if in.buf != nil {
		freeBuf(in.buf)
		in.buf = nil
	}
}

// input lets post find the POST side of a transport.
func (in *postInput) input() *postInput { return in }

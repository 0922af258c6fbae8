package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// maxErrorResponse caps the body of an error response that is read for its
// text.
const maxErrorResponse = 4 << 10

// clientHTTP is what Server-Sent Events and Long Polling share on the client:
// requests that carry the connection token, the access token and
// DialOptions.Header; sends by POST; and a context that ends with the
// transport.
type clientHTTP struct {
	client       *http.Client // sends and DELETE: DialOptions.HTTPClient
	untimed      *http.Client // the event stream and polls: the same without its Timeout
	url          string       // the hub URL with the connection token
	hubURL       string       // the hub URL without it, for errors and logs
	header       http.Header  // sent with every request
	contentType  string       // of sends
	closeTimeout time.Duration

	ctx    context.Context // ends with abort
	cancel context.CancelFunc

	mu     sync.Mutex
	closer *time.Timer // aborts closeTimeout after closeWrite
}

func (cfg *dialConfig) newClientHTTP(n *negotiated) *clientHTTP {
	t := &clientHTTP{
		client:       cfg.http,
		untimed:      cfg.untimed,
		url:          n.connectURL().String(),
		hubURL:       n.url.Redacted(),
		header:       cfg.header(n.bearer),
		contentType:  "text/plain;charset=UTF-8",
		closeTimeout: cfg.opts.CloseTimeout,
	}
	if cfg.opts.Format == Binary {
		t.contentType = "application/octet-stream"
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// request returns a request of the connection's to its URL, plus query.
func (t *clientHTTP) request(ctx context.Context, method, query string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url+query, r)
	if err != nil {
		return nil, err
	}
	req.Header = t.header.Clone() // the client adds cookies to it
	if body != nil {
		req.Header.Set("Content-Type", t.contentType)
	}
	return req, nil
}

// send sends req with client.
func (t *clientHTTP) send(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if ue, ok := err.(*url.Error); ok {
		ue.URL = t.hubURL // the token stays out of errors, and so of logs
	}
	return resp, err
}

// do sends a request of the connection's with client.
func (t *clientHTTP) do(ctx context.Context, client *http.Client, method, query string, body []byte) (*http.Response, error) {
	req, err := t.request(ctx, method, query, body)
	if err != nil {
		return nil, err
	}
	return t.send(client, req)
}

// write sends p by POST. It returns once the HTTP client is done with p, which
// it may still read after the response came (see http.RoundTripper): the
// caller may reuse the buffer.
func (t *clientHTTP) write(p []byte) error {
	req, err := t.request(t.ctx, http.MethodPost, "", p)
	if err != nil {
		return err
	}
	body := &sentBody{ReadCloser: req.Body, closed: make(chan struct{})}
	req.Body, req.GetBody = body, nil
	resp, err := t.send(t.client, req)
	if err == nil {
		err = discardResponse(resp)
	}
	select {
	case <-body.closed:
	case <-t.ctx.Done(): // aborted: no more writes
	}
	return err
}

// sentBody is the body of a send; it says when the HTTP client closed it.
type sentBody struct {
	io.ReadCloser
	once   sync.Once
	closed chan struct{}
}

func (b *sentBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { close(b.closed) })
	return err
}

// discardResponse reads and closes the body of a response, which is an
// *HTTPError unless its status is 2xx.
func discardResponse(resp *http.Response) error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorResponse))
	if resp.StatusCode/100 != 2 {
		return newHTTPError(resp, body)
	}
	return nil
}

// closeWrite gives the server closeTimeout to end its side.
func (t *clientHTTP) closeWrite() {
	t.mu.Lock()
	if t.closer == nil {
		t.closer = time.AfterFunc(t.closeTimeout, t.cancel)
	}
	t.mu.Unlock()
}

// abort ends every request of the transport.
func (t *clientHTTP) abort() {
	t.cancel()
	t.mu.Lock()
	if t.closer != nil {
		t.closer.Stop()
	}
	t.mu.Unlock()
}

package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// clientPollTimeout bounds a poll, as in the JavaScript client; a poll that
// times out is sent again. Servers answer sooner: ASP.NET Core and hubgen's
// hub after 90 s without data.
const clientPollTimeout = 100 * time.Second

// clientLP receives in the answers to polls and sends by POST. The reader
// polls: a read is a poll, or several when the server answers without data.
type clientLP struct {
	*clientHTTP
	over    atomic.Bool // polling is over: the server ended it, or a poll failed
	deleted atomic.Bool // closeWrite sends, or sent, the DELETE
}

func (cfg *dialConfig) dialLongPolling(ctx context.Context, n *negotiated) (clientTransport, error) {
	t := &clientLP{clientHTTP: cfg.newClientHTTP(n)}
	// The server answers the first poll at once, to say the transport is up.
	stop := context.AfterFunc(ctx, t.cancel)
	resp, cancel, err := t.poll()
	if err == nil {
		err = discardResponse(resp)
		cancel()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("unexpected status %d", resp.StatusCode)
		}
	}
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		t.abort()
		return nil, fmt.Errorf("long polling failed to connect: %w", err)
	}
	return t, nil
}

// poll sends a poll; cancel ends it once its body is read.
func (t *clientLP) poll() (resp *http.Response, cancel context.CancelFunc, err error) {
	ctx, cancel := context.WithTimeout(t.ctx, clientPollTimeout)
	resp, err = t.do(ctx, t.untimed, http.MethodGet, "&_="+strconv.FormatInt(time.Now().UnixMilli(), 10), nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

// read polls until a poll brings data: a 200 with an empty body is a poll the
// server ended for lack of data, 204 ends the connection, and so does 404
// after closeWrite's DELETE (the server has forgotten the connection, as it
// was asked); any other status is an error.
func (t *clientLP) read(dst []byte) ([]byte, error) {
	for {
		resp, cancel, err := t.poll()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && t.ctx.Err() == nil {
				continue // the poll timed out: poll again
			}
			t.over.Store(true)
			return dst, err
		}
		n := len(dst)
		switch resp.StatusCode {
		case http.StatusOK:
			dst, err = appendBody(dst, resp.Body)
			resp.Body.Close()
		case http.StatusNoContent:
			resp.Body.Close()
			err = ErrPollingEnded
		case http.StatusNotFound:
			if err = discardResponse(resp); t.deleted.Load() {
				err = ErrPollingEnded
			}
		default:
			if err = discardResponse(resp); err == nil {
				err = fmt.Errorf("%w %d of a poll", ErrUnexpectedStatus, resp.StatusCode)
			}
		}
		cancel()
		if err != nil {
			t.over.Store(true)
			return dst[:n], err
		}
		if len(dst) > n {
			return dst, nil
		}
	}
}

// closeWrite asks the server to end the connection with a DELETE, as the
// JavaScript client does, unless polling is over already; the server then
// answers the outstanding poll with 204, or a later one with 404, which read
// takes for the end too.
func (t *clientLP) closeWrite() {
	t.clientHTTP.closeWrite()
	if t.over.Load() || t.deleted.Swap(true) {
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.closeTimeout)
	defer cancel()
	// 202, or 404 when the server has ended the connection already: either will do.
	if resp, err := t.do(ctx, t.client, http.MethodDelete, "", nil); err == nil {
		discardResponse(resp)
	}
}

package redishub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/redis/go-redis/v9"
)

// Defaults of Options.
const (
	DefaultChannelPrefix = "hubgen"
	DefaultAckTimeout    = 30 * time.Second
	DefaultInvokeTimeout = 30 * time.Second
)

// Options configure a Lifetime. The zero value of every field means its
// default.
type Options struct {
	// ChannelPrefix starts every channel name. Apps, and hubs, that share one
	// Redis need prefixes of their own, or each would reach the others'
	// clients; "myapp:ChatHub", say. Default "hubgen".
	ChannelPrefix string
	// AckTimeout bounds adding a connection that lives on another server to a
	// group, or removing it, and waiting for Redis to confirm a subscription.
	// Default 30 s, as in ASP.NET Core.
	AckTimeout time.Duration
	// InvokeTimeout bounds a client result from a connection on another
	// server, on top of the caller's context: the result could be lost on the
	// way, as any message over Redis. Negative means no bound but the context.
	// Default 30 s.
	InvokeTimeout time.Duration
	// ServerName names this server in the channels of its acks and client
	// results; it must be unique among the servers. Default: the host name and
	// a random suffix.
	ServerName string
	// Logger receives the Lifetime's logs. Default: slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ChannelPrefix == "" {
		o.ChannelPrefix = DefaultChannelPrefix
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.InvokeTimeout == 0 {
		o.InvokeTimeout = DefaultInvokeTimeout
	}
	if o.ServerName == "" {
		host, _ := os.Hostname()
		var b [8]byte
		rand.Read(b[:])
		o.ServerName = cmpOr(host, "server") + "_" + hex.EncodeToString(b[:])
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Errors the Lifetime returns, besides those that wrap hub.ErrNoConnection.
var (
	// ErrTimeout is wrapped by the error of a group change or client result
	// whose answer did not come in time.
	ErrTimeout = errors.New("redishub: no answer from the connection's server in time")
	// ErrServerGone is wrapped by the error of a client result whose
	// connection lost its last subscriber while the call waited: its server
	// stopped, or lost Redis.
	ErrServerGone = errors.New("redishub: the connection's server is gone")
	// ErrClosed is returned by calls that wait, after Close.
	ErrClosed = errors.New("redishub: the lifetime manager is closed")
)

// Lifetime is a hub.LifetimeManager that reaches the connections of every
// server on the same Redis. It keeps this server's connections, groups and
// users in memory, as hub.MemoryLifetime does, and subscribes to the channels
// they need. Make one per hub and server with New; Close it after the hub's
// Shutdown.
type Lifetime struct {
	rdb    redis.UniversalClient
	opts   Options
	log    *slog.Logger
	names  channels
	protos atomic.Pointer[[]protocol.Protocol]
	set    atomic.Bool // UseProtocols was called

	// This server's connections, by id, group and user. Its hooks take
	// subMu: never call it holding subMu.
	store *hub.Store

	// Subscriptions, under subMu, which is never held while talking to
	// Redis: only the subscriber goroutine uses ps.
	subMu        sync.Mutex
	subs         map[string]*subscription
	dirty        map[string]struct{}        // channels whose refs went from or to 0
	flushes      []chan struct{}            // closed at the next barrier's confirmation
	barriers     map[string][]chan struct{} // barrier → ready channels to close
	doneBarriers []string                   // confirmed barriers, to unsubscribe from
	lost         chan struct{}              // closed while Redis is known not to answer
	down         atomic.Bool                // lost is closed
	wake         chan struct{}
	ps           *redis.PubSub
	barrierN     atomic.Uint64
	own          []chan struct{} // closed when the server's own channels are subscribed
	resubbed     atomic.Bool     // the all channel was confirmed once

	// Answers awaited from other servers.
	waitMu  sync.Mutex
	acks    map[uint64]chan ackMsg
	returns map[string]chan returnMsg
	nextID  atomic.Uint64

	ctx      context.Context // ends at Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // goroutines serving other servers' commands
	loopDone chan struct{}
	subDone  chan struct{}
	closed   sync.Once
}

// subscription is one channel the server is subscribed to, for refs reasons
// (members of a group, connections of a user, ...).
type subscription struct {
	refs  int
	sent  bool          // the subscriber sent its SUBSCRIBE
	ready chan struct{} // closed when Redis confirmed it, or nobody needs it
}

var defaultProtocols = []protocol.Protocol{protocol.JSON, protocol.MessagePack}

// livenessInterval is how often a client result waiting for another server
// checks that the connection's channel still has a subscriber.
var livenessInterval = time.Second

// New returns a Lifetime on client, which it does not close. It subscribes to
// the server's own channels in the background; it never fails or waits, and
// if Redis is unreachable it keeps trying (see the package documentation).
func New(client redis.UniversalClient, opts Options) *Lifetime {
	opts = opts.withDefaults()
	l := &Lifetime{
		rdb:      client,
		opts:     opts,
		log:      opts.Logger,
		names:    newChannels(opts.ChannelPrefix, opts.ServerName),
		subs:     make(map[string]*subscription),
		dirty:    make(map[string]struct{}),
		barriers: make(map[string][]chan struct{}),
		lost:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		acks:     make(map[uint64]chan ackMsg),
		returns:  make(map[string]chan returnMsg),
		loopDone: make(chan struct{}),
		subDone:  make(chan struct{}),
	}
	l.store = hub.NewStore(hub.StoreHooks{
		FirstInGroup: func(g string) { l.acquire(l.names.group + g) },
		LastInGroup:  func(g string) { l.release(l.names.group + g) },
		FirstOfUser:  func(u string) { l.acquire(l.names.user + u) },
		LastOfUser:   func(u string) { l.release(l.names.user + u) },
	})
	l.protos.Store(&defaultProtocols)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.ps = client.Subscribe(l.ctx)
	l.subMu.Lock()
	l.own = l.acquireLocked(l.names.all, l.names.ack, l.names.ret)
	l.subMu.Unlock()
	go l.receive(l.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024)))
	go l.subscriber()
	return l
}

// ServerName returns the name of this server in channel names.
func (l *Lifetime) ServerName() string { return l.opts.ServerName }

// UseProtocols sets the protocols to encode messages in for other servers: the
// hub's. hub.New calls it; without it the Lifetime uses JSON and MessagePack.
func (l *Lifetime) UseProtocols(protocols []protocol.Protocol) {
	var list []protocol.Protocol
	if l.set.Swap(true) {
		list = slices.Clone(*l.protos.Load())
	}
	for _, p := range protocols {
		if !slices.ContainsFunc(list, func(q protocol.Protocol) bool { return q.Name() == p.Name() }) {
			list = append(list, p)
		}
	}
	l.protos.Store(&list)
}

func (l *Lifetime) protocols() []protocol.Protocol { return *l.protos.Load() }

func (l *Lifetime) protocolNamed(name string) protocol.Protocol {
	for _, p := range l.protocols() {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// Close stops receiving from Redis, fails the calls that wait for other
// servers with ErrClosed, and waits for its goroutines. It does not close the
// Redis client. Close it after the hub's Shutdown.
func (l *Lifetime) Close() error {
	var err error
	l.closed.Do(func() {
		l.cancel()
		err = l.ps.Close()
		<-l.loopDone
		<-l.subDone
		l.wg.Wait()
	})
	return err
}

// Len returns the number of this server's connections, of the groups they
// are in, and of their users.
func (l *Lifetime) Len() (conns, groups, users int) { return l.store.Len() }

// channels are the names of the Redis channels of one hub and server.
type channels struct {
	all, ack, ret           string
	conn, group, user       string // prefixes: the id or name follows
	ackOf, retOf, barrierOf string
}

func newChannels(prefix, server string) channels {
	return channels{
		all:       prefix + ":all",
		conn:      prefix + ":connection:",
		group:     prefix + ":group:",
		user:      prefix + ":user:",
		ackOf:     prefix + ":internal:ack:",
		retOf:     prefix + ":internal:return:",
		ack:       prefix + ":internal:ack:" + server,
		ret:       prefix + ":internal:return:" + server,
		barrierOf: prefix + ":internal:barrier:" + server + ":",
	}
}

// ---- subscriptions

// Calls change subs, under subMu, and wake the subscriber goroutine, which
// alone sends SUBSCRIBE and UNSUBSCRIBE, in order. No call waits for Redis
// under a lock: a call that needs a subscription waits for its ready channel
// afterwards, with its own context.

// acquireLocked takes a reference on each channel, and returns the ready
// channels of those that Redis has not confirmed yet. The caller holds subMu.
func (l *Lifetime) acquireLocked(names ...string) (waits []chan struct{}) {
	for _, name := range names {
		s := l.subs[name]
		if s == nil {
			s = &subscription{ready: make(chan struct{})}
			l.subs[name] = s
		}
		if s.refs == 0 {
			l.dirty[name] = struct{}{}
		}
		s.refs++
		if !isClosed(s.ready) {
			waits = append(waits, s.ready)
		}
	}
	l.wakeSubscriber()
	return waits
}

// releaseLocked drops a reference on each channel; the subscriber
// unsubscribes from those left with none. The caller holds subMu.
func (l *Lifetime) releaseLocked(names ...string) {
	for _, name := range names {
		if s := l.subs[name]; s != nil {
			if s.refs--; s.refs == 0 {
				l.dirty[name] = struct{}{}
			}
		}
	}
	l.wakeSubscriber()
}

// acquire and release are acquireLocked and releaseLocked for the store's
// hooks, which run under the store's lock; they take subMu.
func (l *Lifetime) acquire(name string) {
	l.subMu.Lock()
	l.acquireLocked(name)
	l.subMu.Unlock()
}

func (l *Lifetime) release(name string) {
	l.subMu.Lock()
	l.releaseLocked(name)
	l.subMu.Unlock()
}

// pending returns the ready channels of those of the channels that Redis has
// not confirmed yet, and the lost channel, taken together under subMu, for
// await.
func (l *Lifetime) pending(names ...string) (waits []chan struct{}, lost chan struct{}) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	for _, name := range names {
		if s := l.subs[name]; s != nil && !isClosed(s.ready) {
			waits = append(waits, s.ready)
		}
	}
	return waits, l.lost
}

func (l *Lifetime) wakeSubscriber() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// closeOnce closes c unless it is closed; the caller holds subMu. A ready
// channel can wait on two barriers after a failed SUBSCRIBE.
func closeOnce(c chan struct{}) {
	if !isClosed(c) {
		close(c)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// subscriber applies the changes of subs until Close. It coalesces what
// changed since it last looked into at most one UNSUBSCRIBE and one SUBSCRIBE.
// To know when Redis has processed a SUBSCRIBE, it adds to it a barrier
// channel of a unique name: the barrier's confirmation comes once Redis ran
// the whole command; receive closes the ready channels then.
func (l *Lifetime) subscriber() {
	defer close(l.subDone)
	var retry <-chan time.Time
	for {
		select {
		case <-l.wake:
		case <-retry:
		case <-l.ctx.Done():
			return
		}
		retry = nil
		fresh, gone := l.changes()
		if len(gone) > 0 {
			// Without Redis this fails, but go-redis forgets the channels all
			// the same, and will not subscribe to them again when it
			// reconnects.
			if err := l.ps.Unsubscribe(l.ctx, gone...); err != nil {
				l.unreachable(err)
			}
		}
		if len(fresh) > 0 {
			if err := l.ps.Subscribe(l.ctx, fresh...); err != nil {
				l.unreachable(err)
				l.resend(fresh)
				retry = time.After(retryInterval)
			}
		}
	}
}

// retryInterval is how long the subscriber waits before it sends again what
// a failed SUBSCRIBE carried.
var retryInterval = time.Second

// resend queues again the channels of a failed SUBSCRIBE, barrier last:
// go-redis subscribes to them when it reconnects, but not when it reconnected
// while the command failed.
func (l *Lifetime) resend(fresh []string) {
	barrier := fresh[len(fresh)-1]
	l.subMu.Lock()
	defer l.subMu.Unlock()
	l.flushes = append(l.flushes, l.barriers[barrier]...)
	delete(l.barriers, barrier)
	l.doneBarriers = append(l.doneBarriers, barrier)
	for _, name := range fresh[:len(fresh)-1] {
		if s := l.subs[name]; s != nil && s.sent && s.refs > 0 {
			s.sent = false
			l.dirty[name] = struct{}{}
		}
	}
}

// changes returns the channels to subscribe to, barrier last, and those to
// unsubscribe from, and notes the subscriptions as sent.
func (l *Lifetime) changes() (fresh, gone []string) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	ready := l.flushes
	l.flushes = nil
	for name := range l.dirty {
		s := l.subs[name]
		switch {
		case s.refs > 0 && !s.sent:
			s.sent = true
			fresh = append(fresh, name)
			ready = append(ready, s.ready)
		case s.refs == 0:
			if s.sent {
				gone = append(gone, name)
			} else {
				closeOnce(s.ready) // nobody needs it any more
			}
			delete(l.subs, name)
		}
	}
	clear(l.dirty)
	gone = append(gone, l.doneBarriers...)
	l.doneBarriers = nil
	if len(ready) > 0 {
		barrier := fmt.Sprintf("%s%d", l.names.barrierOf, l.barrierN.Add(1))
		l.barriers[barrier] = ready
		fresh = append(fresh, barrier)
	}
	return fresh, gone
}

// confirmed notes that Redis confirmed a subscription.
func (l *Lifetime) confirmed(m *redis.Subscription) {
	if m.Kind != "subscribe" {
		return
	}
	l.subMu.Lock()
	ready, ok := l.barriers[m.Channel]
	if ok {
		delete(l.barriers, m.Channel)
		for _, c := range ready {
			closeOnce(c)
		}
		l.doneBarriers = append(l.doneBarriers, m.Channel)
		l.wakeSubscriber()
	}
	l.subMu.Unlock()
	if m.Channel == l.names.all && l.resubbed.Swap(true) {
		l.log.Info("redishub: subscribed again after reconnecting to Redis", "server", l.opts.ServerName)
	}
}

// unreachable notes that Redis did not answer the subscriber: calls stop
// waiting for confirmations until it answers again.
func (l *Lifetime) unreachable(err error) {
	if l.ctx.Err() != nil {
		return
	}
	l.subMu.Lock()
	was := isClosed(l.lost)
	if !was {
		close(l.lost)
		l.down.Store(true)
	}
	l.subMu.Unlock()
	if !was {
		l.log.Warn("redishub: Redis does not answer: connections and groups of this server work here at once, and on other servers once Redis is back", "error", err)
	}
}

// reachable notes that Redis answered the subscriber again.
func (l *Lifetime) reachable() {
	l.subMu.Lock()
	if isClosed(l.lost) {
		l.lost = make(chan struct{})
		l.down.Store(false)
	}
	l.subMu.Unlock()
}

// errUnreachable is what await returns while Redis is known not to answer.
var errUnreachable = errors.New("redishub: Redis does not answer")

// await waits until the ready channels are closed, for at most ctx and the
// ack timeout. It gives up at once when lost, taken with the ready channels
// under subMu, is closed: Redis does not answer. The ack timeout passing
// means that too.
func (l *Lifetime) await(ctx context.Context, lost <-chan struct{}, waits ...chan struct{}) error {
	var expired <-chan time.Time
	for _, ready := range waits {
		if isClosed(ready) {
			continue
		}
		if expired == nil {
			t := time.NewTimer(l.opts.AckTimeout)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-ready:
		case <-lost:
			return errUnreachable
		case <-ctx.Done():
			return ctx.Err()
		case <-l.ctx.Done():
			return ErrClosed
		case <-expired:
			err := fmt.Errorf("redishub: Redis did not confirm a subscription within %v: %w", l.opts.AckTimeout, ErrTimeout)
			l.unreachable(err)
			return err
		}
	}
	return nil
}

// awaitOwn waits until the server's own channels are subscribed, so that
// answers to what it asks other servers can reach it.
func (l *Lifetime) awaitOwn(ctx context.Context) error {
	l.subMu.Lock()
	lost := l.lost
	l.subMu.Unlock()
	if err := l.await(ctx, lost, l.own...); err != nil {
		return fmt.Errorf("redishub: not subscribed to Redis: %w", err)
	}
	return nil
}

// flush waits until Redis has processed every subscription change made
// before it was called.
func (l *Lifetime) flush(ctx context.Context) error {
	ready := make(chan struct{})
	l.subMu.Lock()
	l.flushes = append(l.flushes, ready)
	lost := l.lost
	l.wakeSubscriber()
	l.subMu.Unlock()
	return l.await(ctx, lost, ready)
}

// ---- connections and groups

// OnConnected registers a connection and subscribes to its channel and its
// user's. It waits for Redis to confirm, so that other servers can reach the
// connection when it returns, for at most ctx and Options.AckTimeout, and not
// at all while Redis is known not to answer: the connection then works on
// this server at once, and on the others once Redis is back. It holds no lock
// while it waits.
func (l *Lifetime) OnConnected(ctx context.Context, c *hub.Conn) error {
	names := []string{l.names.conn + c.ID()}
	l.acquire(names[0])
	l.store.Add(c) // the hook subscribes to the user's channel
	if u := c.UserID(); u != "" {
		names = append(names, l.names.user+u)
	}
	waits, lost := l.pending(names...)
	if err := l.await(ctx, lost, waits...); err != nil && l.ctx.Err() == nil && ctx.Err() == nil {
		l.notSubscribed(err, "redishub: connection not subscribed to Redis: other servers reach it only once Redis is back", "conn", c.ID())
	}
	return nil
}

// notSubscribed logs that a subscription was not confirmed: as a warning,
// unless Redis was already known not to answer, which was logged then.
func (l *Lifetime) notSubscribed(err error, msg string, args ...any) {
	level := slog.LevelWarn
	if errors.Is(err, errUnreachable) {
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, msg, append(args, "error", err)...)
}

// OnDisconnected forgets a connection, its groups and its user. The
// subscriber unsubscribes from the channels nobody on this server needs any
// more; OnDisconnected does not wait for it.
func (l *Lifetime) OnDisconnected(_ context.Context, c *hub.Conn) error {
	if l.store.Remove(c) { // the hooks unsubscribe from its groups and user
		l.release(l.names.conn + c.ID())
	}
	return nil
}

// AddToGroup adds a connection to a group. A connection of this server joins
// at once, and AddToGroup waits for the group's subscription as OnConnected
// does for the connection's; for one on another server, the command goes to
// that server, and AddToGroup waits for its acknowledgement.
func (l *Lifetime) AddToGroup(ctx context.Context, connID, group string) error {
	ok, err := l.addLocal(ctx, connID, group)
	if ok {
		if err != nil && l.ctx.Err() == nil && ctx.Err() == nil {
			l.notSubscribed(err, "redishub: group not subscribed to Redis: members on this server get messages from other servers only once Redis is back", "group", group)
		}
		return nil
	}
	return l.groupRemote(ctx, connID, group, true)
}

// RemoveFromGroup removes a connection from a group, on this server or, as
// AddToGroup, on another. For a connection of this server it does not wait
// for Redis.
func (l *Lifetime) RemoveFromGroup(ctx context.Context, connID, group string) error {
	if l.removeLocal(connID, group) {
		return nil
	}
	return l.groupRemote(ctx, connID, group, false)
}

// addLocal adds a connection of this server to a group and waits until the
// group's channel is subscribed. It reports false when the connection is not
// here.
func (l *Lifetime) addLocal(ctx context.Context, connID, group string) (bool, error) {
	if !l.store.Join(connID, group) { // the hook subscribes to the group's channel
		return false, nil
	}
	waits, lost := l.pending(l.names.group + group)
	return true, l.await(ctx, lost, waits...)
}

// removeLocal removes a connection of this server from a group. It reports
// false when the connection is not here.
func (l *Lifetime) removeLocal(connID, group string) bool {
	return l.store.Leave(connID, group)
}

// noConnection is the error for a connection that no server has.
func noConnection(id string) error {
	return fmt.Errorf("%w: no server has connection '%s'", hub.ErrNoConnection, id)
}

// groupRemote sends a group command to the server of a connection and waits
// for its acknowledgement.
func (l *Lifetime) groupRemote(ctx context.Context, connID, group string, add bool) error {
	what := fmt.Sprintf("adding connection '%s' to group '%s'", connID, group)
	if !add {
		what = fmt.Sprintf("removing connection '%s' from group '%s'", connID, group)
	}
	if err := l.awaitOwn(ctx); err != nil {
		return fmt.Errorf("redishub: %s: %w", what, err)
	}
	id := l.nextID.Add(1)
	ch := make(chan ackMsg, 1)
	l.waitMu.Lock()
	l.acks[id] = ch
	l.waitMu.Unlock()
	defer func() {
		l.waitMu.Lock()
		delete(l.acks, id)
		l.waitMu.Unlock()
	}()
	payload := appendGroup(nil, &groupMsg{ack: id, reply: l.opts.ServerName, add: add, group: group})
	n, err := l.rdb.Publish(ctx, l.names.conn+connID, payload).Result()
	if err != nil {
		return fmt.Errorf("redishub: %s: publishing to Redis: %w", what, err)
	}
	if n == 0 {
		return noConnection(connID)
	}
	t := time.NewTimer(l.opts.AckTimeout)
	defer t.Stop()
	select {
	case a := <-ch:
		switch a.status {
		case statusOK:
			return nil
		case statusNoConnection:
			return noConnection(connID)
		}
		return fmt.Errorf("redishub: %s: %s", what, a.text)
	case <-ctx.Done():
		return ctx.Err()
	case <-l.ctx.Done():
		return ErrClosed
	case <-t.C:
		return fmt.Errorf("redishub: %s: no acknowledgement within %v (its server may have stopped or lost Redis): %w", what, l.opts.AckTimeout, ErrTimeout)
	}
}

// serveGroup carries out a group command from another server and
// acknowledges it.
func (l *Lifetime) serveGroup(connID string, m *groupMsg) {
	defer l.wg.Done()
	a := ackMsg{id: m.ack}
	var ok bool
	if m.add {
		var err error
		if ok, err = l.addLocal(l.ctx, connID, m.group); err != nil {
			l.log.Debug("redishub: group subscription not confirmed", "group", m.group, "error", err)
		}
	} else {
		ok = l.removeLocal(connID, m.group)
	}
	if !ok {
		a.status = statusNoConnection
	}
	l.answer(l.names.ackOf+m.reply, appendAck(nil, &a))
}

// answer publishes an answer to another server, also while closing.
func (l *Lifetime) answer(channel string, payload []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.AckTimeout)
	defer cancel()
	if err := l.rdb.Publish(ctx, channel, payload).Err(); err != nil {
		l.log.Warn("redishub: cannot answer another server", "channel", channel, "error", err)
	}
}

// ---- sends

// encode encodes m in every protocol of the hub.
func (l *Lifetime) encode(m *hub.Message) ([]encoded, error) {
	protos := l.protocols()
	encs := make([]encoded, len(protos))
	for i, p := range protos {
		b, err := m.Encode(p)
		if err != nil {
			return nil, fmt.Errorf("redishub: encoding the message in '%s': %w", p.Name(), err)
		}
		encs[i] = encoded{proto: p.Name(), b: b}
	}
	return encs, nil
}

// publish publishes payload to the channels, in one round trip.
func (l *Lifetime) publish(ctx context.Context, payload []byte, names ...string) error {
	var err error
	switch len(names) {
	case 0:
		return nil
	case 1:
		err = l.rdb.Publish(ctx, names[0], payload).Err()
	default:
		_, err = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, name := range names {
				p.Publish(ctx, name, payload)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("redishub: delivered on this server only: publishing to the other servers failed: %w", err)
	}
	return nil
}

// SendAll delivers m to every connection of every server, except those with
// the given ids.
func (l *Lifetime) SendAll(ctx context.Context, m *hub.Message, except []string) error {
	encs, err := l.encode(m)
	if err != nil {
		return err
	}
	l.delivered(l.store.SendAll(m, except))
	return l.publish(ctx, appendSend(nil, &sendMsg{origin: l.opts.ServerName, except: except, encodings: encs}), l.names.all)
}

// SendConnections delivers m to the connections with the given ids: directly
// to those of this server, through their channels to the others. Unknown ids
// are skipped.
func (l *Lifetime) SendConnections(ctx context.Context, ids []string, m *hub.Message) error {
	missing, err := l.store.SendConnections(ids, m)
	l.delivered(err)
	if len(missing) == 0 {
		return nil
	}
	encs, err := l.encode(m)
	if err != nil {
		return err
	}
	return l.publish(ctx, appendSend(nil, &sendMsg{origin: l.opts.ServerName, encodings: encs}), prefixed(l.names.conn, missing)...)
}

// SendGroups delivers m once to each connection, on any server, in any of the
// groups, except those with the given ids.
func (l *Lifetime) SendGroups(ctx context.Context, groups []string, m *hub.Message, except []string) error {
	groups = unique(groups)
	encs, err := l.encode(m)
	if err != nil {
		return err
	}
	l.delivered(l.store.SendGroups(groups, m, except, nil))
	msg := sendMsg{origin: l.opts.ServerName, except: except, encodings: encs}
	if len(groups) > 1 {
		msg.groups = groups
	}
	return l.publish(ctx, appendSend(nil, &msg), prefixed(l.names.group, groups)...)
}

// SendUsers delivers m to every connection, on any server, of the given users.
func (l *Lifetime) SendUsers(ctx context.Context, users []string, m *hub.Message) error {
	users = unique(users)
	encs, err := l.encode(m)
	if err != nil {
		return err
	}
	l.delivered(l.store.SendUsers(users, m))
	return l.publish(ctx, appendSend(nil, &sendMsg{origin: l.opts.ServerName, encodings: encs}), prefixed(l.names.user, users)...)
}

func unique(list []string) []string {
	for i, s := range list {
		if slices.Contains(list[:i], s) {
			out := slices.Clone(list[:i])
			for _, s := range list[i+1:] {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return list
}

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// delivered logs the error of a delivery to this server's connections: a
// connection's Send fails only for that connection, which the others must not
// see as the send's error.
func (l *Lifetime) delivered(err error) {
	if err != nil {
		l.log.Warn("redishub: cannot deliver a message", "error", err)
	}
}

// ---- client results

// InvokeConnection calls method on a connection and waits for its result,
// which it decodes into result (nil to ignore it). For a connection on another
// server, the arguments are encoded here in each protocol of the hub; that
// server invokes the client and sends back its answer. See the package
// documentation for the timeouts and errors.
func (l *Lifetime) InvokeConnection(ctx context.Context, connID, method string, args []any, result any) error {
	c := l.store.Conn(connID)
	if c != nil {
		return c.Invoke(ctx, method, result, args...)
	}
	if err := l.awaitOwn(ctx); err != nil {
		return fmt.Errorf("redishub: invoking '%s' on connection '%s': %w", method, connID, err)
	}
	encs, err := l.encodeArgs(method, args)
	if err != nil {
		return err
	}
	timeout := l.opts.InvokeTimeout
	if d, ok := ctx.Deadline(); ok && (timeout < 0 || time.Until(d) < timeout) {
		timeout = max(time.Until(d), time.Millisecond)
	}
	inv := invokeMsg{
		id:     fmt.Sprint(l.nextID.Add(1)),
		reply:  l.opts.ServerName,
		method: method,
		args:   encs,
	}
	if timeout > 0 {
		inv.timeoutMS = uint64(max(timeout.Milliseconds(), 1))
	}
	ch := make(chan returnMsg, 1)
	l.waitMu.Lock()
	l.returns[inv.id] = ch
	l.waitMu.Unlock()
	defer func() {
		l.waitMu.Lock()
		delete(l.returns, inv.id)
		l.waitMu.Unlock()
	}()
	channel := l.names.conn + connID
	n, err := l.rdb.Publish(ctx, channel, appendInvoke(nil, &inv)).Result()
	if err != nil {
		return fmt.Errorf("redishub: invoking '%s' on connection '%s': publishing to Redis: %w", method, connID, err)
	}
	if n == 0 {
		return noConnection(connID)
	}
	var expired <-chan time.Time
	if l.opts.InvokeTimeout > 0 {
		t := time.NewTimer(l.opts.InvokeTimeout)
		defer t.Stop()
		expired = t.C
	}
	live := time.NewTicker(livenessInterval)
	defer live.Stop()
	misses := 0
	for {
		select {
		case r := <-ch:
			return l.result(connID, method, r, result)
		case <-ctx.Done():
			return ctx.Err()
		case <-l.ctx.Done():
			return ErrClosed
		case <-expired:
			return fmt.Errorf("redishub: no result from connection '%s' for '%s' within %v (its server may have stopped or lost Redis): %w", connID, method, l.opts.InvokeTimeout, ErrTimeout)
		case <-live.C:
			// A channel without subscribers has lost its server. Two checks
			// in a row, so that a Redis restart, after which the server
			// subscribes again, does not count.
			counts, err := l.rdb.PubSubNumSub(ctx, channel).Result()
			if err != nil || counts[channel] > 0 {
				misses = 0
				continue
			}
			if misses++; misses >= 2 {
				return fmt.Errorf("redishub: invoking '%s' on connection '%s': no server has the connection any more (it left, or its server stopped or lost Redis): %w", method, connID, ErrServerGone)
			}
		}
	}
}

// encodeArgs encodes the arguments of an invocation in every protocol of the
// hub: each protocol encodes a whole Invocation, and parsing it back yields
// the arguments, each as that protocol wrote it.
func (l *Lifetime) encodeArgs(method string, args []any) ([]encoded, error) {
	protos := l.protocols()
	encs := make([]encoded, len(protos))
	for i, p := range protos {
		b, err := p.Append(nil, &protocol.Message{Type: protocol.Invocation, Target: method, Arguments: args})
		if err == nil {
			var m protocol.Message
			if _, err = p.Parse(b, &m); err == nil {
				encs[i] = encoded{proto: p.Name(), args: make([][]byte, len(m.RawArguments))}
				for j, a := range m.RawArguments {
					encs[i].args[j] = a
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("redishub: encoding the arguments of '%s' in '%s': %w", method, p.Name(), err)
		}
	}
	return encs, nil
}

// result turns another server's answer into InvokeConnection's.
func (l *Lifetime) result(connID, method string, r returnMsg, result any) error {
	switch r.status {
	case statusOK:
		if result == nil || r.result == nil {
			return nil
		}
		p := l.protocolNamed(r.proto)
		if p == nil {
			return fmt.Errorf("redishub: the result of '%s' from connection '%s' is in the '%s' protocol, which this hub does not use", method, connID, r.proto)
		}
		if err := p.Decode(r.result, result); err != nil {
			return fmt.Errorf("redishub: decoding the result of '%s' from connection '%s': %w", method, connID, err)
		}
		return nil
	case statusClientError:
		return &hub.Error{Message: r.text}
	case statusNoConnection:
		return noConnection(connID)
	}
	return fmt.Errorf("redishub: invoking '%s' on connection '%s' on another server: %s", method, connID, r.text)
}

// serveInvoke invokes a method on a connection of this server for another
// server and sends back the result.
func (l *Lifetime) serveInvoke(connID string, m *invokeMsg) {
	defer l.wg.Done()
	r := returnMsg{id: m.id}
	c := l.store.Conn(connID)
	if c == nil {
		r.status = statusNoConnection
		l.answer(l.names.retOf+m.reply, appendReturn(nil, &r))
		return
	}
	name := c.Protocol().Name()
	i := slices.IndexFunc(m.args, func(e encoded) bool { return e.proto == name })
	if i < 0 {
		r.status = statusFailed
		r.text = fmt.Sprintf("the calling server does not use the '%s' protocol of the connection", name)
		l.answer(l.names.retOf+m.reply, appendReturn(nil, &r))
		return
	}
	args := make([]any, len(m.args[i].args))
	for j, a := range m.args[i].args {
		args[j] = protocol.Raw(a)
	}
	ctx, cancel := l.ctx, context.CancelFunc(func() {})
	if m.timeoutMS > 0 {
		ctx, cancel = context.WithTimeout(l.ctx, time.Duration(m.timeoutMS)*time.Millisecond)
	}
	var raw protocol.Raw
	err := c.Invoke(ctx, m.method, &raw, args...)
	cancel()
	var he *hub.Error
	switch {
	case err == nil:
		r.proto, r.result = name, raw
	case errors.As(err, &he):
		r.status, r.text = statusClientError, he.Message
	default:
		r.status, r.text = statusFailed, err.Error()
	}
	l.answer(l.names.retOf+m.reply, appendReturn(nil, &r))
}

// ---- receiving

// receive reads what Redis sends the subscriber until Close.
func (l *Lifetime) receive(ch <-chan any) {
	defer close(l.loopDone)
	for msg := range ch {
		if l.down.Load() {
			l.reachable()
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			l.confirmed(m)
		case *redis.Message:
			l.handle(m.Channel, m.Payload)
		}
	}
}

// handle acts on a message from another server.
func (l *Lifetime) handle(channel, payload string) {
	b := []byte(payload)
	switch {
	case channel == l.names.all:
		l.received(b, func(s *sendMsg, m *hub.Message) error { return l.store.SendAll(m, s.except) })
	case channel == l.names.ack:
		a, err := decodeAck(b)
		if err != nil {
			l.log.Warn("redishub: bad ack", "error", err)
			return
		}
		l.waitMu.Lock()
		ch := l.acks[a.id]
		l.waitMu.Unlock()
		if !offer(ch, a) {
			l.log.Debug("redishub: dropped a late or duplicate acknowledgement", "id", a.id)
		}
	case channel == l.names.ret:
		r, err := decodeReturn(b)
		if err != nil {
			l.log.Warn("redishub: bad client result", "error", err)
			return
		}
		l.waitMu.Lock()
		ch := l.returns[r.id]
		l.waitMu.Unlock()
		if !offer(ch, r) {
			l.log.Debug("redishub: dropped a late or duplicate client result", "id", r.id)
		}
	case strings.HasPrefix(channel, l.names.group):
		group := channel[len(l.names.group):]
		l.received(b, func(s *sendMsg, m *hub.Message) error {
			// A connection in several of the groups gets the message on the
			// channel of the first of them.
			var skip []string
			if i := slices.Index(s.groups, group); i > 0 {
				skip = s.groups[:i]
			}
			return l.store.SendGroups([]string{group}, m, s.except, skip)
		})
	case strings.HasPrefix(channel, l.names.user):
		user := channel[len(l.names.user):]
		l.received(b, func(_ *sendMsg, m *hub.Message) error { return l.store.SendUsers([]string{user}, m) })
	case strings.HasPrefix(channel, l.names.conn):
		l.command(channel[len(l.names.conn):], b)
	}
}

// offer hands v to the waiter of a one-slot channel, without blocking: it
// reports false when nobody waits (ch is nil) or the slot is taken, which
// happens only with a duplicate.
func offer[T any](ch chan T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
		return false
	}
}

// received decodes a send from another server and hands it to deliver, which
// sends it to this server's connections that it is for.
func (l *Lifetime) received(b []byte, deliver func(*sendMsg, *hub.Message) error) {
	s, _, _, err := decodeCommand(b)
	if err == nil && s == nil {
		err = errors.New("redishub: a command where a send belongs")
	}
	if err != nil {
		l.log.Warn("redishub: bad message from Redis", "error", err)
		return
	}
	if s.origin == l.opts.ServerName {
		return // delivered here when it was sent
	}
	l.delivered(deliver(s, l.message(s)))
}

// message makes a hub message of another server's encodings.
func (l *Lifetime) message(s *sendMsg) *hub.Message {
	encs := make(map[protocol.Protocol][]byte, len(s.encodings))
	for _, e := range s.encodings {
		if p := l.protocolNamed(e.proto); p != nil {
			encs[p] = e.b
		}
	}
	return hub.NewEncoded(encs)
}

// command acts on what arrives on a connection's channel.
func (l *Lifetime) command(connID string, b []byte) {
	s, g, inv, err := decodeCommand(b)
	switch {
	case err != nil:
		l.log.Warn("redishub: bad message from Redis", "conn", connID, "error", err)
	case s != nil:
		_, err := l.store.SendConnections([]string{connID}, l.message(s))
		l.delivered(err)
	case g != nil:
		l.wg.Add(1)
		go l.serveGroup(connID, g)
	case inv != nil:
		l.wg.Add(1)
		go l.serveInvoke(connID, inv)
	}
}

// Start does nothing. With Stop it lets a Lifetime run as a service of
// runtime/host: add it before the hub's Server, so that it stops after it.
func (l *Lifetime) Start(context.Context) error { return nil }

// Stop is Close.
func (l *Lifetime) Stop(context.Context) error { return l.Close() }

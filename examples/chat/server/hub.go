package main

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hubgen/hubgen/examples/chat"
	"github.com/hubgen/hubgen/runtime/hub"
)

const (
	// historySize is how many of a room's latest messages History streams.
	historySize = 50
	// maxText is the longest text a message may have, in characters.
	maxText = 1000
	// statusTimeout bounds the wait for a member's answer to Status.
	statusTimeout = 5 * time.Second
)

// chatHub is the ChatHub. Each room is a group of the hub, which delivers
// what is said in it; chatHub also keeps, for Who and History, which
// connections are in each room and what was said there.
type chatHub struct {
	// srv reaches the hub's connections; newServer sets it.
	srv *chat.ChatHubServer

	mu    sync.Mutex
	rooms map[string]*room // by name
}

// room is what chatHub knows of one room.
type room struct {
	members map[string]string // connection id → user
	history []chat.Message    // the latest historySize, oldest first
}

// newServer returns the chat hub's server. The hub's methods reach its
// connections through the server, which exists only once the hub does: the
// hub gets it right after.
func newServer(opts hub.Options) *chat.ChatHubServer {
	// Who asks every member of a room for its status, the caller included.
	// Waiting on a client result from one's own caller needs the caller's
	// connection to run more than one invocation at once.
	opts.MaxParallelInvocations = max(opts.MaxParallelInvocations, 4)
	h := &chatHub{rooms: map[string]*room{}}
	h.srv = chat.NewChatHubServer(h, opts)
	return h.srv
}

// Join adds the caller's connection to a room's group, if its token lists
// the room.
func (h *chatHub) Join(ctx context.Context, name string) error {
	conn := hub.ConnFromContext(ctx)
	if !slices.Contains(roomsOf(conn.Identity()), name) {
		return hub.Errorf("%s may not join %q", conn.UserID(), name)
	}
	if err := h.srv.Groups.Add(ctx, conn.ID(), name); err != nil {
		return err
	}
	if err := h.enter(conn, name); err != nil { // the room's members, for Who and History
		return err
	}
	return h.srv.Clients.OthersInGroup(ctx, name).Joined(ctx, name, conn.UserID())
}

// enter makes a connection a member of a room, for Who and History, unless
// it has closed: OnDisconnected, which runs once its context has ended, may
// have taken it out of its rooms already.
func (h *chatHub) enter(conn *hub.Conn, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := conn.Context().Err(); err != nil {
		return err
	}
	r := h.rooms[name]
	if r == nil {
		r = &room{members: map[string]string{}}
		h.rooms[name] = r
	}
	r.members[conn.ID()] = conn.UserID()
	return nil
}

// Leave takes the caller's connection out of a room.
func (h *chatHub) Leave(ctx context.Context, name string) error {
	conn := hub.ConnFromContext(ctx)
	if _, err := h.members(ctx, name); err != nil {
		return err
	}
	return h.leave(ctx, conn, name)
}

// leave takes a connection out of a room and tells the room's members.
func (h *chatHub) leave(ctx context.Context, conn *hub.Conn, name string) error {
	if err := h.srv.Groups.Remove(ctx, conn.ID(), name); err != nil {
		return err
	}
	h.mu.Lock()
	if r := h.rooms[name]; r != nil {
		delete(r.members, conn.ID())
	}
	h.mu.Unlock()
	return h.srv.Clients.Group(name).Left(ctx, name, conn.UserID())
}

// OnDisconnected takes a connection that closed out of its rooms. The hub
// forgets its groups on its own; the members of the rooms hear it left.
func (h *chatHub) OnDisconnected(ctx context.Context, _ error) {
	conn := hub.ConnFromContext(ctx)
	var left []string
	h.mu.Lock()
	for name, r := range h.rooms {
		if _, ok := r.members[conn.ID()]; ok {
			delete(r.members, conn.ID())
			left = append(left, name)
		}
	}
	h.mu.Unlock()
	// The connection's ctx has ended: tell the others with one of its own.
	ctx = context.WithoutCancel(ctx)
	for _, name := range left {
		h.srv.Clients.Group(name).Left(ctx, name, conn.UserID())
	}
}

// Send says text in a room.
func (h *chatHub) Send(ctx context.Context, name, text string) error {
	if _, err := h.members(ctx, name); err != nil {
		return err
	}
	return h.say(ctx, name, text)
}

// say records a message in a room's history and sends it to the room.
func (h *chatHub) say(ctx context.Context, name, text string) error {
	if err := checkText(text); err != nil {
		return err
	}
	m := chat.Message{Room: name, From: hub.ConnFromContext(ctx).UserID(), Text: text, Sent: time.Now().UTC()}
	h.mu.Lock()
	if r := h.rooms[name]; r != nil {
		r.history = append(r.history, m)
		if len(r.history) > historySize {
			r.history = slices.Delete(r.history, 0, len(r.history)-historySize)
		}
	}
	h.mu.Unlock()
	return h.srv.Clients.Group(name).Receive(ctx, m)
}

// Whisper sends text to every connection of a user, and to the sender's, so
// that the sender's other tabs and devices show it too.
func (h *chatHub) Whisper(ctx context.Context, user, text string) error {
	if !userName.MatchString(user) {
		return hub.Errorf("%q is not a user name", user)
	}
	if err := checkText(text); err != nil {
		return err
	}
	from := hub.ConnFromContext(ctx).UserID()
	m := chat.Message{From: from, To: user, Text: text, Sent: time.Now().UTC()}
	return h.srv.Clients.Users(user, from).Receive(ctx, m)
}

// History streams a room's latest messages. Its error, for a caller who is
// not in the room, comes before the stream starts.
func (h *chatHub) History(ctx context.Context, name string) (iter.Seq2[chat.Message, error], error) {
	if _, err := h.members(ctx, name); err != nil {
		return nil, err
	}
	h.mu.Lock()
	history := slices.Clone(h.rooms[name].history)
	h.mu.Unlock()
	return func(yield func(chat.Message, error) bool) {
		for _, m := range history {
			if !yield(m, nil) {
				return // the client stopped the stream
			}
		}
	}, nil
}

// Post says each text the client uploads, as it arrives, until the client
// completes the upload.
func (h *chatHub) Post(ctx context.Context, name string, texts iter.Seq2[string, error]) (int, error) {
	if _, err := h.members(ctx, name); err != nil {
		return 0, err
	}
	n := 0
	for text, err := range texts {
		if err != nil {
			return n, err // the client failed the upload
		}
		if err := h.say(ctx, name, text); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Who asks each member of a room, at once, for its status: a client result.
// A member that does not answer in time, or has no answer to give, is listed
// with "(no answer)".
func (h *chatHub) Who(ctx context.Context, name string) ([]chat.Member, error) {
	members, err := h.members(ctx, name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	who := make([]chat.Member, 0, len(members))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for id, user := range members {
		wg.Go(func() {
			status, err := h.srv.Clients.Client(id).Status(ctx)
			if err != nil {
				status = "(no answer)"
			}
			mu.Lock()
			who = append(who, chat.Member{User: user, Status: status})
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(who, func(a, b chat.Member) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Status, b.Status))
	})
	return who, nil
}

// members returns the members of a room, by connection id, or an error for
// the client if the caller is not one of them.
func (h *chatHub) members(ctx context.Context, name string) (map[string]string, error) {
	id := hub.ConnFromContext(ctx).ID()
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[name]
	if r == nil {
		return nil, hub.Errorf("join %q first", name)
	}
	if _, ok := r.members[id]; !ok {
		return nil, hub.Errorf("join %q first", name)
	}
	return maps.Clone(r.members), nil
}

// checkText refuses an empty or overlong message, with an error for the
// client.
func checkText(text string) error {
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return hub.Errorf("a message needs some text")
	case n > maxText:
		return hub.Errorf("a message has at most %d characters, not %d", maxText, n)
	}
	return nil
}

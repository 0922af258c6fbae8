// Command client is the chat example's console client. It signs in as a
// user, joins a room, says each line typed in it, and prints what the server
// sends: messages, direct messages, who joins and leaves. Lines that start
// with / are commands (/help lists them); the end of input, or Ctrl-C, stops
// it.
//
//	go run ./examples/chat/client -user alice [-url http://localhost:5000] [-room general]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/hubgen/hubgen/examples/chat"
	"github.com/hubgen/hubgen/runtime/client"
)

func main() {
	server := flag.String("url", "http://localhost:5000", "the chat server's URL")
	user := flag.String("user", os.Getenv("USER"), "the user to sign in as")
	room := flag.String("room", "general", "the room to join first")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *server, *user, *room, os.Stdin, os.Stdout); err != nil {
		slog.Error("chat client", "error", err)
		os.Exit(1)
	}
}

// run signs in, joins room and runs the commands read from in until in ends,
// ctx ends or the connection closes for good.
func run(ctx context.Context, server, user, room string, in io.Reader, out io.Writer) error {
	reconnected := make(chan struct{}, 1)
	closed := make(chan error, 1)
	c := &console{out: out, status: "here"}
	conn, err := client.Dial(ctx, server+"/hubs/chat", client.Options{
		// Called for every connection the client opens, reconnects
		// included: a token lasts an hour.
		AccessToken: func(ctx context.Context) (string, error) { return signIn(ctx, server, user) },
		// The server's calls arrive here from the first.
		Handlers:       chat.ChatHandlers(c),
		OnReconnecting: func(err error) { c.printf("! connection lost (%v), reconnecting", err) },
		OnReconnected: func(string) {
			select {
			case reconnected <- struct{}{}:
			default: // the main loop has yet to rejoin after the last one
			}
		},
		OnClosed: func(err error) { closed <- err },
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	c.hub = chat.NewChatHubClient(conn)
	if err := c.join(ctx, room); err != nil {
		return err
	}
	c.printf("signed in as %s; type /help for commands", user)

	lines := make(chan string)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(in)
		for s.Scan() {
			select {
			case lines <- s.Text():
			case <-done:
				return
			}
		}
	}()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil // the end of input
			}
			if err := c.command(ctx, line); err != nil {
				c.printf("! %v", err)
			}
		case <-reconnected:
			// A new connection is in no room: join the current one again.
			if err := c.join(ctx, c.room); err != nil {
				c.printf("! %v", err)
			}
		case err := <-closed:
			return fmt.Errorf("connection closed: %w", err)
		case <-ctx.Done():
			return nil // Ctrl-C
		}
	}
}

// signIn asks the server's /token for a token for user.
func signIn(ctx context.Context, server, user string) (string, error) {
	form := strings.NewReader(url.Values{"user": {user}}.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/token", form)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("signing in as %q: %s: %s", user, resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// help lists the commands.
const help = `/join ROOM      join a room, which becomes the current one
/leave          leave the current room
/msg USER TEXT  send TEXT to USER alone
/history        show the current room's latest messages
/post FILE      say each line of FILE in the current room, as one upload
/who            list who is in the current room, with their status
/status TEXT    set what you answer when the server asks your status
TEXT            say TEXT in the current room`

// console is the user's side of the chat: the Chat the server calls, which
// prints what it is told, and the commands the user types, which call the
// ChatHub.
type console struct {
	hub chat.ChatHub // the generated client, or anything else with its methods

	mu     sync.Mutex
	out    io.Writer
	room   string // the current room
	status string // the answer to Status
}

// printf prints one line; the server's calls and the commands print from
// goroutines of their own.
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format+"\n", args...)
}

// Receive prints a message.
func (c *console) Receive(ctx context.Context, m chat.Message) error {
	if m.Room == "" {
		c.printf("%s → %s: %s", m.From, m.To, m.Text)
	} else {
		c.printf("[%s] %s: %s", m.Room, m.From, m.Text)
	}
	return nil
}

// Joined prints who joined a room.
func (c *console) Joined(ctx context.Context, room, user string) error {
	c.printf("* %s joined %s", user, room)
	return nil
}

// Left prints who left a room.
func (c *console) Left(ctx context.Context, room, user string) error {
	c.printf("* %s left %s", user, room)
	return nil
}

// Status answers the server with the user's status.
func (c *console) Status(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, nil
}

// join joins a room and makes it the current one.
func (c *console) join(ctx context.Context, room string) error {
	if err := c.hub.Join(ctx, room); err != nil {
		return err
	}
	c.mu.Lock()
	c.room = room
	c.mu.Unlock()
	c.printf("joined %s", room)
	return nil
}

// command runs one line the user typed.
func (c *console) command(ctx context.Context, line string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	c.mu.Lock()
	room := c.room
	c.mu.Unlock()
	if !strings.HasPrefix(line, "/") {
		return c.hub.Send(ctx, room, line)
	}
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/join":
		return c.join(ctx, arg)
	case "/leave":
		if err := c.hub.Leave(ctx, room); err != nil {
			return err
		}
		c.printf("left %s", room)
		return nil
	case "/msg":
		user, text, _ := strings.Cut(arg, " ")
		if user == "" {
			return errors.New("usage: /msg USER TEXT")
		}
		return c.hub.Whisper(ctx, user, strings.TrimSpace(text))
	case "/history":
		history, err := c.hub.History(ctx, room)
		if err != nil {
			return err
		}
		for m, err := range history {
			if err != nil {
				return err
			}
			c.printf("%s [%s] %s: %s", m.Sent.Local().Format("15:04"), m.Room, m.From, m.Text)
		}
		return nil
	case "/post":
		f, err := os.Open(arg)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := c.hub.Post(ctx, room, nonBlankLines(f))
		if err != nil {
			return err
		}
		c.printf("posted %d messages from %s", n, arg)
		return nil
	case "/who":
		who, err := c.hub.Who(ctx, room)
		if err != nil {
			return err
		}
		var list []string
		for _, m := range who {
			list = append(list, fmt.Sprintf("%s (%s)", m.User, m.Status))
		}
		c.printf("%s: %s", room, strings.Join(list, ", "))
		return nil
	case "/status":
		c.mu.Lock()
		c.status = arg
		c.mu.Unlock()
		c.printf("status: %s", arg)
		return nil
	case "/help":
		c.printf("%s", help)
		return nil
	}
	return errors.New("no such command: " + name + " (/help lists them)")
}

// nonBlankLines yields the lines of r that are not blank, then the error that
// ended reading, if any: the upload of /post.
func nonBlankLines(r io.Reader) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		s := bufio.NewScanner(r)
		for s.Scan() {
			if strings.TrimSpace(s.Text()) != "" && !yield(s.Text(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield("", err)
		}
	}
}

package host_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

func Example() {
	h := host.New(host.WithShutdownTimeout(5 * time.Second))
	h.Add(host.Worker("greeter", func(ctx context.Context) error {
		fmt.Println("hello")
		h.Shutdown() // usually SIGINT, SIGTERM or the end of Run's context
		<-ctx.Done()
		fmt.Println("goodbye")
		return ctx.Err() // a normal shutdown, not a failure
	}))
	if err := h.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello
	// goodbye
}

// A worker failure stops the host by default, and Run returns it.
func Example_failure() {
	h := host.New()
	h.Add(host.Worker("db", func(ctx context.Context) error {
		return errors.New("connection lost")
	}))
	fmt.Println(h.Run(context.Background()))
	// Output:
	// worker "db": connection lost
}

func ExampleEvery() {
	h := host.New()
	runs := 0
	h.Add(host.Every("heartbeat", 10*time.Millisecond, func(ctx context.Context) error {
		runs++
		fmt.Println("beat", runs)
		if runs == 3 {
			h.Shutdown()
		}
		return nil
	}))
	if err := h.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// beat 1
	// beat 2
	// beat 3
}

func ExampleQueue() {
	mail, err := host.NewQueue("mail", 10, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := host.New()
	h.Add(mail)
	h.Lifetime().OnStarted(func(context.Context) {
		for _, to := range []string{"ada", "grace", "linus"} {
			mail.Enqueue(context.Background(), func(ctx context.Context) error {
				fmt.Println("mailed", to)
				return nil
			})
		}
		h.Shutdown() // the queued mail is still sent
	})
	if err := h.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// mailed ada
	// mailed grace
	// mailed linus
}

// Start and Wait run code beside the services, as .NET's StartAsync and
// WaitForShutdownAsync do for the hosted-services document's MonitorLoop: a
// loop that enqueues a work item for each "w" typed, and ends when the host
// begins to stop.
func ExampleHost_Start() {
	jobs, err := host.NewQueue("jobs", 10, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := host.New()
	h.Add(jobs)
	if err := h.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	keys := make(chan rune)
	go func() { // the console: three keys, then the end of input
		defer close(keys)
		for _, k := range "wxw" {
			keys <- k
		}
	}()
	for n := 1; ; {
		select {
		case <-h.Lifetime().Stopping():
			// The queued items still run: Wait drains the queue.
			if err := h.Wait(); err != nil {
				fmt.Println(err)
			}
			return
		case k, ok := <-keys:
			switch {
			case !ok:
				h.Shutdown() // as Ctrl-C
			case k == 'w':
				id := n
				jobs.Enqueue(context.Background(), func(ctx context.Context) error {
					fmt.Println("work item", id)
					return nil
				})
				n++
			}
		}
	}
	// Output:
	// work item 1
	// work item 2
}

func ExampleLifetime() {
	h := host.New()
	lt := h.Lifetime()
	lt.OnStarted(func(context.Context) { fmt.Println("started") })
	lt.OnStopping(func(context.Context) { fmt.Println("stopping: services still run") })
	lt.OnStopped(func(context.Context) { fmt.Println("stopped: services have stopped") })
	h.Add(host.Worker("w", func(ctx context.Context) error {
		<-host.LifetimeFrom(ctx).Started() // the worker's ctx reaches the Lifetime
		h.Shutdown()
		<-ctx.Done()
		fmt.Println("worker done")
		return ctx.Err()
	}))
	if err := h.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// started
	// stopping: services still run
	// worker done
	// stopped: services have stopped
}

func ExampleScoped() {
	job := host.Scoped(
		func(ctx context.Context) (string, func(), error) {
			fmt.Println("open session")
			return "session", func() { fmt.Println("close session") }, nil
		},
		func(ctx context.Context, session string) error {
			fmt.Println("use", session)
			return nil
		},
	)
	// job is typically the fn of Worker or Every, or a Queue item.
	if err := job(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// open session
	// use session
	// close session
}

func ExampleHTTPServerListener() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, world")
	})}
	srv.RegisterOnShutdown(func() {
		// Close hijacked connections here, such as WebSockets.
	})

	h := host.New()
	h.Add(host.HTTPServerListener(srv, ln))
	go func() {
		defer h.Shutdown()
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get("http://" + ln.Addr().String())
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(string(body))
	}()
	if err := h.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello, world
}

// A hub served over TLS: HTTPServer serves with TLS when TLSConfig is set. The
// certificate and key files would come from the deployment (or use
// golang.org/x/crypto/acme/autocert's GetCertificate instead).
func ExampleHTTPServer_tls() {
	cert, err := tls.LoadX509KeyPair("/etc/hub/cert.pem", "/etc/hub/key.pem")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux() // the hub's Mount goes here
	h := host.New()
	h.Add(host.HTTPServer(&http.Server{
		Addr:      ":443",
		Handler:   mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}))
	if err := h.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

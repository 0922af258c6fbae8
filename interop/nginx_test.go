package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeNginx returns the nginx configuration that README.md gives for running
// hubs behind a reverse proxy: its one ```nginx block.
func readmeNginx(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindAllSubmatch(b, -1)
	if len(m) != 1 {
		t.Fatalf("README.md has %d nginx blocks, want 1", len(m))
	}
	return string(m[0][1])
}

// startNginx runs nginx in front of backend (http://host:port) with the
// README's configuration, its upstream and listen address replaced, and
// returns the proxy's base URL. nginx stops when the test ends.
func startNginx(t *testing.T, backend string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/nginx"); err != nil {
			t.Fatalf("nginx is needed to test the README's reverse proxy configuration (Debian: apt-get install nginx): %v", err)
		}
	}
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	conf := readmeNginx(t)
	for _, r := range []struct{ old, new string }{
		{"server 127.0.0.1:5000;", "server " + u.Host + ";"},
		{"listen 8080;", "listen 127.0.0.1:0;"}, // replaced below, once a port is chosen
	} {
		if !strings.Contains(conf, r.old) {
			t.Fatalf("the README's nginx configuration has no %q:\n%s", r.old, conf)
		}
		conf = strings.Replace(conf, r.old, r.new, 1)
	}
	port := freePort(t)
	conf = strings.Replace(conf, "listen 127.0.0.1:0;", fmt.Sprintf("listen 127.0.0.1:%d;", port), 1)

	dir := t.TempDir()
	full := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s}
`, dir, conf)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-p", dir, "-e", "stderr", "-c", file)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // nginx's fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx's output:\n%s", stderr.String())
		}
	})

	// Ready when it accepts a connection, or failed when it exits first.
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			t.Fatalf("nginx exited before it listened: %v\n%s", err, stderr.String())
		case <-ctx.Done():
			t.Fatalf("nginx did not listen on %s within 10 s\n%s", addr, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

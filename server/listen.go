package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// h2Preface opens every HTTP/2 connection; without TLS, only gRPC clients
// send it (browsers and curl speak HTTP/1.1 unless told otherwise).
var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// Serve serves on ln until Shutdown: connections that open with the HTTP/2
// preface go to the grpc-go server, the rest to hs (with s.Handler), which
// answers HTTP/1.1: Connect and HTTP/JSON, gRPC-Web, metrics, probes and
// admin. hs.Handler is set to s.Handler().
func (s *Server) Serve(ln net.Listener, hs *http.Server) error {
	hs.Handler = s.handler
	grpcL := newChanListener(ln.Addr())
	httpL := newChanListener(ln.Addr())
	s.mu.Lock()
	s.hs, s.listeners = hs, []*chanListener{grpcL, httpL}
	s.mu.Unlock()

	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(grpcL) }()
	go func() { errc <- hs.Serve(httpL) }()
	go func() {
		var backoff time.Duration
		for {
			c, err := ln.Accept()
			if err != nil {
				if s.closing.Load() || errors.Is(err, net.ErrClosed) {
					errc <- err
					return
				}
				// Such as running out of file descriptors: wait and go on,
				// as net/http does, rather than stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger.Warn("accept failed; retrying", "error", err.Error(), "in", backoff.String())
				time.Sleep(backoff)
				continue
			}
			backoff = 0
			go route(c, grpcL, httpL)
		}
	}()
	err := <-errc
	if s.closing.Load() {
		return http.ErrServerClosed
	}
	return err
}

// route reads enough of c to tell gRPC from HTTP/1 and hands it over.
func route(c net.Conn, grpcL, httpL *chanListener) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 4096)
	first, err := br.Peek(1)
	if err != nil {
		c.Close()
		return
	}
	var head []byte
	if first[0] == h2Preface[0] { // only then wait for the whole preface
		head, _ = br.Peek(len(h2Preface))
	}
	c.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: c, r: br}
	if bytes.Equal(head, h2Preface) {
		grpcL.push(pc)
		return
	}
	httpL.push(pc) // HTTP/1 answers or rejects it
}

// Shutdown stops accepting connections, lets requests in flight finish
// until ctx is done, then closes what is left.
func (s *Server) Shutdown(ctx context.Context, root net.Listener) error {
	s.closing.Store(true)
	root.Close()
	s.mu.Lock()
	hs, listeners := s.hs, s.listeners
	s.mu.Unlock()
	for _, l := range listeners {
		l.Close()
	}
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		err = errors.Join(err, ctx.Err())
	}
	return err
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed connections by route.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

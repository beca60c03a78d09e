package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// The RPC stack benchmark: one Rank call whose implementation returns the
// request, so that only the stack is measured, client and server together in
// one process.

// smallRequest is what a client that lets the pipeline fetch candidates
// sends.
func smallRequest() *rankflowv1.Request {
	return &rankflowv1.Request{
		Context: &rankflowv1.Entity{Id: "u1"},
		Options: &rankflowv1.Options{Method: "popular", Limit: 25},
	}
}

type echoGRPC struct {
	rankflowv1.UnimplementedRankingServiceServer
}

func (echoGRPC) Rank(_ context.Context, req *rankflowv1.Request) (*rankflowv1.Request, error) {
	return req, nil
}

type echoConnect struct{}

func (echoConnect) Rank(_ context.Context, req *connect.Request[rankflowv1.Request]) (*connect.Response[rankflowv1.Request], error) {
	return connect.NewResponse(req.Msg), nil
}

type rankCall func(context.Context, *rankflowv1.Request) (*rankflowv1.Request, error)

// rpcStack starts a server and returns a client call to it; the cleanup is
// registered on tb.
type rpcStack struct {
	name  string
	start func(tb testing.TB) rankCall
}

var rpcStacks = []rpcStack{
	{"grpc-go", startGRPCGo},
	{"connect-grpc", func(tb testing.TB) rankCall { return grpcClient(tb, startConnect(tb)) }},
	{"connect-json", func(tb testing.TB) rankCall { return connectJSONClient(tb, startConnect(tb)) }},
	// connect-go clients ask for gzip and the handler compresses every
	// response by default; this is the same stack with compression off.
	{"connect-json-nogzip", func(tb testing.TB) rankCall {
		return connectJSONClient(tb, startConnect(tb), connect.WithAcceptCompression("gzip", nil, nil))
	}},
}

func listen(tb testing.TB) net.Listener {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return lis
}

// startGRPCGo serves with grpc.NewServer and calls with the generated
// grpc-go client.
func startGRPCGo(tb testing.TB) rankCall {
	lis := listen(tb)
	s := grpc.NewServer()
	rankflowv1.RegisterRankingServiceServer(s, echoGRPC{})
	go s.Serve(lis)
	tb.Cleanup(s.Stop)
	return grpcClient(tb, lis.Addr().String())
}

// startConnect serves the connect-go handler with net/http on HTTP/1.1 and
// HTTP/2 cleartext, as `rankflow serve` does, and returns its address.
func startConnect(tb testing.TB) string {
	lis := listen(tb)
	mux := http.NewServeMux()
	mux.Handle(rankflowv1connect.NewRankingServiceHandler(echoConnect{}))
	srv := &http.Server{Handler: mux, Protocols: new(http.Protocols), ReadHeaderTimeout: 10 * time.Second}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go srv.Serve(lis)
	tb.Cleanup(func() { srv.Close() })
	return lis.Addr().String()
}

func grpcClient(tb testing.TB, addr string) rankCall {
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cc.Close() })
	c := rankflowv1.NewRankingServiceClient(cc)
	return func(ctx context.Context, req *rankflowv1.Request) (*rankflowv1.Request, error) {
		return c.Rank(ctx, req)
	}
}

// connectJSONClient calls with connect-go's client, Connect protocol, JSON,
// over HTTP/1.1 with a keep-alive pool big enough for every caller.
func connectJSONClient(tb testing.TB, addr string, opts ...connect.ClientOption) rankCall {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(tr.CloseIdleConnections)
	c := rankflowv1connect.NewRankingServiceClient(&http.Client{Transport: tr}, "http://"+addr,
		append(opts, connect.WithProtoJSON())...)
	return func(ctx context.Context, req *rankflowv1.Request) (*rankflowv1.Request, error) {
		resp, err := c.Rank(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
}

// TestEmptyUnaryStacks proves each stack of BenchmarkEmptyUnary makes a real
// round trip.
func TestEmptyUnaryStacks(t *testing.T) {
	for _, st := range rpcStacks {
		t.Run(st.name, func(t *testing.T) {
			call := st.start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			want := smallRequest()
			got, err := call(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			if got == want || !proto.Equal(got, want) {
				t.Errorf("got %v, want a copy of %v", got, want)
			}
		})
	}
}

// BenchmarkEmptyUnary measures one Rank call through each RPC stack, serially
// and with 16 calls in flight at -cpu 2 (8 per GOMAXPROCS). Besides ns/op and
// B/op (client and server together), it reports cpu_ns/op: user and system
// CPU time of the process per call, which is what a busy machine pays.
func BenchmarkEmptyUnary(b *testing.B) {
	for _, st := range rpcStacks {
		b.Run("stack="+st.name, func(b *testing.B) {
			call := st.start(b)
			ctx := context.Background()
			req := smallRequest()
			b.Run("calls=serial", func(b *testing.B) {
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					if _, err := call(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
			b.Run("calls=parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(8)
				cpu := startCPU()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					req := smallRequest()
					var err error
					for pb.Next() {
						if _, e := call(ctx, req); e != nil {
							err = e
						}
					}
					if err != nil {
						b.Error(err)
					}
				})
				cpu.report(b)
			})
		})
	}
}

// cpuClock is the process's CPU time at the start of a measurement.
type cpuClock struct {
	start time.Duration
	err   error
}

func startCPU() cpuClock {
	d, err := processCPU()
	return cpuClock{d, err}
}

// report adds cpu_ns/op, unless the platform cannot tell CPU time.
func (c cpuClock) report(b *testing.B) {
	end, err := processCPU()
	if err := errors.Join(c.err, err); err != nil || b.N == 0 {
		return
	}
	b.ReportMetric(float64(end-c.start)/float64(b.N), "cpu_ns/op")
}

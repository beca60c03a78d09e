package loadgen

import (
	"context"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"github.com/rankflow/rankflow/api/rankflow/v1/rankflowv1connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Protocol names a client stack and wire protocol.
type Protocol string

const (
	// GRPC is the grpc-go generated client over one HTTP/2 cleartext
	// connection, as client teams use it.
	GRPC Protocol = "grpc"
	// Connect is connect-go's client speaking the Connect protocol with
	// binary protobuf over HTTP/1.1.
	Connect Protocol = "connect"
	// ConnectJSON is connect-go's client speaking the Connect protocol with
	// JSON over HTTP/1.1, as a browser or curl would.
	ConnectJSON Protocol = "connect-json"
)

// Protocols lists the protocols Dial accepts.
var Protocols = []Protocol{GRPC, Connect, ConnectJSON}

// Client is a Caller bound to one server. Close releases its connections.
type Client struct {
	call  CallerFunc
	close func() error
}

// Call makes one Rank call and drops the response.
func (c *Client) Call(ctx context.Context, req *rankflowv1.Request) error { return c.call(ctx, req) }

// Close closes the client's connections.
func (c *Client) Close() error { return c.close() }

// Dial returns a Client for the server at addr (host:port, cleartext) that
// speaks p. Connections are made lazily, on the first call; concurrency
// sizes the HTTP/1.1 connection pool of the Connect protocols.
func Dial(addr string, p Protocol, concurrency int) (*Client, error) {
	switch p {
	case GRPC:
		cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
		rc := rankflowv1.NewRankingServiceClient(cc)
		return &Client{
			call: func(ctx context.Context, req *rankflowv1.Request) error {
				_, err := rc.Rank(ctx, req)
				return err
			},
			close: cc.Close,
		}, nil
	case Connect, ConnectJSON:
		tr := &http.Transport{MaxIdleConnsPerHost: max(concurrency, 1)}
		var opts []connect.ClientOption
		if p == ConnectJSON {
			opts = append(opts, connect.WithProtoJSON())
		}
		rc := rankflowv1connect.NewRankingServiceClient(&http.Client{Transport: tr}, "http://"+addr, opts...)
		return &Client{
			call: func(ctx context.Context, req *rankflowv1.Request) error {
				_, err := rc.Rank(ctx, connect.NewRequest(req))
				return err
			},
			close: func() error { tr.CloseIdleConnections(); return nil },
		}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (want grpc, connect or connect-json)", p)
}

var _ Caller = (*Client)(nil)

package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"connectrpc.com/connect"
	rankflowv1 "github.com/rankflow/rankflow/api/rankflow/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// newGRPC returns the grpc-go server for gRPC clients: the Rank RPC through
// the same serve as the Connect handler, plus health and reflection. It
// costs less than half the CPU per call of serving gRPC through net/http
// (see bench/RESULTS.md, "RPC stack").
func (s *Server) newGRPC() (*grpc.Server, *health.Server) {
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(s.o.MaxRequestBytes),
		grpc.ChainUnaryInterceptor(s.recoverGRPC),
	)
	rankflowv1.RegisterRankingServiceServer(g, grpcService{s: s})
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(HealthService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, h)
	reflection.Register(g)
	return g, h
}

type grpcService struct {
	rankflowv1.UnimplementedRankingServiceServer
	s *Server
}

func (g grpcService) Rank(ctx context.Context, msg *rankflowv1.Request) (*rankflowv1.Request, error) {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-request-id"); len(v) > 0 {
			id = v[0]
		}
	}
	resp, id, err := g.s.serve(ctx, msg, id)
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", id))
	if err != nil {
		return nil, grpcError(err)
	}
	return resp, nil
}

// grpcError turns an error carrying a Connect code into a gRPC status with
// the same code (the two share their numbering) and message.
func grpcError(err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return status.Error(codes.Code(ce.Code()), ce.Message())
	}
	return status.Error(codes.Internal, err.Error())
}

func (s *Server) recoverGRPC(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.logger.ErrorContext(ctx, "rpc panicked", "procedure", info.FullMethod, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp, err = nil, status.Errorf(codes.Internal, "internal error: %v", v)
		}
	}()
	return next(ctx, req)
}

package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// FindTracesMethod is the api_v3 gRPC method used by APIGRPC.
const FindTracesMethod = "/jaeger.api_v3.QueryService/FindTraces"

// grpcBackend streams jaeger.api_v3.QueryService/FindTraces. Jaeger's Go
// stubs are internal to its module and jaeger-idl ships only the .proto,
// so the request is encoded with protowire and the answer (a stream of
// opentelemetry.proto.trace.v1.TracesData) decoded with pdata.
type grpcBackend struct {
	c    *Client
	conn *grpc.ClientConn
}

func newGRPCBackend(c *Client) (*grpcBackend, error) {
	creds := insecure.NewCredentials()
	if c.GRPCTLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	limit := c.maxBytes()
	if limit > 1<<31-1 {
		limit = 1<<31 - 1
	}
	conn, err := grpc.NewClient(c.GRPCAddr,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(int(limit))))
	if err != nil {
		return nil, fmt.Errorf("Jaeger gRPC address %q: %w", c.GRPCAddr, err)
	}
	return &grpcBackend{c: c, conn: conn}, nil
}

func (b *grpcBackend) resolution() time.Duration { return time.Nanosecond }
func (b *grpcBackend) endpoint() string          { return b.c.GRPCAddr + FindTracesMethod }
func (b *grpcBackend) close() error              { return b.conn.Close() }

// rawCodec passes pre-encoded protobuf bytes through gRPC. It is named
// "proto" so the content-type is application/grpc+proto, which Jaeger
// expects.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case []byte:
		return m, nil
	case *[]byte:
		return *m, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*p = append((*p)[:0], data...)
	return nil
}

var streamDesc = grpc.StreamDesc{StreamName: "FindTraces", ServerStreams: true}

func (b *grpcBackend) find(ctx context.Context, q *Query, from, to time.Time, depth int) (*page, error) {
	if b.c.Token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+b.c.Token)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if we stop early
	ep := b.endpoint()
	stream, err := b.conn.NewStream(ctx, &streamDesc, FindTracesMethod, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return nil, b.grpcError(ctx, err)
	}
	req := EncodeFindTracesRequest(q, from, to, depth)
	if err := stream.SendMsg(req); err != nil && err != io.EOF {
		return nil, b.grpcError(ctx, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, b.grpcError(ctx, err)
	}
	pg := newPage()
	var msg []byte
	for {
		err := stream.RecvMsg(&msg)
		if err == io.EOF {
			break
		}
		if err != nil {
			if status.Code(err) == codes.NotFound {
				// Older Jaeger versions answer an empty search with NotFound.
				return newPage(), nil
			}
			return nil, b.grpcError(ctx, err)
		}
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(msg)
		if err != nil {
			return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Err: err, permanent: true,
				Message: fmt.Sprintf("a stream message is not an OTLP TracesData: %v", err)}
		}
		pg.add(td)
	}
	pg.returned = len(pg.order)
	return pg, nil
}

// grpcError classifies a gRPC failure.
func (b *grpcBackend) grpcError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ep := b.endpoint()
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Kind: KindUnreachable, Endpoint: ep, Err: err, Message: err.Error()}
	}
	msg := st.Message()
	e := &Error{Kind: KindServer, Endpoint: ep, Err: err, Message: fmt.Sprintf("%s: %s", st.Code(), msg)}
	switch st.Code() {
	case codes.Unavailable:
		e.Kind = KindUnreachable
		e.Message = msg
		switch {
		case strings.Contains(msg, "connection refused"):
			e.Message = "connection refused"
			e.Hint = fmt.Sprintf("is Jaeger running, and is this its query gRPC port (%d)?", DefaultGRPCPort)
		case strings.Contains(msg, "server preface"), strings.Contains(msg, "http2"), strings.Contains(msg, "frame"):
			e.Kind = KindNotJaeger
			e.permanent = true
			e.Hint = fmt.Sprintf("this does not look like a gRPC server: is it Jaeger's query gRPC port (%d), not the HTTP port?", DefaultGRPCPort)
		case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509"):
			e.permanent = true
			e.Hint = "check --grpc-tls: plaintext and TLS must match the server"
		}
	case codes.Unauthenticated, codes.PermissionDenied:
		e.Kind = KindAuth
		if b.c.Token != "" {
			e.Hint = "the token was not accepted; check --token or SYNCAUDIT_JAEGER_TOKEN"
		} else {
			e.Hint = "this Jaeger needs credentials: pass a bearer token with --token or SYNCAUDIT_JAEGER_TOKEN"
		}
	case codes.Unimplemented:
		e.Kind = KindNotJaeger
		e.permanent = true
		e.Hint = "no jaeger.api_v3.QueryService here: Jaeger before 1.35 has no api_v3, try --api classic with the HTTP URL"
	case codes.ResourceExhausted:
		e.permanent = true
		e.Hint = "an answer exceeded the message size limit"
	case codes.InvalidArgument:
		e.permanent = true
	case codes.Internal:
		if strings.Contains(msg, "search depth") || strings.Contains(msg, "max traces") {
			e.Hint = "Jaeger's in-memory max_traces is smaller than --page-size: lower --page-size"
			e.permanent = true
		}
	case codes.Unknown:
		if strings.Contains(msg, "search depth") || strings.Contains(msg, "max traces") {
			e.Hint = "Jaeger's in-memory max_traces is smaller than --page-size: lower --page-size"
			e.permanent = true
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || st.Code() == codes.DeadlineExceeded {
		e.Kind = KindTimeout
	}
	return e
}

// Field numbers of jaeger.api_v3 messages (jaeger-idl
// proto/api_v3/query_service.proto) and google.protobuf.Timestamp.
const (
	fieldFindTracesQuery = 1 // FindTracesRequest.query

	fieldServiceName   = 1 // TraceQueryParameters.service_name
	fieldOperationName = 2 // .operation_name
	fieldAttributes    = 3 // .attributes map<string,string>
	fieldStartTimeMin  = 4 // .start_time_min Timestamp
	fieldStartTimeMax  = 5 // .start_time_max Timestamp
	fieldSearchDepth   = 8 // .search_depth int32

	fieldMapKey   = 1
	fieldMapValue = 2

	fieldSeconds = 1 // Timestamp.seconds int64
	fieldNanos   = 2 // Timestamp.nanos int32
)

// EncodeFindTracesRequest encodes a jaeger.api_v3.FindTracesRequest for
// q restricted to [from, to] with search_depth depth. Tags go to
// attributes in key order, so the encoding is deterministic.
func EncodeFindTracesRequest(q *Query, from, to time.Time, depth int) []byte {
	var p []byte
	if q.Service != "" {
		p = protowire.AppendTag(p, fieldServiceName, protowire.BytesType)
		p = protowire.AppendString(p, q.Service)
	}
	if q.Operation != "" {
		p = protowire.AppendTag(p, fieldOperationName, protowire.BytesType)
		p = protowire.AppendString(p, q.Operation)
	}
	m := tagMap(q.Tags)
	for _, k := range sortedKeys(m) {
		var e []byte
		e = protowire.AppendTag(e, fieldMapKey, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, fieldMapValue, protowire.BytesType)
		e = protowire.AppendString(e, m[k])
		p = protowire.AppendTag(p, fieldAttributes, protowire.BytesType)
		p = protowire.AppendBytes(p, e)
	}
	p = protowire.AppendTag(p, fieldStartTimeMin, protowire.BytesType)
	p = protowire.AppendBytes(p, timestamp(from))
	p = protowire.AppendTag(p, fieldStartTimeMax, protowire.BytesType)
	p = protowire.AppendBytes(p, timestamp(to))
	if depth != 0 {
		p = protowire.AppendTag(p, fieldSearchDepth, protowire.VarintType)
		p = protowire.AppendVarint(p, uint64(int64(int32(depth))))
	}
	var req []byte
	req = protowire.AppendTag(req, fieldFindTracesQuery, protowire.BytesType)
	req = protowire.AppendBytes(req, p)
	return req
}

// timestamp encodes a google.protobuf.Timestamp (zero fields omitted, as
// proto3 does).
func timestamp(t time.Time) []byte {
	var b []byte
	if s := t.Unix(); s != 0 {
		b = protowire.AppendTag(b, fieldSeconds, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(s))
	}
	if n := t.Nanosecond(); n != 0 {
		b = protowire.AppendTag(b, fieldNanos, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(n))
	}
	return b
}

// A go-control-plane management server for nodevoy's tests (and for trying nodevoy with a real
// control plane by hand). It serves ADS (state of the world and delta) and the per-type
// discovery services over gRPC, and takes snapshots as proto3 JSON over HTTP:
//
//	POST /snapshot?node=<node id>  {"version": "v1", "resources": [{"@type": "...Listener", ...}, ...]}
//	GET  /requests                 every DiscoveryRequest seen, as JSON lines of facts
//
// It prints one JSON line with its ports once it listens. Flags: -grpc-port, -http-port (0: any).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	// The typed configs tests put in resources must be known to decode their JSON.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/bootstrap/internal_listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/echo/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/internal_upstream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// requestFact is what tests check of a request: ACK or NACK, which version, which names.
type requestFact struct {
	Stream        int64    `json:"stream"`
	Delta         bool     `json:"delta"`
	TypeURL       string   `json:"type_url"`
	VersionInfo   string   `json:"version_info"`
	ResponseNonce string   `json:"response_nonce"`
	ResourceNames []string `json:"resource_names"`
	ErrorDetail   string   `json:"error_detail,omitempty"`
	NodeID        string   `json:"node_id,omitempty"`
	UserAgentName string   `json:"user_agent_name,omitempty"`
	// Delta only: what the client said it has, and the names it dropped.
	InitialResourceVersions map[string]string `json:"initial_resource_versions,omitempty"`
	Unsubscribe             []string          `json:"resource_names_unsubscribe,omitempty"`
}

// withCommon adds what both protocols' requests carry: the NACK's reason and the node.
func (f requestFact) withCommon(errorDetail string, node *corev3.Node) requestFact {
	f.ErrorDetail = errorDetail
	f.NodeID = node.GetId()
	f.UserAgentName = node.GetUserAgentName()
	return f
}

type recorder struct {
	mu    sync.Mutex
	facts []requestFact
}

func (r *recorder) add(f requestFact) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.facts = append(r.facts, f)
}

func (r *recorder) all() []requestFact {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]requestFact(nil), r.facts...)
}

func main() {
	grpcPort := flag.Int("grpc-port", 0, "gRPC port (0: any)")
	httpPort := flag.Int("http-port", 0, "HTTP port for snapshots (0: any)")
	flag.Parse()

	ctx := context.Background()
	snapshots := cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)
	seen := &recorder{}
	callbacks := serverv3.CallbackFuncs{
		StreamRequestFunc: func(id int64, req *discoverygrpc.DiscoveryRequest) error {
			fact := requestFact{Stream: id, TypeURL: req.GetTypeUrl(), VersionInfo: req.GetVersionInfo(), ResponseNonce: req.GetResponseNonce(), ResourceNames: req.GetResourceNames()}
			seen.add(fact.withCommon(req.GetErrorDetail().GetMessage(), req.GetNode()))
			return nil
		},
		StreamDeltaRequestFunc: func(id int64, req *discoverygrpc.DeltaDiscoveryRequest) error {
			fact := requestFact{Stream: id, Delta: true, TypeURL: req.GetTypeUrl(), ResponseNonce: req.GetResponseNonce(), ResourceNames: req.GetResourceNamesSubscribe(),
				InitialResourceVersions: req.GetInitialResourceVersions(), Unsubscribe: req.GetResourceNamesUnsubscribe()}
			seen.add(fact.withCommon(req.GetErrorDetail().GetMessage(), req.GetNode()))
			return nil
		},
	}
	server := serverv3.NewServer(ctx, snapshots, callbacks)
	grpcServer := grpc.NewServer()
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(grpcServer, server)
	listenerservice.RegisterListenerDiscoveryServiceServer(grpcServer, server)
	clusterservice.RegisterClusterDiscoveryServiceServer(grpcServer, server)
	endpointservice.RegisterEndpointDiscoveryServiceServer(grpcServer, server)
	routeservice.RegisterRouteDiscoveryServiceServer(grpcServer, server)

	grpcListener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *grpcPort))
	if err != nil {
		log.Fatal(err)
	}
	httpListener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *httpPort))
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /snapshot", func(w http.ResponseWriter, r *http.Request) {
		if err := setSnapshot(ctx, snapshots, r.URL.Query().Get("node"), r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /requests", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(seen.all())
	})

	go func() { log.Fatal(grpcServer.Serve(grpcListener)) }()
	go func() { log.Fatal(http.Serve(httpListener, mux)) }()
	ready, _ := json.Marshal(map[string]int{
		"grpc_port": grpcListener.Addr().(*net.TCPAddr).Port,
		"http_port": httpListener.Addr().(*net.TCPAddr).Port,
	})
	fmt.Fprintln(os.Stdout, string(ready))
	select {}
}

// setSnapshot reads {"version": ..., "resources": [...]} and makes it the node's snapshot.
func setSnapshot(ctx context.Context, snapshots cachev3.SnapshotCache, node string, body io.Reader) error {
	var request struct {
		Version   string            `json:"version"`
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.NewDecoder(body).Decode(&request); err != nil {
		return err
	}
	byType := map[string][]types.Resource{}
	for i, raw := range request.Resources {
		any := &anypb.Any{}
		if err := protojson.Unmarshal(raw, any); err != nil {
			return fmt.Errorf("resources[%d]: %w", i, err)
		}
		message, err := any.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("resources[%d]: %w", i, err)
		}
		byType[any.GetTypeUrl()] = append(byType[any.GetTypeUrl()], message)
	}
	snapshot, err := cachev3.NewSnapshot(request.Version, byType)
	if err != nil {
		return err
	}
	return snapshots.SetSnapshot(ctx, node, snapshot)
}

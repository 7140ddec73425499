//! The HTTPS transport: accepts connections, applies faults, hands each request to
//! the router and writes the answer. Everything tenant-related happens elsewhere.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::Simulator;
use crate::http::{SimRequest, SimResponse};

/// Largest request body accepted; Graph's own limit is 4 MB.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub(crate) async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    simulator: Arc<Simulator>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        // Answers go out at once, as a real front end sends them: without this, Nagle's
        // algorithm holds an answer written after the TLS session tickets until the client
        // acknowledges them, and the client's delayed ACK makes that 40 ms.
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let simulator = simulator.clone();
        let mut connection_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let Ok(tls_stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let simulator = simulator.clone();
                async move { handle(simulator, request).await }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(tls_stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = connection_shutdown.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
}

/// An error that makes hyper close the connection without answering.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedConnection {}

async fn handle(
    simulator: Arc<Simulator>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(DroppedConnection),
    };
    if body.len() > MAX_BODY {
        return Ok(to_hyper(SimResponse::json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": {"code": "RequestEntityTooLarge", "message": "The request body is larger than 4 MB."}}),
        )));
    }
    let request = SimRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };

    let mut hold = false;
    let _answering = (!request.path.starts_with("/_sim/")).then(|| simulator.activity.request());
    if !request.path.starts_with("/_sim/") {
        let decision = simulator
            .faults
            .decide(request.method.as_str(), &request.path);
        if let Some(delay) = decision.delay {
            tokio::time::sleep(delay).await;
        }
        if decision.drop_connection {
            return Err(DroppedConnection);
        }
        hold = decision.hold;
        if let Some((status, retry_after)) = decision.respond {
            return Ok(to_hyper(crate::graph::injected_failure(
                &simulator,
                &request,
                status,
                retry_after,
            )));
        }
    }

    // Handlers are synchronous and may take the tenant lock; keep them off the reactor.
    let routed = simulator.clone();
    let response = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let response = crate::graph::route(&routed, &request);
        // What a benchmark or a puzzled user needs to see where the simulator's time goes.
        tracing::debug!(
            method = %request.method,
            path = %request.path,
            query = request.query.as_deref().unwrap_or_default(),
            status = response.status.as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        );
        response
    })
    .await
        .unwrap_or_else(|_| {
            SimResponse::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": {"code": "Service_InternalServerError", "message": "Encountered an internal server error."}}),
            )
        });
    if hold {
        // The change is made; the caller never hears of it.
        simulator.faults.hold().await;
        return Err(DroppedConnection);
    }
    Ok(to_hyper(response))
}

fn to_hyper(response: SimResponse) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(response.body));
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    out
}

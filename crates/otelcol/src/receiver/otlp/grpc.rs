//! OTLP/gRPC: the three `Export` services on tonic, with `max_recv_msg_size`, gzip and zstd,
//! `max_concurrent_streams`, keepalive pings, TLS and `auth` (checked on the request's metadata).

use std::future::Future;
use std::sync::Arc;

use ingot_otlp::proto::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use ingot_otlp::proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use ingot_otlp::proto::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use ingot_otlp::Data;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::component::{ForwardError, Shared};
use crate::config::server::GrpcServer;
use crate::grpc::logs::logs_service_server::{LogsService, LogsServiceServer};
use crate::grpc::metrics::metrics_service_server::{MetricsService, MetricsServiceServer};
use crate::grpc::trace::trace_service_server::{TraceService, TraceServiceServer};

#[derive(Clone)]
struct Otlp {
    shared: Arc<Shared>,
    auth: Option<crate::auth::Handler>,
}

impl Otlp {
    async fn export(
        &self,
        metadata: &tonic::metadata::MetadataMap,
        data: Data,
    ) -> Result<(), Status> {
        if let Some(auth) = &self.auth {
            let headers = metadata.clone().into_headers();
            auth.check(&headers).map_err(Status::unauthenticated)?;
        }
        match self.shared.forward(data, &self.shared.grpc_counts).await {
            Ok(()) => Ok(()),
            Err(ForwardError::Retry(why)) => Err(Status::unavailable(why)),
            Err(ForwardError::Permanent(why)) => Err(Status::invalid_argument(why)),
        }
    }
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let (metadata, _, body) = request.into_parts();
        Otlp::export(self, &metadata, Data::Traces(body)).await?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let (metadata, _, body) = request.into_parts();
        Otlp::export(self, &metadata, Data::Metrics(body)).await?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let (metadata, _, body) = request.into_parts();
        Otlp::export(self, &metadata, Data::Logs(body)).await?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

/// The server future for a bound listener.
pub fn serve(
    shared: Arc<Shared>,
    config: &GrpcServer,
    listener: std::net::TcpListener,
    stop: CancellationToken,
) -> Result<impl Future<Output = ()> + Send + 'static, String> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let svc = Otlp {
        shared: shared.clone(),
        auth: config.auth.clone(),
    };
    let max = usize::try_from(config.max_recv_msg_size).unwrap_or(usize::MAX);
    let mut builder = tonic::transport::Server::builder()
        .http2_keepalive_interval(config.keepalive_time)
        .http2_keepalive_timeout(config.keepalive_timeout);
    if config.max_concurrent_streams > 0 {
        builder = builder.max_concurrent_streams(Some(config.max_concurrent_streams));
    }
    if let Some(t) = &config.tls {
        let (cert, key) = t
            .setting
            .identity()?
            .ok_or("a server's tls block needs a certificate and key")?;
        let mut tls = tonic::transport::ServerTlsConfig::new()
            .identity(tonic::transport::Identity::from_pem(cert, key));
        if !t.client_ca_file.is_empty() {
            let ca = std::fs::read(&t.client_ca_file).map_err(|e| {
                format!(
                    "failed to load TLS config: reading client_ca_file {}: {e}",
                    t.client_ca_file
                )
            })?;
            tls = tls.client_ca_root(tonic::transport::Certificate::from_pem(ca));
        }
        builder = builder.tls_config(tls).map_err(|e| format!("TLS: {e}"))?;
    }
    let router = builder
        .add_service(
            TraceServiceServer::new(svc.clone())
                .max_decoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        )
        .add_service(
            MetricsServiceServer::new(svc.clone())
                .max_decoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        )
        .add_service(
            LogsServiceServer::new(svc)
                .max_decoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        );
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let id = shared.id.clone();
    Ok(async move {
        if let Err(e) = router
            .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
            .await
        {
            tracing::error!(component = %id, "the gRPC server stopped: {e}");
        }
    })
}

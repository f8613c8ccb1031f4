//! Shared state of the HTTP handlers.

use std::{sync::Arc, time::Duration};

use lienthong_app::App;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::ratelimit::RateLimiter;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Login attempts allowed per client address per minute.
    pub login_per_minute: u32,
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
    /// Public base URL of the portal (used in QR codes and e-mails).
    pub public_url: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            login_per_minute: 20,
            hsts: false,
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

/// State shared by all handlers. Cloned by every extractor of every request, so it is one
/// reference count: cloning the parts one by one made the counters' cache lines bounce
/// between cores.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

/// What [`AppState`] shares.
pub struct SharedState {
    /// Use cases.
    pub app: App,
    /// HTTP settings.
    pub settings: Arc<WebSettings>,
    pub(crate) login_limiter: Arc<RateLimiter>,
    pub(crate) metrics: PrometheusHandle,
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl AppState {
    /// Builds the state; installs the process-wide metrics recorder on first use.
    pub fn new(app: App, settings: WebSettings) -> Self {
        let limiter = RateLimiter::new(settings.login_per_minute, Duration::from_secs(60));
        Self(Arc::new(SharedState {
            app,
            settings: Arc::new(settings),
            login_limiter: Arc::new(limiter),
            metrics: crate::middleware::prometheus(),
        }))
    }
}

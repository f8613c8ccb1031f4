//! `lienthong serve`: start-up, the demo province, graceful shutdown.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use lienthong_app::demo;
use lienthong_web::{AppState, WebSettings};
use tokio::net::TcpListener;

use crate::{
    cli::{open_app, redact_url},
    config::Config,
};

/// Runs the server until SIGTERM or Ctrl-C, then lets in-flight requests finish (within the
/// configured grace period).
pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    if config.demo && !config.listen.ip().is_loopback() && !config.allow_demo_public {
        bail!(
            "chế độ trình diễn chỉ nghe trên địa chỉ nội bộ (loopback); dùng --allow-demo-public nếu thật sự cần / \
             demo mode refuses the non-loopback address {} unless --allow-demo-public is given",
            config.listen
        );
    }
    let app = open_app(&config).await?;
    if config.demo {
        let report = demo::ensure_demo(&app)
            .await
            .map_err(|e| anyhow::anyhow!("demo province: {e}"))?;
        if report.created {
            tracing::info!(
                agencies = report.agencies,
                accounts = report.accounts,
                "demo province created"
            );
        }
    }
    let settings = WebSettings {
        secure_cookies: config.tls,
        hsts: config.tls,
        max_body_bytes: config.max_body_bytes,
        request_timeout: Duration::from_secs(config.request_timeout_seconds),
        login_per_minute: config.login_per_minute,
        public_url: config
            .public_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("http://{}", config.listen)),
    };
    app.pki
        .set_public_url(&settings.public_url)
        .map_err(|e| anyhow::anyhow!("key store: {e}"))?;
    lienthong_app::signatures::authority(&app)
        .await
        .map_err(|e| anyhow::anyhow!("certification authority: {e}"))?;
    let indexed = lienthong_app::catalog::rebuild_index(&app)
        .await
        .map_err(|e| anyhow::anyhow!("search index: {e}"))?;
    tracing::info!(procedures = indexed, "catalog search index built");
    tokio::spawn(lienthong_app::events::run_relay(app.clone()));
    tokio::spawn(lienthong_app::processing::issuer::run_issuer(app.clone()));
    tokio::spawn(lienthong_app::catalog::run_index_sync(app.clone()));
    let mailer = match config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => lienthong_app::notify::Mailer::smtp(url, &config.mail_from)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        None => {
            tracing::warn!("smtp_url is not set: e-mail notifications are logged as undeliverable");
            lienthong_app::notify::Mailer::Disabled
        }
    };
    tokio::spawn(
        lienthong_app::notify::Notifier::new(app.clone(), mailer, &settings.public_url).run(),
    );
    let state = AppState::new(app.clone(), settings);
    let router = lienthong_web::router(state);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    spawn_housekeeping(app.clone());
    announce(&config, addr, started.elapsed());
    let limits = crate::listener::Limits {
        max_connections: config.max_connections,
        max_connections_per_address: config.max_connections_per_address,
        header_timeout: Duration::from_secs(config.header_timeout_seconds),
    };
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let stop = async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
    };
    crate::listener::serve(listener, router, limits, stop, grace).await;
    app.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn announce(config: &Config, addr: SocketAddr, elapsed: Duration) {
    let url = format!("http://{addr}/");
    tracing::info!(url = %url, database = %redact_url(&config.database_url()), startup_ms = elapsed.as_millis() as u64, "lienthong ready");
    if config.demo {
        eprintln!(
            "\nlienthong đang chạy / is running: {url}\n\
             Tài khoản trình diễn / demo logins (mật khẩu / password: {pw}):\n  \
             công dân / citizens: citizen1 … citizen5\n  \
             doanh nghiệp / business: business1\n  \
             cán bộ / officials: <role>@<agency code>, role ∈ reception, specialist, leader, clerk, admin\n    \
             e.g. reception@000.00.20.H13 (Trung tâm Phục vụ hành chính công), leader@000.00.04.H13 (Sở Tư pháp),\n    \
             admin@{province}, auditor@{province}\n",
            pw = demo::DEMO_PASSWORD,
            province = demo::PROVINCE_AGENCY,
        );
    }
}

fn spawn_housekeeping(app: lienthong_app::App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = app.now_us();
            let purged = async {
                let mut tx = app.db.write().await?;
                let n = lienthong_store::sessions::purge_expired(tx.conn(), now).await?;
                tx.commit().await?;
                Ok::<u64, lienthong_store::StoreError>(n)
            };
            match purged.await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions and tokens removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

//! Domain events: written to the outbox inside the use case's transaction, then relayed to
//! in-process subscribers (search index, notifications) by [`run_relay`]. Consumers are
//! idempotent, so an event relayed twice after a crash does no harm.

use std::{sync::Arc, time::Duration};

use lienthong_store::catalog as store;
use tokio::sync::{Notify, broadcast};

use crate::App;

/// An event as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Outbox position.
    pub id: i64,
    /// Topic.
    pub topic: String,
    /// Key of the object concerned.
    pub key: String,
    /// JSON payload.
    pub payload: String,
}

/// Topic of catalog changes; the key is the procedure code.
pub const PROCEDURE_CHANGED: &str = "catalog.procedure.changed";

/// The in-process side of the event flow.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    wake: Arc<Notify>,
    documents: Arc<Notify>,
}

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self {
            sender,
            wake: Arc::new(Notify::new()),
            documents: Arc::new(Notify::new()),
        }
    }
}

impl EventBus {
    /// A new subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Tells the relay that a transaction with events has committed.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Tells the document issuer that a transaction with documents to produce has committed.
    pub fn poke_documents(&self) {
        self.documents.notify_one();
    }

    /// Waits until documents are poked, or `timeout` passes.
    pub async fn documents_waiting(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.documents.notified()).await;
    }
}

/// Relays one batch of pending outbox events; returns how many were relayed.
pub async fn relay_once(app: &App) -> Result<usize, crate::AppError> {
    let events = {
        let mut conn = app.db.read().await?;
        store::pending(&mut conn, 500).await?
    };
    if events.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    for e in events {
        let _ = app.events.sender.send(Event {
            id: e.id,
            topic: e.topic,
            key: e.key,
            payload: e.payload,
        });
    }
    let mut tx = app.db.write().await?;
    store::mark_published(tx.conn(), &ids, app.now_us()).await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Relays outbox events whenever a use case pokes the bus, and at least every second.
pub async fn run_relay(app: App) {
    loop {
        match relay_once(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox relay failed"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), app.events.wake.notified()).await;
    }
}

//! Notifications: turn domain events into e-mails and in-app messages to the applicant,
//! exactly once per event and channel, from templates the province may reword, with a
//! delivery log and retries that back off.

use std::{sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
};
use lienthong_store::{
    dossiers as store_dossiers,
    notifications::{self as store, Notification},
};

pub mod templates;

use crate::{App, AppError, events::Event};

/// Delivery attempts before a notification is left as failed.
pub const MAX_ATTEMPTS: i64 = 5;

/// How e-mail leaves the platform.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP relay.
    Smtp {
        /// The transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Sender.
        from: Mailbox,
    },
    /// No mail server configured: notifications are logged as failed with the reason.
    Disabled,
}

impl Mailer {
    /// A mailer for `smtp://host[:port]` — the platform hands mail to a relay on the local
    /// network (which handles TLS and delivery) — sending as `from`.
    pub fn smtp(url: &str, from: &str) -> Result<Mailer, AppError> {
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            AppError::Internal(format!(
                "smtp_url must look like smtp://host:port, not {url}"
            ))
        })?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| AppError::Internal(format!("smtp_url port: {p}")))?,
            ),
            None => (rest.trim_end_matches('/'), 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| AppError::Internal(format!("mail_from: {e}")))?;
        Ok(Mailer::Smtp { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        match self {
            Mailer::Disabled => Err("no mail server configured (smtp_url)".into()),
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
                let text = body.replace('\n', "\r\n");
                let body = Body::new_with_encoding(text, ContentTransferEncoding::QuotedPrintable)
                    .map_err(|_| "the body cannot be encoded".to_owned())?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|e| e.to_string())?;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Delivers notifications for events.
#[derive(Clone)]
pub struct Notifier {
    app: App,
    mailer: Arc<Mailer>,
    public_url: String,
}

impl Notifier {
    /// A notifier using `mailer`; links point under `public_url`.
    pub fn new(app: App, mailer: Mailer, public_url: &str) -> Self {
        Self {
            app,
            mailer: Arc::new(mailer),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Creates (once) and tries to deliver the notifications an event calls for: an e-mail to
    /// the applicant when the dossier has an address, and an in-app message to the applicant's
    /// account, both from the province's templates.
    pub async fn handle(&self, event: &Event) -> Result<(), AppError> {
        let Some((subject, body)) = templates::template(&self.app, &event.topic).await? else {
            return Ok(());
        };
        let row = {
            let mut conn = self.app.db.read().await?;
            store_dossiers::by_code(&mut conn, &event.key).await?
        };
        let Some(d) = row else { return Ok(()) };
        let procedure = crate::catalog::version_by_id(&self.app, &d.procedure_version_id)
            .await?
            .procedure;
        let (agency, note) = {
            let mut conn = self.app.db.read().await?;
            let agency = lienthong_store::org::agency_by_id(&mut conn, &d.agency_version_id)
                .await?
                .map_or_else(|| d.agency_code.clone(), |a| a.name);
            let note = store_dossiers::history(&mut conn, &d.id)
                .await?
                .into_iter()
                .rev()
                .find_map(|h| h.note)
                .unwrap_or_default();
            (agency, note)
        };
        let status = lienthong_domain::dossier::Status::parse(&d.status)
            .map_or_else(|| d.status.clone(), |s| s.label_vi().to_owned());
        let vars = [
            ("name", d.applicant_name.clone()),
            ("code", d.code.clone()),
            ("procedure", procedure.name.clone()),
            ("status", status),
            (
                "due_date",
                d.due_date
                    .as_deref()
                    .map(crate::processing::vn_date)
                    .unwrap_or_else(|| "chưa xác định".into()),
            ),
            ("note", note),
            ("url", self.public_url.clone()),
            ("agency", agency),
        ];
        let subject = templates::render(&subject, &vars);
        let body = templates::with_footer(&templates::render(&body, &vars));
        let now = self.app.now_us();
        let mut out = Vec::new();
        if let Some(email) = d.applicant_email.clone() {
            out.push(("email", email));
        }
        if let Some(account) = d.applicant_account_id.clone() {
            out.push(("inapp", account));
        }
        for (channel, recipient) in out {
            let n = Notification {
                id: uuid::Uuid::now_v7().to_string(),
                event_id: event.id,
                channel: channel.into(),
                recipient,
                subject: subject.clone(),
                body: body.clone(),
                dossier_code: Some(d.code.clone()),
                status: if channel == "inapp" {
                    "sent"
                } else {
                    "pending"
                }
                .into(),
                attempts: 0,
                last_error: None,
                created_at: now,
                sent_at: (channel == "inapp").then_some(now),
            };
            let inserted = {
                let mut tx = self.app.db.write().await?;
                let inserted = store::insert_once(tx.conn(), &n).await?;
                tx.commit().await?;
                inserted
            };
            if inserted && channel == "email" {
                self.deliver(&n).await?;
            }
        }
        Ok(())
    }

    async fn deliver(&self, n: &Notification) -> Result<(), AppError> {
        let outcome = self.mailer.send(&n.recipient, &n.subject, &n.body).await;
        let mut tx = self.app.db.write().await?;
        match &outcome {
            Ok(()) => {
                store::record_attempt(tx.conn(), &n.id, "sent", None, Some(self.app.now_us()))
                    .await?
            }
            Err(e) => {
                tracing::warn!(error = %lienthong_domain::redact::redact(e), "e-mail delivery failed");
                store::record_attempt(tx.conn(), &n.id, "failed", Some(e), None).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Retries notifications that are still pending or failed.
    pub async fn retry_due(&self) -> Result<usize, AppError> {
        let due = {
            let mut conn = self.app.db.read().await?;
            store::due(&mut conn, MAX_ATTEMPTS, self.app.now_us(), 100).await?
        };
        for n in &due {
            self.deliver(n).await?;
        }
        Ok(due.len())
    }

    /// Runs until the event bus closes: handles events as they come, retries every minute.
    pub async fn run(self) {
        let mut rx = self.app.events.subscribe();
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Ok(e) => {
                        if let Err(err) = self.handle(&e).await {
                            tracing::warn!(error = %err, "notification failed");
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    if let Err(err) = self.retry_due().await {
                        tracing::warn!(error = %err, "notification retry failed");
                    }
                }
            }
        }
    }
}

/// The caller's in-app messages, newest first.
pub async fn inbox(
    app: &App,
    caller: &crate::authz::Caller,
) -> Result<Vec<Notification>, AppError> {
    let p = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut conn = app.db.read().await?;
    Ok(store::inbox(&mut conn, &p.account_id, 50).await?)
}

/// The delivery log: the latest notifications on every channel (administrators, auditors).
pub async fn delivery_log(
    app: &App,
    caller: &crate::authz::Caller,
) -> Result<Vec<Notification>, AppError> {
    crate::authz::authorize(caller, crate::authz::Action::ReadAudit, None)?;
    let mut conn = app.db.read().await?;
    Ok(store::recent(&mut conn, 200).await?)
}

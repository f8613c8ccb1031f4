//! Notifications: turn domain events into e-mails (SMS and in-app later), exactly once per
//! event and channel, with a delivery log and retries.

use std::{sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
};
use lienthong_domain::clock::{business_tz, from_micros};
use lienthong_store::{
    dossiers as store_dossiers,
    notifications::{self as store, Notification},
};

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

    /// Creates (once) and tries to deliver the notifications an event calls for.
    pub async fn handle(&self, event: &Event) -> Result<(), AppError> {
        if event.topic != "dossier.submitted" {
            return Ok(());
        }
        let row = {
            let mut conn = self.app.db.read().await?;
            store_dossiers::by_code(&mut conn, &event.key).await?
        };
        let Some(d) = row else { return Ok(()) };
        let Some(email) = d.applicant_email.clone() else {
            return Ok(());
        };
        let procedure = crate::catalog::version_by_id(&self.app, &d.procedure_version_id)
            .await?
            .procedure;
        let received = from_micros(d.received_at)
            .to_zoned(business_tz())
            .strftime("%H giờ %M, ngày %d/%m/%Y")
            .to_string();
        let subject = format!("[Dịch vụ công] Đã nhận hồ sơ {}", d.code);
        let body = format!(
            "Kính gửi Ông/Bà {name},\n\n\
             Hệ thống đã nhận hồ sơ của Ông/Bà.\n\n\
             Mã hồ sơ: {code}\n\
             Thủ tục: {procedure}\n\
             Thời điểm nộp: {received}\n\
             Tình trạng: Mới đăng ký (chờ tiếp nhận)\n\n\
             Ngày hẹn trả kết quả sẽ được thông báo khi hồ sơ được tiếp nhận.\n\
             Tra cứu hồ sơ: {url}/track?code={code}\n\
             (nhập thêm 4 số cuối số điện thoại đã khai)\n\n\
             Giấy tiếp nhận hồ sơ: {url}/dossiers/{code}\n\n\
             Đây là thư tự động, xin đừng trả lời thư này.\n",
            name = d.applicant_name,
            code = d.code,
            procedure = procedure.name,
            url = self.public_url,
        );
        let n = Notification {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: event.id,
            channel: "email".into(),
            recipient: email,
            subject,
            body,
            dossier_code: Some(d.code.clone()),
            status: "pending".into(),
            attempts: 0,
            last_error: None,
            created_at: self.app.now_us(),
            sent_at: None,
        };
        let inserted = {
            let mut tx = self.app.db.write().await?;
            let inserted = store::insert_once(tx.conn(), &n).await?;
            tx.commit().await?;
            inserted
        };
        if inserted {
            self.deliver(&n).await?;
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
            store::due(&mut conn, MAX_ATTEMPTS, 100).await?
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

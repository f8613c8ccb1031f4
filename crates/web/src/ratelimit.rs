//! A per-key fixed-window rate limiter held in memory (per node; a proxy limits in front of
//! several nodes).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Allows `limit` events per key per window.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    slots: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter of `limit` events per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an event for `key`; `Err(seconds)` to wait when over the limit.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut slots) = self.slots.lock() else {
            return Ok(());
        };
        if slots.len() > 100_000 {
            slots.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let slot = slots.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(slot.0) >= self.window {
            *slot = (now, 0);
        }
        if slot.1 >= self.limit {
            let wait = self.window.saturating_sub(now.duration_since(slot.0));
            return Err(wait.as_secs().max(1));
        }
        slot.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_applies_per_key_and_resets_after_the_window() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_err());
        assert!(l.check("b", t0).is_ok());
        assert!(l.check("a", t0 + Duration::from_secs(61)).is_ok());
    }
}

/// The client address of a request (the peer socket address; `unknown` in in-process tests).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}

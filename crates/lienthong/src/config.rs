//! Configuration: built-in defaults, then a TOML file, then `LIENTHONG_*` environment
//! variables, then command-line flags. A wrong value names where it came from.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// Every setting of a lienthong node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory of the embedded database and the file store.
    pub data_dir: PathBuf,
    /// Database URL; empty means the embedded SQLite database under `data_dir`.
    pub database_url: String,
    /// Create and serve the demo province.
    pub demo: bool,
    /// Let demo mode listen on a non-loopback address.
    pub allow_demo_public: bool,
    /// Log format: `json` or `text`.
    pub log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax).
    pub log_level: String,
    /// Cookies are marked `Secure` and HSTS is sent (set when served over HTTPS).
    pub tls: bool,
    /// Public base URL, e.g. `https://dichvucong.cantho.gov.vn` (default `http://<listen>`).
    pub public_url: Option<String>,
    /// Mail relay, `smtp://host:port`; without it e-mails are logged as undeliverable.
    pub smtp_url: Option<String>,
    /// PKCS#11 library holding the agency seals' keys (e.g. `/usr/lib/softhsm/libsofthsm2.so`);
    /// without it seals are software keys encrypted at rest.
    pub pkcs11_module: Option<String>,
    /// Label of the token in that library.
    pub pkcs11_token: Option<String>,
    /// User PIN of the token (prefer `LIENTHONG_PKCS11_PIN`).
    pub pkcs11_pin: Option<String>,
    /// Passphrase of the software keys (prefer `LIENTHONG_PKI_PASSPHRASE`); default: the file
    /// `pki-passphrase` in the data directory, created on first use.
    pub pki_passphrase: Option<String>,
    /// RFC 3161 timestamp authority for PAdES B-T: `http://…`, or `internal` for the platform's
    /// own (the default with `--demo`); unset: signatures without timestamps (B-B).
    pub tsa_url: Option<String>,
    /// Directory of further trusted root certificates (PEM or DER files), e.g. the
    /// government root CA's successors and public CAs' roots.
    pub trust_dir: Option<std::path::PathBuf>,
    /// Sender of e-mails.
    pub mail_from: String,
    /// Idle lifetime of a browser session, in minutes.
    pub session_idle_minutes: i64,
    /// Lifetime of an API token, in seconds.
    pub token_ttl_seconds: i64,
    /// Failed logins of one username before it is locked.
    pub login_max_failures: i64,
    /// Lockout (and failure window) in minutes.
    pub login_lockout_minutes: i64,
    /// Login attempts per client address per minute.
    pub login_per_minute: u32,
    /// Largest request body, in bytes (uploads have their own limits).
    pub max_body_bytes: usize,
    /// Largest uploaded file, in MiB.
    pub max_file_mb: u64,
    /// Largest total of a dossier's files, in MiB.
    pub max_dossier_mb: u64,
    /// Longest request, in seconds.
    pub request_timeout_seconds: u64,
    /// Time allowed to in-flight requests on shutdown, in seconds.
    pub shutdown_grace_seconds: u64,
    /// Seconds a client has to send its request headers (slow clients are disconnected).
    pub header_timeout_seconds: u64,
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
    /// Connections served at once from one client address (an IPv6 client counts by its /64);
    /// 0 for no limit (behind a reverse proxy every client shares the proxy's address).
    pub max_connections_per_address: usize,
    /// SQLite: concurrent writers share one transaction and one fsync (each is answered only
    /// once the batch is durable).
    pub sqlite_group_commit: bool,
    /// SQLite: short reads by key run on plain connections on the asking thread instead of
    /// through the pool's driver thread.
    pub sqlite_direct_reads: bool,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./lienthong-data"),
            database_url: String::new(),
            demo: false,
            allow_demo_public: false,
            log_format: LogFormat::Json,
            log_level: "info".into(),
            tls: false,
            public_url: None,
            smtp_url: None,
            pkcs11_module: None,
            pkcs11_token: None,
            pkcs11_pin: None,
            pki_passphrase: None,
            tsa_url: None,
            trust_dir: None,
            mail_from: "Dịch vụ công lienthong <no-reply@localhost>".into(),
            session_idle_minutes: 30,
            token_ttl_seconds: 3600,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            login_per_minute: 20,
            max_body_bytes: 1024 * 1024,
            max_file_mb: 20,
            max_dossier_mb: 100,
            request_timeout_seconds: 300,
            shutdown_grace_seconds: 20,
            header_timeout_seconds: 10,
            max_connections: 10_000,
            max_connections_per_address: 1_000,
            sqlite_group_commit: true,
            sqlite_direct_reads: true,
        }
    }
}

impl Config {
    /// Loads defaults, then the TOML file (the given one must exist; `lienthong.toml` in the
    /// working directory is read if present), then `LIENTHONG_*` variables.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(format!(
                        "tệp cấu hình không tồn tại / configuration file not found: {}",
                        path.display()
                    ));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => figment = figment.merge(Toml::file("lienthong.toml")),
        }
        figment = figment.merge(Env::prefixed("LIENTHONG_").ignore(&["config", "test_pg_url"]));
        figment.extract::<Config>().map_err(|e| describe(&e))
    }

    /// The database URL in use: the configured one or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite://{}", self.data_dir.join("lienthong.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

const EXPECTED: &[(&str, &str)] = &[
    ("listen", "an address and port such as 127.0.0.1:8080"),
    ("data_dir", "a directory path"),
    (
        "database_url",
        "sqlite://path/to/file.db or postgres://user@host/db",
    ),
    ("demo", "true or false"),
    ("allow_demo_public", "true or false"),
    ("log_format", "json or text"),
    ("tls", "true or false"),
    (
        "public_url",
        "an absolute URL such as https://dichvucong.example.gov.vn",
    ),
    ("session_idle_minutes", "a whole number of minutes"),
    ("token_ttl_seconds", "a whole number of seconds"),
    ("login_max_failures", "a whole number"),
    ("login_lockout_minutes", "a whole number of minutes"),
    ("login_per_minute", "a whole number"),
    ("max_body_bytes", "a whole number of bytes"),
    ("max_file_mb", "a whole number of MiB"),
    ("max_dossier_mb", "a whole number of MiB"),
    ("request_timeout_seconds", "a whole number of seconds"),
    ("shutdown_grace_seconds", "a whole number of seconds"),
    ("header_timeout_seconds", "a whole number of seconds"),
    ("max_connections", "a whole number of connections"),
    (
        "max_connections_per_address",
        "a whole number of connections",
    ),
    ("sqlite_group_commit", "true or false"),
    ("sqlite_direct_reads", "true or false"),
];

fn describe(e: &figment::Error) -> String {
    e.clone()
        .into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let source = err
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(figment::Source::File(p)) => format!("file {}", p.display()),
                    _ if m.name.contains("environment") => {
                        format!("environment variable LIENTHONG_{}", key.to_uppercase())
                    }
                    _ => m.name.to_string(),
                })
                .unwrap_or_else(|| "configuration".into());
            let expected = EXPECTED
                .iter()
                .find(|(k, _)| *k == key)
                .map_or("", |(_, v)| v);
            format!(
                "giá trị cấu hình sai / invalid setting `{key}` from {source}: {}{}",
                err.kind,
                if expected.is_empty() {
                    String::new()
                } else {
                    format!(" (expected {expected})")
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail fixes the error type"
    )]
    fn layers_apply_in_order_and_errors_name_their_source() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "lt.toml",
                "listen = \"127.0.0.1:9000\"\nlog_format = \"text\"\n",
            )?;
            let c =
                Config::load(Some(std::path::Path::new("lt.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.log_format, LogFormat::Text);
            jail.set_env("LIENTHONG_LISTEN", "127.0.0.1:9100");
            let c =
                Config::load(Some(std::path::Path::new("lt.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9100);
            jail.set_env("LIENTHONG_LISTEN", "nowhere");
            let err = Config::load(Some(std::path::Path::new("lt.toml"))).unwrap_err();
            assert!(err.contains("LIENTHONG_LISTEN"), "{err}");
            assert!(err.contains("127.0.0.1:8080"), "{err}");
            jail.set_env("LIENTHONG_LISTEN", "127.0.0.1:9100");
            jail.create_file("bad.toml", "session_idle_minutes = \"soon\"\n")?;
            let err = Config::load(Some(std::path::Path::new("bad.toml"))).unwrap_err();
            assert!(
                err.contains("bad.toml") && err.contains("session_idle_minutes"),
                "{err}"
            );
            assert!(Config::load(Some(std::path::Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}

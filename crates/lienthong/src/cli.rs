//! Command-line interface.

use std::{io::BufRead, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use lienthong_app::{
    App, AppError, AuthSettings,
    accounts::{self, NewAccount},
    audit::{self, AuditCtx},
    catalog, org, refdata,
};
use lienthong_domain::{
    clock::SystemClock,
    org::Validity,
    role::{AccountKind, Role},
};
use lienthong_store::Db;

use crate::{config::Config, serve, telemetry};

/// lienthong — nền tảng chính quyền điện tử mở / open e-government platform.
#[derive(Debug, Parser)]
#[command(name = "lienthong", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./lienthong.toml if present.
    #[arg(long, global = true, env = "LIENTHONG_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded database and files.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://… or postgres://…).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import reference data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Manage accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Run benchmark workloads and print one JSON line per workload.
    Bench(BenchArgs),
    /// Demo data: generated dossier history.
    #[command(subcommand)]
    Demo(crate::report_cli::DemoCommand),
    /// Report tools: verify the aggregates, print Biểu 06.
    #[command(subcommand)]
    Report(crate::report_cli::ReportCommand),
    /// Online, consistent backup of the database and every stored file into a new directory.
    Backup {
        /// Directory to create (must be empty or absent).
        dir: PathBuf,
    },
    /// Restores a backup into this data directory / database, which must be empty; checks
    /// every file's hash and the audit chain.
    Restore {
        /// Backup directory.
        dir: PathBuf,
    },
    /// Load data for benchmarks: copies an existing dossier `count` times.
    BulkCopies {
        /// Code of the dossier to copy.
        #[arg(long)]
        from: String,
        /// Number of copies.
        #[arg(long)]
        count: i64,
    },
}

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Workload name, or `all`.
    pub workload: String,
    /// Target a running server instead of starting one on a fresh data dir.
    #[arg(long)]
    pub url: Option<String>,
    /// Measured seconds per workload.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Warm-up seconds before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Concurrent connections (closed loop).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Dossiers loaded before the queue workload (generated for the report workload).
    #[arg(long, default_value_t = 1_000_000)]
    pub dossiers: usize,
    /// Reuse a data dir already filled by `demo generate` (report and soak workloads).
    #[arg(long)]
    pub reuse_data_dir: Option<PathBuf>,
    /// Open loop: requests per second at a fixed arrival rate (default: closed loop).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Allow `--url` to name a machine other than this one.
    #[arg(long)]
    pub i_know: bool,
    /// Start the server with SQLite group commit off (one fsync per write transaction).
    #[arg(long)]
    pub no_group_commit: bool,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Create (once) and serve the demo province with demo accounts.
    #[arg(long)]
    pub demo: bool,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Allow demo mode on a non-loopback address.
    #[arg(long)]
    pub allow_demo_public: bool,
}

/// `import` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import administrative units from a CSV file (2025 commune list, pre-2025 flat list, or
    /// province list), or the official lists compiled into the binary with `--official`.
    AdminUnits {
        /// The CSV file.
        #[arg(required_unless_present = "official")]
        csv: Option<PathBuf>,
        /// First day the units are valid (YYYY-MM-DD).
        #[arg(long)]
        valid_from: Option<Date>,
        /// First day the units are no longer valid (YYYY-MM-DD).
        #[arg(long)]
        valid_to: Option<Date>,
        /// A merges.json file linking old units to the new ones.
        #[arg(long)]
        merges: Option<PathBuf>,
        /// Day the merges took effect.
        #[arg(long, default_value = "2025-07-01")]
        effective_on: Date,
        /// Import the official 2025 and pre-2025 lists shipped with lienthong.
        #[arg(long, conflicts_with = "csv")]
        official: bool,
    },
    /// Import procedures from a JSON array or a CSV file (by extension); one transaction.
    Procedures {
        /// The file.
        file: PathBuf,
    },
    /// Import the province's calendar decisions: lines `YYYY-MM-DD,nghi|lam,Tên`.
    Calendar {
        /// The file.
        file: PathBuf,
    },
    /// Import a workflow definition (TOML) under a name procedures refer to.
    Workflow {
        /// Name (lowercase letters, digits, '-' or '_').
        name: String,
        /// The TOML file.
        file: PathBuf,
    },
}

/// Account kinds on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// A citizen (needs --cccd).
    Citizen,
    /// An organisation (needs --tax-code).
    Organisation,
    /// An official (needs --agency and usually --role).
    Official,
}

/// `export` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Export the latest version of every procedure.
    Procedures {
        /// `json` or `csv`.
        #[arg(long, default_value = "json")]
        format: String,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Kind of account.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Password (visible to other local users in the process list; prefer --password-stdin).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// CCCD of a citizen.
        #[arg(long)]
        cccd: Option<String>,
        /// Tax code of an organisation.
        #[arg(long)]
        tax_code: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Agency code of an official.
        #[arg(long)]
        agency: Option<String>,
        /// Role at the agency (repeatable): reception, specialist, leader, clerk, admin, auditor.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain and report the first broken link.
    Verify,
}

/// Loads the configuration with the global flags applied.
fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(d) = &cli.data_dir {
        config.data_dir.clone_from(d);
    }
    if let Some(u) = &cli.database_url {
        config.database_url.clone_from(u);
    }
    Ok(config)
}

/// Opens (creating the data directory if needed) and migrates the database.
pub async fn open_app(config: &Config) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let db = Db::connect_with(&config.database_url(), config.sqlite_group_commit)
        .await
        .context("cannot open the database")?;
    let db = if config.sqlite_direct_reads {
        db
    } else {
        db.without_direct_reads()
    };
    db.migrate().await.context("cannot migrate the database")?;
    let auth = AuthSettings {
        session_idle_secs: config.session_idle_minutes.saturating_mul(60),
        token_ttl_secs: config.token_ttl_seconds,
        max_failures: config.login_max_failures,
        lockout_secs: config.login_lockout_minutes.saturating_mul(60),
    };
    let mut app = App::new(
        db,
        Arc::new(SystemClock),
        auth,
        config.data_dir.join("files"),
    );
    app.uploads = lienthong_app::UploadLimits {
        max_file_bytes: config.max_file_mb.saturating_mul(1024 * 1024),
        max_dossier_bytes: config.max_dossier_mb.saturating_mul(1024 * 1024),
    };
    if let Some(p) = config.pki_passphrase.as_deref().filter(|p| !p.is_empty()) {
        app.pki
            .set_passphrase(p)
            .map_err(|e| anyhow::anyhow!("key store: {e}"))?;
    }
    let tsa = config
        .tsa_url
        .clone()
        .or_else(|| config.demo.then(|| "internal".to_owned()));
    if let Some(url) = tsa {
        app.pki
            .set_timestamp_authority(&url)
            .map_err(|e| anyhow::anyhow!("timestamp authority: {e}"))?;
    }
    if let Some(dir) = &config.trust_dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("trust_dir {}: {e}", dir.display()))?;
        let mut roots = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let bytes = std::fs::read(&path)
                .map_err(|e| anyhow::anyhow!("trust_dir {}: {e}", path.display()))?;
            let found = lienthong_sign::trust::parse_certificates(&bytes);
            if found.is_empty() {
                tracing::warn!(file = %path.display(), "no certificate in this file of trust_dir");
            }
            roots.extend(found);
        }
        tracing::info!(roots = roots.len(), "trusted roots added from trust_dir");
        app.pki
            .add_anchors(roots)
            .map_err(|e| anyhow::anyhow!("key store: {e}"))?;
    }
    if let Some(module) = config.pkcs11_module.as_deref().filter(|m| !m.is_empty()) {
        let token = config.pkcs11_token.as_deref().unwrap_or_default();
        let pin = config.pkcs11_pin.as_deref().unwrap_or_default();
        app.pki
            .use_token(module, token, pin)
            .map_err(|e| anyhow::anyhow!("PKCS#11 token {token} in {module}: {e}"))?;
    }
    lienthong_app::reports::ensure_built(&app)
        .await
        .map_err(|e| anyhow::anyhow!("cannot build the report aggregates: {e}"))?;
    Ok(app)
}

fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {} / {}", f.field, f.vi, f.en))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        AppError::Conflict(what) => anyhow::anyhow!("đã tồn tại / already exists: {what}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    match cli.command {
        Command::Serve(args) => {
            let mut config = config;
            config.demo |= args.demo;
            config.allow_demo_public |= args.allow_demo_public;
            if let Some(l) = args.listen {
                config.listen = l;
            }
            telemetry::init(config.log_format, &config.log_level);
            serve::run(config).await?;
        }
        Command::Migrate => {
            open_app(&config).await?;
            println!(
                "Đã cập nhật cơ sở dữ liệu / database migrated: {}",
                redact_url(&config.database_url())
            );
        }
        Command::Openapi => println!("{}", lienthong_web::openapi_json()),
        Command::BulkCopies { from, count } => {
            let app = open_app(&config).await?;
            let started = std::time::Instant::now();
            let n = lienthong_app::processing::copies::bulk_copies(
                &app,
                &from,
                count.clamp(0, 50_000_000),
                50_000,
            )
            .await
            .context("cannot copy the dossier")?;
            println!(
                "Đã sao chép {n} hồ sơ / copied {n} dossiers in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Bench(args) => {
            let opts = lienthong_bench::Options {
                exe: std::env::current_exe()?,
                url: args.url,
                duration: std::time::Duration::from_secs(args.duration),
                warmup: std::time::Duration::from_secs(args.warmup),
                concurrency: args.concurrency.max(1),
                database_url: cli.database_url.clone(),
                dossiers: args.dossiers,
                data_dir: args.reuse_data_dir,
                rate: args.rate,
                i_know: args.i_know,
                group_commit: !args.no_group_commit,
            };
            lienthong_bench::check_options(&opts)?;
            let names: Vec<&str> = if args.workload == "all" {
                lienthong_bench::WORKLOADS.to_vec()
            } else {
                vec![args.workload.as_str()]
            };
            for name in names {
                let report = lienthong_bench::run_workload(name, &opts).await?;
                println!("{}", serde_json::to_string(&report)?);
            }
        }
        Command::Import(ImportCommand::AdminUnits {
            csv,
            valid_from,
            valid_to,
            merges,
            effective_on,
            official,
        }) => {
            let app = open_app(&config).await?;
            let ctx = AuditCtx::cli();
            if official {
                let s = refdata::ensure_admin_units(&app, &ctx)
                    .await
                    .map_err(explain)?;
                println!(
                    "Đã nhập / imported: {} tỉnh/provinces, {} huyện/districts, {} xã/communes, {} liên kết/successions",
                    s.provinces, s.districts, s.communes, s.successions
                );
            }
            if let Some(path) = csv {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let validity =
                    Validity::new(valid_from, valid_to).map_err(|e| anyhow::anyhow!("{e}"))?;
                let name = path.display().to_string();
                let s = org::import_admin_units(&app, &ctx, &name, &bytes, validity)
                    .await
                    .map_err(explain)?;
                println!(
                    "Đã nhập / imported: {} tỉnh/provinces, {} huyện/districts, {} xã/communes",
                    s.provinces, s.districts, s.communes
                );
            }
            if let Some(path) = merges {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let n = org::import_merges(
                    &app,
                    &ctx,
                    &path.display().to_string(),
                    &bytes,
                    effective_on,
                )
                .await
                .map_err(explain)?;
                println!("Đã nhập / imported: {n} liên kết/successions");
            }
        }
        Command::Import(ImportCommand::Procedures { file }) => {
            let app = open_app(&config).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let procedures = match catalog::Format::from_name(&name) {
                catalog::Format::Csv => catalog::from_csv(&name, &bytes),
                catalog::Format::Json => catalog::from_json(&name, &bytes),
            }
            .map_err(explain)?;
            let s = catalog::import(&app, None, &AuditCtx::cli(), &name, &procedures)
                .await
                .map_err(explain)?;
            println!(
                "Đã nhập / imported: {} mới/new, {} phiên bản mới/new versions, {} không đổi/unchanged",
                s.created, s.versioned, s.unchanged
            );
        }
        Command::Import(ImportCommand::Calendar { file }) => {
            let app = open_app(&config).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let n = lienthong_app::calendar::import_file(&app, &AuditCtx::cli(), &text)
                .await
                .map_err(explain)?;
            println!("Đã lưu {n} ngày / saved {n} days");
        }
        Command::Import(ImportCommand::Workflow { name, file }) => {
            let app = open_app(&config).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let row = lienthong_app::workflows::import(&app, &AuditCtx::cli(), &name, &text)
                .await
                .map_err(explain)?;
            println!(
                "Đã lưu luồng xử lý / workflow saved: {} ({})",
                row.name, row.id
            );
        }
        Command::Export(ExportCommand::Procedures { format, out }) => {
            let app = open_app(&config).await?;
            let procedures = catalog::export(&app).await.map_err(explain)?;
            let bytes = match format.as_str() {
                "json" => catalog::to_json(&procedures),
                "csv" => catalog::to_csv(&procedures),
                other => {
                    bail!("định dạng không hỗ trợ / unsupported format `{other}` (json or csv)")
                }
            }
            .map_err(explain)?;
            match out {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
        Command::Users(UsersCommand::Add {
            username,
            kind,
            name,
            password_stdin,
            password,
            cccd,
            tax_code,
            email,
            phone,
            agency,
            roles,
        }) => {
            let password = match (password, password_stdin) {
                (Some(p), _) => p,
                (None, true) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
                (None, false) => {
                    bail!("cần mật khẩu / a password is required: --password-stdin or --password")
                }
            };
            let roles = roles
                .iter()
                .map(|r| {
                    r.parse::<Role>().map_err(|e| {
                        anyhow::anyhow!("{r}: {}", e.message(lienthong_domain::Lang::Vi))
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let app = open_app(&config).await?;
            let input = NewAccount {
                username,
                kind: Some(match kind {
                    KindArg::Citizen => AccountKind::Citizen,
                    KindArg::Organisation => AccountKind::Organisation,
                    KindArg::Official => AccountKind::Official,
                }),
                full_name: name,
                password,
                cccd,
                tax_code,
                email,
                phone,
                agency_code: agency,
                roles,
            };
            let view = accounts::create(&app, None, &AuditCtx::cli(), &input)
                .await
                .map_err(explain)?;
            println!(
                "Đã tạo tài khoản / account created: {} ({})",
                view.username, view.id
            );
        }
        Command::Backup { dir } => {
            let app = open_app(&config).await?;
            let started = std::time::Instant::now();
            let m = lienthong_app::backup::backup(&app, &config.database_url(), &dir)
                .await
                .map_err(explain)?;
            println!(
                "{}",
                serde_json::json!({"backup": dir, "engine": m.engine, "files": m.files,
                    "database_sha256": m.database_sha256,
                    "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0})
            );
        }
        Command::Restore { dir } => {
            let started = std::time::Instant::now();
            std::fs::create_dir_all(&config.data_dir)?;
            lienthong_app::backup::restore_database(&dir, &config.database_url())
                .await
                .map_err(explain)?;
            let app = open_app(&config).await?;
            let files = lienthong_app::backup::restore_files(&app, &dir)
                .await
                .map_err(explain)?;
            let chain = audit::verify(&app).await.map_err(explain)?;
            println!(
                "{}",
                serde_json::json!({"restored": dir, "files": files, "audit_rows": chain.checked,
                    "audit_intact": chain.broken.is_none(),
                    "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0})
            );
            if chain.broken.is_some() {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Demo(cmd) => {
            let app = open_app(&config).await?;
            return crate::report_cli::demo(&app, cmd).await;
        }
        Command::Report(cmd) => {
            let app = open_app(&config).await?;
            return crate::report_cli::report(&app, cmd).await;
        }
        Command::Audit(AuditCommand::Verify) => {
            let app = open_app(&config).await?;
            let report = audit::verify(&app).await.map_err(explain)?;
            return Ok(match report.broken {
                None => {
                    println!(
                        "Chuỗi nhật ký toàn vẹn / audit chain intact: {} rows",
                        report.checked
                    );
                    ExitCode::SUCCESS
                }
                Some(b) => {
                    println!("CHUỖI NHẬT KÝ BỊ PHÁ VỠ / AUDIT CHAIN BROKEN: {b}");
                    ExitCode::from(2)
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((creds, host)) => match creds.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

//! W6: PAdES signing of a 1 MB PDF, with a software key and with a key on SoftHSM; PDF
//! verification; detached CMS over a 10 MB file; and, as the ceiling, the machine's raw
//! ECDSA P-256 and RSA-2048 signing rates measured in the same run. In-process, on
//! `concurrency` threads (at most one per core).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use lienthong_sign::{
    ca::{self, CertSpec, Profile, Subject},
    cms_build::sign_detached,
    keys::{KeySigner, SoftwareKey},
    pades::{PdfSigner, sign_pdf},
    pkcs11::Token,
    trust::TrustStore,
    verify::{verify_detached, verify_pdf},
};
use x509_cert::Certificate;

use crate::{BenchError, Options, Report, report::percentile};

/// Where Debian installs SoftHSM2.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const BENCH_TOKEN: &str = "lienthong-bench";
const BENCH_PIN: &str = "bench-1234";

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Server(e.to_string())
}

/// A PDF of about `size` bytes: one page and an uncompressed stream of filler.
pub fn pdf_of_size(size: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let filler: Vec<u8> = b"0123456789abcdef"
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect();
    let bodies: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", filler.len()).into_bytes(),
            filler,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// Runs `op` on `threads` threads for `secs`; returns per-operation latencies and elapsed time.
fn measure(
    threads: usize,
    time: Duration,
    op: Arc<dyn Fn() -> bool + Send + Sync>,
) -> (Vec<Duration>, u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (stop, op) = (stop.clone(), op.clone());
            std::thread::spawn(move || {
                let mut samples = Vec::new();
                let mut errors = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if op() {
                        samples.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (samples, errors)
            })
        })
        .collect();
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        if let Ok((s, e)) = h.join() {
            all.extend(s);
            errors += e;
        }
    }
    all.sort();
    (all, errors, started.elapsed().as_secs_f64())
}

/// Cores of this machine.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Figures of one measured operation.
fn figures(
    name: &str,
    threads: usize,
    time: Duration,
    op: Arc<dyn Fn() -> bool + Send + Sync>,
) -> serde_json::Value {
    let (samples, errors, secs) = measure(threads, time, op);
    let rate = samples.len() as f64 / secs.max(f64::EPSILON);
    serde_json::json!({
        "operation": name,
        "per_second": (rate * 10.0).round() / 10.0,
        "per_second_per_core": (rate / cores() as f64 * 10.0).round() / 10.0,
        "threads": threads,
        "p50_ms": (percentile(&samples, 50.0) * 1000.0).round() / 1000.0,
        "p99_ms": (percentile(&samples, 99.0) * 1000.0).round() / 1000.0,
        "operations": samples.len(),
        "errors": errors,
    })
}

struct Pki {
    root: Certificate,
    ca: Certificate,
    ca_key: SoftwareKey,
}

fn spec<'a>(
    profile: Profile,
    subject: &'a Subject,
    key: &dyn KeySigner,
    now: SystemTime,
) -> Result<CertSpec<'a>, BenchError> {
    let year = Duration::from_secs(365 * 86_400);
    Ok(CertSpec {
        profile,
        subject,
        public_key: key.public_key().map_err(err)?,
        not_before: now - year,
        not_after: now + year,
        crl_url: None,
    })
}

fn pki(now: SystemTime) -> Result<Pki, BenchError> {
    let subject = |cn: &str| Subject {
        common_name: cn.into(),
        ..Subject::default()
    };
    let root_key = SoftwareKey::generate_ec();
    let rs = subject("Bench Root");
    let root =
        ca::issue(&spec(Profile::Root, &rs, &root_key, now)?, None, &root_key).map_err(err)?;
    let ca_key = SoftwareKey::generate_ec();
    let cs = subject("Bench Issuing CA");
    let ca = ca::issue(
        &spec(Profile::IssuingCa, &cs, &ca_key, now)?,
        Some(&root),
        &root_key,
    )
    .map_err(err)?;
    Ok(Pki { root, ca, ca_key })
}

fn certify(
    p: &Pki,
    key: &dyn KeySigner,
    cn: &str,
    now: SystemTime,
) -> Result<Certificate, BenchError> {
    let s = Subject {
        common_name: cn.into(),
        ..Subject::default()
    };
    ca::issue(&spec(Profile::Seal, &s, key, now)?, Some(&p.ca), &p.ca_key).map_err(err)
}

/// The token used by the benchmark (created on first use under the SoftHSM configuration).
fn bench_token() -> Result<Arc<Token>, BenchError> {
    match Token::open(SOFTHSM_MODULE, BENCH_TOKEN, BENCH_PIN) {
        Ok(t) => Ok(t),
        Err(_) => {
            Token::initialize_token(SOFTHSM_MODULE, BENCH_TOKEN, "bench-so-1234", BENCH_PIN)
                .map_err(err)?;
            Token::open(SOFTHSM_MODULE, BENCH_TOKEN, BENCH_PIN).map_err(err)
        }
    }
}

/// W6.
pub async fn signing(opts: &Options) -> Result<Report, BenchError> {
    // CPU-bound work: more threads than cores only adds switching.
    let threads = opts.concurrency.clamp(1, cores());
    let time = opts.duration.div_f64(8.0).max(Duration::from_millis(500));
    let handle = tokio::task::spawn_blocking(move || run(threads, time));
    let (lines, main) = handle.await.map_err(err)??;
    let mut report = Report {
        workload: "sign".into(),
        engine: "in-process".into(),
        concurrency: threads,
        duration_s: time.as_secs_f64(),
        ..Report::default()
    };
    let num = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0)
    };
    report.throughput = num(&main, "per_second");
    report.p50_ms = num(&main, "p50_ms");
    report.p99_ms = num(&main, "p99_ms");
    report.requests = main
        .get("operations")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    report.errors = main
        .get("errors")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let ceiling = lines
        .iter()
        .find(|l| l["operation"] == "raw-ecdsa-p256-sign")
        .map_or(0.0, |l| num(l, "per_second"));
    report.ceiling_throughput = ceiling;
    report.ratio = if ceiling > 0.0 {
        report.throughput / ceiling
    } else {
        0.0
    };
    report
        .extra
        .insert("operations".into(), serde_json::Value::Array(lines));
    Ok(report)
}

#[expect(
    clippy::disallowed_methods,
    reason = "certificates must be valid on the wall clock"
)]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

fn run(
    threads: usize,
    time: Duration,
) -> Result<(Vec<serde_json::Value>, serde_json::Value), BenchError> {
    let now = wall_clock();
    let p = Arc::new(pki(now)?);
    let trust = Arc::new(TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    });
    let pdf = Arc::new(pdf_of_size(1 << 20));
    let big = Arc::new(vec![0x5au8; 10 << 20]);
    let soft = Arc::new(SoftwareKey::generate_ec());
    let soft_cert = Arc::new(certify(&p, soft.as_ref(), "Bench software seal", now)?);
    let rsa = Arc::new(SoftwareKey::generate_rsa(2048).map_err(err)?);
    let mut lines = Vec::new();

    let digest = [7u8; 32];
    let k = soft.clone();
    lines.push(figures(
        "raw-ecdsa-p256-sign",
        threads,
        time,
        Arc::new(move || k.sign_sha256(&digest).is_ok()),
    ));
    let k = rsa.clone();
    lines.push(figures(
        "raw-rsa-2048-sign",
        threads,
        time,
        Arc::new(move || k.sign_sha256(&digest).is_ok()),
    ));

    let sign_with =
        |key: Arc<dyn KeySigner>, cert: Arc<Certificate>| -> Arc<dyn Fn() -> bool + Send + Sync> {
            let (p, pdf) = (p.clone(), pdf.clone());
            Arc::new(move || {
                let signer = PdfSigner {
                    key: key.as_ref(),
                    certificate: &cert,
                    chain: std::slice::from_ref(&p.ca),
                    reason: "Bench".into(),
                    location: "Bench".into(),
                    rect: None,
                    page: 0,
                };
                sign_pdf(&pdf, &signer, now, None).is_ok()
            })
        };
    let main = figures(
        "pades-sign-1mb-software",
        threads,
        time,
        sign_with(soft.clone(), soft_cert.clone()),
    );
    lines.push(main.clone());

    match bench_token().and_then(|t| t.ec_key("bench-seal").map_err(err)) {
        Ok(key) => {
            let key: Arc<dyn KeySigner> = Arc::new(key);
            let cert = Arc::new(certify(&p, key.as_ref(), "Bench HSM seal", now)?);
            lines.push(figures(
                "pades-sign-1mb-softhsm",
                threads,
                time,
                sign_with(key, cert),
            ));
        }
        Err(e) => lines.push(
            serde_json::json!({"operation": "pades-sign-1mb-softhsm", "skipped": e.to_string()}),
        ),
    }

    let signer = PdfSigner {
        key: soft.as_ref(),
        certificate: &soft_cert,
        chain: std::slice::from_ref(&p.ca),
        reason: "Bench".into(),
        location: "Bench".into(),
        rect: None,
        page: 0,
    };
    let signed = Arc::new(sign_pdf(&pdf, &signer, now, None).map_err(err)?);
    let (s, t) = (signed.clone(), trust.clone());
    lines.push(figures(
        "pades-verify-1mb",
        threads,
        time,
        Arc::new(move || verify_pdf(&s, &t, now).is_ok_and(|r| r.valid)),
    ));

    let (k, c, pp, b) = (soft.clone(), soft_cert.clone(), p.clone(), big.clone());
    lines.push(figures(
        "cms-sign-10mb",
        threads,
        time,
        Arc::new(move || {
            sign_detached(k.as_ref(), &c, std::slice::from_ref(&pp.ca), &b, now).is_ok()
        }),
    ));
    let p7s = Arc::new(
        sign_detached(
            soft.as_ref(),
            &soft_cert,
            std::slice::from_ref(&p.ca),
            &big,
            now,
        )
        .map_err(err)?,
    );
    let (s, b, t) = (p7s.clone(), big.clone(), trust.clone());
    lines.push(figures(
        "cms-verify-10mb",
        threads,
        time,
        Arc::new(move || verify_detached(Some(&b), &s, &t, now).is_ok_and(|r| r.valid)),
    ));
    Ok((lines, main))
}

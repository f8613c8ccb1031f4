//! What the harness refuses: loading a machine other than this one without `--i-know`, and
//! runs without a bound.

use crate::{BenchError, workloads::Options};

/// Longest measured run, seconds.
pub const MAX_DURATION_SECS: u64 = 3_600;

/// Whether `url` names a loopback host (`127.0.0.0/8`, `::1`, `localhost`).
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses options that would load a machine other than this one or run without bound.
pub fn check_options(opts: &Options) -> Result<(), BenchError> {
    if let Some(url) = &opts.url
        && !opts.i_know
        && !is_loopback_url(url)
    {
        return Err(BenchError::Server(format!(
            "{url} is not a loopback address; pass --i-know to load another machine"
        )));
    }
    if opts.duration.as_secs() > MAX_DURATION_SECS || opts.warmup.as_secs() > MAX_DURATION_SECS {
        return Err(BenchError::Server(format!(
            "runs are bounded: --duration and --warmup at most {MAX_DURATION_SECS} s"
        )));
    }
    if opts
        .rate
        .is_some_and(|r| !(r.is_finite() && r > 0.0 && r <= 1_000_000.0))
    {
        return Err(BenchError::Server(
            "--rate must be between 0 and 1,000,000 per second".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::{path::PathBuf, time::Duration};

    use super::*;

    fn opts(url: Option<&str>) -> Options {
        Options {
            exe: PathBuf::from("lienthong"),
            url: url.map(str::to_owned),
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            concurrency: 4,
            database_url: None,
            dossiers: 0,
            data_dir: None,
            rate: None,
            i_know: false,
            group_commit: true,
        }
    }

    #[test]
    fn only_loopback_targets_are_accepted_without_i_know() {
        for ok in [
            "http://127.0.0.1:8080",
            "127.0.0.2:1/",
            "http://localhost:80",
            "http://[::1]:8080/x",
        ] {
            assert!(is_loopback_url(ok), "{ok}");
            assert!(check_options(&opts(Some(ok))).is_ok());
        }
        for far in [
            "http://10.0.0.5:8080",
            "http://example.vn",
            "http://[2001:db8::1]:80",
            "http://127.0.0.1.evil.vn",
        ] {
            assert!(!is_loopback_url(far), "{far}");
            assert!(check_options(&opts(Some(far))).is_err());
            let mut o = opts(Some(far));
            o.i_know = true;
            assert!(check_options(&o).is_ok());
        }
    }

    #[test]
    fn runs_are_bounded_and_rates_positive() {
        let mut o = opts(None);
        o.duration = Duration::from_secs(MAX_DURATION_SECS + 1);
        assert!(check_options(&o).is_err());
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, 2e6] {
            let mut o = opts(None);
            o.rate = Some(bad);
            assert!(check_options(&o).is_err(), "{bad}");
        }
    }
}

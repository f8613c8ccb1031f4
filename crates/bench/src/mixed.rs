//! W7: the mixed load of a working day — 70% reads (applicants reading their dossiers, catalog
//! searches, public tracking), 20% submissions with a 100 KB attachment, 10% transitions
//! (a desk accepting a dossier) — each connection following its own sequence.

use crate::{
    BenchError, Report,
    client::{get, get_with, with_body},
    processing::measured_sequences,
    workloads::{Options, seed_dossiers, submission, target, token},
};

/// Requests per connection (one in ten a transition on a dossier of its own).
const PER_CONNECTION: usize = 1_000;

/// W7: the mixed load.
pub(crate) async fn mixed(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "mixed").await?;
    let citizen = token(&t.addr, "citizen1").await?;
    let bearer = format!("Bearer {citizen}");
    let desk = format!(
        "Bearer {}",
        token(&t.addr, "reception@000.00.04.H13").await?
    );
    let conns = opts.concurrency.clamp(1, 256);
    let readable = seed_dossiers(&t.addr, &citizen, 100).await?;
    let to_accept = seed_dossiers(&t.addr, &citizen, conns * PER_CONNECTION / 10).await?;
    let submit = submission(&t.addr, &citizen);
    let searches = [
        "khai+sinh",
        "ly+lich+tu+phap",
        "xay+dung",
        "dang+ky+kinh+doanh",
    ];
    let mut fresh = to_accept.iter();
    let mut seqs = Vec::with_capacity(conns);
    for c in 0..conns {
        let mut seq = Vec::with_capacity(PER_CONNECTION);
        for k in 0..PER_CONNECTION {
            let pick = |list: &[String]| list.get((c * 7 + k) % list.len().max(1)).cloned();
            let req = match k % 10 {
                0..=3 => pick(&readable).map(|code| {
                    get_with(
                        &t.addr,
                        &format!("/api/v1/dossiers/{code}"),
                        &[("Authorization", &bearer)],
                    )
                }),
                4 | 5 => searches
                    .get((c + k) % searches.len())
                    .map(|q| get(&t.addr, &format!("/api/v1/procedures?q={q}&limit=20"))),
                6 => pick(&readable).map(|code| {
                    get(
                        &t.addr,
                        &format!("/api/v1/tracking?code={code}&phone_last4=5671"),
                    )
                }),
                7 | 8 => Some(submit.clone()),
                _ => fresh.next().map(|code| {
                    with_body(
                        "POST",
                        &t.addr,
                        &format!("/api/v1/dossiers/{code}/actions"),
                        &[("Authorization", &desk)],
                        "application/json",
                        br#"{"action":"accept","version":1}"#,
                    )
                }),
            };
            if let Some(r) = req {
                seq.push(r);
            }
        }
        seqs.push(seq);
    }
    let mut extra = serde_json::Map::new();
    extra.insert(
        "mix".into(),
        "70% reads (lookup 40, search 20, tracking 10), 20% submissions, 10% accept".into(),
    );
    extra.insert(
        "dossiers_seeded".into(),
        (readable.len() + to_accept.len()).into(),
    );
    measured_sequences(opts, "mixed", t, seqs, extra, None).await
}

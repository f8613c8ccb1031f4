//! Load data for benchmarks: many copies of one dossier, with the report aggregates kept exact.

use lienthong_domain::report;
use lienthong_store::{dossiers as store, processing as pstore};

use crate::{
    App, AppError,
    reports::facts::{Buckets, facts},
};

/// Copies the dossier `template_code` `n` times in transactions of `batch` copies; each
/// transaction adds the copies' share of the report aggregates. Returns the count.
pub async fn bulk_copies(
    app: &App,
    template_code: &str,
    n: i64,
    batch: i64,
) -> Result<i64, AppError> {
    let template = {
        let mut conn = app.db.read().await?;
        store::by_code(&mut conn, template_code)
            .await?
            .ok_or_else(|| AppError::NotFound(template_code.to_owned()))?
    };
    let contributions = report::contributions(&facts(&template));
    let mut done = 0;
    while done < n {
        let size = batch.max(1).min(n - done);
        let mut tx = app.db.write().await?;
        let conn = &mut tx.conn();
        pstore::copy_batch(&mut *conn, template_code, done + 1, done + size).await?;
        let mut b = Buckets::default();
        b.add(
            &template.agency_code,
            &template.procedure_code,
            &contributions,
        );
        b.scale(size);
        b.write(&mut *conn).await?;
        tx.commit().await?;
        done += size;
    }
    Ok(done)
}

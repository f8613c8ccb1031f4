//! `lienthong`: one binary for the whole platform.

mod cli;
mod config;
mod listener;
mod report_cli;
mod serve;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the C library's allocator: a request allocates and frees many small
/// values across threads, where per-thread free lists cost less (W4 +16%, W7 +34% measured in
/// `bench/results/2026-12-02-allocator.md`), with no more memory held.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("không khởi tạo được runtime / cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lỗi / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

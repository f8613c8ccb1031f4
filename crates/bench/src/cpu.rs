//! Processor time over a run's measured window: what the server used (all its threads), and
//! what the machine as a whole left idle or had taken by its hypervisor. On a shared machine
//! these say whether a workload was limited by the processor, and give a cost per request
//! that moves less with the neighbours than throughput does.

use std::time::Duration;

use tokio::task::JoinHandle;

/// Processor counters read at one instant, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    /// User and system time of the server process.
    server: Option<u64>,
    /// The machine's idle time (all processors, `idle` + `iowait`).
    idle: Option<u64>,
    /// Time the hypervisor ran something else on the machine's processors.
    steal: Option<u64>,
}

/// The processor figures of a measured window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuWindow {
    /// Processors the server kept busy, on average.
    pub server_cores: Option<f64>,
    /// Processors the machine left idle, on average.
    pub idle_cores: Option<f64>,
    /// Processors taken by the hypervisor, on average.
    pub steal_cores: Option<f64>,
}

/// User plus system ticks of process `pid`, from the text of its `/proc/<pid>/stat`.
fn process_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Idle (with I/O wait) and stolen ticks of all processors, from the text of `/proc/stat`.
fn machine_ticks(stat: &str) -> (Option<u64>, Option<u64>) {
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (None, None);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map_while(|f| f.parse().ok())
        .collect();
    let idle = match (v.get(3), v.get(4)) {
        (Some(i), Some(w)) => Some(i + w),
        _ => None,
    };
    (idle, v.get(7).copied())
}

fn read(pid: Option<u32>) -> Counters {
    let server = pid
        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .and_then(|s| process_ticks(&s));
    let (idle, steal) = std::fs::read_to_string("/proc/stat")
        .map(|s| machine_ticks(&s))
        .unwrap_or((None, None));
    Counters {
        server,
        idle,
        steal,
    }
}

/// Average processors of the ticks between `a` and `b` over `secs`.
fn cores(a: Option<u64>, b: Option<u64>, hz: f64, secs: f64) -> Option<f64> {
    let (a, b) = (a?, b?);
    (secs > 0.0).then(|| b.saturating_sub(a) as f64 / hz / secs)
}

fn figures(a: Counters, b: Counters, hz: f64, secs: f64) -> CpuWindow {
    CpuWindow {
        server_cores: cores(a.server, b.server, hz, secs),
        idle_cores: cores(a.idle, b.idle, hz, secs),
        steal_cores: cores(a.steal, b.steal, hz, secs),
    }
}

/// Reads the counters once `warmup` has passed and again `duration` later (the measured
/// window of a loop started now), and gives the window's figures.
pub(crate) fn window(
    pid: Option<u32>,
    warmup: Duration,
    duration: Duration,
) -> JoinHandle<CpuWindow> {
    tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        let start = tokio::time::Instant::now();
        let a = read(pid);
        tokio::time::sleep(duration).await;
        let b = read(pid);
        let hz = rustix::param::clock_ticks_per_second() as f64;
        figures(a, b, hz, start.elapsed().as_secs_f64())
    })
}

/// The figures of a window, or none when the task was lost.
pub(crate) async fn finish(w: JoinHandle<CpuWindow>) -> CpuWindow {
    w.await.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_s_ticks_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (lienthong (w) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    1500 250 0 0 20 0 9 0 100 0 0";
        assert_eq!(process_ticks(stat), Some(1750));
    }

    #[test]
    fn a_truncated_or_garbled_stat_gives_nothing() {
        assert_eq!(process_ticks("4242 (x) S 1 2"), None);
        assert_eq!(process_ticks("no parenthesis at all"), None);
        assert_eq!(
            process_ticks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 lots of 0"),
            None
        );
    }

    #[test]
    fn idle_counts_io_wait_and_steal_is_the_eighth_column() {
        let stat = "cpu  278421 22164 35812 64545 7281 0 4398 5549 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        assert_eq!(machine_ticks(stat), (Some(64545 + 7281), Some(5549)));
        assert_eq!(machine_ticks("intr 1 2 3\n"), (None, None));
        assert_eq!(machine_ticks("cpu  1 2 3\n"), (None, None));
    }

    #[test]
    fn figures_are_average_processors_over_the_window() {
        let a = Counters {
            server: Some(1_000),
            idle: Some(5_000),
            steal: Some(100),
        };
        let b = Counters {
            server: Some(1_300),
            idle: Some(5_100),
            steal: None,
        };
        let w = figures(a, b, 100.0, 2.0);
        assert_eq!(w.server_cores, Some(1.5));
        assert_eq!(w.idle_cores, Some(0.5));
        assert_eq!(w.steal_cores, None);
        assert_eq!(figures(a, b, 100.0, 0.0).server_cores, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_window_of_this_process_sees_the_processor_it_used() {
        let pid = std::process::id();
        let w = window(Some(pid), Duration::ZERO, Duration::from_millis(400));
        // Let the window take its first reading, then spin for most of it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = tokio::task::spawn_blocking(|| {
            let until = std::time::Instant::now() + Duration::from_millis(300);
            let mut x = 0u64;
            while std::time::Instant::now() < until {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        })
        .await;
        let w = finish(w).await;
        let server = w.server_cores.unwrap_or(0.0);
        assert!(server > 0.3, "a spinning thread used {server} processors");
        assert!(w.idle_cores.is_some() && w.steal_cores.is_some());
    }
}

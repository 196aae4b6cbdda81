//! Times each phase of opening a snapshot, with the process's resident memory (now and peak)
//! when each phase starts: `cargo run --release --example phases -- FILE [--in-turn]`
//! (`--in-turn`: analyse on one thread, as a diff or a leak series does).
use heapdiff_core::Snapshot;
use std::time::Instant;

/// (VmRSS, VmHWM) in MB, from /proc/self/status (zeros where there is none).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb >> 10)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Bytes the process has read through read(2) and the like, from /proc/self/io (0 where none).
fn bytes_read() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases FILE [--in-turn]");
    let in_turn = std::env::args().nth(2).as_deref() == Some("--in-turn");
    let start = Instant::now();
    let mut last = String::new();
    let mut report = |phase: &str, _: u64, _: u64| {
        if phase != last {
            let (rss, peak) = memory();
            eprintln!("{:>8.3} s  {rss:>6} MB now, {peak:>6} MB peak  {phase}", start.elapsed().as_secs_f64());
            last = phase.to_string();
        }
    };
    let opened = if in_turn {
        let total = std::fs::metadata(&path).map_or(0, |m| m.len());
        heapdiff_core::parse_file(path.as_ref(), Some(&mut |done| report("parse", done, total)))
            .map(|graph| Snapshot::analyze_in_turn(graph, Some(&mut report)))
    } else {
        Snapshot::open(path.as_ref(), Some(&mut report))
    };
    match opened {
        Ok(s) => {
            let sum = s.summary();
            let (rss, peak) = memory();
            eprintln!(
                "{:>8.3} s  {rss:>6} MB now, {peak:>6} MB peak  loaded: {} nodes, {} edges, {} MB in memory, {} MB read",
                start.elapsed().as_secs_f64(),
                sum.node_count,
                sum.edge_count,
                sum.memory_bytes >> 20,
                bytes_read() >> 20
            );
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}

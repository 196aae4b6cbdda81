//! Times each phase of opening a snapshot: `cargo run --release --example phases -- FILE`.
use heapdiff_core::Snapshot;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases FILE");
    let start = Instant::now();
    let mut last = String::new();
    let mut report = |phase: &str, _: u64, _: u64| {
        if phase != last {
            eprintln!("{:>8.3} s  {phase}", start.elapsed().as_secs_f64());
            last = phase.to_string();
        }
    };
    match Snapshot::open(path.as_ref(), Some(&mut report)) {
        Ok(s) => {
            let sum = s.summary();
            eprintln!("{:>8.3} s  loaded: {} nodes, {} edges, {} MB in memory", start.elapsed().as_secs_f64(), sum.node_count, sum.edge_count, sum.memory_bytes >> 20);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}

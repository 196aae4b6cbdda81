//! Times the steps of a diff in the engine alone, as `heapdiff diff` takes them (both snapshots
//! loaded at once, the base's census, the comparison):
//! `cargo run --release --example diff_phases -- BASE CURRENT`.
use heapdiff_core::{diff, DiffOptions, Snapshot};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, current] = &args[..] else {
        eprintln!("usage: diff_phases BASE CURRENT");
        std::process::exit(2);
    };
    let start = Instant::now();
    let open = |path: &String| Snapshot::open(path.as_ref(), None).unwrap_or_else(|e| panic!("{e}"));
    let (base, current) = std::thread::scope(|scope| {
        let b = scope.spawn(|| open(base));
        let c = open(current);
        (b.join().expect("base loads"), c)
    });
    eprintln!("{:>8.3} s  both loaded", start.elapsed().as_secs_f64());
    let census = base.census(Some(current.interface_definitions()));
    eprintln!("{:>8.3} s  census of the base", start.elapsed().as_secs_f64());
    let d = diff(&current, &census, &DiffOptions::default());
    eprintln!(
        "{:>8.3} s  compared: {} classes changed, {} sites (same process: {})",
        start.elapsed().as_secs_f64(),
        d.classes.len(),
        d.sites.len(),
        d.identity.same_process
    );
}

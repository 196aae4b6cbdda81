use heapdiff_core::{diff, DiffOptions, Snapshot};
use std::time::Instant;
fn main() {
    let a = std::env::args().nth(1).unwrap();
    let b = std::env::args().nth(2).unwrap();
    let t = Instant::now();
    let (sa, sb) = std::thread::scope(|s| {
        let ha = s.spawn(|| Snapshot::open(a.as_ref(), None).unwrap());
        let hb = s.spawn(|| Snapshot::open(b.as_ref(), None).unwrap());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    eprintln!("loaded {:?}", t.elapsed());
    let t = Instant::now();
    let defs = sb.interface_definitions().to_vec();
    eprintln!("same definitions: {}", defs == sa.interface_definitions());
    let census = sa.census(Some(&defs));
    eprintln!("census {:?}", t.elapsed());
    let t = Instant::now();
    let d = diff(&sb, &census, &DiffOptions::default());
    eprintln!("diff {:?} {} classes {} sites", t.elapsed(), d.classes.len(), d.sites.len());
}

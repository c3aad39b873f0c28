//! Scans one of the benchmark texts N times, for instruction counts under
//! callgrind: `valgrind --tool=callgrind target/release/examples/scan_once
//! dense 3` minus the same with `1`, divided by two and by the length.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../benches/support/mod.rs"]
mod support;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("dense", String::as_str);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let (scanner, dense) = support::mixed_text();
    let plain = support::chatter(&dense);
    let t = match which {
        "typical" => support::typical(&dense, &plain),
        "chatter" => plain,
        _ => dense,
    };
    let mut found = 0;
    for _ in 0..n {
        found += std::hint::black_box(scanner.scan(std::hint::black_box(&t))).len();
    }
    println!(
        "{which}: {} bytes, {} findings per scan",
        t.len(),
        found / n.max(1)
    );
}

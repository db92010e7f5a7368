//! Print the summary (or `--json`) of panic files: a development aid.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    for a in args.iter().filter(|a| *a != "--json") {
        let t = std::time::Instant::now();
        let r = kpanic_report::parse_file(std::path::Path::new(a));
        let dt = t.elapsed();
        match r {
            Ok(r) if json => println!("{}", serde_json::to_string_pretty(&r).unwrap()),
            Ok(r) => println!("== {a} ({dt:?})\n{}", kpanic_report::summary::render(&r)),
            Err(e) => println!("== {a}: ERROR {e}"),
        }
    }
}
